import json
from pathlib import Path

import numpy as np
import pytest

from molbridge.chem import InvalidMoleculeError
from molbridge.data.image_cache import ImageCache
from molbridge.featurize.image import ImageFeaturizer

SMILES = ["CCO", "c1ccccc1", "CC(=O)Nc1ccc(O)cc1"]
SMALL = ImageFeaturizer(size=48)


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts RDKit drawings (one per call of the featurizer's draw function)."""
    calls: list[int] = []
    original = ImageFeaturizer.draw_png

    def counting(self: ImageFeaturizer, mol: object) -> bytes:
        calls.append(1)
        return original(self, mol)  # type: ignore[arg-type]

    monkeypatch.setattr(ImageFeaturizer, "draw_png", counting)
    return calls


def test_first_call_renders_second_call_reopens_without_drawing(
    tmp_path: Path, draws: list[int]
) -> None:
    cache = ImageCache(tmp_path / "images", SMALL, progress=False)
    images = cache.load(SMILES)
    assert len(draws) == 3
    assert isinstance(images, np.memmap) and not images.flags.writeable
    assert images.shape == (3, 3, 48, 48) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, SMALL.many(SMILES))
    draws.clear()
    again = ImageCache(tmp_path / "images", ImageFeaturizer(size=48), progress=False).load(SMILES)
    assert draws == []  # a hit does no RDKit work
    np.testing.assert_array_equal(again, images)
    sidecar = json.loads((tmp_path / "images" / "images.json").read_text())
    assert sidecar["rows"] == 3 and sidecar["featurizer"] == SMALL.to_config()
    assert len(sidecar["smiles_sha256"]) == 64


def test_changed_smiles_or_config_rebuilds(tmp_path: Path, draws: list[int]) -> None:
    ImageCache(tmp_path, SMALL, progress=False).load(SMILES)
    draws.clear()
    reordered = ImageCache(tmp_path, SMALL, progress=False).load(SMILES[::-1])
    assert len(draws) == 3
    np.testing.assert_array_equal(reordered, SMALL.many(SMILES[::-1]))
    draws.clear()
    gray = ImageFeaturizer(size=48, grayscale=True)
    images = ImageCache(tmp_path, gray, progress=False).load(SMILES[::-1])
    assert len(draws) == 3 and images.shape == (3, 1, 48, 48)
    # only the final files remain: no temporary leftovers
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images.json", "images.npy"]


def test_invalid_smiles_names_the_row_and_leaves_no_finished_looking_files(
    tmp_path: Path,
) -> None:
    cache = ImageCache(tmp_path, SMALL, progress=False)
    with pytest.raises(InvalidMoleculeError, match="row 2"):
        cache.load(["CCO", "CCN", "C1CC", "CC"])
    assert list(tmp_path.iterdir()) == []


def test_a_crash_while_rendering_keeps_the_old_cache_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ImageCache(tmp_path, SMALL, progress=False)
    old = np.array(cache.load(SMILES))

    def crash(self: ImageFeaturizer, mol: object) -> bytes:
        raise KeyboardInterrupt

    monkeypatch.setattr(ImageFeaturizer, "draw_png", crash)
    with pytest.raises(KeyboardInterrupt):
        cache.load(["CCCC"])
    monkeypatch.undo()
    assert cache.is_current(SMILES) and not cache.is_current(["CCCC"])
    np.testing.assert_array_equal(cache.load(SMILES), old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images.json", "images.npy"]


def test_missing_sidecar_means_rebuild(tmp_path: Path, draws: list[int]) -> None:
    cache = ImageCache(tmp_path, SMALL, progress=False)
    cache.load(SMILES)
    (tmp_path / "images.json").unlink()  # as after a crash between the two renames
    draws.clear()
    cache.load(SMILES)
    assert len(draws) == 3


def test_empty_list(tmp_path: Path) -> None:
    assert ImageCache(tmp_path, SMALL, progress=False).load([]).shape == (0, 3, 48, 48)
