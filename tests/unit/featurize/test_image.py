import numpy as np
import pytest

from molbridge.chem import InvalidMoleculeError, parse_smiles
from molbridge.featurize.image import ImageFeaturizer

F = ImageFeaturizer()
PARACETAMOL = "CC(=O)Nc1ccc(O)cc1"


def _red(image: np.ndarray) -> np.ndarray:
    return (image[0] > 150) & (image[1] < 100) & (image[2] < 100)


def _blue(image: np.ndarray) -> np.ndarray:
    return (image[2] > 150) & (image[0] < 100)


def test_shape_dtype_and_white_border() -> None:
    image = F(parse_smiles(PARACETAMOL))
    assert image.shape == (3, 128, 128) and image.dtype == np.uint8
    assert image.flags["C_CONTIGUOUS"]
    # padding keeps every edge blank and white
    for edge in (image[:, :3], image[:, -3:], image[:, :, :3], image[:, :, -3:]):
        assert (edge == 255).all()
    assert (image.min(axis=0) < 128).sum() > 100  # and something is drawn


def test_ethane_is_one_horizontal_line_through_the_centre() -> None:
    # canonical orientation puts the C-C bond along x; no atom labels for carbons
    gray = ImageFeaturizer(grayscale=True)(parse_smiles("CC"))
    assert gray.shape == (1, 128, 128)
    rows, cols = np.nonzero(gray[0] < 128)
    assert set(rows.tolist()) <= {62, 63, 64, 65}  # a 2 px line, centred
    assert cols.min() < 30 and cols.max() > 98


def test_element_colours_by_hand() -> None:
    ethane, carbon_dioxide, paracetamol = F.many(["CC", "O=C=O", PARACETAMOL])
    assert not _red(ethane).any() and not _blue(ethane).any()
    assert _red(carbon_dioxide).sum() > 50 and not _blue(carbon_dioxide).any()  # O red
    assert _red(paracetamol).any() and _blue(paracetamol).any()  # O red, N blue


def test_grayscale_is_the_luma_of_the_colour_image() -> None:
    mol = parse_smiles(PARACETAMOL)
    rgb = F(mol).astype(np.float64)
    gray = ImageFeaturizer(grayscale=True)(mol)[0].astype(np.float64)
    luma = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    assert np.abs(gray - luma).max() <= 1.0


def test_deterministic_and_molecules_differ() -> None:
    first = F(parse_smiles(PARACETAMOL))
    again = F(parse_smiles(PARACETAMOL))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, F(parse_smiles("c1ccccc1O")))


def test_input_molecule_is_not_modified() -> None:
    mol = parse_smiles(PARACETAMOL)
    F(mol)
    assert mol.GetNumConformers() == 0


def test_many_stacks_and_names_the_invalid_row() -> None:
    images = ImageFeaturizer(size=64).many(["CCO", "c1ccccc1"])
    assert images.shape == (2, 3, 64, 64) and images.dtype == np.uint8
    assert F.many([]).shape == (0, 3, 128, 128)
    with pytest.raises(InvalidMoleculeError, match="row 1"):
        F.many(["CCO", "C1CC"])


def test_config_round_trip_and_size_check() -> None:
    featurizer = ImageFeaturizer(size=64, grayscale=True)
    config = featurizer.to_config()
    assert config == {"name": "image", "size": 64, "grayscale": True}
    assert ImageFeaturizer.from_config(config) == featurizer
    assert ImageFeaturizer(size=32)(parse_smiles("CC")).shape == (3, 32, 32)
    with pytest.raises(ValueError, match="at least 32"):
        ImageFeaturizer(size=31)


def test_canonical_drawing_is_one_picture_however_the_smiles_is_written() -> None:
    writings = ["OCC(=O)Nc1ccccc1", "c1ccc(NC(=O)CO)cc1", "C(O)C(=O)Nc1ccccc1"]
    canonical = ImageFeaturizer(size=48, canonical=True)
    pictures = canonical.many(writings)
    assert all(np.array_equal(pictures[0], p) for p in pictures[1:])
    plain = ImageFeaturizer(size=48).many(writings)
    assert not all(np.array_equal(plain[0], p) for p in plain[1:])  # the option matters
    assert "canonical" not in ImageFeaturizer().to_config()  # older configs still match
    assert ImageFeaturizer.from_config(canonical.to_config()) == canonical
