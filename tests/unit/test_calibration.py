"""Calibration numbers: they tell a calibrated model from an overconfident one, and an
ensemble whose spread tracks its error from one whose spread does not."""

from pathlib import Path

import numpy as np

from molbridge.report.calibration import calibration_report


def test_reliability_tells_calibrated_from_overconfident(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 4000)
    y = (rng.uniform(0, 1, 4000) < p).astype(float)[:, None]
    calibrated = calibration_report(y, p[None, :, None], "classification", tmp_path / "c.png")
    overconfident = np.where(p > 0.5, 0.99, 0.01)
    over = calibration_report(y, overconfident[None, :, None], "classification", tmp_path / "o.png")
    assert calibrated["kind"] == "reliability" and calibrated["ece"] < 0.05
    assert over["ece"] > 0.15 and over["brier"] > calibrated["brier"]
    assert (tmp_path / "c.png").stat().st_size > 0


def test_missing_labels_stay_out(tmp_path: Path) -> None:
    y = np.array([[1.0, np.nan], [0.0, 1.0], [np.nan, 0.0], [1.0, 1.0]])
    probs = np.full((1, 4, 2), 0.5)
    report = calibration_report(y, probs, "classification", tmp_path / "c.png")
    assert report["n"] == 6


def test_error_vs_spread_follows_an_ensemble_whose_spread_means_something(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 2000
    truth = rng.normal(size=n)
    scale = rng.uniform(0.1, 2.0, n)  # each molecule's own uncertainty
    mean = truth + rng.normal(size=n) * scale
    noise = rng.normal(size=(5, n))
    noise -= noise.mean(0)  # the members average to `mean` exactly
    members = mean[None, :] + noise * scale[None, :]
    good = calibration_report(truth[:, None], members[..., None], "regression", tmp_path / "g.png")
    # the same ensemble means, each molecule given another molecule's spread
    shuffled = mean[None, :] + noise * scale[rng.permutation(n)][None, :]
    bad = calibration_report(truth[:, None], shuffled[..., None], "regression", tmp_path / "b.png")
    assert good["kind"] == "error_vs_spread" and good["spearman_error_spread"] > 0.3
    assert abs(bad["spearman_error_spread"]) < 0.1
    assert len(good["bins"]) == 5 and good["bins"][0]["rmse"] < good["bins"][-1]["rmse"]
    # one regression model has no spread: nothing to judge, no plot
    assert (
        calibration_report(truth[:, None], members[:1, :, None], "regression", tmp_path / "x.png")
        == {}
    )
    assert not (tmp_path / "x.png").exists()
