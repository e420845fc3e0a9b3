import json
from pathlib import Path

import pytest

from molbridge.report.tables import load_runs, markdown_runs_table, mean_std, summarize


def _run(folder: Path, seed: int, auc: float) -> Path:
    folder.mkdir()
    metrics = {
        "seed": seed,
        "valid": {"roc_auc": auc + 0.1},
        "test": {"roc_auc": auc},
        "members": [{"best_epoch": 3}],
        "wall_seconds": 1.0,
    }
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return folder


def test_mean_std_and_table(tmp_path: Path) -> None:
    runs = load_runs([_run(tmp_path / f"s{i}", i, v) for i, v in enumerate([0.6, 0.7, 0.8])])
    mean, std = summarize(runs)["roc_auc"]
    assert mean == pytest.approx(0.7) and std == pytest.approx(0.1)
    assert mean_std([5.0]) == (5.0, 0.0)
    table = markdown_runs_table(runs, scale=100)
    assert "**70.000 ± 10.000**" in table and table.count("\n") == 5
    with pytest.raises(FileNotFoundError, match=r"no metrics\.json"):
        load_runs([tmp_path / "missing"])
