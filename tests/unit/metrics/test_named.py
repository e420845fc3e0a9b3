import math

import numpy as np
import pytest

from molbridge.metrics import METRICS, get_metric
from molbridge.metrics.named import rmse, roc_auc


def test_roc_auc_averages_only_tasks_with_both_classes() -> None:
    y = np.array([[1, 1, np.nan], [0, 1, 1], [1, 1, 0], [0, 1, np.nan]], dtype=float)
    p = np.array([[0.9, 0.1, 0.5], [0.1, 0.2, 0.9], [0.8, 0.3, 0.1], [0.2, 0.4, 0.3]])
    # task 0 perfect (1.0), task 1 single-class (skipped), task 2 perfect on its 2 labels (1.0)
    assert roc_auc(y, p) == 1.0
    p[0, 0] = 0.0
    assert roc_auc(y, p) == pytest.approx((0.5 + 1.0) / 2)  # task 0 now wins 2 of 4 pairs


def test_rmse_masks_missing() -> None:
    y = np.array([[1.0], [np.nan], [3.0]])
    assert rmse(y, np.array([[2.0], [100.0], [3.0]])) == pytest.approx(math.sqrt(0.5))


def test_no_valid_task_gives_nan() -> None:
    assert math.isnan(roc_auc(np.array([[1.0], [1.0]]), np.array([[0.3], [0.2]])))


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_metric_runs(name: str) -> None:
    fn, _ = get_metric(name)
    y = np.array([[0.0], [1.0], [1.0], [0.0], [1.0]])
    value = fn(y, np.array([[0.1], [0.8], [0.7], [0.3], [0.2]]))
    assert np.isfinite(value)
