"""Run a command and record the resident memory of its whole process tree while it runs.

`/usr/bin/time -v` reports the largest single process only; featurization runs in worker
processes beside the main one, so this samples the sum over the tree (main process, workers,
their children) every `--interval` seconds with psutil.

Usage:
  .venv/bin/python benchmarks/peak_memory.py --out runs/rss.json -- \
      .venv/bin/molbridge pretrain --strategy attr-masking --corpus moses --out runs/pt
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

import psutil

GIB = 1024**3


def tree_rss(root: psutil.Process) -> tuple[int, int]:
    """(sum of RSS over `root` and its descendants, the largest single RSS) in bytes."""
    total = largest = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            rss = proc.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue  # a worker that ended between listing and reading
        total += rss
        largest = max(largest, rss)
    return total, largest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the record")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ...")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")

    started = time.perf_counter()
    child = subprocess.Popen(command)
    root = psutil.Process(child.pid)
    peak_total = peak_single = 0
    peak_at = 0.0
    timeline: list[tuple[float, float]] = []  # (seconds, GiB), one per 10 s for a plot
    while child.poll() is None:
        total, largest = tree_rss(root)
        now = time.perf_counter() - started
        if total > peak_total:
            peak_total, peak_at = total, now
        peak_single = max(peak_single, largest)
        if not timeline or now - timeline[-1][0] >= 10:
            timeline.append((round(now, 1), round(total / GIB, 3)))
        time.sleep(args.interval)
    record = {
        "command": command,
        "returncode": child.returncode,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "peak_tree_rss_gib": round(peak_total / GIB, 3),
        "peak_tree_rss_at_seconds": round(peak_at, 1),
        "peak_single_process_rss_gib": round(peak_single / GIB, 3),
        "timeline_gib": timeline,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1))
    print(json.dumps({k: v for k, v in record.items() if k != "timeline_gib"}))
    raise SystemExit(child.returncode)


if __name__ == "__main__":
    main()
