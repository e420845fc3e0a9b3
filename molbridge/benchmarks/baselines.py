"""Classical baselines run beside the GIN: ECFP4 + random forest, ECFP4 + SVM (scikit-learn).

Each baseline is fitted on the train part, may use the valid part to choose a hyper-parameter,
and predicts the test part in the units `molbridge train` reports (probabilities for
classification, values for regression). Multi-task sets get one model per task, fitted on the
rows labelled for it; a task with a single class in train predicts its train rate.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.svm import SVC, SVR

from molbridge.metrics import get_metric

# A task's kernel matrix grows with the square of its labelled train rows: 35,000 of them take
# 9.8 GB in float64 (HIV's 32,896 fit); beyond that the kernel SVM is not run.
MAX_SVM_TRAIN = 35_000
# Up to this many train rows one kernel over all of them serves every task (ToxCast's 617);
# beyond it each task gets its own, over its labelled rows (MUV: about 11,700 of 74,469 per task).
SHARED_KERNEL_MAX = 20_000
# Kernels larger than this (bytes, one task's train + valid + test) are built one at a time on
# the machine, so that two benchmark workers never hold two of them (HIV's take about 11 GB).
LARGE_KERNEL_BYTES = 2 * 1024**3


def tanimoto_kernel(a: np.ndarray, b: np.ndarray, block: int = 1024) -> np.ndarray:
    """Tanimoto similarity between the rows of two binary matrices `[n, d]`, `[m, d]` -> `[n, m]`.

    Written by hand: scikit-learn has no Tanimoto kernel; for 0/1 vectors it is three matrix
    products. The bit counts are exact in float32; the result is float64, as the SVM takes it,
    filled `block` rows at a time so that it is the only large array.
    """
    a32 = a.astype(np.float32)
    b32 = b.astype(np.float32)
    a_bits, b_bits = a32.sum(1), b32.sum(1)
    out = np.empty((len(a), len(b)))
    for start in range(0, len(a), block):
        stop = start + block
        both = (a32[start:stop] @ b32.T).astype(np.float64)
        either = a_bits[start:stop, None] + b_bits[None, :] - both
        out[start:stop] = np.divide(both, either, out=np.zeros_like(both), where=either > 0)
    return out


@dataclass
class BaselineData:
    """Fingerprints and labels `[n, n_tasks]` (NaN = missing) of the three parts."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    task: str
    metric: str


@dataclass
class BaselineResult:
    """Test predictions `[n_test, n_tasks]` and what was chosen (e.g. the SVM's C)."""

    test_pred: np.ndarray
    chosen: dict[str, Any] = field(default_factory=dict)


def _single_class(data: BaselineData, y: np.ndarray) -> float | None:
    """The value to predict for a classification task with one class in train, else None."""
    if data.task == "classification" and len(np.unique(y)) < 2:
        return float(y.mean()) if len(y) else 0.5
    return None


def _per_task(
    data: BaselineData, fit_predict: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
) -> np.ndarray:
    """Fit one model per task on its labelled train rows; test predictions `[n_test, n_tasks]`."""
    n_tasks = data.y_train.shape[1]
    out = np.zeros((len(data.x_test), n_tasks))
    for j in range(n_tasks):
        labelled = ~np.isnan(data.y_train[:, j])
        y = data.y_train[labelled, j]
        constant = _single_class(data, y)
        if constant is not None:
            out[:, j] = constant
        else:
            out[:, j] = fit_predict(data.x_train[labelled], y, data.x_test)
    return out


def random_forest(
    data: BaselineData, seed: int, n_estimators: int = 500, n_jobs: int = -1
) -> BaselineResult:
    """ECFP + random forest (scikit-learn defaults otherwise; `n_jobs` cores, -1 = all)."""

    def fit_predict(x: np.ndarray, y: np.ndarray, x_eval: np.ndarray) -> np.ndarray:
        if data.task == "classification":
            model = RandomForestClassifier(n_estimators, n_jobs=n_jobs, random_state=seed)
            model.fit(x, y.astype(int))
            return model.predict_proba(x_eval)[:, 1]
        model = RandomForestRegressor(n_estimators, n_jobs=n_jobs, random_state=seed)
        return model.fit(x, y).predict(x_eval)

    return BaselineResult(_per_task(data, fit_predict), {"n_estimators": n_estimators})


def _svm_fit_predict(
    task: str, c: float
) -> Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Fit on a train kernel; predictions for the valid and test kernels (rows against train)."""

    def fit_predict(
        y: np.ndarray, kernel: np.ndarray, kernel_valid: np.ndarray, kernel_test: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if task == "classification":
            model = SVC(C=c, kernel="precomputed", class_weight="balanced")
            model.fit(kernel, y.astype(int))
            valid, test = (model.decision_function(k) for k in (kernel_valid, kernel_test))
            return 1.0 / (1.0 + np.exp(-valid)), 1.0 / (1.0 + np.exp(-test))
        mean, std = y.mean(), y.std() or 1.0
        model = SVR(C=c, kernel="precomputed", epsilon=0.1)
        model.fit(kernel, (y - mean) / std)
        valid, test = (model.predict(k) * std + mean for k in (kernel_valid, kernel_test))
        return valid, test

    return fit_predict


def tanimoto_svm(
    data: BaselineData, seed: int, c_grid: tuple[float, ...] = (0.1, 1.0, 10.0)
) -> BaselineResult:
    """ECFP + SVM with a Tanimoto kernel; C chosen on the valid part by the dataset's metric.

    Classification scores are the decision function through a logistic squashing (ranking
    metrics only need the order); regression targets are standardised on train. `seed` is
    unused: the fit is deterministic, so each C is fitted once and predicts valid and test.
    """
    labelled = ~np.isnan(data.y_train)
    largest = int(labelled.sum(0).max())
    if largest > MAX_SVM_TRAIN:
        raise ValueError(
            f"{largest} training molecules in one task: the kernel SVM is not run beyond "
            f"{MAX_SVM_TRAIN}"
        )
    shared = len(data.x_train) <= SHARED_KERNEL_MAX
    kernel_rows = len(data.x_train) if shared else largest
    needed = 8 * kernel_rows * (kernel_rows + len(data.x_valid) + len(data.x_test))
    large = FileLock(Path(tempfile.gettempdir(), "molbridge-large-kernel.lock"))
    with large if needed > LARGE_KERNEL_BYTES else contextlib.nullcontext():
        return _tanimoto_svm(data, labelled, shared, c_grid)


def _tanimoto_svm(
    data: BaselineData, labelled: np.ndarray, shared: bool, c_grid: tuple[float, ...]
) -> BaselineResult:
    metric, higher = get_metric(data.metric)
    n_tasks = data.y_train.shape[1]
    valid = {c: np.zeros((len(data.x_valid), n_tasks)) for c in c_grid}
    test = {c: np.zeros((len(data.x_test), n_tasks)) for c in c_grid}
    if shared:
        k_train = tanimoto_kernel(data.x_train, data.x_train)
        k_valid = tanimoto_kernel(data.x_valid, data.x_train)
        k_test = tanimoto_kernel(data.x_test, data.x_train)
    for j in range(n_tasks):
        rows = labelled[:, j]
        y = data.y_train[rows, j]
        constant = _single_class(data, y)
        if constant is not None:
            for c in c_grid:
                valid[c][:, j] = test[c][:, j] = constant
            continue
        if shared:
            kernels = k_train[np.ix_(rows, rows)], k_valid[:, rows], k_test[:, rows]
        else:
            x = data.x_train[rows]
            kernels = (
                tanimoto_kernel(x, x),
                tanimoto_kernel(data.x_valid, x),
                tanimoto_kernel(data.x_test, x),
            )
        for c in c_grid:
            valid[c][:, j], test[c][:, j] = _svm_fit_predict(data.task, c)(y, *kernels)
        del kernels
    scores = {c: metric(data.y_valid, valid[c]) for c in c_grid}
    valid_scores = {c: s for c, s in scores.items() if np.isfinite(s)}
    best = (
        (max if higher else min)(valid_scores, key=valid_scores.__getitem__)
        if valid_scores
        else c_grid[len(c_grid) // 2]  # no task scorable on valid: the middle of the grid
    )
    return BaselineResult(
        test[best], {"C": best, "valid_by_C": {str(c): s for c, s in scores.items()}}
    )


def configured_svr(data: BaselineData, params: dict[str, Any]) -> BaselineResult:
    """scikit-learn `SVR(**params)` on the fingerprints, fitted on train (MoleculeACE's SVM)."""
    model = SVR(**params).fit(data.x_train, data.y_train[:, 0])
    return BaselineResult(model.predict(data.x_test)[:, None], {"params": params})


def configured_rf(
    data: BaselineData, params: dict[str, Any], seed: int, n_jobs: int = -1
) -> BaselineResult:
    """scikit-learn `RandomForestRegressor(**params)` fitted on train (MoleculeACE's RF)."""
    model = RandomForestRegressor(**params, n_jobs=n_jobs, random_state=seed)
    model.fit(data.x_train, data.y_train[:, 0])
    return BaselineResult(model.predict(data.x_test)[:, None], {"params": params})
