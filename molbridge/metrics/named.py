"""Named metrics over `[n, n_tasks]` arrays with NaN for missing labels (scikit-learn / scipy).

Every metric masks missing labels per task, then averages over tasks. Classification metrics
use only tasks that have both classes among the labelled molecules (Hu et al. 2020 protocol).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import average_precision_score, roc_auc_score

# (function, higher_is_better)
MetricFn = Callable[[np.ndarray, np.ndarray], float]


def _per_task(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    fn: Callable[[np.ndarray, np.ndarray], float],
    needs_both_classes: bool,
) -> float:
    y_true = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1)
    scores = []
    for task in range(y_true.shape[1]):
        mask = ~np.isnan(y_true[:, task])
        truth, pred = y_true[mask, task], y_pred[mask, task]
        if len(truth) == 0 or (needs_both_classes and len(np.unique(truth)) < 2):
            continue
        scores.append(fn(truth, pred))
    return float(np.mean(scores)) if scores else float("nan")


def roc_auc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """ROC-AUC averaged over tasks with both classes present."""
    return _per_task(y_true, y_score, roc_auc_score, needs_both_classes=True)


def auprc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Area under the precision-recall curve (average precision), averaged over tasks."""
    return _per_task(y_true, y_score, average_precision_score, needs_both_classes=True)


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root-mean-square error, in the targets' units, averaged over tasks."""
    return _per_task(y_true, y_pred, lambda t, p: float(np.sqrt(np.mean((t - p) ** 2))), False)


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error, in the targets' units, averaged over tasks."""
    return _per_task(y_true, y_pred, lambda t, p: float(np.mean(np.abs(t - p))), False)


def spearman(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Spearman rank correlation, averaged over tasks."""
    return _per_task(y_true, y_pred, lambda t, p: float(spearmanr(t, p).statistic), False)


METRICS: dict[str, tuple[MetricFn, bool]] = {
    "roc_auc": (roc_auc, True),
    "auprc": (auprc, True),
    "rmse": (rmse, False),
    "mae": (mae, False),
    "spearman": (spearman, True),
}
TASK_METRICS = {"classification": ("roc_auc", "auprc"), "regression": ("rmse", "mae", "spearman")}


def get_metric(name: str) -> tuple[MetricFn, bool]:
    """`(function, higher_is_better)` for a metric name; an unknown name lists the valid ones."""
    if name not in METRICS:
        raise KeyError(f"unknown metric {name!r}; valid: {', '.join(METRICS)}")
    return METRICS[name]
