"""Boosted trees per task: missing values, log targets, constant tasks, pickle-free round trip."""

import numpy as np
import pytest

from molbridge.estimators import GBMConfig, GBMModel, fit_gbm

FAST = GBMConfig(iterations=100, threads=1)


def _data(n: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    y = 2.0 * x[:, 0] - x[:, 1] + 0.1 * rng.normal(size=n)
    return x, y


def test_regression_learns_and_missing_features_are_accepted() -> None:
    x, y = _data()
    x[::7, 0] = np.nan  # CatBoost sends a missing value down its own side of each split
    model = fit_gbm(x[:100], y[:100, None], "regression", seed=0, config=FAST)
    pred = model.predict(x[100:])[:, 0]
    assert np.corrcoef(pred, y[100:])[0, 1] > 0.8


def test_log_target_predicts_in_the_users_units() -> None:
    x, y = _data()
    values = 10.0 ** (y / 2)
    model = fit_gbm(x[:100], values[:100, None], "regression", 0, FAST, log_target=True)
    pred = model.predict(x[100:])[:, 0]
    assert (pred > 0).all()
    assert np.corrcoef(np.log10(pred), y[100:] / 2)[0, 1] > 0.8
    with pytest.raises(ValueError, match="> 0"):
        fit_gbm(x, -values[:, None], "regression", 0, FAST, log_target=True)


def test_a_task_with_one_class_predicts_its_rate_and_labels_may_be_missing() -> None:
    x, y = _data()
    labels = np.stack([(y > 0).astype(float), np.ones_like(y)], axis=1)
    labels[::3, 0] = np.nan
    model = fit_gbm(x, labels, "classification", 0, FAST)
    pred = model.predict(x[:5])
    assert ((pred[:, 0] >= 0) & (pred[:, 0] <= 1)).all()
    np.testing.assert_array_equal(pred[:, 1], 1.0)


def test_blobs_round_trip_gives_identical_predictions() -> None:
    x, y = _data()
    labels = np.stack([y, y * 2], axis=1)
    model = fit_gbm(x, labels, "regression", 3, FAST)
    facts, blobs = model.to_blobs()
    assert all(isinstance(b, bytes) and b for b in blobs)
    again = GBMModel.from_blobs(facts, blobs)
    np.testing.assert_array_equal(again.predict(x), model.predict(x))


def test_virtual_ensembles_give_a_spread_that_grows_off_the_training_data() -> None:
    x, y = _data(200)
    config = GBMConfig(iterations=100, threads=1, virtual_ensembles=5)
    model = fit_gbm(x[:150], y[:150, None], "regression", 0, config, log_target=False)
    members = model.predict_members(x[150:])
    assert members.shape == (5, 50, 1)
    # the members are the one model's truncations, in the user's units, around its prediction
    assert np.corrcoef(members.mean(0)[:, 0], model.predict(x[150:])[:, 0])[0, 1] > 0.95
    inside = members.std(0).mean()
    assert inside > 0
    far = model.predict_members(x[150:] * 6.0).std(0).mean()  # far outside the fitted range
    assert far > inside
    facts, blobs = model.to_blobs()
    assert facts["virtual_ensembles"] == 5
    again = GBMModel.from_blobs(facts, blobs)
    np.testing.assert_allclose(again.predict_members(x[150:]), members)


def test_classification_members_are_probabilities_and_a_constant_task_has_no_spread() -> None:
    x, y = _data(160)
    labels = np.stack([(y > 0).astype(float), np.ones_like(y)], axis=1)
    config = GBMConfig(iterations=60, threads=1, virtual_ensembles=3)
    members = fit_gbm(x, labels, "classification", 0, config).predict_members(x[:20])
    assert members.shape == (3, 20, 2)
    assert ((members >= 0) & (members <= 1)).all()
    assert members[:, :, 0].std(0).max() > 0
    np.testing.assert_array_equal(members[:, :, 1], 1.0)


def test_a_plain_model_is_its_own_single_member_and_its_config_is_unchanged() -> None:
    x, y = _data()
    model = fit_gbm(x, y[:, None], "regression", 0, FAST)
    np.testing.assert_array_equal(model.predict_members(x[:4])[0], model.predict(x[:4]))
    assert "virtual_ensembles" not in model.to_blobs()[0]
    assert "virtual_ensembles" not in FAST.to_config()
    with pytest.raises(ValueError, match="iterations / 2"):
        GBMConfig(iterations=10, virtual_ensembles=6)
