"""Pre-train the shared graph encoder on a corpus with a named strategy.

`pretrain(PretrainConfig(...))` is what `molbridge pretrain` runs. Outputs in `config.out`:
`encoder.ckpt` (an `encoder` bundle: loads with `molbridge train --init` and
`molbridge benchmark --init`), `config.yaml`, `history.json`, `loss_curve.png`, `checkpoints/`
(Lightning checkpoints every `checkpoint_every` steps and at each epoch end; `resume=True`
continues from the newest, with the random state and the position in the epoch's stream of the
uninterrupted run) and `rank<r>_weights.sha256` (a digest of the
final parameters of each rank, which must agree under DDP).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import torch
import yaml
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.strategies import DDPStrategy
from lightning.pytorch.utilities import rank_zero_only

from molbridge import __version__
from molbridge.data.corpus import build_corpus
from molbridge.encoders import GraphEncoderConfig
from molbridge.featurize import GraphFeaturizer
from molbridge.io import Bundle, BundlePart, save_bundle
from molbridge.io.outputs import RunFolder

# the strategies' registrations: attr-masking, context-pred; reaction-distill
from molbridge.pipeline import (  # noqa: F401  (each registers its strategies)
    acml,
    graph_strategies,
    image_graph,
    multichannel,
    reaction_distill,
)
from molbridge.pipeline.checks import check_settings
from molbridge.pipeline.epochs import PRETRAIN_OUTPUTS as OUTPUTS
from molbridge.pipeline.epochs import PretrainResult, newest_checkpoint
from molbridge.pipeline.models import graph_encoder
from molbridge.pipeline.precision import warn_if_bf16_is_emulated
from molbridge.pipeline.strategy import STAGES, StrategyInputs, get_strategy
from molbridge.report.curves import plot_pretraining_curve
from molbridge.tasks.pretrain import (
    PretrainTask,
)
from molbridge.tasks.random_state import RandomStateCheckpoint

log = logging.getLogger(__name__)

ONEDNN_CACHE_CAPACITY = 16


@dataclass
class PretrainConfig:
    """Everything `molbridge pretrain` needs; written to `config.yaml`.

    `corpus` is `moses` or a CSV / `.smi` file; `max_molecules` takes the first N of it.
    """

    strategy: str
    out: str
    corpus: str = "moses"
    smiles_column: str | None = None
    max_molecules: int | None = None
    epochs: int = 1
    batch_size: int = 256
    lr: float = 1e-3
    num_layers: int = 5
    hidden_dim: int = 300
    dropout: float = 0.0  # Hu et al. pre-train without dropout
    seed: int = 0
    precision: str = "32"
    devices: int = 1
    num_nodes: int = 1
    checkpoint_every: int = 1000
    resume: bool = False
    shard_size: int = 100_000
    featurize_workers: int = 2
    cache_dir: str | None = None
    overwrite: bool = False
    progress: bool = True
    fast_dev_run: bool = False
    options: dict[str, Any] = field(default_factory=dict)  # the strategy's own options
    inputs: dict[str, str] = field(default_factory=dict)  # input checkpoints by name

    @classmethod
    def from_yaml(cls, path: Path | str, **overrides: Any) -> PretrainConfig:
        """A config from a YAML file (any field above, `options:` and `inputs:` mappings),
        `overrides` winning; a resolved `config.yaml` of an earlier run reads back too.

        Raises:
            ValueError: not a mapping, or an unknown key (the valid ones are listed).
        """
        loaded = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: a pretrain config is a YAML mapping of settings")
        loaded = {k: v for k, v in loaded.items() if k not in _WRITTEN_BACK_ONLY}
        fields = set(cls.__dataclass_fields__)
        unknown = sorted(set(loaded) - fields)
        if unknown:
            raise ValueError(f"{path}: unknown settings {unknown}; valid: {sorted(fields)}")
        for key in ("options", "inputs"):
            if not isinstance(loaded.get(key, {}), dict):
                raise ValueError(f"{path}: {key} must be a mapping")
        settings = {**loaded, **overrides}
        missing = [k for k in ("strategy", "out") if not settings.get(k)]
        if missing:
            raise ValueError(f"{path}: {' and '.join(missing)} must be given (file or flags)")
        return cls(**settings)

    def __post_init__(self) -> None:
        check_settings(
            self,
            (
                "epochs",
                "batch_size",
                "max_molecules",
                "devices",
                "num_nodes",
                "checkpoint_every",
                "shard_size",
                "featurize_workers",
                "num_layers",
                "hidden_dim",
            ),
            positive=("lr",),
            below_one=("dropout",),
        )


# keys a run adds to its resolved config.yaml (read back by `from_yaml`, not settings)
_WRITTEN_BACK_ONLY = ("corpus_path", "strategy_config", "molbridge_version")


# what a run writes in its folder besides one `rank<r>_weights.sha256` per process
class _EpochSeed(L.Callback):
    """Tell a corpus stream which epoch starts, so each epoch has its own order; on a resume,
    also where in that epoch (Lightning restarts mid-epoch without `on_train_epoch_start`)."""

    def __init__(self, data: L.LightningDataModule) -> None:
        self.data = data

    def _position(self, trainer: L.Trainer) -> None:
        stream = getattr(self.data, "stream", None)
        if stream is not None:
            stream.set_epoch(trainer.current_epoch)
            # batches this epoch already trained on (one step each), skipped on a resume so the
            # rest of the epoch sees what the uninterrupted run saw; 0 at an epoch's start
            stream.skip_batches(
                trainer.global_step - trainer.current_epoch * stream.steps_per_epoch
            )

    def on_train_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._position(trainer)

    def on_train_epoch_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._position(trainer)


class _StartClock(L.Callback):
    """Seconds from the command's start until training begins: corpus featurization or cache
    loading, model building and, with `resume`, restoring the checkpoint (the time to resume)."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.seconds: float | None = None
        self.first_step = 0  # > 0 when resumed

    def on_train_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self.seconds = time.perf_counter() - self.started
        self.first_step = int(trainer.global_step)
        log.info("training starts %.1f s after the command", self.seconds)


def _ddp(sometimes_unused: bool) -> DDPStrategy:
    """DDP; told to look for parameters a step leaves without a gradient only when the strategy
    says there can be some (the search costs a pass over the autograd graph every step)."""
    return DDPStrategy(find_unused_parameters=sometimes_unused)


def weights_digest(module: torch.nn.Module) -> str:
    """sha256 over the module's parameters (names and bytes), to compare DDP copies.

    Buffers are left out: batch-norm running statistics are each rank's own under DDP (CPU has
    no SyncBatchNorm); the saved encoder carries rank 0's.
    """
    digest = hashlib.sha256()
    for name, tensor in sorted(module.named_parameters()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def pretrain(config: PretrainConfig) -> PretrainResult:
    """Run a pre-training job; see the module docstring for its outputs."""
    command_started = time.perf_counter()
    # oneDNN (bf16 matrix products on CPU) caches a primitive per input shape, and every batch
    # of a corpus has its own atom count: with the default 1,024 entries the cache grew past
    # 5 GiB over one MOSES epoch. 16 entries keep it near 1.7 GiB for about 12 % of bf16 speed
    # (docs/results/pretraining.md). Read once, at the first bf16 product of the process; a
    # value the user set wins.
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(ONEDNN_CACHE_CAPACITY))
    builder = get_strategy(config.strategy)
    # DDP starts this function again in each further process: only the first owns the folder
    run = RunFolder.claim(
        config.out,
        "pretrain",
        resume=config.resume,
        overwrite=config.overwrite,
        primary=getattr(rank_zero_only, "rank", 0) == 0,
    )
    out = run.path
    for name in OUTPUTS:
        run.file(name)
    for rank in range(config.devices * config.num_nodes):
        run.file(f"rank{rank}_weights.sha256")
    given = config  # written back as given, with the inputs an earlier stage added
    if config.strategy in STAGES:  # e.g. a teacher trained before the corpus stream
        config = STAGES[config.strategy](config, run)
    featurizer = GraphFeaturizer()
    corpus = build_corpus(
        config.corpus,
        featurizer,
        cache_dir=Path(config.cache_dir) if config.cache_dir else None,
        shard_size=config.shard_size,
        max_molecules=config.max_molecules,
        smiles_column=config.smiles_column,
        workers=config.featurize_workers,
        progress=config.progress,
    )
    L.seed_everything(config.seed, verbose=False)
    encoder_config = GraphEncoderConfig(
        featurizer.atom_dims,
        featurizer.bond_dims,
        config.num_layers,
        config.hidden_dim,
        config.dropout,
    )
    encoder = graph_encoder(encoder_config)
    strategy = builder(StrategyInputs(config, encoder, featurizer, corpus))
    task, data = strategy.task, strategy.data
    every_steps = ModelCheckpoint(
        dirpath=out / "checkpoints",
        filename="step{step}",
        every_n_train_steps=config.checkpoint_every,
        save_top_k=-1,
        auto_insert_metric_name=False,
    )
    every_epoch = ModelCheckpoint(
        dirpath=out / "checkpoints",
        filename="epoch{epoch}-step{step}",
        every_n_epochs=1,
        save_on_train_epoch_end=True,
        save_top_k=-1,
        auto_insert_metric_name=False,
    )
    start_clock = _StartClock(command_started)
    distributed = config.devices * config.num_nodes > 1
    warn_if_bf16_is_emulated(config.precision)
    trainer = L.Trainer(
        max_epochs=config.epochs,
        accelerator="cpu" if not torch.cuda.is_available() else "auto",
        devices=config.devices,
        num_nodes=config.num_nodes,
        strategy=_ddp(strategy.sometimes_unused) if distributed else "auto",
        precision=config.precision,  # type: ignore[arg-type]
        callbacks=[
            every_steps,
            every_epoch,
            _EpochSeed(data),
            start_clock,
            RandomStateCheckpoint(),
        ],
        logger=False,
        enable_progress_bar=config.progress,
        enable_model_summary=False,
        fast_dev_run=config.fast_dev_run,
        use_distributed_sampler=False,  # the stream deals out shards per rank itself
    )
    resume_from = newest_checkpoint(out / "checkpoints") if config.resume else None
    started = time.perf_counter()
    trainer.fit(task, datamodule=data, ckpt_path=resume_from, weights_only=True)
    seconds = time.perf_counter() - started
    steps = int(trainer.global_step)
    molecules_seen = steps * config.batch_size * trainer.world_size
    steps_this_run = steps - start_clock.first_step if start_clock.seconds is not None else 0

    rank = trainer.global_rank
    digests_path = out / f"rank{rank}_weights.sha256"
    digests_path.write_text(weights_digest(encoder) + "\n")
    summary = {
        "strategy": config.strategy,
        "corpus": given.corpus,
        "corpus_streamed": config.corpus,  # another file when an earlier stage assembled one
        "corpus_molecules": len(corpus),
        "corpus_invalid": corpus.n_inputs - len(corpus),
        "epochs": config.epochs,
        "steps": steps,
        "molecules_seen": molecules_seen,
        "train_seconds": seconds,
        # this command's steps only: a resumed run did the earlier ones before the crash, and
        # one resumed after its last epoch trains none (Lightning then skips on_train_start)
        "steps_this_run": steps_this_run,
        "molecules_per_second": steps_this_run * config.batch_size * trainer.world_size / seconds
        if steps_this_run and seconds > 0
        else 0.0,
        "world_size": trainer.world_size,
        "resumed_from": resume_from,
        "seconds_to_first_step": start_clock.seconds,
        "molbridge_version": __version__,
    }
    encoder_path = out / "encoder.ckpt"
    if rank == 0:
        save_bundle(
            Bundle(
                kind="encoder",
                featurizer=featurizer.to_config(),
                encoder=encoder.config.to_config(),  # a strategy may set its readout
                members=[{k: v.detach().contiguous() for k, v in encoder.state_dict().items()}],
                extra={
                    "pretraining": summary,
                    "strategy": task_config(task),
                    "inputs": strategy.inputs,
                    "part_featurizers": strategy.part_featurizers,
                },
                parts={name: _part(name, module) for name, module in strategy.parts.items()},
            ),
            encoder_path,
        )
        resolved = asdict(given) | {
            "inputs": dict(config.inputs),
            "corpus_path": str(corpus.root),
            "strategy_config": task_config(task),
            "molbridge_version": __version__,
        }
        (out / "config.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))
        (out / "history.json").write_text(json.dumps(task.history, indent=1))
        (out / "summary.json").write_text(json.dumps(summary, indent=1))
        if task.history:
            plot_pretraining_curve(task.history, out / "loss_curve.png", config.strategy)
    return PretrainResult(encoder_path, task.history, summary)


def _part(name: str, module: torch.nn.Module) -> BundlePart:
    """A strategy's extra module as a bundle part: its config (it must have one, so that
    `build_encoder` can rebuild it) and its weights."""
    config = getattr(module, "config", None)
    if config is None or not hasattr(config, "to_config"):
        raise TypeError(f"part {name!r} ({type(module).__name__}) has no config.to_config()")
    state = {k: v.detach().contiguous() for k, v in module.state_dict().items()}
    return BundlePart(config.to_config(), state)


def task_config(task: PretrainTask) -> dict[str, Any]:
    config = getattr(task, "config", None)
    return config.to_config() if config is not None else {}
