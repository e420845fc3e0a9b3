"""Per-set change of MoleculeACE models against one base model (P4's "change against gbm").

MoleculeACE has one seed per set, so the spread is over the 30 sets: for each model, the mean
± std of (model − base) per set for RMSE and RMSE_cliff, and on how many sets it is below the
base (lower is better for both). `merge_results.py` reports the means and ranks; this pairs
the sets.

    python benchmarks/ace_vs_base.py docs/results/reaction_distill/p4/results.json \
        --base gbm --models gbm+attr-masking gbm+reaction-distill

Several reports are read as one (a set's cells joined by its name; a model found in two
reports is an error). Without --models every model that has all the base's sets is compared.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

METRICS = ("rmse", "rmse_cliff")


def join(paths: list[Path]) -> dict:
    """The reports' cells in one report: {"models": [...], "datasets": [{name, results}]}."""
    models: list[str] = []
    sets: dict[str, dict] = {}
    for path in paths:
        report = json.loads(path.read_text())
        for entry in report["datasets"]:
            cells = sets.setdefault(entry["name"], {})
            for model, cell in entry["results"].items():
                if model in cells:
                    raise SystemExit(f"{model} on {entry['name']} is in two reports ({path})")
                cells[model] = cell
                if model not in models:
                    models.append(model)
    return {"models": models, "datasets": [{"name": n, "results": r} for n, r in sets.items()]}


def per_set(report: dict, model: str, metric: str) -> dict[str, float]:
    """The model's test value on each set it has (one seed per set, the protocol)."""
    values = {}
    for entry in report["datasets"]:
        cell = entry["results"].get(model)
        if cell is not None and metric in cell:
            values[entry["name"]] = cell[metric]["mean"]
    return values


def compare(report: dict, base: str, model: str) -> dict[str, dict[str, float]]:
    """For each metric: mean, mean change against base, its std over sets, sets better."""
    out = {}
    for metric in METRICS:
        ref, mine = per_set(report, base, metric), per_set(report, model, metric)
        if ref.keys() - mine.keys():
            missing = sorted(ref.keys() - mine.keys())
            raise SystemExit(f"{model} lacks {len(missing)} of {base}'s sets: {missing[:5]}")
        diffs = [mine[name] - ref[name] for name in ref]
        out[metric] = {
            "mean": statistics.mean(mine[name] for name in ref),
            "change": statistics.mean(diffs),
            "std": statistics.stdev(diffs),
            "better": sum(d < 0 for d in diffs),
            "sets": len(diffs),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="+", help="moleculeace results.json files")
    parser.add_argument("--base", default="gbm")
    parser.add_argument("--models", nargs="*", default=None)
    args = parser.parse_args()
    report = join(args.results)
    base_sets = len(per_set(report, args.base, "rmse"))
    if base_sets == 0:
        raise SystemExit(f"{args.base} is in none of the reports")
    models = args.models
    if models is None:
        models = [
            m
            for m in report["models"]
            if m != args.base and len(per_set(report, m, "rmse")) >= base_sets
        ]
    base = compare(report, args.base, args.base)
    print(
        f"{args.base}: RMSE {base['rmse']['mean']:.3f} · cliff {base['rmse_cliff']['mean']:.3f}"
        f" ({base_sets} sets)"
    )
    for model in models:
        c = compare(report, args.base, model)
        r, k = c["rmse"], c["rmse_cliff"]
        print(
            f"{model}: RMSE {r['mean']:.3f} · cliff {k['mean']:.3f}; change "
            f"{r['change']:+.3f} ± {r['std']:.3f} · {k['change']:+.3f} ± {k['std']:.3f}; "
            f"better on {r['better']} · {k['better']} of {r['sets']}"
        )


if __name__ == "__main__":
    main()
