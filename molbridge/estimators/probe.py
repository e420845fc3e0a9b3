"""The linear probe: standardised frozen embeddings -> ridge / logistic regression.

One regularisation strength per dataset is chosen by the dataset's headline metric on the
validation part; the test part is predicted by the models fitted on train at that strength. The
function never receives test labels, so they cannot steer the choice.

- Regression: per task, ridge on the target standardised on train (log10 first where the
  dataset's values are log-normal); `alpha` from `RIDGE_ALPHAS`.
- Classification: per task, L2 logistic regression on its labelled train rows (missing labels
  masked), `C` from `LOGISTIC_C`; a task with one class in train predicts its rate.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

from molbridge.metrics import get_metric

RIDGE_ALPHAS = (0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)
LOGISTIC_C = (0.001, 0.01, 0.1, 1.0, 10.0)


@dataclass
class ProbeResult:
    """Test predictions `[n_test, n_tasks]` at the chosen strength, and the valid scores."""

    test_pred: np.ndarray
    chosen: float
    valid_by_strength: dict[str, float] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        return {"strength": self.chosen, "valid_by_strength": self.valid_by_strength}


def _regression(
    x: np.ndarray, y: np.ndarray, evaluate: list[np.ndarray], log_target: bool
) -> dict[float, list[np.ndarray]]:
    """Per alpha, predictions `[n, n_tasks]` for each matrix of `evaluate`."""
    out = {a: [np.zeros((len(e), y.shape[1])) for e in evaluate] for a in RIDGE_ALPHAS}
    for j in range(y.shape[1]):
        labelled = ~np.isnan(y[:, j])
        target = y[labelled, j]
        if log_target:
            if (target <= 0).any():
                raise ValueError("a log10 target needs values > 0")
            target = np.log10(target)
        if len(target) == 0:
            for a in RIDGE_ALPHAS:
                for pred in out[a]:
                    pred[:, j] = np.nan
            continue
        mean, std = target.mean(), target.std() or 1.0
        for a in RIDGE_ALPHAS:
            model = Ridge(alpha=a).fit(x[labelled], (target - mean) / std)
            for pred, e in zip(out[a], evaluate, strict=True):
                values = model.predict(e) * std + mean
                pred[:, j] = 10.0**values if log_target else values
    return out


def _classification(
    x: np.ndarray, y: np.ndarray, evaluate: list[np.ndarray]
) -> dict[float, list[np.ndarray]]:
    out = {c: [np.zeros((len(e), y.shape[1])) for e in evaluate] for c in LOGISTIC_C}
    for j in range(y.shape[1]):
        labelled = ~np.isnan(y[:, j])
        target = y[labelled, j].astype(int)
        if len(np.unique(target)) < 2:
            rate = float(target.mean()) if len(target) else 0.5
            for c in LOGISTIC_C:
                for pred in out[c]:
                    pred[:, j] = rate
            continue
        # the path from strong to weak regularisation, each fit starting from the last
        model = LogisticRegression(max_iter=200, warm_start=True)
        for c in LOGISTIC_C:
            model.set_params(C=c)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(x[labelled], target)
            for pred, e in zip(out[c], evaluate, strict=True):
                pred[:, j] = model.predict_proba(e)[:, 1]
    return out


def fit_probe(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_valid: np.ndarray,
    y_valid: np.ndarray,
    x_test: np.ndarray,
    task_type: str,
    metric: str,
    log_target: bool = False,
) -> ProbeResult:
    """Fit on train at every strength, choose on valid by `metric`, predict test at that choice.

    Features are standardised with the train part's mean and std (a constant column stays 0).
    When no strength scores on valid (no task with both classes there), the middle of the grid
    is used.
    """
    scaler = StandardScaler().fit(x_train)
    parts = [scaler.transform(x).astype(np.float64) for x in (x_valid, x_test)]
    x = scaler.transform(x_train).astype(np.float64)
    if task_type == "classification":
        by_strength = _classification(x, y_train, parts)
    else:
        by_strength = _regression(x, y_train, parts, log_target)
    score, higher = get_metric(metric)
    valid = {s: score(y_valid, preds[0]) for s, preds in by_strength.items()}
    scored = {s: v for s, v in valid.items() if np.isfinite(v)}
    grid = list(by_strength)
    if scored:
        best = (max if higher else min)(scored, key=scored.__getitem__)
    else:
        best = grid[len(grid) // 2]
    return ProbeResult(by_strength[best][1], best, {str(s): float(v) for s, v in valid.items()})
