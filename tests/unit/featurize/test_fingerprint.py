"""ECFP environments: which atoms set each bit of the count vector."""

import numpy as np
from rdkit import Chem

from molbridge.featurize.fingerprint import ECFPFeaturizer


def test_every_count_is_one_environment_and_environments_grow_with_radius() -> None:
    mol = Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O")
    featurizer = ECFPFeaturizer(2, 1024, counts=True)
    counts = featurizer(mol)
    environments = featurizer.atom_environments(mol)
    assert sorted(environments) == np.flatnonzero(counts).tolist()
    assert all(len(environments[b]) == counts[b] for b in environments)
    sizes = sorted({len(atoms) for places in environments.values() for atoms in places})
    assert sizes[0] == 1 and sizes[-1] > 3  # radius 0 is the atom alone; radius 2 reaches out
    assert all(max(a) < mol.GetNumAtoms() for p in environments.values() for a in p)


def test_the_methyl_carbon_at_radius_zero_is_that_atom_alone() -> None:
    mol = Chem.MolFromSmiles("CO")
    environments = ECFPFeaturizer(0, 2048, counts=True).atom_environments(mol)
    assert sorted(a for places in environments.values() for a in places) == [(0,), (1,)]
