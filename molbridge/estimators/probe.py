"""The linear probe: standardised frozen embeddings -> ridge / logistic regression.

One regularisation strength per dataset is chosen by the dataset's headline metric on the
validation part; the test part is predicted by the models fitted on train at that strength. The
function never receives test labels, so they cannot steer the choice.

- Regression: per task, ridge on the target standardised on train (log10 first where the
  dataset's values are log-normal); `alpha` from `RIDGE_ALPHAS`.
- Classification: per task, L2 logistic regression (scikit-learn's objective) on its labelled
  train rows (missing labels masked), `C` from `LOGISTIC_C`, all tasks in one L-BFGS run; a
  task with one class in train predicts its rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.linear_model import Ridge
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


def _logistic_objective(
    x: np.ndarray, y: np.ndarray, labelled: np.ndarray, c: float
) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """Sum over tasks of (mean log-loss on the task's labelled rows + ||w_t||^2 / (2 c n_t)):
    the objective of scikit-learn's L2 `LogisticRegression(C=c)` for each task (scaled by its
    labelled count, as scikit-learn scales it), added up. The intercept (last row of W) is not
    penalised."""
    n_features, n_tasks = x.shape[1], y.shape[1]
    counts = np.maximum(labelled.sum(0), 1)
    penalty = 1.0 / (c * counts)
    # the element-wise work only on labelled entries (ToxCast labels about a third of its
    # molecule-task pairs); the products in float32, which halves their cost
    rows, cols = np.nonzero(labelled)
    weight = (1.0 / counts)[cols]
    target = y[rows, cols]
    x32 = x.astype(np.float32)
    residual = np.zeros((len(x), n_tasks), dtype=np.float32)

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = flat.reshape(n_features + 1, n_tasks)
        z = (x32 @ w[:-1].astype(np.float32))[rows, cols] + w[-1, cols]
        # log(1 + e^z) - y z, and its derivative sigmoid(z) - y, weighted 1/n_t
        loss = float((weight * (np.logaddexp(0.0, z) - target * z)).sum())
        residual[rows, cols] = weight * (expit(z) - target)
        grad = np.empty_like(w)
        grad[:-1] = x32.T @ residual + w[:-1] * penalty
        grad[-1] = residual.sum(0)
        return loss + float((w[:-1] ** 2 * penalty).sum() / 2), grad.ravel()

    return objective


def _classification(
    x: np.ndarray, y: np.ndarray, evaluate: list[np.ndarray]
) -> dict[float, list[np.ndarray]]:
    """Per C, probabilities `[n, n_tasks]` for each matrix of `evaluate`.

    Every task is fitted at once by one L-BFGS run over the tasks' summed objectives, which
    separate, so each task gets its own scikit-learn-equivalent solution. Written by hand because
    scikit-learn fits multi-task data one task at a time: ToxCast's 617 tasks x 5 strengths took
    over 5 minutes that way, most of the probe panel's budget. Along the path from strong to weak
    regularisation each fit starts from the last. A task with one class in train predicts its
    rate.
    """
    out = {c: [np.zeros((len(e), y.shape[1])) for e in evaluate] for c in LOGISTIC_C}
    labelled = ~np.isnan(y)
    targets = np.where(labelled, y, 0.0)
    fitted = []
    for j in range(y.shape[1]):
        classes = np.unique(targets[labelled[:, j], j])
        if len(classes) < 2:
            column = targets[labelled[:, j], j]
            rate = float(column.mean()) if len(column) else 0.5
            for c in LOGISTIC_C:
                for pred in out[c]:
                    pred[:, j] = rate
        else:
            fitted.append(j)
    if not fitted:
        return out
    mask, target = labelled[:, fitted], targets[:, fitted]
    w = np.zeros((x.shape[1] + 1) * len(fitted))
    for c in LOGISTIC_C:
        result = minimize(
            _logistic_objective(x, target, mask, c),
            w,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 100, "gtol": 1e-4},  # scikit-learn's defaults
        )
        w = result.x
        weights = w.reshape(x.shape[1] + 1, len(fitted))
        for pred, e in zip(out[c], evaluate, strict=True):
            pred[:, fitted] = expit(e @ weights[:-1] + weights[-1])
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
