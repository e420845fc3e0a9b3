"""The runner's record of one cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from molbridge.benchmarks import runner
from molbridge.benchmarks.suites import get_suite
from molbridge.pipeline.train import TrainConfig, TrainResult


def test_a_resumed_gin_cell_counts_the_training_before_its_interruption(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`seconds` is the cell's whole compute: a resumed cell adds what its earlier runs trained."""

    def resumed_train(config: TrainConfig) -> TrainResult:
        out = Path(config.out)
        out.mkdir(parents=True)
        (out / "config.yaml").write_text(yaml.safe_dump({"task_resolved": {"target_names": ["y"]}}))
        (out / "test_predictions.csv").write_text("smiles,y,y_pred\nCCO,1.0,1.5\nCCN,2.0,2.0\n")
        summary: dict[str, Any] = {
            "members": [{"best_epoch": 3}],
            "epochs": 10,
            "split_sizes": {"train": 8, "valid": 1, "test": 2},
            "earlier_seconds": 3600.0,
        }
        return TrainResult({"rmse": 0.5}, {}, out / "metrics.json", out / "model.ckpt", summary)

    monkeypatch.setattr(runner, "train", resumed_train)
    dataset = next(d for d in get_suite("moleculenet", tmp_path).datasets if d.name == "esol")
    options = runner.BenchmarkOptions(suite="moleculenet", out=str(tmp_path), resume=True)
    record = runner._run_cell(dataset, "gin", 0, tmp_path / "cell", options, {})
    assert 3600.0 <= record["seconds"] < 3660.0
    assert record["test"]["rmse"] == pytest.approx(0.5 / 2**0.5)
