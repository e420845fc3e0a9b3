"""The boosted-tree feature set: its columns, and the documented policy for missing values."""

import math

import numpy as np
import pytest

from molbridge.featurize import descriptors as descriptors_module
from molbridge.featurize.tabular import ERG_SIZE, TabularFeaturizer

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O"]


def test_columns_are_ecfp_avalon_erg_then_descriptors() -> None:
    featurizer = TabularFeaturizer()
    x = featurizer.many(SMILES)
    n_descriptors = len(featurizer.descriptors)
    assert x.shape == (3, 1024 + 1024 + ERG_SIZE + n_descriptors)
    assert x.dtype == np.float32
    assert len(featurizer.names) == x.shape[1]
    # counts, not bits: benzene ring carbons repeat the same radius-0 environment
    assert x[1, :1024].max() > 1
    assert (x[:, :2048] >= 0).all() and (x[:, :2048] <= 255).all()
    weight = featurizer.names.index("MolWt")
    assert x[0, weight] == pytest.approx(46.07, abs=0.01)


def test_config_round_trip_keeps_the_descriptor_order() -> None:
    featurizer = TabularFeaturizer(ecfp_bits=64, avalon_bits=32, descriptors=("TPSA", "MolWt"))
    again = TabularFeaturizer.from_config(featurizer.to_config())
    assert again == featurizer
    assert again.names[-2:] == ["TPSA", "MolWt"]


def test_missing_descriptors_are_nan_and_huge_ones_are_clipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Policy: a descriptor that raises or is not finite is NaN (never 0); a finite value beyond
    float32 is clipped, so the float32 matrix holds no infinity."""

    def fails(mol: object) -> float:
        raise RuntimeError("no parameters")

    functions = {
        "Fails": fails,
        "Infinite": lambda mol: math.inf,
        "Huge": lambda mol: 1e40,
        "Atoms": lambda mol: float(mol.GetNumAtoms()),
    }
    monkeypatch.setattr(descriptors_module, "_descriptor_functions", lambda: functions)
    featurizer = TabularFeaturizer(ecfp_bits=8, avalon_bits=8, descriptors=tuple(functions))
    x = featurizer.many(["CCO"])
    fails_at, inf_at, huge_at, atoms_at = range(8 + 8 + ERG_SIZE, x.shape[1])
    assert np.isnan(x[0, fails_at]) and np.isnan(x[0, inf_at])
    assert np.isfinite(x[0, huge_at]) and x[0, huge_at] > 1e38
    assert x[0, atoms_at] == 3.0


def test_an_invalid_smiles_names_its_row() -> None:
    with pytest.raises(ValueError, match="row 1"):
        TabularFeaturizer().many(["CCO", "not a smiles"])
