"""An ensemble's uncertainty end to end: `train --ensemble K` writes the calibration check of its
test split, and `predict` adds each target's spread over the members (rows in = rows out)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from molbridge.cli.main import app

DATA = Path(__file__).parents[1] / "data"


def _train(tmp_path: Path, data: str, target: str, ensemble: int) -> Path:
    out = tmp_path / f"{target}-{ensemble}"
    args = ["train", "--data", str(DATA / data), "--target-columns", target, "--epochs", "2"]
    args += ["--ensemble", str(ensemble)]
    result = CliRunner().invoke(app, [*args, "--no-progress", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_a_classification_ensemble_reports_calibration_and_spread(tmp_path: Path) -> None:
    out = _train(tmp_path, "bbbp_tiny.csv", "p_np", 2)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["calibration"]["kind"] == "reliability"
    assert 0.0 <= metrics["calibration"]["ece"] <= 1.0
    assert (out / "calibration.png").stat().st_size > 0
    # each member's own test score beside the ensemble's
    assert [set(m["test"]) for m in metrics["members"]] == [set(metrics["test"])] * 2
    predictions = tmp_path / "pred.csv"
    args = ["predict", "--model", str(out / "model.ckpt"), "--data", str(DATA / "messy.csv")]
    result = CliRunner().invoke(app, [*args, "--out", str(predictions)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(predictions)
    assert len(frame) == len(pd.read_csv(DATA / "messy.csv"))
    valid = frame["error"].isna()
    assert (frame.loc[valid, "p_np_std"] >= 0).all() and frame.loc[valid, "p_np_std"].gt(0).any()
    assert frame.loc[~valid, "p_np_std"].isna().all()


def test_a_regression_ensemble_checks_error_against_spread(tmp_path: Path) -> None:
    out = _train(tmp_path, "esol_tiny.csv", "solubility", 3)
    calibration = json.loads((out / "metrics.json").read_text())["calibration"]
    assert calibration["kind"] == "error_vs_spread"
    assert np.isfinite(calibration["spearman_error_spread"])
    single = _train(tmp_path, "esol_tiny.csv", "solubility", 1)
    assert "calibration" not in json.loads((single / "metrics.json").read_text())
    predictions = tmp_path / "one.csv"
    args = ["predict", "--model", str(single / "model.ckpt"), "--data", str(DATA / "esol_tiny.csv")]
    assert CliRunner().invoke(app, [*args, "--out", str(predictions)]).exit_code == 0
    assert "solubility_std" not in pd.read_csv(predictions).columns  # one model: no spread


def test_a_boosted_model_gets_its_spread_from_virtual_ensembles(tmp_path: Path) -> None:
    gbm = ["--model", "gbm", "--gbm-iterations", "60"]
    out = tmp_path / "gbm"
    args = ["train", "--data", str(DATA / "esol_tiny.csv"), *gbm, "--ensemble", "4"]
    result = CliRunner().invoke(app, [*args, "--no-progress", "--out", str(out)])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["ensemble"] == 4 and metrics["calibration"]["kind"] == "error_vs_spread"
    assert (out / "calibration.png").stat().st_size > 0
    predictions = tmp_path / "pred.csv"
    args = ["predict", "--model", str(out / "model.ckpt"), "--data", str(DATA / "messy.csv")]
    assert CliRunner().invoke(app, [*args, "--out", str(predictions)]).exit_code == 0
    frame = pd.read_csv(predictions)
    valid = frame["error"].isna()
    assert frame.loc[valid, "solubility_std"].gt(0).all()
    assert frame.loc[~valid, "solubility_std"].isna().all()
    # the prediction is the whole model's, as training reported it
    reported = pd.read_csv(out / "test_predictions.csv")
    again = tmp_path / "again.csv"
    reported[["smiles"]].to_csv(tmp_path / "test.csv", index=False)
    args = ["predict", "--model", str(out / "model.ckpt"), "--data", str(tmp_path / "test.csv")]
    assert CliRunner().invoke(app, [*args, "--out", str(again)]).exit_code == 0
    np.testing.assert_allclose(
        pd.read_csv(again)["solubility_pred"], reported["solubility_pred"], rtol=1e-6
    )
    too_many = ["train", "--data", str(DATA / "esol_tiny.csv"), *gbm, "--ensemble", "31"]
    result = CliRunner().invoke(app, [*too_many, "--out", str(tmp_path / "no")])
    assert result.exit_code != 0 and "at most 30" in result.output
