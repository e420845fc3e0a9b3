"""A fine-tuning run's data: read, featurize, split, and resolve the task from the labels.

`prepare_data(config)` is what `train` uses, and what the benchmark baselines are fitted on, so
the GIN and the baselines always see the same parts. Split from the training loop
(`pipeline/train.py`) so the data recipe can be read, tested and reused on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from molbridge.data.packed import PackedGraphs
from molbridge.data.registry import DatasetSpec, get_dataset
from molbridge.data.splits import make_split
from molbridge.data.table import MoleculeTable, load_table
from molbridge.featurize import GraphFeaturizer
from molbridge.metrics import TASK_METRICS
from molbridge.tasks import PropertyTaskConfig

if TYPE_CHECKING:
    from molbridge.pipeline.train import TrainConfig

log = logging.getLogger(__name__)


def _resolve_dataset(config: TrainConfig) -> tuple[Path, DatasetSpec | None]:
    path = Path(config.data)
    if path.exists():
        return path, None
    try:
        spec = get_dataset(config.data)
    except KeyError:
        raise FileNotFoundError(
            f"{config.data!r} is neither a file nor a bundled dataset name"
        ) from None
    return spec.train_path, spec


def _infer_task(y: np.ndarray) -> str:
    labels = y[~np.isnan(y)]
    return "classification" if labels.size and np.isin(labels, (0.0, 1.0)).all() else "regression"


class Part(NamedTuple):
    """One part of a split: graphs, labels `[n, n_tasks]` and the input SMILES."""

    graphs: PackedGraphs
    y: np.ndarray
    smiles: np.ndarray


@dataclass
class Splits:
    """Train, valid and (optional) test parts, and their sizes."""

    train: Part
    valid: Part
    test: Part | None
    sizes: dict[str, int]


@dataclass
class PreparedData:
    """A run's data as `train` will use it (also what the benchmark baselines are fitted on)."""

    featurizer: GraphFeaturizer
    spec: DatasetSpec | None
    train_path: Path
    table: MoleculeTable
    splits: Splits
    skipped: list[Any]
    split: str
    task: PropertyTaskConfig


def _subset(table: MoleculeTable, index: np.ndarray | None = None) -> Part:
    """The molecules at `index` (all when `None`) as their own packed store, labels, SMILES."""
    if index is None:
        return Part(table.graphs, table.y, table.smiles)
    return Part(table.graphs.subset(index), table.y[index], table.smiles[index])


def _make_splits(
    config: TrainConfig,
    featurizer: GraphFeaturizer,
    spec: DatasetSpec | None,
    train_path: Path,
    split: str,
) -> tuple[MoleculeTable, Splits, list[Any]]:
    smiles_column = config.smiles_column or (spec.smiles_column if spec else "smiles")
    targets = config.target_columns or (
        list(spec.target_columns) if spec and spec.target_columns else None
    )
    on_invalid = config.on_invalid or (spec.on_invalid if spec else "raise")
    cache_dir = Path(config.cache_dir) if config.cache_dir else None
    split_column = split.removeprefix("column:") if split.startswith("column:") else None
    extra = (split_column,) if split_column else ()

    def load(path: Path | str, target_columns: list[str] | None) -> MoleculeTable:
        return load_table(
            path,
            smiles_column,
            target_columns,
            featurizer,
            on_invalid,  # type: ignore[arg-type]
            cache_dir=cache_dir,
            extra_columns=extra if path == train_path else (),
        )

    table = load(train_path, targets)
    targets = list(table.target_columns)
    skipped: list[Any] = [(str(train_path), s) for s in table.skipped]
    test_path = config.test or (spec.test_path if spec else None)
    valid_table = load(config.valid, targets) if config.valid else None
    test_table = load(test_path, targets) if test_path else None
    for source, other in ((config.valid, valid_table), (test_path, test_table)):
        if other is not None:
            skipped += [(str(source), s) for s in other.skipped]

    if split_column and (valid_table is not None or test_table is not None):
        raise ValueError(
            "--split column:NAME already says which rows are train, valid and test; "
            "it cannot be combined with --valid/--test files (or a bundled dataset's test file)"
        )
    method = "column" if split_column else split
    fractions = config.split_fractions
    if valid_table is not None and test_table is not None:
        index = np.arange(len(table))
        train_idx, valid_idx, test_idx = index, index[:0], index[:0]
    else:
        if test_table is not None or valid_table is not None:
            # Only one part comes from the file: split the train file in two (TDC: 7/8 : 1/8).
            fractions = (0.875, 0.125, 0.0)
        train_idx, valid_idx, test_idx = make_split(
            method,
            table.scaffolds.tolist(),
            seed=config.seed,
            fractions=fractions,
            column=table.extra.get(split_column) if split_column else None,
            smiles=table.smiles.tolist(),
        )
        if valid_table is not None:
            train_idx, test_idx = np.sort(np.concatenate([train_idx, test_idx])), valid_idx
            valid_idx = valid_idx[:0]
    train_part = _subset(table, train_idx)
    valid_part = _subset(valid_table) if valid_table else _subset(table, valid_idx)
    if test_table is not None:
        test_part: Part | None = _subset(test_table)
    else:
        test_part = _subset(table, test_idx) if len(test_idx) else None
    if test_part is not None and len(test_part.graphs) == 0:
        raise ValueError("the test part has no valid molecule")
    if len(train_part.graphs) == 0 or len(valid_part.graphs) == 0:
        raise ValueError(
            f"the split left {len(train_part.graphs)} training and {len(valid_part.graphs)} "
            "validation molecules; give more data or other --split/--valid/--test"
        )
    sizes = {
        "train": len(train_part.graphs),
        "valid": len(valid_part.graphs),
        "test": 0 if test_part is None else len(test_part.graphs),
    }
    return table, Splits(train_part, valid_part, test_part, sizes), skipped


def _task_config(
    config: TrainConfig, spec: DatasetSpec | None, table: MoleculeTable, train_y: np.ndarray
) -> PropertyTaskConfig:
    task_type = config.task or (spec.task if spec else _infer_task(table.y))
    metric = config.metric or (
        spec.metric
        if spec and spec.metric in TASK_METRICS[task_type]
        else TASK_METRICS[task_type][0]
    )
    if metric not in TASK_METRICS[task_type]:
        raise ValueError(
            f"--metric {metric} does not fit a {task_type} task; valid: {TASK_METRICS[task_type]}"
        )
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    if task_type == "regression":
        with np.errstate(all="ignore"):
            mean_arr = np.nanmean(train_y, axis=0)
            std_arr = np.nanstd(train_y, axis=0)
        std_arr = np.where(np.isfinite(std_arr) & (std_arr > 0), std_arr, 1.0)
        mean_arr = np.where(np.isfinite(mean_arr), mean_arr, 0.0)
        mean, std = tuple(mean_arr.tolist()), tuple(std_arr.tolist())
    elif not np.isin(table.y[~np.isnan(table.y)], (0.0, 1.0)).all():
        raise ValueError("classification targets must be 0 or 1 (empty for missing)")
    return PropertyTaskConfig(
        task_type=task_type,
        target_names=table.target_columns,
        metric=metric,
        lr=config.lr,
        target_mean=mean,
        target_std=std,
    )


def _tasks_missing_a_class(y: np.ndarray) -> list[int]:
    """Columns of `y` whose labelled entries do not hold both 0 and 1."""
    return [j for j in range(y.shape[1]) if len(np.unique(y[~np.isnan(y[:, j]), j])) < 2]


def _check_classes(splits: Splits, targets: Sequence[str]) -> None:
    """A classifier needs both classes: refuse a train or valid part where no task has both
    (nothing to learn, or no ROC-AUC to pick an epoch), and warn for each part where some tasks
    lack one (those tasks are left out of its ROC-AUC; a test part with none is reported empty).
    """
    parts = {"train": splits.train, "valid": splits.valid}
    if splits.test is not None:
        parts["test"] = splits.test
    for name, part in parts.items():
        lacking = _tasks_missing_a_class(part.y)
        if not lacking:
            continue
        shown = ", ".join(
            f"{targets[j]} (only {_classes_of(part.y[:, j])})" for j in lacking[:5]
        ) + (", ..." if len(lacking) > 5 else "")
        if len(lacking) == len(targets) and name in ("train", "valid"):
            raise ValueError(
                f"the {name} part has a single class for every target: {shown}; a classifier "
                "needs molecules of both classes there (check the labels, or use another "
                "--split or --valid file, or --task regression)"
            )
        log.warning(
            "the %s part lacks a class for %d of %d targets, left out of its metrics: %s",
            name,
            len(lacking),
            len(targets),
            shown,
        )


def _classes_of(column: np.ndarray) -> str:
    values = np.unique(column[~np.isnan(column)])
    return "unlabelled" if values.size == 0 else "/".join(str(int(v)) for v in values)


def prepare_data(config: TrainConfig) -> PreparedData:
    """Read, featurize and split the data of a run, and resolve its task, as `train` does."""
    featurizer = GraphFeaturizer()
    if config.atom_features or config.bond_features:
        featurizer = GraphFeaturizer(
            tuple(config.atom_features or featurizer.atom_features),
            tuple(config.bond_features or featurizer.bond_features),
        )
    train_path, spec = _resolve_dataset(config)
    split = config.split or (spec.split if spec else "scaffold")
    table, splits, skipped = _make_splits(config, featurizer, spec, train_path, split)
    task_config = _task_config(config, spec, table, splits.train.y)
    if task_config.task_type == "classification":
        _check_classes(splits, task_config.target_names)
    return PreparedData(featurizer, spec, train_path, table, splits, skipped, split, task_config)
