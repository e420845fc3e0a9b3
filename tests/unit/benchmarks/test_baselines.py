import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from molbridge.benchmarks import baselines
from molbridge.benchmarks.baselines import (
    BaselineData,
    random_forest,
    tanimoto_kernel,
    tanimoto_svm,
)
from molbridge.metrics.named import rmse, roc_auc


def test_tanimoto_kernel_matches_the_definition() -> None:
    rng = np.random.default_rng(0)
    a = (rng.random((6, 40)) < 0.3).astype(np.uint8)
    b = (rng.random((4, 40)) < 0.3).astype(np.uint8)
    a[0] = 0  # an empty fingerprint has similarity 0 to everything
    k = tanimoto_kernel(a, b)
    for i in range(6):
        for j in range(4):
            both = np.sum(a[i] & b[j])
            either = np.sum(a[i] | b[j])
            assert k[i, j] == pytest.approx(both / either if either else 0.0, abs=1e-6)
    assert np.allclose(np.diag(tanimoto_kernel(b, b)), 1.0)
    assert np.array_equal(tanimoto_kernel(a, b, block=4), k)  # filled in row blocks


def _data(task: str) -> tuple[BaselineData, np.ndarray]:
    """Fingerprints whose first 8 bits carry the signal; returns the data and the test labels."""
    rng = np.random.default_rng(1)
    x = (rng.random((150, 64)) < 0.2).astype(np.uint8)
    signal = x[:, :8].sum(1).astype(float)
    if task == "classification":
        y = np.stack([(signal > 1.5), (signal > 2.5), np.zeros(150)], 1).astype(float)
        y[rng.random(150) < 0.2, 0] = np.nan  # missing labels
    else:
        y = np.stack([signal, -signal], 1) + rng.normal(0, 0.1, (150, 2))
    metric = "roc_auc" if task == "classification" else "rmse"
    data = BaselineData(x[:100], y[:100], x[100:125], y[100:125], x[125:], task, metric)
    return data, y[125:]


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("fit", [random_forest, tanimoto_svm])
def test_baselines_predict_every_task_and_learn_the_signal(task: str, fit: object) -> None:
    data, y_test = _data(task)
    result = fit(data, seed=0)  # type: ignore[operator]
    pred = result.test_pred
    assert pred.shape == (25, data.y_train.shape[1]) and np.isfinite(pred).all()
    if task == "classification":
        assert ((pred >= 0) & (pred <= 1)).all()
        assert np.all(pred[:, 2] == 0.0)  # a single-class task predicts its train rate
        assert roc_auc(y_test[:, :1], pred[:, :1]) > 0.8
    else:
        mean_only = np.broadcast_to(data.y_train.mean(0), y_test.shape)
        assert rmse(y_test, pred) < 0.8 * rmse(y_test, mean_only)


def test_svm_chooses_c_on_valid_and_refuses_huge_train(monkeypatch: pytest.MonkeyPatch) -> None:
    result = tanimoto_svm(_data("regression")[0], seed=0)
    assert result.chosen["C"] in (0.1, 1.0, 10.0) and len(result.chosen["valid_by_C"]) == 3
    scores = result.chosen["valid_by_C"]
    assert scores[str(result.chosen["C"])] == min(scores.values())  # rmse: lower is better
    monkeypatch.setattr(baselines, "MAX_SVM_TRAIN", 10)
    with pytest.raises(ValueError, match="not run"):
        tanimoto_svm(_data("regression")[0], seed=0)


def test_svm_kernels_per_task_give_the_shared_kernels_predictions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data, _ = _data("classification")  # task 0 has missing labels
    shared = tanimoto_svm(data, seed=0)
    monkeypatch.setattr(baselines, "SHARED_KERNEL_MAX", 10)  # each task its own kernel
    per_task = tanimoto_svm(data, seed=0)
    assert shared.chosen == per_task.chosen
    assert np.allclose(shared.test_pred, per_task.test_pred)


def test_svm_size_limit_counts_the_rows_labelled_for_a_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data, _ = _data("classification")
    data.y_train, data.y_valid = data.y_train[:, :1], data.y_valid[:, :1]  # with missing labels
    labelled = int((~np.isnan(data.y_train)).sum())
    assert labelled < len(data.x_train)
    monkeypatch.setattr(baselines, "MAX_SVM_TRAIN", labelled)
    assert tanimoto_svm(data, seed=0).test_pred.shape == (25, 1)
    monkeypatch.setattr(baselines, "MAX_SVM_TRAIN", labelled - 1)
    with pytest.raises(ValueError, match=f"{labelled} training molecules in one task"):
        tanimoto_svm(data, seed=0)


@pytest.mark.parametrize("large", [True, False])
def test_large_svm_kernels_wait_for_the_one_being_built(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, large: bool
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    if large:
        monkeypatch.setattr(baselines, "LARGE_KERNEL_BYTES", 0)
    data, _ = _data("regression")
    other_worker = FileLock(tmp_path / "molbridge-large-kernel.lock")
    other_worker.acquire()
    with ThreadPoolExecutor(1) as pool:
        try:
            fitting = pool.submit(tanimoto_svm, data, 0)
            time.sleep(1.0)
            waited = not fitting.done()
        finally:
            other_worker.release()  # also on failure, or the pool would wait for ever
        assert waited is large
        assert fitting.result(timeout=60).test_pred.shape == (25, 2)
