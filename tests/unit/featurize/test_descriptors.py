import json
import math

import numpy as np
import pytest
from rdkit.Chem import Descriptors

from molbridge.chem import InvalidMoleculeError, parse_smiles
from molbridge.featurize import descriptors as descriptors_module
from molbridge.featurize.descriptors import DescriptorFeaturizer

SMILES = ["CCO", "c1ccccc1", "CC(=O)Nc1ccc(O)cc1", "CCCCCCCCCC", "OC(=O)c1ccccc1O", "CN1CCCC1"]


def test_default_is_every_rdkit_descriptor_in_rdkit_order() -> None:
    featurizer = DescriptorFeaturizer()
    assert featurizer.names == tuple(name for name, _ in Descriptors._descList)
    assert featurizer.n_descriptors == len(Descriptors._descList) > 100


def test_known_values_by_name_and_column_order() -> None:
    featurizer = DescriptorFeaturizer(names=("RingCount", "MolWt", "NumHDonors"))
    ethanol = featurizer(parse_smiles("CCO"))
    assert ethanol.dtype == np.float64 and ethanol.shape == (3,)
    assert ethanol[1] == pytest.approx(46.07, abs=0.01)  # C2H6O
    assert ethanol[2] == 1  # the hydroxyl
    assert ethanol[0] == 0
    full = DescriptorFeaturizer()
    benzene = full(parse_smiles("c1ccccc1"))
    assert benzene[full.names.index("RingCount")] == 1
    assert benzene[full.names.index("NumHDonors")] == 0


def test_many_matches_call_and_names_an_invalid_row() -> None:
    featurizer = DescriptorFeaturizer(names=("MolWt", "TPSA"))
    raw = featurizer.many(SMILES[:3])
    assert raw.shape == (3, 2)
    assert np.array_equal(raw[2], featurizer(parse_smiles(SMILES[2])))
    with pytest.raises(InvalidMoleculeError, match="row 1"):
        featurizer.many(["CCO", "C1CC", "CCN"])


def test_unknown_and_repeated_names_raise_listing_valid_ones() -> None:
    with pytest.raises(ValueError, match="MolWt"):  # the valid list names it
        DescriptorFeaturizer(names=("MolWt", "NotADescriptor"))
    with pytest.raises(ValueError, match="repeat"):
        DescriptorFeaturizer(names=("MolWt", "MolWt"))


def test_failing_or_infinite_descriptor_is_nan_not_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(mol: object) -> float:
        raise ValueError("no parameters for this atom")

    functions = {"MolWt": Descriptors.MolWt, "Fails": fails, "Inf": lambda mol: math.inf}
    monkeypatch.setattr(descriptors_module, "_descriptor_functions", lambda: functions)
    values = DescriptorFeaturizer(names=("Fails", "MolWt", "Inf"))(parse_smiles("CCO"))
    assert np.isnan(values[0]) and np.isnan(values[2])
    assert values[1] == pytest.approx(46.07, abs=0.01)


def test_real_rdkit_failure_is_nan() -> None:
    # BCUT2D needs bonds: a salt of two single ions has none
    featurizer = DescriptorFeaturizer(names=("BCUT2D_MWHI", "MolWt"))
    values = featurizer(parse_smiles("[Na+].[Cl-]"))
    assert np.isnan(values[0]) and values[1] == pytest.approx(58.44, abs=0.01)


def test_fit_transform_is_finite_bounded_and_missing_is_the_median() -> None:
    featurizer = DescriptorFeaturizer(clip=5.0)
    raw = featurizer.many(SMILES)
    fitted = featurizer.fit(raw)
    assert fitted.is_fitted and not featurizer.is_fitted  # fit returns a copy
    values, missing = fitted.transform_with_mask(raw)
    assert values.dtype == np.float32 and values.shape == raw.shape
    assert np.isfinite(values).all() and np.abs(values).max() <= 5.0
    assert not missing.any()
    # one molecule's MolWt missing -> 0 (= the median) and flagged; the rest unchanged
    raw_missing = raw.copy()
    column = fitted.names.index("MolWt")
    raw_missing[0, column] = np.nan
    raw_missing[1, column] = np.inf
    values2, missing2 = fitted.transform_with_mask(raw_missing)
    assert values2[0, column] == 0 and values2[1, column] == 0
    assert missing2[0, column] and missing2[1, column] and missing2.sum() == 2
    assert np.array_equal(values2[2:], values[2:])
    assert np.array_equal(fitted.transform(raw[0]), values[0])  # one row, [n_descriptors]


def test_statistics_are_median_iqr_robust_and_clipped() -> None:
    featurizer = DescriptorFeaturizer(names=("MolWt", "NumHDonors", "RingCount"), clip=5.0)
    raw = np.array(
        [
            [100.0, 0.0, 1.0],
            [200.0, 0.0, 1.0],
            [300.0, 0.0, 1.0],
            [400.0, 0.0, 1.0],
            [500.0, 1.0, 1.0],
            [1.0e9, 0.0, 1.0],  # a heavy tail does not move the statistics much
        ]
    )
    fitted = featurizer.fit(raw)
    assert fitted.center is not None and fitted.scale is not None
    assert fitted.center[0] == pytest.approx(350.0)
    q25, q75 = np.quantile(raw[:, 0], [0.25, 0.75])
    assert fitted.scale[0] == pytest.approx((q75 - q25) / 1.349, rel=1e-3)
    assert fitted.scale[1] > 0  # IQR 0 but not constant: a fallback scale, not 1
    assert fitted.scale[2] == 1.0  # constant on the fit rows
    out = fitted.transform(np.array([[1.0e9, 1.0, 3.0], [350.0, 0.0, 1.0]]))
    assert out[0, 0] == 5.0  # the outlier is clipped
    assert 0 < out[0, 1] <= 5.0
    assert out[0, 2] == 2.0  # (3 - 1) / 1
    assert np.array_equal(out[1], [0.0, 0.0, 0.0])


def test_an_all_missing_column_fits_to_center_0_scale_1() -> None:
    featurizer = DescriptorFeaturizer(names=("MolWt", "TPSA"))
    raw = np.array([[46.0, np.nan], [78.0, np.nan], [60.0, np.nan]])
    fitted = featurizer.fit(raw)
    assert fitted.center is not None and fitted.scale is not None
    assert fitted.center[1] == 0.0 and fitted.scale[1] == 1.0
    assert np.isfinite(fitted.transform(raw)).all()


def test_fitted_statistics_survive_the_config_round_trip() -> None:
    featurizer = DescriptorFeaturizer(names=("MolWt", "TPSA", "NumHDonors"), clip=3.0)
    config = featurizer.to_config()
    assert config["name"] == "rdkit-descriptors" and config["center"] is None
    assert DescriptorFeaturizer.from_config(config) == featurizer
    raw = featurizer.many(SMILES)
    fitted = featurizer.fit(raw)
    fitted_config = json.loads(json.dumps(fitted.to_config()))  # as a checkpoint stores it
    assert isinstance(fitted_config["center"], list) and isinstance(fitted_config["names"], list)
    rebuilt = DescriptorFeaturizer.from_config(fitted_config)
    assert rebuilt == fitted
    assert rebuilt.names == ("MolWt", "TPSA", "NumHDonors")
    assert np.array_equal(rebuilt.transform(raw), fitted.transform(raw))


def test_transform_before_fit_and_bad_shapes_raise() -> None:
    featurizer = DescriptorFeaturizer(names=("MolWt", "TPSA"))
    with pytest.raises(RuntimeError, match="not fitted"):
        featurizer.transform(np.zeros((2, 2)))
    fitted = featurizer.fit(np.array([[46.0, 20.0], [78.0, 0.0]]))
    with pytest.raises(ValueError, match=r"\[n, 2\]"):
        fitted.transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="center and scale"):
        DescriptorFeaturizer(names=("MolWt",), center=(1.0,))
    with pytest.raises(ValueError, match="scale"):
        DescriptorFeaturizer(names=("MolWt",), center=(1.0,), scale=(0.0,))


def test_fragment_counts_are_rdkit_fr_descriptors() -> None:
    from rdkit import Chem

    from molbridge.featurize import FragmentCountFeaturizer

    featurizer = FragmentCountFeaturizer()
    assert featurizer.n_fragments == 85 and all(n.startswith("fr_") for n in featurizer.names)
    mol = Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1")  # paracetamol: an amide, a phenol
    row = featurizer(mol)
    assert row is not None and row.dtype == np.float32
    counts = dict(zip(featurizer.names, row.tolist(), strict=True))
    assert counts["fr_amide"] == Descriptors.fr_amide(mol) == 1
    assert counts["fr_phenol"] == 1 and counts["fr_benzene"] == 1
