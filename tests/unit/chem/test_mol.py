import math

import pytest

from molbridge.chem import (
    InvalidMoleculeError,
    Standardizer,
    murcko_scaffold,
    parse_many,
    parse_smiles,
)


def test_valid_smiles_parses() -> None:
    mol = parse_smiles("CCO")
    assert mol.GetNumAtoms() == 3


@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty cell"),
        (math.nan, "empty cell"),
        (42, "not text"),
        ("C1CCC", "unclosed ring"),
        ("not_a_smiles", "cannot parse"),
        ("C(C)(C)(C)(C)C", "valence"),
        ("c1cccc1", "kekulize"),
    ],
)
def test_invalid_smiles_names_row_and_string(text: object, reason_part: str) -> None:
    with pytest.raises(InvalidMoleculeError) as info:
        parse_smiles(text, row=7)
    message = str(info.value)
    assert "row 7" in message
    assert repr(text) in message
    assert reason_part in info.value.reason


def test_parse_many_keeps_every_row() -> None:
    rows = list(parse_many(["CCO", "bad(", "", "c1ccccc1"]))
    assert [r for r, _, _ in rows] == [0, 1, 2, 3]
    assert [m is not None for _, m, _ in rows] == [True, False, False, True]
    assert all((m is None) != (e is None) for _, m, e in rows)


def test_standardizer_strips_salts_only_when_asked() -> None:
    salt = parse_smiles("CC(=O)[O-].[Na+]")
    assert Standardizer()(salt).GetNumAtoms() == 5
    kept = Standardizer(largest_fragment=True)(salt)
    assert kept.GetNumAtoms() == 4
    assert Standardizer.from_config(Standardizer(True, True).to_config()) == Standardizer(
        True, True
    )


def test_murcko_scaffold() -> None:
    assert murcko_scaffold(parse_smiles("CCc1ccccc1")) == "c1ccccc1"
    assert murcko_scaffold(parse_smiles("CCCC")) == ""
    assert murcko_scaffold(parse_smiles("O=C(O)C[C@@H]1CCCCC1")) == "C1CCCCC1"


def test_scaffolds_keep_ring_stereo_like_pretrain_gnns_split() -> None:
    cis = murcko_scaffold(parse_smiles("C[C@H]1CC[C@@H](c2ccccc2)CC1"))
    assert cis == murcko_scaffold(parse_smiles("c1ccc(C2CCCCC2)cc1"))  # no ring stereocentre left
    steroid_like = murcko_scaffold(parse_smiles("O=C1CC[C@H]2CCCC[C@@H]2C1"))
    assert "@" in steroid_like
    assert "@" not in murcko_scaffold(
        parse_smiles("O=C1CC[C@H]2CCCC[C@@H]2C1"), include_chirality=False
    )
