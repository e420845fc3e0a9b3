"""Classical baselines run beside the GIN: ECFP4 + random forest, ECFP4 + SVM (scikit-learn).

Each baseline is fitted on the train part, may use the valid part to choose a hyper-parameter,
and predicts the test part in the units `molbridge train` reports (probabilities for
classification, values for regression). Multi-task sets get one model per task, fitted on the
rows labelled for it; a task with a single class in train predicts its train rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.svm import SVC, SVR

from molbridge.metrics import get_metric

# An SVM's kernel matrix grows with the square of the train size: beyond this many training
# molecules (HIV, MUV) the kernel SVM is not run.
MAX_SVM_TRAIN = 20_000


def tanimoto_kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tanimoto similarity between the rows of two binary matrices `[n, d]`, `[m, d]` -> `[n, m]`.

    Written by hand: scikit-learn has no Tanimoto kernel; for 0/1 vectors it is three matrix
    products.
    """
    a = a.astype(np.float32)
    b = b.astype(np.float32)
    both = a @ b.T
    either = a.sum(1)[:, None] + b.sum(1)[None, :] - both
    return np.divide(both, either, out=np.zeros_like(both), where=either > 0)


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


def _per_task(
    data: BaselineData,
    fit_predict: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    x_eval: np.ndarray,
    train_kernel: np.ndarray | None = None,
) -> np.ndarray:
    """Fit one model per task on its labelled train rows; predictions `[n_eval, n_tasks]`."""
    n_tasks = data.y_train.shape[1]
    out = np.zeros((len(x_eval), n_tasks))
    for j in range(n_tasks):
        labelled = ~np.isnan(data.y_train[:, j])
        y = data.y_train[labelled, j]
        if data.task == "classification" and len(np.unique(y)) < 2:
            out[:, j] = y.mean() if len(y) else 0.5
            continue
        if train_kernel is not None:
            out[:, j] = fit_predict(
                train_kernel[np.ix_(labelled, labelled)], y, x_eval[:, labelled]
            )
        else:
            out[:, j] = fit_predict(data.x_train[labelled], y, x_eval)
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

    return BaselineResult(_per_task(data, fit_predict, data.x_test), {"n_estimators": n_estimators})


def _svm_fit_predict(task: str, c: float) -> Callable[[np.ndarray, np.ndarray, np.ndarray], Any]:
    def fit_predict(kernel: np.ndarray, y: np.ndarray, kernel_eval: np.ndarray) -> np.ndarray:
        if task == "classification":
            model = SVC(C=c, kernel="precomputed", class_weight="balanced")
            model.fit(kernel, y.astype(int))
            return 1.0 / (1.0 + np.exp(-model.decision_function(kernel_eval)))
        mean, std = y.mean(), y.std() or 1.0
        model = SVR(C=c, kernel="precomputed", epsilon=0.1)
        model.fit(kernel, (y - mean) / std)
        return model.predict(kernel_eval) * std + mean

    return fit_predict


def tanimoto_svm(
    data: BaselineData, seed: int, c_grid: tuple[float, ...] = (0.1, 1.0, 10.0)
) -> BaselineResult:
    """ECFP + SVM with a Tanimoto kernel; C chosen on the valid part by the dataset's metric.

    Classification scores are the decision function through a logistic squashing (ranking
    metrics only need the order); regression targets are standardised on train. `seed` is
    unused: the fit is deterministic.
    """
    if len(data.x_train) > MAX_SVM_TRAIN:
        raise ValueError(
            f"{len(data.x_train)} training molecules: the kernel SVM is not run beyond "
            f"{MAX_SVM_TRAIN}"
        )
    metric, higher = get_metric(data.metric)
    k_train = tanimoto_kernel(data.x_train, data.x_train)
    k_valid = tanimoto_kernel(data.x_valid, data.x_train)
    scores = {}
    for c in c_grid:
        pred = _per_task(data, _svm_fit_predict(data.task, c), k_valid, k_train)
        scores[c] = metric(data.y_valid, pred)
    valid_scores = {c: s for c, s in scores.items() if np.isfinite(s)}
    best = (
        (max if higher else min)(valid_scores, key=valid_scores.__getitem__)
        if valid_scores
        else 1.0
    )
    k_test = tanimoto_kernel(data.x_test, data.x_train)
    pred = _per_task(data, _svm_fit_predict(data.task, best), k_test, k_train)
    return BaselineResult(pred, {"C": best, "valid_by_C": {str(c): s for c, s in scores.items()}})


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
