"""Benchmark cells of the fixed-feature models: names, and test labels that cannot leak."""

from pathlib import Path

import numpy as np
import pytest

from molbridge.benchmarks import frozen
from molbridge.benchmarks.runner import BenchmarkOptions, _models, encoder_labels, init_models
from molbridge.benchmarks.suites import BenchmarkDataset
from molbridge.pipeline.data_prep import prepare_data
from molbridge.pipeline.train import TrainConfig

DATA = Path(__file__).parents[2] / "data"


def test_gbm_plus_and_probe_expand_to_every_init_encoder() -> None:
    init = init_models(["am=a.ckpt", "random"])
    assert init == {"gin+am": "a.ckpt", "gin+random": "random"}
    assert encoder_labels(init) == {"am": "a.ckpt", "random": "random"}
    options = BenchmarkOptions("admet", "out", models=["gbm", "gbm+", "probe"], init=init)
    assert _models(options) == ["gbm", "gbm+am", "gbm+random", "probe+am", "probe+random"]
    assert encoder_labels(init_models(["x.ckpt"])) == {"init": "x.ckpt"}
    with pytest.raises(ValueError, match="unknown model"):
        _models(BenchmarkOptions("admet", "out", models=["probe+cp"], init=init))
    with pytest.raises(ValueError, match="every --init encoder"):
        _models(BenchmarkOptions("admet", "out", models=["probe"]))  # no --init: nothing to probe


def _prepared(tmp_path: Path) -> object:
    return prepare_data(
        TrainConfig(data=str(DATA / "bbbp_tiny.csv"), out=str(tmp_path), target_columns=["p_np"])
    )


@pytest.mark.parametrize("model", ["probe+random", "gbm"])
def test_changing_the_test_labels_changes_nothing_but_the_score(model: str, tmp_path: Path) -> None:
    dataset = BenchmarkDataset("bbbp_tiny", "classification", "roc_auc", "x", "scaffold")
    data = _prepared(tmp_path)
    first = frozen.fit_cell(model, dataset, data, 0, {"random": "random"}, False, gbm_iterations=50)  # type: ignore[arg-type]
    test = data.splits.test  # type: ignore[attr-defined]
    test.y[:] = 1.0 - test.y  # every test label flipped
    second = frozen.fit_cell(
        model, dataset, data, 0, {"random": "random"}, False, gbm_iterations=50
    )  # type: ignore[arg-type]
    np.testing.assert_array_equal(first.test_pred, second.test_pred)
    assert first.record == second.record


def test_the_loss_is_chosen_on_valid_where_the_suite_says_and_test_labels_do_not_leak(
    tmp_path: Path,
) -> None:
    dataset = BenchmarkDataset("esol_tiny", "regression", "rmse", "x", "scaffold")
    data = prepare_data(
        TrainConfig(
            data=str(DATA / "esol_tiny.csv"), out=str(tmp_path), target_columns=["solubility"]
        )
    )

    def cell(loss: str) -> frozen.FrozenFit:
        return frozen.fit_cell("gbm", dataset, data, 0, {}, True, gbm_iterations=50, gbm_loss=loss)

    chosen, pinned = cell("auto"), cell("MAE")
    assert set(chosen.record["loss_on_valid"]) == {"MAE", "RMSE"}
    assert "loss_on_valid" not in pinned.record and pinned.record["gbm"]["regression_loss"] == "MAE"
    valid = chosen.record["loss_on_valid"]
    assert chosen.record["gbm"]["regression_loss"] == min(valid, key=valid.__getitem__)
    assert chosen.record["fit_rows"] == len(data.splits.train.y) + len(data.splits.valid.y)
    data.splits.test.y[:] = -data.splits.test.y  # every test label changed
    again = cell("auto")
    np.testing.assert_array_equal(chosen.test_pred, again.test_pred)
    assert chosen.record == again.record
