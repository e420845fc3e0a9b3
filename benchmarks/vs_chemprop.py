"""molbridge's GIN beside chemprop 2.3.1 on the very same splits: accuracy and wall time.

Both tools get the same CSV (valid molecules only) with a split column (`train`/`val`/`test`,
molbridge's deterministic scaffold split), the same epochs and batch size, and run as the command
a user would type, timed end to end (start-up, featurization, training, test). chemprop runs from
its own virtual environment (`--setup` creates it: torch==2.13.0 first, then chemprop==2.3.1).

Usage:
  .venv/bin/python benchmarks/vs_chemprop.py --setup --datasets bbbp esol --epochs 30 \
      --out runs/vs_chemprop
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from molbridge.data.registry import get_dataset
from molbridge.data.splits import scaffold_split
from molbridge.data.table import load_table
from molbridge.featurize import GraphFeaturizer
from molbridge.metrics import TASK_METRICS, get_metric

CHEMPROP_VERSION = "2.3.1"


def setup_chemprop(venv: Path) -> Path:
    """Create the chemprop environment once; returns its `chemprop` executable."""
    exe = venv / "bin" / "chemprop"
    if exe.exists():
        return exe
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "torch==2.13.0"], check=True)  # first, so no CUDA build is pulled
    subprocess.run([*pip, f"chemprop=={CHEMPROP_VERSION}"], check=True)
    return exe


def shared_split_csv(name: str, folder: Path) -> tuple[Path, str, list[str]]:
    """The dataset's valid molecules with a `split` column from the scaffold split."""
    spec = get_dataset(name)
    table = load_table(spec.train_path, spec.smiles_column, spec.target_columns,
                       GraphFeaturizer(), on_invalid="skip")  # fmt: skip
    train, valid, test = scaffold_split(table.scaffolds.tolist())
    split = np.empty(len(table), dtype=object)
    split[train], split[valid], split[test] = "train", "val", "test"
    frame = pd.DataFrame(table.y, columns=list(table.target_columns))
    frame.insert(0, "smiles", table.smiles)
    frame["split"] = split
    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    return path, spec.task, list(table.target_columns)


def timed(command: list[str], log: Path) -> float:
    start = time.perf_counter()
    with open(log, "w") as sink:
        subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - start


def chemprop_test_score(
    run_dir: Path, data: Path, targets: list[str], task: str
) -> dict[str, float]:
    frame = pd.read_csv(data)
    truth = frame[frame["split"] == "test"][targets].to_numpy(dtype=float)
    predictions = sorted(run_dir.rglob("test_predictions.csv"))
    if not predictions:
        raise FileNotFoundError(f"chemprop wrote no test_predictions.csv under {run_dir}")
    pred = pd.read_csv(predictions[0])[targets].to_numpy(dtype=float)
    return {m: get_metric(m)[0](truth, pred) for m in TASK_METRICS[task]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["bbbp", "esol"])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--precision", default="32")
    parser.add_argument("--venv", type=Path, default=Path(".venv-chemprop"))
    parser.add_argument("--setup", action="store_true", help="create the chemprop venv if missing")
    parser.add_argument("--out", type=Path, default=Path("runs/vs_chemprop"))
    args = parser.parse_args()

    chemprop = setup_chemprop(args.venv) if args.setup else args.venv / "bin" / "chemprop"
    if not chemprop.exists():
        raise SystemExit(f"no chemprop at {chemprop}; run with --setup")
    molbridge = Path(sys.executable).with_name("molbridge")
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in args.datasets:
        folder = args.out / name
        folder.mkdir(exist_ok=True)
        data, task, targets = shared_split_csv(name, folder)
        ours_dir = folder / "molbridge"
        ours_s = timed(
            [str(molbridge), "train", "--data", str(data), "--smiles-column", "smiles",
             "--target-columns", *targets, "--task", task, "--split", "column:split",
             "--epochs", str(args.epochs), "--batch-size", str(args.batch_size),
             "--precision", args.precision, "--out", str(ours_dir), "--no-progress"],
            folder / "molbridge.log",
        )  # fmt: skip
        ours = json.loads((ours_dir / "metrics.json").read_text())["test"]
        theirs_dir = folder / "chemprop"
        theirs_s = timed(
            [str(chemprop), "train", "-i", str(data), "-s", "smiles", "--target-columns",
             *targets, "--splits-column", "split", "-t", task, "--epochs", str(args.epochs),
             "-b", str(args.batch_size), "-o", str(theirs_dir), "--accelerator", "cpu",
             "--devices", "1"],
            folder / "chemprop.log",
        )  # fmt: skip
        theirs = chemprop_test_score(theirs_dir, data, targets, task)
        metric = TASK_METRICS[task][0]
        rows.append(
            {"dataset": name, "metric": metric, "molbridge": ours[metric],
             "chemprop": theirs[metric], "molbridge_s": ours_s, "chemprop_s": theirs_s,
             "time_ratio": ours_s / theirs_s}
        )  # fmt: skip
        print(json.dumps(rows[-1]))
    (args.out / "results.json").write_text(json.dumps(rows, indent=2))
    lines = [
        f"epochs {args.epochs}, batch {args.batch_size}, precision {args.precision}, "
        f"chemprop {CHEMPROP_VERSION}, same scaffold split",
        "",
        "| dataset | metric | molbridge GIN | chemprop | molbridge s | chemprop s | time ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['metric']} | {r['molbridge']:.3f} | {r['chemprop']:.3f} | "
            f"{r['molbridge_s']:.0f} | {r['chemprop_s']:.0f} | {r['time_ratio']:.2f} |"
        )
    (args.out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
