"""Scaffold featurizer: the flagged atoms are the molecule's Bemis–Murcko scaffold."""

import numpy as np
import pytest
from rdkit import Chem

from molbridge.chem.scaffold import murcko_scaffold
from molbridge.featurize import ECFPFeaturizer, ScaffoldFeaturizer


@pytest.mark.parametrize(
    "smiles",
    ["CCOc1ccc(CC(=O)N2CCCC2)cc1C", "O=C1CCCCC1CCN", "Cc1ccccc1-c1ccncc1Cl", "C1CC1C(F)(F)F"],
)
def test_the_flagged_atoms_are_the_scaffold(smiles: str) -> None:
    mol = Chem.MolFromSmiles(smiles)
    featurizer = ScaffoldFeaturizer(n_bits=256, max_atoms=64)
    row = featurizer(mol)
    assert row is not None and row.shape == (320,) and row.dtype == np.uint8
    atoms = [int(i) for i in np.flatnonzero(row[256:])]
    cut = Chem.MolFragmentToSmiles(mol, atomsToUse=atoms, canonical=True)
    assert Chem.CanonSmiles(cut) == Chem.CanonSmiles(murcko_scaffold(mol))
    scaffold = Chem.MolFromSmiles(murcko_scaffold(mol))
    assert np.array_equal(row[:256], ECFPFeaturizer(2, 256)(scaffold))


def test_an_acyclic_molecule_has_an_empty_scaffold_and_a_large_one_no_row() -> None:
    featurizer = ScaffoldFeaturizer(n_bits=64, max_atoms=8)
    assert not featurizer(Chem.MolFromSmiles("CCCCO")).any()  # type: ignore[union-attr]
    assert featurizer(Chem.MolFromSmiles("c1ccccc1CCCC")) is None  # 10 atoms > 8 flags
    with pytest.raises(ValueError, match="max_atoms"):
        ScaffoldFeaturizer(max_atoms=0)
