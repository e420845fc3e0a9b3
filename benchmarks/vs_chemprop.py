"""molbridge's GIN beside chemprop 2.3.1 on the very same splits: accuracy and wall time.

Both tools get the same CSV (valid molecules only) with a split column (`train`/`val`/`test`),
the same epochs and batch size, and run as the command
a user would type, timed end to end (start-up, featurization, training, test); the split is the
one `molbridge benchmark` uses (TDC's seeded one for ADMET sets). chemprop runs from
its own virtual environment (`--setup` creates it: torch==2.13.0 first, then chemprop==2.3.1).

Usage:
  .venv/bin/python benchmarks/vs_chemprop.py --setup [--datasets bbbp esol ...] --epochs 30 \
      --out runs/vs_chemprop

A dataset already finished under --out (its `row.json`) is kept, so an interrupted run goes on
where it stopped; delete the folder to measure afresh.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from molbridge.data.registry import get_dataset
from molbridge.metrics import TASK_METRICS, get_metric
from molbridge.pipeline.data_prep import prepare_data
from molbridge.pipeline.train import TrainConfig

CHEMPROP_VERSION = "2.3.1"
# issue 3: seven MoleculeNet sets and five TDC ADMET sets
DEFAULT_DATASETS = [
    "bbbp",
    "bace",
    "clintox",
    "esol",
    "freesolv",
    "lipo",
    "caco2_wang",
    "hia_hou",
    "lipophilicity_astrazeneca",
    "solubility_aqsoldb",
    "herg",
]


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


def shared_split_csv(name: str, folder: Path, seed: int) -> tuple[Path, str, list[str]]:
    """The dataset's parts exactly as `molbridge train`/`benchmark` make them (MoleculeNet:
    Hu et al. scaffold split; TDC: its seeded scaffold split and fixed test), as one CSV with a
    `split` column (`train`/`val`/`test`)."""
    data = prepare_data(TrainConfig(data=name, out=str(folder), seed=seed))
    targets = list(data.task.target_names)
    frames = []
    for label, part in (
        ("train", data.splits.train),
        ("val", data.splits.valid),
        ("test", data.splits.test),
    ):
        assert part is not None
        frame = pd.DataFrame(part.y, columns=targets)
        frame.insert(0, "smiles", part.smiles)
        frame["split"] = label
        frames.append(frame)
    path = folder / f"{name}.csv"
    pd.concat(frames, ignore_index=True).to_csv(path, index=False)
    return path, data.task.task_type, targets


def timed(command: list[str], log: Path) -> tuple[float, float]:
    """Run `command`; returns (wall seconds, CPU seconds of the command and its children).

    CPU time is reported beside wall time because it is barely affected by other work on the
    machine, while wall time is what a user waits."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(log, "w") as sink:
        subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


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
    parser.add_argument("--datasets", nargs="+", default=DEFAULT_DATASETS)
    parser.add_argument("--seed", type=int, default=1, help="split seed (TDC) and model seed")
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
        done = folder / "row.json"
        if done.exists():  # finished in an earlier, interrupted run
            rows.append(json.loads(done.read_text()))
            print(f"{name}: done before, kept ({done})")
            continue
        for stale in ("molbridge", "chemprop"):  # half-finished runs start again
            shutil.rmtree(folder / stale, ignore_errors=True)
        folder.mkdir(exist_ok=True)
        data, task, targets = shared_split_csv(name, folder, args.seed)
        ours_dir = folder / "molbridge"
        ours_s, ours_cpu = timed(
            [
                str(molbridge),
                "train",
                "--data",
                str(data),
                "--smiles-column",
                "smiles",
                "--target-columns",
                *targets,
                "--task",
                task,
                "--split",
                "column:split",
                "--epochs",
                str(args.epochs),
                "--batch-size",
                str(args.batch_size),
                "--precision",
                args.precision,
                "--seed",
                str(args.seed),
                "--out",
                str(ours_dir),
                "--no-progress",
            ],
            folder / "molbridge.log",
        )
        ours = json.loads((ours_dir / "metrics.json").read_text())["test"]
        theirs_dir = folder / "chemprop"
        theirs_s, theirs_cpu = timed(
            [
                str(chemprop),
                "train",
                "-i",
                str(data),
                "-s",
                "smiles",
                "--target-columns",
                *targets,
                "--splits-column",
                "split",
                "-t",
                task,
                "--epochs",
                str(args.epochs),
                "-b",
                str(args.batch_size),
                "-o",
                str(theirs_dir),
                "--accelerator",
                "cpu",
                "--devices",
                "1",
                "--data-seed",
                str(args.seed),
                "--pytorch-seed",
                str(args.seed),
            ],
            folder / "chemprop.log",
        )
        theirs = chemprop_test_score(theirs_dir, data, targets, task)
        metric = get_dataset(name).metric
        rows.append(
            {
                "dataset": name,
                "metric": metric,
                "molbridge": ours[metric],
                "chemprop": theirs[metric],
                "score_ratio": ours[metric] / theirs[metric],
                "higher_is_better": get_metric(metric)[1],
                "molbridge_s": ours_s,
                "chemprop_s": theirs_s,
                "time_ratio": ours_s / theirs_s,
                "molbridge_cpu_s": ours_cpu,
                "chemprop_cpu_s": theirs_cpu,
                "cpu_ratio": ours_cpu / theirs_cpu,
            }
        )
        done.write_text(json.dumps(rows[-1], indent=2))
        print(json.dumps(rows[-1]))
    (args.out / "results.json").write_text(json.dumps(rows, indent=2))
    lines = [
        f"epochs {args.epochs}, batch {args.batch_size}, precision {args.precision}, seed "
        f"{args.seed}, chemprop {CHEMPROP_VERSION}, the same split for both",
        "",
        "| dataset | metric | molbridge GIN | chemprop | score ratio (ours / theirs) "
        "| molbridge s | chemprop s | time ratio (ours / theirs) | CPU-time ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        better = "higher" if r["higher_is_better"] else "lower"
        lines.append(
            f"| {r['dataset']} | {r['metric']} ({better} is better) | {r['molbridge']:.3f} | "
            f"{r['chemprop']:.3f} | {r['score_ratio']:.3f} | {r['molbridge_s']:.0f} | "
            f"{r['chemprop_s']:.0f} | {r['time_ratio']:.2f} | {r['cpu_ratio']:.2f} |"
        )
    total_ours = sum(r["molbridge_s"] for r in rows)
    total_theirs = sum(r["chemprop_s"] for r in rows)
    cpu_ours = sum(r["molbridge_cpu_s"] for r in rows)
    cpu_theirs = sum(r["chemprop_cpu_s"] for r in rows)
    lines.append(
        f"| all | | | | | {total_ours:.0f} | {total_theirs:.0f} | "
        f"{total_ours / max(total_theirs, 1e-9):.2f} | {cpu_ours / max(cpu_theirs, 1e-9):.2f} |"
    )
    (args.out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
