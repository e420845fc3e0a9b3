"""Keep a long benchmark run's finished cells in the repository, and bring them back, so that a
run spread over several sessions (whose machines do not persist) resumes where it stopped.

`save` copies from the run folder only the small files that say what is done — each cell's
`result.json`, the run's manifest and settings, its reports — into the store (a folder under
`docs/results/`); `restore` copies them back into a run folder, where `--resume` then skips the
finished cells. Checkpoints, feature caches and plots are left behind (a cell cut short starts
again).

Usage:  .venv/bin/python benchmarks/keep_cells.py save RUN STORE
        .venv/bin/python benchmarks/keep_cells.py restore RUN STORE
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

KEPT = (
    "result.json",
    "probe.json",
    "molbridge-run.json",
    "benchmark.yaml",
    "results.json",
    "results.md",
)


def copy_kept(source: Path, target: Path) -> int:
    """Copy the kept files of `source` (recursively) into `target`; returns how many."""
    n = 0
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.name in KEPT:
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            n += 1
    return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("save", "restore"))
    parser.add_argument("run", type=Path)
    parser.add_argument("store", type=Path)
    args = parser.parse_args()
    source, target = (args.run, args.store) if args.action == "save" else (args.store, args.run)
    if not source.is_dir():
        print(f"{source}: nothing to {args.action}")
        return 0
    n = copy_kept(source, target)
    cells = len(list(target.rglob("result.json")))
    print(f"{args.action}: {n} files from {source} to {target} ({cells} finished cells there)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
