"""Per-set change of one model against a base over seeds (P3's table of "change against gbm").

For each dataset both models have on every one of the base's seeds: the headline metric's
mean ± std (ddof=1) over seeds of each, the change (model − base), and, where the change is at
least one std (the larger of the two rows'), whether it is better or worse and by how many
stds. Then the counts: better on n sets, by more than 2 std on which, worse by more than 2 std
on which. The markdown rows are those of the P3 sections in `docs/results/<strategy>.md`;
`merge_results.py` writes the means and ranks, this adds the spread.

    python benchmarks/seeds_vs_base.py docs/results/acml/p3/results.json --model gbm+acml

Several sources are read as one (results.json files or run folders with cells/, read by
`records_of_sources`; a model found in two sources is an error).
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from molbridge.data.registry import get_dataset
from molbridge.metrics.named import get_metric
from molbridge.report.benchmark import records_of_sources

# The short names the results pages use for the TDC group; other sets print their own name.
LABELS = {
    "caco2_wang": "Caco2",
    "hia_hou": "HIA",
    "pgp_broccatelli": "Pgp",
    "bioavailability_ma": "Bioavailability",
    "lipophilicity_astrazeneca": "Lipophilicity",
    "solubility_aqsoldb": "Solubility",
    "bbb_martins": "BBB",
    "ppbr_az": "PPBR",
    "vdss_lombardo": "VDss",
    "cyp2c9_veith": "CYP2C9 inhibition",
    "cyp2d6_veith": "CYP2D6 inhibition",
    "cyp3a4_veith": "CYP3A4 inhibition",
    "cyp2c9_substrate_carbonmangels": "CYP2C9 substrate",
    "cyp2d6_substrate_carbonmangels": "CYP2D6 substrate",
    "cyp3a4_substrate_carbonmangels": "CYP3A4 substrate",
    "half_life_obach": "Half-life",
    "clearance_hepatocyte_az": "Clearance hepatocyte",
    "clearance_microsome_az": "Clearance microsome",
    "ld50_zhu": "LD50",
    "herg": "hERG",
    "ames": "AMES",
    "dili": "DILI",
}
METRIC_LABELS = {"mae": "MAE", "rmse": "RMSE", "roc_auc": "ROC-AUC", "auprc": "AUPRC"}


def by_seed(records: list[dict], model: str, dataset: str, metric: str) -> dict[int, float]:
    return {
        r["seed"]: r["test"][metric]
        for r in records
        if r["model"] == model and r["dataset"] == dataset and metric in r.get("test", {})
    }


def rows(records: list[dict], base: str, model: str) -> tuple[list[dict], list[str]]:
    """One entry per dataset of the base (in the order first seen) that the model has on all of
    the base's seeds; and the datasets it has on only some, left out (a run still going)."""
    out, partial = [], []
    for dataset in dict.fromkeys(r["dataset"] for r in records if r["model"] == base):
        metric = get_dataset(dataset).metric
        ref = by_seed(records, base, dataset, metric)
        mine = by_seed(records, model, dataset, metric)
        if not mine:
            continue
        if ref.keys() - mine.keys():
            partial.append(f"{dataset} ({len(mine.keys() & ref.keys())} of {len(ref)} seeds)")
            continue
        seeds = sorted(ref)
        a, b = [ref[s] for s in seeds], [mine[s] for s in seeds]
        std = max(statistics.stdev(a), statistics.stdev(b)) if len(seeds) > 1 else 0.0
        change = statistics.mean(b) - statistics.mean(a)
        higher = get_metric(metric)[1]
        out.append(
            {
                "dataset": dataset,
                "metric": metric,
                "base": (statistics.mean(a), statistics.stdev(a) if len(a) > 1 else 0.0),
                "model": (statistics.mean(b), statistics.stdev(b) if len(b) > 1 else 0.0),
                "change": change,
                "better": change > 0 if higher else change < 0,
                # no spread: a change is infinitely many std, none is none
                "stds": abs(change) / std if std > 0 else (float("inf") if change else 0.0),
            }
        )
    return out, partial


def _stds(x: float) -> str:
    """One decimal, two near 2 so that 1.99 does not read as the 2 the counts cut at."""
    return f"{x:.2f}" if 1.95 <= x < 2.05 else f"{x:.1f}"


def _signed(x: float) -> str:
    return f"{x:+.3f}".replace("-", "\N{MINUS SIGN}")


def markdown(table: list[dict], base: str, model: str) -> list[str]:
    lines = [f"| set | metric | `{base}` | `{model}` | change |", "|---|---|---|---|---|"]
    for row in table:
        note = ""
        if row["stds"] >= 1:
            note = f" ({'better' if row['better'] else 'worse'}, {_stds(row['stds'])} std)"
        (bm, bs), (mm, ms) = row["base"], row["model"]
        lines.append(
            f"| {LABELS.get(row['dataset'], row['dataset'])} | "
            f"{METRIC_LABELS.get(row['metric'], row['metric'].title())} | "
            f"{bm:.3f} ± {bs:.3f} | {mm:.3f} ± {ms:.3f} | {_signed(row['change'])}{note} |"
        )
    return lines


def counts(table: list[dict]) -> list[str]:
    def names(rows: list[dict]) -> str:
        return ", ".join(LABELS.get(r["dataset"], r["dataset"]) for r in rows) or "none"

    better = [r for r in table if r["better"]]
    far_better = [r for r in better if r["stds"] > 2]
    far_worse = [r for r in table if not r["better"] and r["stds"] > 2]
    return [
        f"better on {len(better)} of {len(table)} sets; by more than 2 std on "
        f"{len(far_better)} ({names(far_better)}); worse by more than 2 std on "
        f"{len(far_worse)} ({names(far_worse)})"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", type=Path, nargs="+", help="results.json files or run folders")
    parser.add_argument("--base", default="gbm")
    parser.add_argument("--model", required=True)
    args = parser.parse_args()
    try:
        records = records_of_sources(args.sources)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    table, partial = rows(records, args.base, args.model)
    if not table:
        raise SystemExit(f"no dataset has both {args.base} and {args.model} on every seed")
    print("\n".join([*markdown(table, args.base, args.model), "", *counts(table)]))
    if partial:
        print(f"left out, {args.model} lacks some of {args.base}'s seeds: {', '.join(partial)}")


if __name__ == "__main__":
    main()
