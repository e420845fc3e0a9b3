"""The worked example (tests/examples/fingerprint_infonce.py) through the real command line:
trains, survives kill -9 with --resume (bit-identical to an uninterrupted run), and its
encoder fine-tunes with --init."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from molbridge.io import load_bundle

ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "data"
# the CLI in a fresh process that first registers the example strategy
CLI = [
    sys.executable,
    "-c",
    "import tests.examples.fingerprint_infonce; from molbridge.cli.main import main; main()",
]


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "example.yaml"
    path.write_text(
        "strategy: example-fingerprint-infonce\n"
        f"corpus: {DATA / 'bbbp_tiny.csv'}\n"
        "epochs: 6\nbatch_size: 16\nhidden_dim: 32\nnum_layers: 2\nshard_size: 40\n"
        "featurize_workers: 1\ncheckpoint_every: 4\n"
        f"cache_dir: {tmp_path / 'cache'}\n"
        "options:\n  n_bits: 128\n  temperature: 0.2\n"
    )
    return path


def _run(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([*CLI, *map(str, args)], cwd=ROOT, env=env, **kwargs)  # type: ignore[call-overload]


@pytest.mark.slow
def test_the_example_trains_resumes_after_kill_9_and_fine_tunes(tmp_path: Path) -> None:
    config = _config(tmp_path)
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert _run("pretrain", "--config", config, "--out", whole, "--no-progress").wait() == 0

    with open(tmp_path / "killed.log", "w") as log:
        process = _run(
            "pretrain", "--config", config, "--out", parts, "--no-progress", stdout=log, stderr=log
        )
        deadline = time.time() + 120
        while time.time() < deadline and not (parts / "checkpoints" / "step8.ckpt").exists():
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert not (parts / "encoder.ckpt").exists(), "the run ended before it could be killed"
    resumed = _run("pretrain", "--config", config, "--out", parts, "--resume", "--no-progress")
    assert resumed.wait() == 0

    first, second = load_bundle(whole / "encoder.ckpt"), load_bundle(parts / "encoder.ckpt")
    assert set(first.parts) == {"projection"} and first.extra["strategy"]["temperature"] == 0.2
    for name, value in first.members[0].items():
        assert torch.equal(value, second.members[0][name]), name
    for name, value in first.parts["projection"].state.items():
        assert torch.equal(value, second.parts["projection"].state[name]), name

    result = subprocess.run(
        [*CLI, "train", "--data", DATA / "bbbp_tiny.csv", "--init", whole / "encoder.ckpt",
         "--out", tmp_path / "fine", "--epochs", "2", "--no-progress", "-v"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    said = " ".join(result.stderr.split())  # the log wraps long lines
    assert "['projection'] are not used by this run and are dropped" in said
    assert (tmp_path / "fine" / "model.ckpt").exists()
