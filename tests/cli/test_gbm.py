"""`molbridge train --model gbm` on a user's CSV, then predict and embed as for the GIN."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from molbridge.cli.main import GBMLoss, app
from molbridge.estimators.gbm import LOSS_CHOICES
from molbridge.io import load_bundle

runner = CliRunner()
DATA = Path(__file__).parents[1] / "data"
FAST = ["--gbm-iterations", "60", "--no-progress"]


def _invoke(*args: object) -> object:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module", params=["plain", "random-init"])
def gbm_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp(f"gbm-{request.param}")
    init = ["--init", "random"] if request.param == "random-init" else []
    result = _invoke(
        "train", "--model", "gbm", "--data", DATA / "esol_tiny.csv", "--out", out, *init, *FAST
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return out


def test_the_bundle_is_pickle_free_and_predicts_what_training_reported(
    gbm_run: Path, tmp_path: Path
) -> None:
    bundle = load_bundle(gbm_run / "model.ckpt")
    assert bundle.kind == "gbm-model"
    assert all(
        t.dtype.is_floating_point or t.dtype.itemsize == 1 for t in bundle.members[0].values()
    )
    reported = pd.read_csv(gbm_run / "test_predictions.csv")
    reported[["smiles"]].to_csv(tmp_path / "test_smiles.csv", index=False)
    result = _invoke(
        "predict",
        "--model",
        gbm_run / "model.ckpt",
        "--data",
        tmp_path / "test_smiles.csv",
        "--out",
        tmp_path / "again.csv",
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    again = pd.read_csv(tmp_path / "again.csv")
    np.testing.assert_allclose(again["solubility_pred"], reported["solubility_pred"], rtol=1e-6)


def test_rows_in_equal_rows_out_with_invalid_rows_explained(gbm_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "messy.csv"
    result = _invoke(
        "predict", "--model", gbm_run / "model.ckpt", "--data", DATA / "messy.csv", "--out", out
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    messy = pd.read_csv(DATA / "messy.csv", keep_default_na=False)
    pred = pd.read_csv(out, keep_default_na=False)
    assert list(pred["name"]) == list(messy["name"])
    invalid = pred["error"] != ""
    assert invalid.sum() == 5
    assert (pred.loc[invalid, "solubility_pred"] == "").all()
    # each valid row's prediction is that molecule's alone: no shift from the invalid rows
    alone = tmp_path / "caffeine.csv"
    pd.DataFrame({"smiles": ["Cn1cnc2c1c(=O)n(C)c(=O)n2C"]}).to_csv(alone, index=False)
    _invoke(
        "predict",
        "--model",
        gbm_run / "model.ckpt",
        "--data",
        alone,
        "--out",
        tmp_path / "alone.csv",
    )
    caffeine = pred.loc[pred["name"] == "caffeine", "solubility_pred"].astype(float).item()
    single = pd.read_csv(tmp_path / "alone.csv")["solubility_pred"].item()
    assert caffeine == pytest.approx(single, rel=1e-9)


def test_embed_gives_the_models_input_rows(gbm_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "features.npy"
    result = _invoke(
        "embed", "--model", gbm_run / "model.ckpt", "--data", DATA / "messy.csv", "--out", out
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    rows = np.load(out)
    assert rows.shape[0] == 12
    expected = 1024 + 1024 + 315
    assert rows.shape[1] > expected
    assert np.isnan(rows[1]).all() and not np.isnan(rows[0, :expected]).any()


def test_the_loss_is_chosen_on_valid_unless_asked_and_the_bundle_says_which(
    gbm_run: Path, tmp_path: Path
) -> None:
    metrics = json.loads((gbm_run / "metrics.json").read_text())
    valid = metrics["loss_on_valid"]  # esol: RMSE, lower is better
    chosen = load_bundle(gbm_run / "model.ckpt").extra["gbm"]["regression_loss"]
    assert chosen == min(valid, key=valid.__getitem__) == metrics["gbm"]["regression_loss"]
    out = tmp_path / "rmse"
    result = _invoke(
        "train", "--model", "gbm", "--data", DATA / "esol_tiny.csv", "--out", out,
        "--gbm-loss", "RMSE", *FAST,
    )  # fmt: skip
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert load_bundle(out / "model.ckpt").extra["gbm"]["regression_loss"] == "RMSE"
    assert "loss_on_valid" not in json.loads((out / "metrics.json").read_text())
    bad = _invoke("train", "--model", "gbm", "--data", DATA / "esol_tiny.csv", "--out",
                  tmp_path / "bad", "--gbm-loss", "Huber", *FAST)  # fmt: skip
    assert bad.exit_code != 0 and "Huber" in bad.output  # type: ignore[attr-defined]


def test_the_clis_loss_choice_is_the_estimators_list() -> None:
    # the CLI keeps its own enum (typer needs it without loading CatBoost); it must not drift
    assert tuple(loss.value for loss in GBMLoss) == LOSS_CHOICES
