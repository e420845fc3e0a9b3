"""`molbridge train --model gbm`: boosted trees on a user's table, then predict and embed.

The run reads, splits and checks the data exactly as the GIN's does (`prepare_data`), fits one
CatBoost model per target on the train part (`estimators/gbm.py`) over the tabular features,
with a frozen encoder's embedding appended when `--init` is given, and reports valid and test.
The only choice made on validation is the regression loss under `--gbm-loss auto` (the
default: MAE or RMSE, by the task's metric; `loss_on_valid` in metrics.json); with a loss
given, nothing is chosen there and the valid metrics are an honest second estimate.
`--ensemble K` also fits a posterior-sampled model per target, read as K virtual ensembles
(`estimators/gbm.py`): predict adds its spread, and the test split's calibration is checked
against it as for a GIN ensemble; the predictions do not change.

The bundle (`kind: gbm-model`) stays pickle-free: each task's trees are CatBoost's own binary
format stored as a uint8 tensor, the frozen encoder travels as the part `encoder` (its config and
weights), and everything is covered by the bundle's digest.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import yaml

from molbridge import __version__
from molbridge.data.table import write_skipped
from molbridge.encoders import GraphEncoderConfig
from molbridge.estimators import GBMConfig, GBMModel, fit_gbm_on_splits
from molbridge.featurize import GraphFeaturizer
from molbridge.featurize.tabular import TabularFeaturizer
from molbridge.io import Bundle, CheckpointError, load_weights, save_bundle
from molbridge.io.bundle import BundlePart
from molbridge.io.outputs import RunFolder
from molbridge.metrics import TASK_METRICS, get_metric
from molbridge.pipeline.data_prep import prepare_data
from molbridge.pipeline.embeddings import Embedder, GraphEmbedder, PeerEmbedder
from molbridge.pipeline.frozen_features import FeatureRecipe, embedder_of, part_matrices
from molbridge.pipeline.models import checked_config, graph_encoder
from molbridge.pipeline.predict import GBM_KIND
from molbridge.report.calibration import calibration_report

if TYPE_CHECKING:  # train.py imports this module when it runs a gbm
    from molbridge.data.registry import DatasetSpec
    from molbridge.pipeline.train import TrainConfig, TrainResult

log = logging.getLogger(__name__)

KIND = GBM_KIND  # the bundle kind; predict.py dispatches on it


def _log_target(config: TrainConfig, spec: DatasetSpec | None) -> bool:
    """`--log-target`, else the bundled dataset's own (VDss, half-life, clearances)."""
    if config.log_target is not None:
        return bool(config.log_target)
    return bool(spec and spec.log_target)


def train_gbm(config: TrainConfig) -> TrainResult:
    """Fit, score and save a `gbm` model; the outputs of `train`, without learning curves."""
    from molbridge.pipeline.train import TrainResult, _plain, write_predictions

    run = RunFolder.claim(config.out, "train", resume=False, overwrite=config.overwrite)
    if config.resume:
        log.info("--resume: a gbm model is fitted in one go; fitting again")
    data = prepare_data(config)
    splits, task = data.splits, data.task
    log_target = _log_target(config, data.spec)
    if data.skipped:
        write_skipped(data.skipped, run.file("skipped_rows.csv"))
        log.warning(
            "skipped %d invalid rows; listed in %s", len(data.skipped), run.file("skipped_rows.csv")
        )
    recipe = FeatureRecipe(tabular=True, encoder=config.init)
    parts = [splits.train, splits.valid] + ([splits.test] if splits.test is not None else [])
    cache_dir = Path(config.cache_dir) if config.cache_dir else None
    started = time.perf_counter()
    matrices, described = part_matrices(
        recipe, [(p.smiles.tolist(), p.graphs) for p in parts], cache_dir=cache_dir
    )
    gbm_config = GBMConfig(
        iterations=config.gbm_iterations,
        threads=torch.get_num_threads(),
        virtual_ensembles=config.ensemble,
    )
    fit = fit_gbm_on_splits(
        matrices[0], splits.train.y, matrices[1], splits.valid.y, task.task_type, config.seed,
        task.metric, gbm_config, config.gbm_loss, log_target,
    )  # fmt: skip
    model, gbm_config = fit.model, fit.config
    chosen = {} if fit.loss_on_valid is None else {"loss_on_valid": fit.loss_on_valid}
    if chosen:
        log.info("gbm regression loss chosen on valid: %s (%s)", gbm_config.regression_loss, chosen)
    scores: list[dict[str, float]] = []
    calibration: dict[str, Any] = {}
    for part, x in zip(parts, matrices, strict=False):
        pred = model.predict(x)
        scores.append(
            {
                name: float(get_metric(name)[0](part.y, pred))
                for name in TASK_METRICS[task.task_type]
            }
        )
        if part is splits.test:
            write_predictions(part, pred, task.target_names, run.file("test_predictions.csv"))
            uncertain = model.virtual_ensembles > 1
            calibration = calibration_report(
                part.y,
                pred[None],
                task.task_type,
                run.file("calibration.png"),
                spread=model.predict_spread(x) if uncertain else None,
                spread_name=f"{model.virtual_ensembles} virtual ensembles" if uncertain else None,
            )
    valid_metrics, test_metrics = scores[1], scores[2] if len(scores) > 2 else {}
    embedder = embedder_of(config.init) if config.init else None
    model_path = save_bundle(
        gbm_bundle(
            model,
            TabularFeaturizer(),
            embedder,
            task.to_config(),
            {
                "smiles_column": config.smiles_column
                or (data.spec.smiles_column if data.spec else "smiles"),
                "trained_on": str(data.train_path),
                "init": config.init,
                "split": data.split,
                "log_target": log_target,
                "gbm": gbm_config.to_config(),
            },
        ),
        run.file("model.ckpt"),
    )
    summary: dict[str, Any] = {
        "dataset": config.data,
        "model": "gbm",
        "task": task.task_type,
        "metric": task.metric,
        "valid": valid_metrics,
        "test": test_metrics,
        "split": data.split,
        "split_sizes": splits.sizes,
        "skipped_rows": len(data.skipped),
        "seed": config.seed,
        "init": config.init,
        "features": described,
        "log_target": log_target,
        "ensemble": config.ensemble,  # > 1: the spread of K virtual ensembles
        "gbm": gbm_config.to_config(),  # the regression loss as used (chosen under auto)
        **chosen,
        **({"calibration": calibration} if calibration else {}),
        "wall_seconds": time.perf_counter() - started,
        "earlier_seconds": 0.0,
        "members": [],
        "molbridge_version": __version__,
    }
    resolved = asdict(config) | {"task_resolved": task.to_config(), "log_target": log_target}
    run.file("config.yaml").write_text(yaml.safe_dump(_plain(resolved), sort_keys=False))
    metrics_path = run.file("metrics.json")
    metrics_path.write_text(json.dumps(_plain(summary), indent=2))
    return TrainResult(valid_metrics, test_metrics, metrics_path, model_path, summary)


def gbm_bundle(
    model: GBMModel,
    featurizer: TabularFeaturizer,
    embedder: Embedder | None,
    task: dict[str, Any],
    extra: dict[str, Any],
) -> Bundle:
    """The bundle of a fitted gbm model (see the module docstring)."""
    facts, blobs = model.to_blobs()
    trees = {
        f"trees.{j}": torch.frombuffer(bytearray(blob), dtype=torch.uint8)
        if blob
        else torch.zeros(0, dtype=torch.uint8)
        for j, blob in enumerate(blobs)
    }
    features: dict[str, Any] = {"tabular": featurizer.to_config(), "embedding": None}
    parts = {}
    if isinstance(embedder, GraphEmbedder):
        features["embedding"] = {"graph": embedder.featurizer.to_config()}
        encoder = embedder.source
        parts["encoder"] = BundlePart(encoder.config.to_config(), encoder.state_dict())
    elif isinstance(embedder, PeerEmbedder):
        features["embedding"] = {"peer": embedder.identity}
    return Bundle(
        kind=KIND,
        featurizer=features,
        encoder={},
        task=task | {"gbm": facts},
        members=[trees],
        extra=extra,
        parts=parts,
    )


def load_gbm(bundle: Bundle, source: str) -> tuple[GBMModel, TabularFeaturizer, Embedder | None]:
    """The trees, the tabular featurizer and the frozen embedder of a `gbm-model` bundle."""
    if bundle.kind != KIND:
        raise CheckpointError(f"{source} is a {bundle.kind!r} bundle, not a gbm model")
    featurizer = checked_config(
        TabularFeaturizer.from_config, bundle.featurizer.get("tabular", {}), "featurizer", source
    )
    facts = bundle.task.get("gbm", {})
    trees = bundle.members[0]  # trees.0, trees.1, ...: how many, from_blobs checks
    blobs = [
        bytes(trees[f"trees.{j}"].numpy().tobytes())
        for j in range(len(trees))
        if f"trees.{j}" in trees
    ]
    try:
        model = GBMModel.from_blobs(facts, blobs)
    except Exception as err:  # CatBoost raises its own error for a damaged blob
        raise CheckpointError(f"{source}: its trees could not be read: {err}") from err
    embedding = bundle.featurizer.get("embedding")
    embedder: Embedder | None = None
    if embedding and "graph" in embedding:
        graph_featurizer = checked_config(
            GraphFeaturizer.from_config, embedding["graph"], "graph featurizer", source
        )
        part = bundle.parts.get("encoder")
        if part is None:
            raise CheckpointError(f"{source}: its embedding needs the part 'encoder', absent")
        config = checked_config(GraphEncoderConfig.from_config, part.config, "encoder", source)
        encoder = graph_encoder(config)
        load_weights(encoder, part.state, f"{source} (part 'encoder')")
        embedder = GraphEmbedder(encoder.eval(), graph_featurizer, {"bundle": source}, "encoder")
    elif embedding and "peer" in embedding:
        embedder = PeerEmbedder()
        if embedder.identity != embedding["peer"]:
            raise CheckpointError(
                f"{source} was fitted on {embedding['peer']}, but {embedder.identity} is installed"
            )
    return model, featurizer, embedder


def gbm_features(
    featurizer: TabularFeaturizer, embedder: Embedder | None, smiles: list[str]
) -> np.ndarray:
    """The model's input rows for valid SMILES (tabular features, then the embedding)."""
    x = featurizer.many(smiles)
    if embedder is not None:
        x = np.concatenate([x, embedder.embed_smiles(smiles)], axis=1)
    return x


__all__ = ["KIND", "gbm_bundle", "gbm_features", "load_gbm", "train_gbm"]
