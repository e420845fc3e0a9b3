"""Seed-paired change of the 8-set average between P2 fine-tuning runs (the "over seeds" columns).

For each fine-tuning seed, the difference of two models' averages over the MoleculeNet sets;
printed as the mean ± std of those per-seed differences, then the differences themselves.
`merge_results.py` reports the difference of the means per set; this pairs the seeds, which
share splits and initial weights, so the spread is the fine-tuning noise of the average.

    python benchmarks/p2_over_seeds.py \
        docs/results/image_graph/ablations/p2_base/results.json:gin \
        docs/results/image_graph/ablations/p2_base/results.json:gin+ig-base \
        docs/results/image_graph/ablations/p2_tiny_cnn/results.json:gin+ig-tiny_cnn

Each argument is RESULTS_JSON:MODEL; every model after the first is compared with the first,
and with the second where there are three or more.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path


def seed_averages(spec: str) -> dict[int, float]:
    """The model's average over the report's datasets, per seed, × 100."""
    path, model = spec.rsplit(":", 1)
    report = json.loads(Path(path).read_text())
    per_seed: dict[int, list[float]] = {}
    for entry in report["datasets"]:
        cell = entry["results"][model][entry["metric"]]
        for seed, value in zip(cell["seeds"], cell["values"], strict=True):
            per_seed.setdefault(seed, []).append(100 * value)
    n_sets = len(report["datasets"])
    return {s: statistics.mean(v) for s, v in per_seed.items() if len(v) == n_sets}


def paired(a: dict[int, float], b: dict[int, float]) -> str:
    seeds = sorted(a.keys() & b.keys())
    diffs = [a[s] - b[s] for s in seeds]
    spread = f" ± {statistics.stdev(diffs):.1f}" if len(diffs) > 1 else ""
    each = ", ".join(f"{d:+.2f}" for d in diffs)
    return f"{statistics.mean(diffs):+.1f}{spread} (seeds {seeds}: {each})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="+", metavar="RESULTS_JSON:MODEL")
    specs = parser.parse_args().specs
    averages = [seed_averages(s) for s in specs]
    for i, (spec, avg) in enumerate(zip(specs, averages, strict=True)):
        line = f"{spec}: average {statistics.mean(avg.values()):.1f}"
        if i >= 1:
            line += f"; vs first {paired(avg, averages[0])}"
        if i >= 2:
            line += f"; vs second {paired(avg, averages[1])}"
        print(line)


if __name__ == "__main__":
    main()
