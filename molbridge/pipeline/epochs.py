"""Training loops shared by the pre-training commands: finding the checkpoint to resume from,
and the one-process epoch loop of in-memory data."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint

from molbridge.io import CheckpointError
from molbridge.io.outputs import check_resume_checkpoint
from molbridge.pipeline.precision import warn_if_bf16_is_emulated
from molbridge.tasks.pretrain import PretrainTask
from molbridge.tasks.random_state import RandomStateCheckpoint

log = logging.getLogger(__name__)


# what a pre-training run writes in its folder (graph strategies and modality encoders alike)
PRETRAIN_OUTPUTS = (
    "encoder.ckpt",
    "config.yaml",
    "history.json",
    "summary.json",
    "loss_curve.png",
    "checkpoints",
)


@dataclass
class PretrainResult:
    encoder_path: Path
    history: list[dict[str, float]]
    summary: dict[str, Any]


def newest_checkpoint(directory: Path) -> str | None:
    """The newest readable Lightning checkpoint in `directory` (for `--resume`), or None.

    A process killed while writing a checkpoint leaves it truncated: that one is skipped (and
    named in a warning) for the newest one before it, so the crash costs the steps since then,
    not the run.

    Raises:
        CheckpointError: checkpoints exist but none can be read.
    """
    saved = sorted(directory.glob("*.ckpt"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    if not saved:
        log.warning("--resume: no checkpoint in %s yet; starting from scratch", directory)
        return None
    for path in saved:
        try:
            check_resume_checkpoint(path)
        except CheckpointError:
            log.warning("--resume: %s is unreadable (cut short by a crash?); skipping it", path)
            continue
        log.info("resuming from %s", path)
        return str(path)
    raise CheckpointError(
        f"cannot resume: none of the {len(saved)} checkpoints in {directory} can be read; "
        "run again without --resume to start fresh"
    )


def one_process_trainer(
    epochs: int,
    precision: str,
    callbacks: list[L.Callback],
    progress: bool,
    **settings: Any,
) -> L.Trainer:
    """A Lightning trainer on this one process (CPU, or the GPU when there is one), without a
    logger; the random state saved in its checkpoints (`RandomStateCheckpoint`). `settings`
    go to the trainer as they are."""
    warn_if_bf16_is_emulated(precision)
    return L.Trainer(
        max_epochs=epochs,
        accelerator="cpu" if not torch.cuda.is_available() else "auto",
        devices=1,
        precision=precision,  # type: ignore[arg-type]
        callbacks=[*callbacks, RandomStateCheckpoint()],
        logger=False,
        enable_progress_bar=progress,
        enable_model_summary=False,
        **settings,
    )


@dataclass
class FitResult:
    """What `fit_epochs` reports: the checkpoint resumed from, training seconds, steps."""

    resumed_from: str | None
    seconds: float
    steps: int


def fit_epochs(
    task: PretrainTask,
    loader: torch.utils.data.DataLoader | L.LightningDataModule,
    checkpoints: Path,
    epochs: int,
    precision: str = "32",
    resume: bool = False,
    progress: bool = True,
    fast_dev_run: bool = False,
) -> FitResult:
    """Train `task` in this one process for `epochs`, a checkpoint at each epoch's end in
    `checkpoints` (`resume` continues from the newest readable one): the loop of the modality
    encoders and of a strategy's earlier stage (a reaction teacher), whose data fit in memory
    and whose epochs take minutes. The loader's order must depend on (seed, epoch) only
    (`epoch_shuffler`), so a resumed run sees what the uninterrupted one saw."""
    every_epoch = ModelCheckpoint(
        dirpath=checkpoints,
        filename="epoch{epoch}-step{step}",
        every_n_epochs=1,
        save_on_train_epoch_end=True,
        save_top_k=-1,
        auto_insert_metric_name=False,
    )
    trainer = one_process_trainer(
        epochs, precision, [every_epoch], progress, fast_dev_run=fast_dev_run
    )
    resume_from = newest_checkpoint(checkpoints) if resume else None
    started = time.perf_counter()
    if isinstance(loader, L.LightningDataModule):
        trainer.fit(task, datamodule=loader, ckpt_path=resume_from, weights_only=True)
    else:
        trainer.fit(task, loader, ckpt_path=resume_from, weights_only=True)
    return FitResult(resume_from, time.perf_counter() - started, int(trainer.global_step))
