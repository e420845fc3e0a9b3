"""Print a Markdown table (per seed, then mean ± std) for finished `molbridge train` folders.

Usage:  .venv/bin/python benchmarks/summarize_runs.py runs/foundation/bbbp/seed*
"""

from __future__ import annotations

import argparse
from pathlib import Path

from molbridge.report.tables import load_runs, markdown_runs_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--scale", type=float, default=1.0, help="e.g. 100 for ROC-AUC x 100")
    args = parser.parse_args()
    runs = load_runs(args.folders)
    print(markdown_runs_table(runs, args.scale))
    seconds = sum(run["wall_seconds"] for run in runs)
    print(f"\n{len(runs)} runs, {seconds / 60:.1f} min of training in all")


if __name__ == "__main__":
    main()
