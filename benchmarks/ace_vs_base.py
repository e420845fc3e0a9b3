"""Per-set change of MoleculeACE models against one base model (P4's "change against gbm").

MoleculeACE has one seed per set, so the spread is over the 30 sets: for each model, the mean
± std of (model − base) per set for RMSE and RMSE_cliff, their median, the two-sided Wilcoxon
signed-rank p over the paired sets (scipy), and on how many sets it is below the base (lower
is better for both). `merge_results.py` reports the means and ranks; this pairs the sets.

    python benchmarks/ace_vs_base.py docs/results/reaction_distill/p4/results.json \
        --base gbm --models gbm+attr-masking gbm+reaction-distill

Several sources are read as one, each a results.json or a run folder with cells/ (read by
`records_of_sources`; a model found in two sources is an error).
Without --models every model that has all the base's sets is compared. --datasets compares on
those sets only (the channel ablations ran 5 of the 30).
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from scipy.stats import wilcoxon

from molbridge.report.benchmark import records_of_sources

METRICS = ("rmse", "rmse_cliff")


def per_set(records: list[dict], model: str, metric: str) -> dict[str, float]:
    """The model's test value on each set it has (one seed per set, the protocol)."""
    return {
        r["dataset"]: r["test"][metric]
        for r in records
        if r["model"] == model and metric in r.get("test", {})
    }


def only_sets(records: list[dict], datasets: list[str]) -> list[dict]:
    """The records of these sets; a set no record has is an error (a typo would shrink the
    comparison silently)."""
    unknown = sorted(set(datasets) - {r["dataset"] for r in records})
    if unknown:
        raise SystemExit(f"no source has the sets {unknown}")
    return [r for r in records if r["dataset"] in datasets]


def compare(records: list[dict], base: str, model: str) -> dict[str, dict[str, float]]:
    """For each metric: mean, mean change against base, its std over sets, sets better."""
    out = {}
    for metric in METRICS:
        ref, mine = per_set(records, base, metric), per_set(records, model, metric)
        if ref.keys() - mine.keys():
            missing = sorted(ref.keys() - mine.keys())
            raise SystemExit(f"{model} lacks {len(missing)} of {base}'s sets: {missing[:5]}")
        diffs = [mine[name] - ref[name] for name in ref]
        out[metric] = {
            "mean": statistics.mean(mine[name] for name in ref),
            "change": statistics.mean(diffs),
            "std": statistics.stdev(diffs),
            "median": statistics.median(diffs),
            # the paired test needs a nonzero change (the base against itself has none)
            "p": float(wilcoxon(diffs).pvalue) if any(diffs) else 1.0,
            "better": sum(d < 0 for d in diffs),
            "sets": len(diffs),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", type=Path, nargs="+", help="results.json files or run folders")
    parser.add_argument("--base", default="gbm")
    parser.add_argument("--models", nargs="*", default=None)
    parser.add_argument("--datasets", nargs="*", default=None, help="compare on these sets only")
    args = parser.parse_args()
    try:
        records = records_of_sources(args.sources)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    if args.datasets:
        records = only_sets(records, args.datasets)
    models_in = list(dict.fromkeys(r["model"] for r in records))
    base_sets = len(per_set(records, args.base, "rmse"))
    if base_sets == 0:
        raise SystemExit(f"{args.base} is in none of the sources")
    models = args.models
    if models is None:
        models = [
            m for m in models_in if m != args.base and len(per_set(records, m, "rmse")) >= base_sets
        ]
    base = compare(records, args.base, args.base)
    print(
        f"{args.base}: RMSE {base['rmse']['mean']:.3f} · cliff {base['rmse_cliff']['mean']:.3f}"
        f" ({base_sets} sets)"
    )
    for model in models:
        c = compare(records, args.base, model)
        r, k = c["rmse"], c["rmse_cliff"]
        print(
            f"{model}: RMSE {r['mean']:.3f} · cliff {k['mean']:.3f}; change "
            f"{r['change']:+.3f} ± {r['std']:.3f} · {k['change']:+.3f} ± {k['std']:.3f}; "
            f"better on {r['better']} · {k['better']} of {r['sets']}; median "
            f"{r['median']:+.3f} · {k['median']:+.3f}; Wilcoxon p {r['p']:.2f} · {k['p']:.2f}"
        )


if __name__ == "__main__":
    main()
