"""Boosted trees per task: missing values, log targets, constant tasks, pickle-free round trip."""

from dataclasses import replace

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
    # the recipe's log10(1 + value): a zero is a value, a negative one is refused
    task = fit_gbm(x, np.r_[0.0, values[1:]][:, None], "regression", 0, FAST, True).tasks[0]
    assert task.log_shift == 1.0
    np.testing.assert_allclose(task.mean, np.log10(1.0 + np.r_[0.0, values[1:]]).mean())
    with pytest.raises(ValueError, match=">= 0"):
        fit_gbm(x, -values[:, None], "regression", 0, FAST, log_target=True)


def test_a_bundle_from_before_the_shift_was_recorded_reads_log10_of_the_value() -> None:
    x, y = _data()
    model = fit_gbm(x, (10.0 ** (y / 2))[:, None], "regression", 0, FAST, log_target=True)
    facts, blobs = model.to_blobs()
    assert facts["tasks"][0]["log_shift"] == 1.0
    del facts["tasks"][0]["log_shift"]  # as written before: the trees regressed log10(value)
    older = GBMModel.from_blobs(facts, blobs)
    np.testing.assert_allclose(older.predict(x[:5]), model.predict(x[:5]) + 1.0, rtol=1e-12)


def test_the_recipe_is_the_published_entrys() -> None:
    x, y = _data()
    regressor = fit_gbm(x, y[:, None], "regression", 0, FAST).models[0]
    classifier = fit_gbm(x, (y > 0)[:, None].astype(float), "classification", 0, FAST).models[0]
    assert regressor is not None and classifier is not None
    assert regressor.get_params()["loss_function"] == "MAE"
    assert regressor.get_params()["random_strength"] == 2.0
    assert classifier.get_params()["random_strength"] == 2.0
    squared = GBMConfig(100, threads=1, regression_loss="RMSE")
    rmse = fit_gbm(x, y[:, None], "regression", 0, squared)
    assert rmse.models[0] is not None and rmse.models[0].get_params()["loss_function"] == "RMSE"
    with pytest.raises(ValueError, match="one of MAE, RMSE"):
        GBMConfig(regression_loss="Huber")


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
    y[150:] += np.random.default_rng(1).normal(size=50) * np.abs(x[150:, 2]) * 2
    plain = fit_gbm(x[:150], y[:150, None], "regression", 0, GBMConfig(iterations=100, threads=1))
    config = GBMConfig(iterations=100, threads=1, virtual_ensembles=5)
    model = fit_gbm(x[:150], y[:150, None], "regression", 0, config)
    # the predictions are the plain model's; the spread comes from a second model beside it
    np.testing.assert_array_equal(model.predict(x[150:]), plain.predict(x[150:]))
    spread = model.predict_spread(x[150:])
    assert spread.shape == (50, 1) and (spread > 0).all()
    far = model.predict_spread(x[150:] * 6.0)  # far outside the fitted range
    assert far.mean() > spread.mean()
    facts, blobs = model.to_blobs()
    assert facts["virtual_ensembles"] == 5 and len(blobs) == 2
    again = GBMModel.from_blobs(facts, blobs)
    np.testing.assert_allclose(again.predict_spread(x[150:]), spread)
    np.testing.assert_array_equal(again.predict(x[150:]), plain.predict(x[150:]))
    with pytest.raises(ValueError, match="without --ensemble"):
        plain.predict_spread(x[:3])


def test_the_spread_learns_where_the_data_are_noisy() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(600, 3)).astype(np.float32)
    noise = np.where(x[:, 1] > 0, 1.0, 0.05)  # one half of the space is noisy
    y = x[:, 0] + noise * rng.normal(size=600)
    config = GBMConfig(iterations=200, threads=1, virtual_ensembles=4)
    spread = fit_gbm(x[:500], y[:500, None], "regression", 0, config).predict_spread(x[500:])
    noisy = x[500:, 1] > 0
    assert spread[noisy].mean() > 3 * spread[~noisy].mean()


def test_a_log_target_spread_is_in_the_users_units() -> None:
    x, y = _data(160)
    config = GBMConfig(iterations=60, threads=1, virtual_ensembles=3)
    model = fit_gbm(x, 10.0 ** (y[:, None] / 2), "regression", 0, config, log_target=True)
    spread, values = model.predict_spread(x[:10])[:, 0], model.predict(x[:10])[:, 0]
    # first order: ln 10 x (value + 1) x the spread of log10(1 + value)
    total = model.spread_models[0].virtual_ensembles_predict(
        x[:10], prediction_type="TotalUncertainty", virtual_ensembles_count=3
    )
    log_spread = np.sqrt(total[:, 1] + total[:, 2]) * model.tasks[0].std
    assert (spread > 0).all()
    np.testing.assert_allclose(spread, np.log(10.0) * (values + 1.0) * log_spread, rtol=1e-9)


def test_classification_spread_is_of_probabilities_and_a_constant_task_has_none() -> None:
    x, y = _data(160)
    labels = np.stack([(y > 0).astype(float), np.ones_like(y)], axis=1)
    config = GBMConfig(iterations=60, threads=1, virtual_ensembles=3)
    model = fit_gbm(x, labels, "classification", 0, config)
    spread = model.predict_spread(x[:20])
    assert spread.shape == (20, 2) and (spread[:, 0] >= 0).all() and (spread[:, 0] <= 0.5).all()
    assert spread[:, 0].max() > 0
    np.testing.assert_array_equal(spread[:, 1], 0.0)
    again = GBMModel.from_blobs(*model.to_blobs())
    np.testing.assert_allclose(again.predict_spread(x[:20]), spread)


def test_a_plain_models_config_is_unchanged() -> None:
    x, y = _data()
    model = fit_gbm(x, y[:, None], "regression", 0, FAST)
    assert "virtual_ensembles" not in model.to_blobs()[0] and len(model.to_blobs()[1]) == 1
    assert "virtual_ensembles" not in FAST.to_config()
    with pytest.raises(ValueError, match="iterations / 2"):
        GBMConfig(iterations=10, virtual_ensembles=6)


@pytest.mark.parametrize("metric", ["rmse", "spearman"])
def test_the_loss_chosen_on_valid_is_the_better_there_and_its_model_as_fitted(metric: str) -> None:
    from molbridge.estimators import choose_regression_loss

    x, y = _data(200)
    y = y + np.where(np.arange(200) % 10 == 0, 8.0, 0.0)  # outliers: MAE and RMSE fits differ
    train, valid = slice(0, 150), slice(150, 200)
    choice = choose_regression_loss(
        x[train], y[train, None], x[valid], y[valid, None], 0, metric, FAST
    )
    assert set(choice.valid) == {"MAE", "RMSE"} and choice.valid["MAE"] != choice.valid["RMSE"]
    pick = (min if metric == "rmse" else max)(choice.valid, key=choice.valid.__getitem__)
    assert choice.loss == pick
    again = fit_gbm(x[train], y[train, None], "regression", 0, replace(FAST, regression_loss=pick))
    np.testing.assert_array_equal(choice.model.predict(x[valid]), again.predict(x[valid]))


def test_fit_on_splits_reuses_the_chosen_model_or_refits_where_the_protocol_says() -> None:
    from molbridge.estimators import fit_gbm_on_splits

    x, y = _data(200)
    y = y + np.where(np.arange(200) % 10 == 0, 8.0, 0.0)
    xt, yt, xv, yv = x[:150], y[:150, None], x[150:], y[150:, None]
    kept = fit_gbm_on_splits(xt, yt, xv, yv, "regression", 0, "rmse", FAST)
    assert set(kept.loss_on_valid or {}) == {"MAE", "RMSE"} and kept.fit_rows == 150
    loss = kept.config.regression_loss
    again = fit_gbm(xt, yt, "regression", 0, replace(FAST, regression_loss=loss))
    np.testing.assert_array_equal(kept.model.predict(xv), again.predict(xv))
    refit = fit_gbm_on_splits(xt, yt, xv, yv, "regression", 0, "rmse", FAST, "auto", False, True)
    assert refit.fit_rows == 200 and refit.config.regression_loss == loss
    both = fit_gbm(x, y[:, None], "regression", 0, replace(FAST, regression_loss=loss))
    np.testing.assert_array_equal(refit.model.predict(xv), both.predict(xv))
    ensembled = fit_gbm_on_splits(
        xt, yt, xv, yv, "regression", 0, "rmse", replace(FAST, virtual_ensembles=4)
    )
    assert ensembled.model.virtual_ensembles == 4 and ensembled.config.regression_loss == loss
    pinned = fit_gbm_on_splits(xt, yt, xv, yv, "regression", 0, "rmse", FAST, "MAE")
    assert pinned.loss_on_valid is None and "loss_on_valid" not in pinned.record()
    assert pinned.record()["gbm"]["regression_loss"] == "MAE"
