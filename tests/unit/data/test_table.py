from pathlib import Path

import numpy as np
import pytest

import molbridge.data.table as table_module
from molbridge.chem import InvalidMoleculeError
from molbridge.data import registry
from molbridge.data.table import load_table
from molbridge.featurize import GraphFeaturizer

F = GraphFeaturizer()


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(text)
    return path


def test_invalid_smiles_raises_with_row_line_and_string(tmp_path: Path) -> None:
    path = _csv(tmp_path, "smiles,y\nCCO,1\nC1CC,0\nCCN,1\n")
    with pytest.raises(InvalidMoleculeError) as info:
        load_table(path, "smiles", ["y"], F, cache_dir=tmp_path)
    message = str(info.value)
    assert "row 1" in message and "'C1CC'" in message and "line 3" in message


def test_skip_lists_invalid_rows_and_keeps_the_rest(tmp_path: Path) -> None:
    path = _csv(tmp_path, "smiles,y\nCCO,1\nC1CC,0\n,1\nCCN,0\n")
    table = load_table(path, "smiles", ["y"], F, on_invalid="skip", cache_dir=tmp_path)
    assert table.rows.tolist() == [0, 3]
    assert table.y[:, 0].tolist() == [1.0, 0.0]
    assert [(s.row, s.smiles) for s in table.skipped] == [(1, "C1CC"), (2, "")]
    assert "empty" in table.skipped[1].reason


def test_missing_labels_are_nan_and_bad_labels_raise(tmp_path: Path) -> None:
    path = _csv(tmp_path, "smiles,a,b\nCCO,1,\nCCN,,0\n")
    table = load_table(path, "smiles", None, F, cache_dir=tmp_path)
    assert table.target_columns == ("a", "b")
    assert np.isnan(table.y[0, 1]) and np.isnan(table.y[1, 0])
    bad = _csv(tmp_path, "smiles,a\nCCO,1\nCCN,yes\n")
    with pytest.raises(ValueError, match=r"row 1.*'yes'"):
        load_table(bad, "smiles", ["a"], F, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="no SMILES column"):
        load_table(bad, "SMILES", ["a"], F, cache_dir=tmp_path)


def test_second_load_hits_the_cache_and_does_no_rdkit_work(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real, real_scaffold = table_module.parse_many, table_module.murcko_scaffold

    def counting(*args, **kwargs):
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(table_module, "parse_many", counting)
    first = load_table(data_dir / "bbbp_tiny.csv", "smiles", ["p_np"], F, cache_dir=tmp_path)
    assert calls["n"] == 1

    def forbidden(*args, **kwargs):
        raise AssertionError("RDKit was called on a cached file")

    monkeypatch.setattr(table_module, "parse_many", forbidden)
    monkeypatch.setattr(table_module, "murcko_scaffold", forbidden)
    second = load_table(data_dir / "bbbp_tiny.csv", "smiles", ["p_np"], F, cache_dir=tmp_path)
    assert np.array_equal(first.graphs.x, second.graphs.x)
    assert first.scaffolds.tolist() == second.scaffolds.tolist()
    # another featurizer config is another cache entry
    monkeypatch.setattr(table_module, "parse_many", real)
    monkeypatch.setattr(table_module, "murcko_scaffold", real_scaffold)
    other = GraphFeaturizer(("atomic_num",), ("bond_type",))
    smaller = load_table(data_dir / "bbbp_tiny.csv", "smiles", ["p_np"], other, cache_dir=tmp_path)
    assert smaller.graphs.x.shape[1] == 1


def test_bundled_files_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = registry.get_dataset("bbbp")
    assert spec.train_path.exists()
    with pytest.raises(KeyError, match="bundled datasets"):
        registry.get_dataset("no_such_set")
    tampered = tmp_path / "moleculenet"
    tampered.mkdir()
    (tampered / "bbbp.csv").write_text("smiles,p_np\nCCO,1\n")
    (tmp_path / "SHA256SUMS").write_text((registry.BUNDLED_DIR / "SHA256SUMS").read_text())
    monkeypatch.setattr(registry, "BUNDLED_DIR", tmp_path)
    registry._recorded_sums.cache_clear()
    try:
        with pytest.raises(registry.DataIntegrityError, match="changed"):
            registry.verified_path("moleculenet/bbbp.csv")
    finally:
        registry._recorded_sums.cache_clear()


@pytest.mark.parametrize("name", sorted(registry.DATASETS))
def test_every_registered_dataset_is_consistent(name: str) -> None:
    spec = registry.get_dataset(name)
    sums = registry._recorded_sums()
    assert spec.train in sums
    assert spec.test is None or spec.test in sums
    assert spec.task in ("classification", "regression")


def test_aqsoldb_test_rows_rdkit_refuses_are_skipped_and_reported(tmp_path: Path) -> None:
    spec = registry.get_dataset("solubility_aqsoldb")
    assert spec.on_invalid == "skip" and spec.test_path is not None
    table = load_table(
        spec.test_path,
        spec.smiles_column,
        spec.target_columns,
        GraphFeaturizer(),
        on_invalid="skip",
        cache_dir=tmp_path,
    )
    assert [s.row for s in table.skipped] == [1159, 1160]
    assert len(table.smiles) == 1995
