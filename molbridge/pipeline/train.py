"""Fine-tune the graph encoder on a table of molecules: split, train, select on valid, test.

`train(TrainConfig(...))` is what `molbridge train` runs; every output lands in `config.out`:
`model.ckpt` (bundle), `metrics.json`, `config.yaml`, `learning_curves.png`, with a test part
`test_predictions.csv`, and, when rows were skipped, `skipped_rows.csv`. With `resume=True` an
interrupted run continues from its last finished epoch (Lightning's `last.ckpt`), and finished
ensemble members are not trained again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import lightning as L
import numpy as np
import pandas as pd
import torch
import yaml
from lightning.pytorch.callbacks import ModelCheckpoint
from safetensors.torch import load_file, save_file
from torch.utils.data import DataLoader

from molbridge import __version__
from molbridge.data.sampling import index_loader
from molbridge.data.table import write_skipped
from molbridge.encoders import GraphEncoder, GraphEncoderConfig
from molbridge.featurize import GraphFeaturizer
from molbridge.io import Bundle, save_bundle
from molbridge.io.outputs import RunFolder, check_resume_checkpoint, write_csv
from molbridge.metrics import TASK_METRICS, get_metric
from molbridge.pipeline.checks import check_settings
from molbridge.pipeline.data_prep import Part, Splits, prepare_data
from molbridge.pipeline.epochs import one_process_trainer
from molbridge.pipeline.models import graph_encoder, init_encoder_config, load_init_encoder
from molbridge.pipeline.predict import predict_members
from molbridge.report.calibration import calibration_report
from molbridge.report.channels import plot_channel_weights
from molbridge.report.curves import plot_learning_curves
from molbridge.tasks import PropertyTask, PropertyTaskConfig

log = logging.getLogger(__name__)


MODELS = ("gin", "gbm")


@dataclass
class TrainConfig:
    """Everything `molbridge train` needs; written to `config.yaml` as resolved.

    `data` is a CSV path or a bundled dataset name (`bbbp`, `caco2_wang`, ...); for a bundled
    name, unset columns, task and metric come from the registry, and a fixed test file is used.
    """

    data: str
    out: str
    smiles_column: str | None = None
    target_columns: list[str] | None = None
    valid: str | None = None
    test: str | None = None
    task: str | None = None
    metric: str | None = None
    split: str | None = None  # None: the bundled dataset's protocol, else `scaffold`
    split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    init: str | None = None
    epochs: int = 100
    batch_size: int = 32
    lr: float = 1e-3
    num_layers: int = 5
    hidden_dim: int = 300
    dropout: float = 0.5
    seed: int = 0
    ensemble: int = 1
    precision: str = "32"
    on_invalid: str | None = None
    resume: bool = False
    overwrite: bool = False
    cache_dir: str | None = None
    atom_features: list[str] | None = None
    bond_features: list[str] | None = None
    progress: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    model: str = "gin"  # or "gbm": boosted trees on fixed features (pipeline/train_gbm.py)
    log_target: bool | None = None  # gbm: regress log10(1 + value) (None: the dataset's own)
    gbm_iterations: int = 1000  # gbm: boosting rounds
    gbm_loss: str = "auto"  # gbm, regression: MAE (the recipe's), RMSE, or auto: chosen on valid
    # a multi-channel encoder's softmax channel weights (None: the encoder's own, 1 by default)
    channel_temperature: float | None = None

    def __post_init__(self) -> None:
        check_settings(
            self,
            ("epochs", "batch_size", "num_layers", "hidden_dim", "ensemble", "gbm_iterations"),
            positive=("lr",),
            below_one=("dropout",),
        )
        if self.model not in MODELS:
            raise ValueError(f"unknown --model {self.model!r}; valid: {', '.join(MODELS)}")
        if self.model == "gbm":
            # imported here: CatBoost loads only for a gbm run, as train_gbm does
            from molbridge.estimators.gbm import LOSS_CHOICES

            if self.gbm_loss not in LOSS_CHOICES:
                raise ValueError(
                    f"--gbm-loss must be one of {', '.join(LOSS_CHOICES)}, got {self.gbm_loss!r}"
                )
        if self.model == "gbm" and self.ensemble > max(1, self.gbm_iterations // 2):
            raise ValueError(
                f"--ensemble {self.ensemble} with --model gbm asks for {self.ensemble} virtual "
                f"ensembles; {self.gbm_iterations} boosting rounds give at most "
                f"{self.gbm_iterations // 2}"
            )
        if self.channel_temperature is not None and not self.channel_temperature > 0:
            raise ValueError(f"--channel-temperature must be > 0, got {self.channel_temperature}")
        if self.channel_temperature is not None and not self.init:
            raise ValueError("--channel-temperature is for an --init encoder with channels")


@dataclass
class TrainResult:
    """What a finished run measured (also in `metrics.json`)."""

    valid: dict[str, float]
    test: dict[str, float]
    metrics_path: Path
    model_path: Path
    summary: dict[str, Any]


def _loader(part: Part, batch_size: int, shuffle: bool, seed: int) -> DataLoader:
    graphs, y = part.graphs, part.y
    # A trailing training batch of one molecule breaks batch norm when that molecule has one
    # heavy atom (methane, ammonia, H2S in FreeSolv): dropped. Every evaluation batch is kept.
    return index_loader(
        len(graphs),
        lambda idx: graphs.collate(idx, y),
        batch_size,
        seed,
        shuffle=shuffle,
        drop_lone_tail=shuffle,
    )


def _score(
    models: list[PropertyTask], part: Part | None, task_type: str
) -> tuple[dict[str, float], np.ndarray | None]:
    """Metrics of the ensemble on `part`, and each member's predictions
    `[n_models, n, n_tasks]` (their mean is the ensemble's)."""
    if part is None:
        return {}, None
    members = predict_members(models, part.graphs)
    return _metrics(part.y, members.mean(0), task_type), members


def _metrics(y: np.ndarray, pred: np.ndarray, task_type: str) -> dict[str, float]:
    return {name: get_metric(name)[0](y, pred) for name in TASK_METRICS[task_type]}


def fit_best_valid(
    task: PropertyTask,
    train_loader: DataLoader,
    valid_loader: DataLoader,
    checkpoints: Path,
    epochs: int,
    precision: str = "32",
    resume: bool = False,
    progress: bool = False,
) -> tuple[dict[str, torch.Tensor], int]:
    """Fit `task` for `epochs`, validating after each; returns the weights and the number of
    the epoch with the best validation metric (the task's `metric`). `checkpoints` keeps
    `best.ckpt` and `last.ckpt` (after every epoch's validation); `resume` continues from
    `last.ckpt` when it exists."""
    higher = get_metric(task.config.metric)[1]
    checkpoint = ModelCheckpoint(
        dirpath=checkpoints,
        filename="best",
        monitor=f"valid/{task.config.metric}",
        mode="max" if higher else "min",
        save_on_train_epoch_end=False,  # right after validation, before `latest` saves its state
        enable_version_counter=False,
    )
    # Lightning's `save_last=True` rewrites last.ckpt only when a best checkpoint is saved, so a
    # crash could lose every epoch since the last improvement: keep our own, after every epoch's
    # validation (the epoch's history row is in it).
    latest = ModelCheckpoint(
        dirpath=checkpoints,
        filename="last",
        monitor=None,
        save_top_k=1,
        save_on_train_epoch_end=False,
        enable_version_counter=False,
    )
    trainer = one_process_trainer(
        epochs,
        precision,
        [checkpoint, latest],
        progress,
        num_sanity_val_steps=0,
        deterministic=False,
    )
    last = checkpoints / "last.ckpt"
    resume_from = str(check_resume_checkpoint(last)) if resume and last.exists() else None
    if resume_from:
        log.info("resuming from %s", last)
    trainer.fit(
        task,
        train_dataloaders=train_loader,
        val_dataloaders=valid_loader,
        ckpt_path=resume_from,
        weights_only=True,  # even our own last.ckpt is read without running pickled code
    )
    best = torch.load(checkpoint.best_model_path, map_location="cpu", weights_only=True)
    return best["state_dict"], int(best["epoch"])


def _fit_member(
    config: TrainConfig,
    member: int,
    featurizer: GraphFeaturizer,
    task_config: PropertyTaskConfig,
    encoder_config: GraphEncoderConfig,
    splits: Splits,
    run: RunFolder,
) -> tuple[dict[str, torch.Tensor], dict[str, Any], float]:
    """Train one ensemble member; returns its best-validation weights, its record, and the
    seconds it trained in earlier runs (a resumed or reused member), not in this one."""
    member_dir = run.file(f"member{member}")
    done_weights, done_record = member_dir / "best.safetensors", member_dir / "record.json"
    if config.resume and done_weights.exists() and done_record.exists():
        log.info("member %d already finished; reusing %s", member, done_weights)
        record = json.loads(done_record.read_text())
        return load_file(str(done_weights)), record, float(record.get("fit_seconds", 0.0))
    seed = config.seed + member
    L.seed_everything(seed, workers=True, verbose=False)
    if config.init:
        encoder, _ = load_init_encoder(config.init, featurizer, dropout=config.dropout)
        if config.channel_temperature is not None:  # checked by `_encoder_config_of`
            encoder.readout.temperature = config.channel_temperature
            encoder.config.channel_temperature = config.channel_temperature
    else:
        encoder = graph_encoder(encoder_config)
    task = PropertyTask(encoder, task_config)
    started = time.perf_counter()
    best_state, best_epoch = fit_best_valid(
        task,
        _loader(splits.train, config.batch_size, True, seed),
        _loader(splits.valid, 256, False, seed),
        member_dir / "checkpoints",
        config.epochs,
        config.precision,
        resume=config.resume,
        progress=config.progress,
    )
    history = task.history
    record = {
        "member": member,
        "seed": seed,
        "best_epoch": best_epoch,
        "history": history,
        # over every run of this member: epochs before a crash count from their history rows
        # (the epoch a crash interrupted is lost, and not counted)
        "fit_seconds": time.perf_counter() - started + task.resumed_seconds,
    }
    member_dir.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in best_state.items()}, str(done_weights))
    done_record.write_text(json.dumps(record))
    return best_state, record, task.resumed_seconds


def write_predictions(part: Part, pred: np.ndarray, targets: Sequence[str], path: Path) -> None:
    """A CSV with each molecule's SMILES, true values and predictions (`<target>_pred`)."""
    columns: dict[str, Any] = {"smiles": part.smiles}
    for j, name in enumerate(targets):  # built at once: ToxCast's 617 targets, no fragmentation
        columns[name] = part.y[:, j]
        columns[f"{name}_pred"] = pred[:, j]
    write_csv(pd.DataFrame(columns), path)


def train(config: TrainConfig) -> TrainResult:
    """Run a whole fine-tuning job; see the module docstring for its outputs."""
    if config.model == "gbm":
        from molbridge.pipeline.train_gbm import train_gbm

        return cast(TrainResult, train_gbm(config))
    if config.ensemble < 1:
        raise ValueError("--ensemble must be at least 1")
    # before any work: a bad --out fails now, and a fresh run removes only its own old outputs
    run = RunFolder.claim(config.out, "train", resume=config.resume, overwrite=config.overwrite)
    out = run.path
    data = prepare_data(config)
    featurizer, spec, train_path = data.featurizer, data.spec, data.train_path
    splits, skipped, task_config = data.splits, data.skipped, data.task
    resolved = asdict(config) | {
        "split": data.split,
        "data_path": str(train_path),
        "task_resolved": task_config.to_config(),
        "featurizer": featurizer.to_config(),
        "molbridge_version": __version__,
        "split_sizes": splits.sizes,
    }
    config_path = run.file("config.yaml")
    if config.resume and config_path.exists():
        _check_same_run(yaml.safe_load(config_path.read_text()), _plain(resolved), config_path)
    config_path.write_text(yaml.safe_dump(_plain(resolved), sort_keys=False))
    if skipped:
        write_skipped(skipped, run.file("skipped_rows.csv"))
        log.warning("skipped %d invalid rows; listed in %s", len(skipped), out / "skipped_rows.csv")

    encoder_config = _encoder_config_of(config, featurizer)
    started = time.perf_counter()
    states, records, earlier = [], [], 0.0
    for member in range(config.ensemble):
        state, record, before = _fit_member(
            config, member, featurizer, task_config, encoder_config, splits, run
        )
        states.append(state)
        records.append(record)
        earlier += before

    models = []
    for state in states:
        model = PropertyTask(graph_encoder(encoder_config), task_config)
        model.load_state_dict(state)
        model.eval()
        models.append(model)
    channel_weights = _channel_weights(models, encoder_config)
    valid_metrics, _ = _score(models, splits.valid, task_config.task_type)
    test_metrics, members = _score(models, splits.test, task_config.task_type)
    calibration: dict[str, Any] = {}
    if splits.test is not None and members is not None:
        write_predictions(
            splits.test, members.mean(0), task_config.target_names, run.file("test_predictions.csv")
        )
        calibration = calibration_report(
            splits.test.y, members, task_config.task_type, run.file("calibration.png")
        )
        if len(models) > 1:  # each member alone: the single models the ensemble averages
            for record, pred in zip(records, members, strict=True):
                record["test"] = _metrics(splits.test.y, pred, task_config.task_type)

    model_path = save_bundle(
        Bundle(
            kind="property-model",
            featurizer=featurizer.to_config(),
            encoder=encoder_config.to_config(),
            task=task_config.to_config(),
            members=[{k: v for k, v in s.items()} for s in states],
            extra={
                "smiles_column": config.smiles_column or (spec.smiles_column if spec else "smiles"),
                "trained_on": str(train_path),
                "init": config.init,
                "split": data.split,
            },
        ),
        run.file("model.ckpt"),
    )
    summary = {
        "dataset": config.data,
        "task": task_config.task_type,
        "metric": task_config.metric,
        "valid": valid_metrics,
        "test": test_metrics,
        "split": data.split,
        "split_sizes": splits.sizes,
        "skipped_rows": len(skipped),
        "seed": config.seed,
        "ensemble": config.ensemble,
        "members": [{k: v for k, v in r.items() if k != "history"} for r in records],
        "epochs": config.epochs,
        "precision": config.precision,
        "init": config.init,
        **({"channel_weights": channel_weights} if channel_weights else {}),
        **({"calibration": calibration} if calibration else {}),
        "wall_seconds": time.perf_counter() - started,  # this run's
        "earlier_seconds": earlier,  # training done by the earlier runs that this one resumed
        "molbridge_version": __version__,
    }
    metrics_path = run.file("metrics.json")
    metrics_path.write_text(json.dumps(_plain(summary), indent=2))
    plot_learning_curves(
        [r["history"] for r in records],
        task_config.metric,
        run.file("learning_curves.png"),
        best_epochs=[r["best_epoch"] for r in records],
    )
    if channel_weights:
        name = Path(str(config.data)).stem
        plot_channel_weights({name: channel_weights}, run.file("channel_weights.png"))
    return TrainResult(valid_metrics, test_metrics, metrics_path, model_path, summary)


def _channel_weights(
    models: Sequence[PropertyTask], encoder_config: GraphEncoderConfig
) -> list[dict[str, float]]:
    """Each model's softmax channel weights by channel name (a multi-channel encoder's), or
    `[]` for an encoder without them."""
    weights = []
    for model in models:
        readout = cast(GraphEncoder, model.encoder).readout
        if readout.channel_logits is None:
            return []
        values = readout.channel_weights().detach().float().tolist()
        weights.append(dict(zip(encoder_config.channels, values, strict=True)))
    return weights


# `out` too: a run folder moved elsewhere is still the same run
_MAY_CHANGE_ON_RESUME = {"resume", "overwrite", "progress", "cache_dir", "out"}


def _check_same_run(before: dict[str, Any], now: dict[str, Any], path: Path) -> None:
    """A resumed run must be the run that was interrupted, or its epochs would mix two setups."""
    changed = sorted(
        key
        for key in set(before) | set(now)
        if key not in _MAY_CHANGE_ON_RESUME and before.get(key) != now.get(key)
    )
    if changed:
        details = "; ".join(f"{k}: {before.get(k)!r} -> {now.get(k)!r}" for k in changed)
        raise ValueError(f"--resume with other settings than {path} ({details}); use a new --out")


def _encoder_config_of(config: TrainConfig, featurizer: GraphFeaturizer) -> GraphEncoderConfig:
    """The encoder's configuration: the pre-trained bundle's (with this run's dropout), else
    built from the run's flags."""
    if config.init:
        encoder = init_encoder_config(config.init)
        encoder.dropout = config.dropout
        if config.channel_temperature is not None:
            if encoder.pooling_combine != "softmax":
                raise ValueError(
                    f"--channel-temperature: {config.init} has no channel weights "
                    "(a multi-channel encoder from `pretrain --strategy multichannel` has)"
                )
            encoder.channel_temperature = config.channel_temperature
        return encoder
    return GraphEncoderConfig(
        featurizer.atom_dims,
        featurizer.bond_dims,
        config.num_layers,
        config.hidden_dim,
        config.dropout,
    )


def _plain(value: Any) -> Any:
    """JSON/YAML-safe copy: tuples to lists, numpy scalars to Python, NaN kept as None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value
