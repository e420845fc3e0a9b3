"""Per-step losses of the graph pre-training strategies over their first epoch, seeded, on the
tiny test corpus: run at two commits, equal lists show that a refactor kept the strategies'
behaviour bit for bit (the strategy contract move of issue 19).

Usage:  .venv/bin/python benchmarks/strategy_losses.py [--epochs 1] [--json OUT.json]
Uses only `molbridge.pipeline.pretrain.pretrain(PretrainConfig(...))`, which exists before and
after the move, and records each training step's loss as Lightning computes it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import torch

from molbridge.pipeline.pretrain import PretrainConfig, pretrain
from molbridge.tasks.pretrain.base import PretrainTask

CORPUS = Path(__file__).parents[1] / "tests" / "data" / "bbbp_tiny.csv"


def losses(strategy: str, epochs: int) -> list[float]:
    seen: list[float] = []
    original = PretrainTask.training_step

    def record(self: PretrainTask, batch: object, batch_idx: int) -> torch.Tensor:
        loss = original(self, batch, batch_idx)
        seen.append(float(loss.detach()))
        return loss

    PretrainTask.training_step = record  # type: ignore[method-assign]
    try:
        with tempfile.TemporaryDirectory() as out:
            pretrain(
                PretrainConfig(
                    strategy=strategy,
                    out=out,
                    corpus=str(CORPUS),
                    batch_size=16,
                    epochs=epochs,
                    hidden_dim=64,
                    shard_size=40,
                    featurize_workers=1,
                    cache_dir=str(Path(out) / "cache"),
                    progress=False,
                )
            )
    finally:
        PretrainTask.training_step = original  # type: ignore[method-assign]
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    result = {
        "commit": commit,
        "losses": {s: losses(s, args.epochs) for s in ("attr-masking", "context-pred")},
    }
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
