"""Panel P1's cost: one `molbridge benchmark probe` run per encoder, each timed on its own.

Each encoder runs all 63 sets (MoleculeNet 11, TDC 22 x 5 seeds, MoleculeACE 30) in its own
folder with a cold embedding cache and the shared graph-feature cache as it is (the first run on
a machine also featurizes every molecule once: say so beside its time). The runs are then
combined into one panel (`probe.md`: one row per encoder, mean ranks over all of them), and the
wall time of each is checked against the target of 15 minutes.

Usage:  .venv/bin/python benchmarks/probe_time.py --out DIR --init random \\
            --init attr-masking=models/attr-masking-moses-1epoch/encoder.ckpt [...] [--resume]
        [--keep LABEL=FOLDER ...]: encoders not run again, read from an earlier panel (the
        controls: docs/results/probe) or run folder, and ranked with the new ones
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from molbridge.benchmarks.probe import combine_panels

TARGET_SECONDS = 15 * 60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--init", action="append", required=True, help="LABEL=CKPT or random")
    parser.add_argument("--keep", action="append", default=[], help="LABEL=FOLDER, not run")
    parser.add_argument("--resume", action="store_true", help="keep finished encoders' runs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    folders, timings = {}, {}
    for spec in args.init:
        label = spec.partition("=")[0] if "=" in spec else spec
        folder = args.out / "runs" / label
        folders[label] = folder
        if args.resume and (folder / "probe.json").exists():
            timings[label] = json.loads((folder / "probe.json").read_text())["wall_seconds"]
            continue
        command = [
            sys.executable,
            "-m",
            "molbridge.cli.main",
            "benchmark",
            "probe",
            "--init",
            spec,
            "--out",
            str(folder),
            "--no-progress",
        ]
        command += ["--resume"] if args.resume else []
        started = time.perf_counter()
        subprocess.run(command, check=True)
        timings[label] = time.perf_counter() - started
        print(f"{label}: {timings[label] / 60:.1f} min", flush=True)
    kept = {spec.partition("=")[0]: Path(spec.partition("=")[2]) for spec in args.keep}
    combine_panels(kept | folders, args.out)
    report = {
        "target_seconds": TARGET_SECONDS,
        "seconds": timings,
        "within_target": {k: v <= TARGET_SECONDS for k, v in timings.items()},
        "panel": str(args.out / "probe.md"),
    }
    (args.out / "probe_time.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    print((args.out / "probe.md").read_text())
    return 0 if all(report["within_target"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
