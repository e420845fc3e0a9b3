import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from molbridge.benchmarks.runner import score
from molbridge.benchmarks.suites import BenchmarkDataset, admet, get_suite, moleculenet


def test_moleculenet_and_admet_protocols() -> None:
    mn = moleculenet()
    assert len(mn.datasets) == 11 and {d.split for d in mn.datasets} == {"scaffold"}
    assert mn.seeds(None) == [0, 1, 2]
    group = admet()
    assert len(group.datasets) == 22 and {d.split for d in group.datasets} == {"tdc-scaffold"}
    assert group.seeds(None) == [1, 2, 3, 4, 5]
    assert {d.metric for d in group.datasets} == {"mae", "spearman", "roc_auc", "auprc"}
    assert [d.name for d in mn.select(["ESOL", "bbbp"])] == ["bbbp", "esol"]
    with pytest.raises(ValueError, match="no dataset"):
        mn.select(["bbbp", "qm9"])
    with pytest.raises(ValueError, match="at least 1"):
        mn.seeds(0)
    with pytest.raises(ValueError, match="unknown benchmark"):
        get_suite("moleculenet2", Path("."))


@pytest.mark.skipif(
    importlib.util.find_spec("MoleculeACE") is None, reason="moleculeace data not installed"
)
def test_moleculeace_suite_uses_the_packaged_split(tmp_path: Path) -> None:
    suite = get_suite("moleculeace", tmp_path)
    assert len(suite.datasets) == 30
    root = Path(importlib.util.find_spec("MoleculeACE").submodule_search_locations[0])  # type: ignore[union-attr]
    for dataset in suite.datasets[:3]:
        source = pd.read_csv(root / "Data" / "benchmark_data" / f"{dataset.name}.csv")
        train, test = pd.read_csv(dataset.data), pd.read_csv(dataset.test)  # type: ignore[arg-type]
        assert len(train) == (source["split"] == "train").sum()
        assert test["smiles"].tolist() == source.loc[source["split"] == "test", "smiles"].tolist()
        assert set(dataset.baseline_params) == {"SVM", "RF"}
        assert dataset.extra_metrics == ("rmse_cliff",)


def test_score_reports_rmse_on_cliff_molecules_only(tmp_path: Path) -> None:
    cliff_file = tmp_path / "test.csv"
    pd.DataFrame({"smiles": ["C"] * 4, "y": [0.0] * 4, "cliff_mol": [1, 0, 0, 1]}).to_csv(
        cliff_file, index=False
    )
    dataset = BenchmarkDataset(
        "x", "regression", "rmse", data="x", split="random",
        extra_metrics=("rmse_cliff",), cliff_file=str(cliff_file),
    )  # fmt: skip
    y = np.zeros((4, 1))
    pred = np.array([[1.0], [3.0], [3.0], [1.0]])
    metrics = score(dataset, y, pred)
    assert metrics["rmse_cliff"] == pytest.approx(1.0)
    assert metrics["rmse"] == pytest.approx(np.sqrt(5.0))
    with pytest.raises(ValueError, match="test rows"):
        score(dataset, y[:3], pred[:3])


def test_parallel_runs_start_the_longest_gin_cells_first(tmp_path: Path) -> None:
    from molbridge.benchmarks.runner import BenchmarkOptions, _expected_cost

    suite = {d.name: d for d in moleculenet().datasets}
    options = BenchmarkOptions("moleculenet", str(tmp_path))
    hiv, tox21 = suite["hiv"], suite["tox21"]  # 41,127 rows gzipped; 7,831 in a plain CSV
    assert _expected_cost(hiv, "gin", options) > _expected_cost(tox21, "gin", options)
    assert _expected_cost(tox21, "gin", options) > _expected_cost(hiv, "ecfp-rf", options)
    options.epochs_by_dataset = {"hiv": 10}
    assert _expected_cost(hiv, "gin", options) < _expected_cost(tox21, "gin", options)


def test_epochs_for_names_are_checked_against_the_suite(tmp_path: Path) -> None:
    from molbridge.benchmarks.runner import BenchmarkOptions, run_benchmark

    out = tmp_path / "run"
    options = BenchmarkOptions("moleculenet", str(out), epochs_by_dataset={"hvi": 20})
    with pytest.raises(ValueError, match=r"--epochs-for: moleculenet has no dataset \['hvi'\]"):
        run_benchmark(options)
    assert not out.exists()  # refused before any work
    options.epochs_by_dataset = {"HIV": 0}
    with pytest.raises(ValueError, match="at least 1"):
        run_benchmark(options)
    options.epochs_by_dataset = {"HIV": 20}
    assert options.epochs_for("hiv") == 20
    assert options.epochs_for("tox21") == options.epochs
