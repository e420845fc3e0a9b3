"""Benchmark cells of the fixed-feature models: `gbm`, `gbm+LABEL` and `probe+LABEL`.

- `gbm`: CatBoost on the tabular features (`featurize/tabular.py`), fitted on train + valid where
  the protocol's training data is the whole train file (TDC, MoleculeACE: the leaderboard
  recipe chooses nothing on validation), on train alone otherwise (MoleculeNet).
- `gbm+LABEL`: the same features with the frozen encoder LABEL's pooled embedding appended.
- `probe+LABEL`: the encoder's embedding alone into ridge / logistic regression, strength chosen
  on valid (`estimators/probe.py`).
Features and embeddings are computed once per molecule and cached (`data/feature_store.py`);
each worker process keeps its embedders and stores for the whole run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rdkit import rdBase

from molbridge.benchmarks.suites import BenchmarkDataset
from molbridge.data.feature_store import FeatureStore, owner_key
from molbridge.estimators import GBMConfig, fit_gbm, fit_probe
from molbridge.featurize.tabular import TabularFeaturizer
from molbridge.pipeline.data_prep import Part, PreparedData
from molbridge.pipeline.embeddings import Embedder, embed_parts, embedding_store, resolve_embedder

KINDS = ("gbm", "probe")


def is_frozen(model: str) -> bool:
    """Whether `model` is one of this module's (`gbm`, `gbm+LABEL`, `probe+LABEL`)."""
    return model.partition("+")[0] in KINDS


@dataclass
class FrozenFit:
    """A fitted cell: test predictions and what describes the fit."""

    test_pred: np.ndarray
    record: dict[str, Any]


_EMBEDDERS: dict[str, tuple[Embedder, FeatureStore]] = {}  # per process
_TABULAR: dict[str, FeatureStore] = {}


def tabular_store(cache_dir: Path | None) -> tuple[TabularFeaturizer, FeatureStore]:
    """The tabular featurizer and its per-molecule cache (one per process)."""
    featurizer = TabularFeaturizer()
    key = owner_key({"tabular": featurizer.to_config(), "rdkit": rdBase.rdkitVersion})
    if key not in _TABULAR:
        _TABULAR[key] = FeatureStore(key, featurizer.many, cache_dir=cache_dir)
    return featurizer, _TABULAR[key]


def embedder_of(spec: str, precision: str, cache_dir: Path | None) -> tuple[Embedder, FeatureStore]:
    """The embedder of an `--init` value and its cache (built once per process)."""
    key = f"{spec}|{precision}"
    if key not in _EMBEDDERS:
        embedder = resolve_embedder(spec, precision)
        _EMBEDDERS[key] = (embedder, embedding_store(embedder, cache_dir))
    return _EMBEDDERS[key]


def _parts(data: PreparedData) -> list[Part]:
    splits = data.splits
    assert splits.test is not None, "benchmark suites have a test part"
    return [splits.train, splits.valid, splits.test]


def features(
    model: str,
    data: PreparedData,
    encoders: dict[str, str],
    precision: str = "auto",
    cache_dir: Path | None = None,
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """The train, valid and test matrices of `model`, and a description of their columns."""
    kind, _, label = model.partition("+")
    parts = _parts(data)
    blocks: list[list[np.ndarray]] = []
    described: dict[str, Any] = {}
    if kind == "gbm":
        featurizer, store = tabular_store(cache_dir)
        store.remember([s for p in parts for s in p.smiles.tolist()])
        blocks.append([store.rows(p.smiles.tolist()) for p in parts])
        described["tabular"] = {
            k: v for k, v in featurizer.to_config().items() if k != "descriptors"
        }
        described["tabular"]["n_features"] = featurizer.n_features
    if label:
        if label not in encoders:
            raise ValueError(f"model {model}: no encoder labelled {label!r} (give --init)")
        embedder, store = embedder_of(encoders[label], precision, cache_dir)
        blocks.append(embed_parts(embedder, store, [(p.smiles.tolist(), p.graphs) for p in parts]))
        described["encoder"] = {"init": encoders[label], "dim": embedder.dim}
    matrices = [np.concatenate([b[k] for b in blocks], axis=1) for k in range(3)]
    return matrices, described


def fit_cell(
    model: str,
    dataset: BenchmarkDataset,
    data: PreparedData,
    seed: int,
    encoders: dict[str, str],
    fit_on_train_and_valid: bool,
    precision: str = "auto",
    cache_dir: Path | None = None,
) -> FrozenFit:
    """Fit `model` on one (dataset, seed) cell and predict its test part."""
    (x_train, x_valid, x_test), described = features(model, data, encoders, precision, cache_dir)
    splits = data.splits
    y_train, y_valid = splits.train.y, splits.valid.y
    if model.startswith("gbm"):
        if fit_on_train_and_valid:
            x_train = np.concatenate([x_train, x_valid])
            y_train = np.concatenate([y_train, y_valid])
        config = GBMConfig(threads=torch.get_num_threads())
        fitted = fit_gbm(x_train, y_train, dataset.task, seed, config, dataset.log_target)
        record = {"gbm": config.to_config(), "fit_rows": len(x_train)}
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
