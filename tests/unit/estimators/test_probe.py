"""The linear probe chooses its strength on validation, and test labels cannot steer it."""

import numpy as np

from molbridge.estimators import fit_probe
from molbridge.estimators.probe import LOGISTIC_C, RIDGE_ALPHAS


def _regression(seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(300, 40))
    w = np.zeros(40)
    w[:3] = (1.0, -1.0, 0.5)
    y = x @ w + 0.3 * rng.normal(size=300)
    return x[:200], y[:200, None], x[200:250], y[200:250, None], x[250:], y[250:, None]


def test_the_choice_is_the_best_on_validation() -> None:
    x_train, y_train, x_valid, y_valid, x_test, _ = _regression()
    result = fit_probe(x_train, y_train, x_valid, y_valid, x_test, "regression", "rmse")
    valid = {float(k): v for k, v in result.valid_by_strength.items()}
    assert set(valid) == set(RIDGE_ALPHAS)
    assert result.chosen == min(valid, key=valid.__getitem__)
    assert result.test_pred.shape == (len(x_test), 1)


def test_validation_labels_move_the_choice_test_labels_cannot() -> None:
    """Valid labels from a model with no signal push the choice to the strongest penalty; the
    same data with the real valid labels chooses a weak one. The probe never receives test
    labels, so two runs with any test labels are the same run."""
    x_train, y_train, x_valid, y_valid, x_test, y_test = _regression()
    real = fit_probe(x_train, y_train, x_valid, y_valid, x_test, "regression", "rmse")
    noise = np.random.default_rng(1).normal(size=y_valid.shape) * 0.01 + y_train.mean()
    flat = fit_probe(x_train, y_train, x_valid, noise, x_test, "regression", "rmse")
    assert real.chosen < flat.chosen == max(RIDGE_ALPHAS)
    # the test predictions at the chosen strength are those of that strength's model
    assert not np.allclose(real.test_pred, flat.test_pred)
    # scoring the test part at every strength would have chosen differently from valid noise:
    # the choice came from valid alone
    test_best = min(
        RIDGE_ALPHAS,
        key=lambda a: fit_probe(
            x_train, y_train, x_test, y_test, x_test, "regression", "rmse"
        ).valid_by_strength[str(a)],
    )
    assert flat.chosen != test_best


def test_classification_masks_missing_labels_per_task() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 10))
    y = np.stack([(x[:, 0] > 0), (x[:, 1] > 0)], axis=1).astype(float)
    y[::4, 1] = np.nan
    result = fit_probe(
        x[:160], y[:160], x[160:200], y[160:200], x[200:], "classification", "roc_auc"
    )
    assert result.chosen in LOGISTIC_C
    assert ((result.test_pred >= 0) & (result.test_pred <= 1)).all()
    truth = y[200:]
    assert ((result.test_pred[:, 0] > 0.5) == (truth[:, 0] > 0.5)).mean() > 0.85


def test_the_joint_fit_is_scikit_learns_logistic_regression_per_task() -> None:
    from sklearn.linear_model import LogisticRegression

    from molbridge.estimators.probe import _classification

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8))
    y = (x[:, :3] + rng.normal(size=(400, 3)) > 0.5).astype(float)
    y[rng.random(y.shape) < 0.3] = np.nan
    joint = _classification(x, y, [x[:50]])
    for c in (LOGISTIC_C[0], LOGISTIC_C[-1]):
        for j in range(3):
            rows = ~np.isnan(y[:, j])
            alone = LogisticRegression(C=c, tol=1e-8, max_iter=5000).fit(x[rows], y[rows, j])
            np.testing.assert_allclose(
                joint[c][0][:, j], alone.predict_proba(x[:50])[:, 1], atol=1e-3
            )
