"""The per-molecule feature store: computed once per molecule, found again in any order."""

from pathlib import Path

import numpy as np

from molbridge.data.feature_store import FeatureStore, owner_key


def _counting() -> tuple[list[list[str]], object]:
    calls: list[list[str]] = []

    def compute(smiles: list[str]) -> np.ndarray:
        calls.append(list(smiles))
        return np.array([[len(s), i] for i, s in enumerate(smiles)], dtype=np.float32)[:, :1]

    return calls, compute


def test_rows_follow_the_request_and_each_molecule_is_computed_once(tmp_path: Path) -> None:
    calls, compute = _counting()
    store = FeatureStore(owner_key({"t": 1}), compute, cache_dir=tmp_path)  # type: ignore[arg-type]
    store.remember(["CCO", "C", "CCO", "CCCC"])
    assert sorted(calls[0]) == ["C", "CCCC", "CCO"]
    rows = store.rows(["CCCC", "CCO", "C"])
    np.testing.assert_array_equal(rows[:, 0], [4, 3, 1])
    store.rows(["CCO"])
    assert len(calls) == 1


def test_another_process_reads_the_list_in_another_order_from_disk(tmp_path: Path) -> None:
    calls, compute = _counting()
    first = FeatureStore(owner_key({"t": 1}), compute, cache_dir=tmp_path)  # type: ignore[arg-type]
    first.remember(["CCO", "C", "N"])
    again = FeatureStore(owner_key({"t": 1}), compute, cache_dir=tmp_path)  # type: ignore[arg-type]
    again.remember(["N", "CCO", "C"])  # the train/valid parts of another seed
    assert len(calls) == 1
    np.testing.assert_array_equal(again.rows(["N", "C"])[:, 0], [1, 1])
    other = FeatureStore(owner_key({"t": 2}), compute, cache_dir=tmp_path)  # type: ignore[arg-type]
    other.remember(["N", "CCO", "C"])
    assert len(calls) == 2  # another owner never reads the first one's rows


def test_a_damaged_cache_file_is_recomputed(tmp_path: Path) -> None:
    calls, compute = _counting()
    store = FeatureStore(owner_key({"t": 1}), compute, cache_dir=tmp_path)  # type: ignore[arg-type]
    store.remember(["CCO"])
    (damaged,) = store.folder.glob("*.npy")
    damaged.write_bytes(b"not numpy")
    fresh = FeatureStore(owner_key({"t": 1}), compute, cache_dir=tmp_path)  # type: ignore[arg-type]
    fresh.remember(["CCO"])
    assert len(calls) == 2
    assert fresh.rows(["CCO"])[0, 0] == 3
