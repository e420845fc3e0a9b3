"""Resume after an interruption; fine-tune from a bundle (--init); ensembles; bf16."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from molbridge.pipeline.train import TrainConfig, train

DATA = Path(__file__).parents[1] / "data"


def test_kill_9_mid_training_then_resume_loses_no_finished_epoch(tmp_path: Path) -> None:
    import torch

    out = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "molbridge.cli.main",
        "train",
        "--data",
        str(DATA / "esol_tiny.csv"),
        "--epochs",
        "25",
        "--out",
        str(out),
        "--no-progress",
        "-v",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    last = out / "member0" / "checkpoints" / "last.ckpt"
    log = tmp_path / "first.log"
    with open(log, "w") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline and not last.exists():
            time.sleep(0.2)
        time.sleep(1.5)
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert last.exists(), "no epoch finished before the kill"
    assert not (out / "metrics.json").exists(), "the run finished before it could be killed"
    logged = [int(m) for m in re.findall(r"epoch (\d+) finished", log.read_text())]
    saved = torch.load(last, map_location="cpu", weights_only=False)
    saved_epoch, before = saved["epoch"], saved["molbridge_history"]
    # the checkpoint holds the last finished epoch (one may have logged but not yet been saved)
    assert logged and saved_epoch >= max(logged) - 1, (saved_epoch, logged)
    assert len(before) == saved_epoch + 1

    result = subprocess.run(
        [*command, "--resume"], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((out / "member0" / "record.json").read_text())
    epochs = [int(row["epoch"]) for row in record["history"]]
    # every epoch exactly once: those finished before the kill kept, the rest trained after it
    assert epochs == list(range(25)), epochs
    assert record["history"][: saved_epoch + 1] == before
    # the time of the epochs before the kill is counted, not only the resumed run's
    assert all(row["seconds"] > 0 for row in record["history"])
    earlier = sum(row["seconds"] for row in before)
    summary = json.loads((out / "metrics.json").read_text())
    assert summary["earlier_seconds"] == pytest.approx(earlier)
    assert record["fit_seconds"] >= sum(row["seconds"] for row in record["history"])


def test_latest_checkpoint_follows_every_epoch(tmp_path: Path) -> None:
    import torch

    train(
        TrainConfig(
            data=str(DATA / "bbbp_tiny.csv"),
            out=str(tmp_path),
            epochs=5,
            progress=False,
            num_layers=2,
            hidden_dim=16,
        )
    )
    saved = torch.load(tmp_path / "member0" / "checkpoints" / "last.ckpt", weights_only=False)
    assert saved["epoch"] == 4 and len(saved["molbridge_history"]) == 5


def test_init_from_bundle_and_ensemble(tmp_path: Path) -> None:
    base = TrainConfig(
        data=str(DATA / "bbbp_tiny.csv"),
        out=str(tmp_path / "a"),
        epochs=1,
        progress=False,
        num_layers=2,
        hidden_dim=32,
    )
    first = train(base)
    second = train(
        TrainConfig(
            data=str(DATA / "bbbp_tiny.csv"),
            out=str(tmp_path / "b"),
            epochs=1,
            progress=False,
            init=str(first.model_path),
            ensemble=2,
        )
    )
    from molbridge.io import load_bundle

    bundle = load_bundle(second.model_path)
    assert len(bundle.members) == 2 and bundle.encoder["hidden_dim"] == 32
    assert second.summary["members"][1]["seed"] == 1


@pytest.mark.parametrize("precision", ["bf16-mixed"])
def test_bf16_mixed_trains(tmp_path: Path, precision: str) -> None:
    result = train(
        TrainConfig(
            data=str(DATA / "esol_tiny.csv"),
            out=str(tmp_path / "bf16"),
            epochs=1,
            progress=False,
            precision=precision,
            num_layers=2,
            hidden_dim=32,
        )
    )
    assert result.test["rmse"] > 0
