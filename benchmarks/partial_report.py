"""Write a partial report from the finished cells of a stopped `molbridge benchmark` run.

The runner writes `results.md` only when every cell is done; this draws the same report (the
runner's own `summarize_cells` and `write_markdown`) from the cells finished so far, over the
datasets with at least one, as `results_partial.md` and `results_partial.json` in DEST.

Usage:  .venv/bin/python benchmarks/partial_report.py runs/full/admet docs/results/bench/admet
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml

from molbridge.benchmarks.suites import get_suite
from molbridge.report.benchmark import summarize_cells, write_markdown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="the benchmark's --out folder")
    parser.add_argument("dest", type=Path)
    args = parser.parse_args()
    options = yaml.safe_load((args.run / "benchmark.yaml").read_text())
    suite = get_suite(options["suite"], args.run)
    records = [
        json.loads(p.read_text()) for p in sorted(args.run.glob("cells/*/*/seed*/result.json"))
    ]
    done = {record["dataset"] for record in records}
    datasets = [d for d in suite.datasets if d.name in done]
    summary = summarize_cells(suite, datasets, options["models"], records)
    args.dest.mkdir(parents=True, exist_ok=True)
    write_markdown(summary, args.dest / "results_partial.md")
    (args.dest / "results_partial.json").write_text(json.dumps(summary, indent=2))
    print(f"{len(records)} cells over {len(datasets)} datasets -> {args.dest}")


if __name__ == "__main__":
    main()
