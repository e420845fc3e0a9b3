"""Small builders shared by tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from molbridge.data.corpus import CorpusShards, build_corpus
from molbridge.encoders import GraphEncoder, GraphEncoderConfig
from molbridge.featurize import GraphFeaturizer
from molbridge.pipeline.pretrain import PretrainConfig
from molbridge.pipeline.train import TrainConfig, TrainResult, train
from molbridge.tasks import PropertyTask, PropertyTaskConfig


def small_encoder(
    featurizer: GraphFeaturizer | None = None,
    hidden_dim: int = 32,
    num_layers: int = 2,
    dropout: float = 0.0,
) -> GraphEncoder:
    featurizer = featurizer or GraphFeaturizer()
    return GraphEncoder(
        GraphEncoderConfig(
            featurizer.atom_dims, featurizer.bond_dims, num_layers, hidden_dim, dropout
        )
    )


def small_task(task_type: str = "classification", n_tasks: int = 1, **config) -> PropertyTask:  # type: ignore[no-untyped-def]
    names = tuple(f"t{i}" for i in range(n_tasks))
    return PropertyTask(small_encoder(), PropertyTaskConfig(task_type, names, **config))


def tiny_pretrain_config(out: Path, strategy: str, **overrides: object) -> PretrainConfig:
    """A pre-training run on the 150-molecule test corpus: 4 shards, 9 steps an epoch."""
    settings: dict[str, object] = dict(
        strategy=strategy,
        out=str(out),
        corpus=str(Path(__file__).parent / "data" / "bbbp_tiny.csv"),
        batch_size=16,
        num_layers=5,
        hidden_dim=32,
        shard_size=40,
        featurize_workers=1,
        progress=False,
    )
    settings.update(overrides)
    return PretrainConfig(**settings)  # type: ignore[arg-type]


def fine_tune_tiny(init: Path | str, out: Path, **overrides: object) -> TrainResult:
    """One epoch of fine-tuning on the 150-molecule BBBP sample from the encoder `init`."""
    settings: dict[str, object] = dict(
        data=str(Path(__file__).parent / "data" / "bbbp_tiny.csv"),
        target_columns=["p_np"],
        out=str(out),
        init=str(init),
        epochs=1,
        hidden_dim=32,
        progress=False,
    )
    settings.update(overrides)
    return train(TrainConfig(**settings))  # type: ignore[arg-type]


def tiny_corpus(cache_dir: Path) -> CorpusShards:
    """bbbp_tiny.csv as a pre-training corpus in shards of 40, built in this process."""
    source = Path(__file__).parent / "data" / "bbbp_tiny.csv"
    return build_corpus(
        str(source),
        GraphFeaturizer(),
        cache_dir=cache_dir,
        shard_size=40,
        workers=1,
        progress=False,
    )


# the stream settings every DDP test runs its tiny corpus with (9 steps an epoch on one rank)
TINY_STREAM = ("--batch-size", "16", "--shard-size", "40", "--featurize-workers", "1")


def run_ddp_pretrain(out: Path, *args: object) -> dict[str, Any]:
    """`molbridge pretrain ARGS --devices 2 --no-progress --out OUT` in a fresh process (gloo,
    one thread a rank); checks that it ran and that both ranks end with the same weights, and
    returns the run's summary."""
    command = [sys.executable, "-m", "molbridge.cli.main", "pretrain", *map(str, args)]
    command += ["--devices", "2", "--no-progress", "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PL_TORCH_DISTRIBUTED_BACKEND": "gloo"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    digests = [(out / f"rank{r}_weights.sha256").read_text() for r in (0, 1)]
    assert digests[0] == digests[1]
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text())
    assert summary["world_size"] == 2 and summary["steps"] >= 1
    return summary
