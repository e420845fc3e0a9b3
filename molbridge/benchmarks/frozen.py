"""Benchmark cells of the fixed-feature models: `gbm`, `gbm+LABEL` and `probe+LABEL`.

- `gbm`: CatBoost on the tabular features (`featurize/tabular.py`), fitted on train + valid where
  the protocol's training data is the whole train file (TDC, MoleculeACE), on train alone
  otherwise (MoleculeNet). The regression loss is the suite's (`Suite.gbm_loss`): TDC keeps the
  leaderboard entry's MAE, the others choose MAE or RMSE on valid (fitted on train), then refit.
- `gbm+LABEL`: the same features with the frozen encoder LABEL's pooled embedding appended.
- `probe+LABEL`: the encoder's embedding alone into ridge / logistic regression, strength chosen
  on valid (`estimators/probe.py`).
Features and embeddings are computed once per molecule and cached
(`pipeline/frozen_features.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from molbridge.benchmarks.suites import BenchmarkDataset
from molbridge.estimators import GBMConfig, fit_gbm_on_splits, fit_probe
from molbridge.estimators.gbm import AUTO_LOSS
from molbridge.pipeline.data_prep import Part, PreparedData
from molbridge.pipeline.frozen_features import FeatureRecipe, part_matrices

KINDS = ("gbm", "probe")


def is_frozen(model: str) -> bool:
    """Whether `model` is one of this module's (`gbm`, `gbm+LABEL`, `probe+LABEL`)."""
    return model.partition("+")[0] in KINDS


@dataclass
class FrozenFit:
    """A fitted cell: test predictions and what describes the fit."""

    test_pred: np.ndarray
    record: dict[str, Any]


def _parts(data: PreparedData) -> list[Part]:
    splits = data.splits
    assert splits.test is not None, "benchmark suites have a test part"
    return [splits.train, splits.valid, splits.test]


def fit_cell(
    model: str,
    dataset: BenchmarkDataset,
    data: PreparedData,
    seed: int,
    encoders: dict[str, str],
    fit_on_train_and_valid: bool,
    precision: str = "auto",
    cache_dir: Path | None = None,
    gbm_iterations: int = 1000,
    gbm_loss: str = AUTO_LOSS,
) -> FrozenFit:
    """Fit `model` on one (dataset, seed) cell and predict its test part."""
    kind, _, label = model.partition("+")
    if label and label not in encoders:
        raise ValueError(f"model {model}: no encoder labelled {label!r} (give --init)")
    recipe = FeatureRecipe(tabular=kind == "gbm", encoder=encoders[label] if label else None)
    parts = [(p.smiles.tolist(), p.graphs) for p in _parts(data)]
    (x_train, x_valid, x_test), described = part_matrices(recipe, parts, precision, cache_dir)
    splits = data.splits
    y_train, y_valid = splits.train.y, splits.valid.y
    if model.startswith("gbm"):
        fit = fit_gbm_on_splits(
            x_train, y_train, x_valid, y_valid, dataset.task, seed, dataset.metric,
            GBMConfig(iterations=gbm_iterations, threads=torch.get_num_threads()),
            gbm_loss, dataset.log_target, fit_on_train_and_valid,
        )  # fmt: skip
        record: dict[str, Any] = fit.record()
        fitted = fit.model
        pred = fitted.predict(x_test)
    else:
        result = fit_probe(
            x_train,
            y_train,
            x_valid,
            y_valid,
            x_test,
            dataset.task,
            dataset.metric,
            dataset.log_target,
        )
        record = {"probe": result.record()}
        pred = result.test_pred
    record |= {"features": described, "log_target": dataset.log_target}
    return FrozenFit(pred, record)
