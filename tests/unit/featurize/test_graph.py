import numpy as np
import pytest

from molbridge.chem import parse_smiles
from molbridge.featurize import GraphFeaturizer
from molbridge.featurize.graph import ATOM_VOCAB, BOND_VOCAB

F = GraphFeaturizer()
A = {name: i for i, name in enumerate(F.atom_features)}
B = {name: i for i, name in enumerate(F.bond_features)}


def value(column: str, index: int, vocab: dict = ATOM_VOCAB) -> object:
    return vocab[column][index]


def test_ethanol_atoms_and_bonds() -> None:
    graph = F(parse_smiles("CCO"))
    assert graph.x.shape == (3, len(ATOM_VOCAB))
    assert [value("atomic_num", i) for i in graph.x[:, A["atomic_num"]]] == [6, 6, 8]
    assert [value("num_hs", i) for i in graph.x[:, A["num_hs"]]] == [3, 2, 1]
    assert [value("degree", i) for i in graph.x[:, A["degree"]]] == [
        4,
        4,
        2,
    ]  # total degree, Hs counted
    assert [value("hybridization", i) for i in graph.x[:, A["hybridization"]]] == ["SP3"] * 3
    assert graph.edge_index.tolist() == [[0, 1, 1, 2], [1, 0, 2, 1]]
    assert {value("bond_type", i, BOND_VOCAB) for i in graph.edge_attr[:, B["bond_type"]]} == {
        "SINGLE"
    }


def test_benzene_is_aromatic_and_in_ring() -> None:
    graph = F(parse_smiles("c1ccccc1"))
    assert (graph.x[:, A["is_aromatic"]] == 1).all()
    assert (graph.x[:, A["is_in_ring"]] == 1).all()
    assert (graph.edge_attr[:, B["bond_type"]] == BOND_VOCAB["bond_type"].index("AROMATIC")).all()
    assert (graph.edge_attr[:, B["is_conjugated"]] == 1).all()
    assert graph.edge_index.shape == (2, 12)


def test_charge_chirality_and_stereo() -> None:
    ammonium = F(parse_smiles("[NH4+]"))
    assert value("formal_charge", ammonium.x[0, A["formal_charge"]]) == 1
    assert value("num_hs", ammonium.x[0, A["num_hs"]]) == 4
    chiral = F(parse_smiles("C[C@H](N)O"))
    assert value("chirality", chiral.x[1, A["chirality"]]) == "CHI_TETRAHEDRAL_CCW"
    mirror = F(parse_smiles("C[C@@H](N)O"))
    assert value("chirality", mirror.x[1, A["chirality"]]) == "CHI_TETRAHEDRAL_CW"
    trans = F(parse_smiles("C/C=C/C"))
    double = trans.edge_attr[trans.edge_attr[:, B["bond_type"]] == 1]
    assert {value("stereo", i, BOND_VOCAB) for i in double[:, B["stereo"]]} == {"STEREOE"}


def test_radical_and_unknown_values_use_the_other_slot() -> None:
    radical = F(parse_smiles("[CH3]"))
    assert value("num_radical_electrons", radical.x[0, A["num_radical_electrons"]]) == 1
    # charge +6 is outside the vocabulary: it maps to the trailing "other" category, not to 0
    odd = F(parse_smiles("[Fe+6]"))
    assert odd.x[0, A["formal_charge"]] == len(ATOM_VOCAB["formal_charge"])


def test_single_atom_has_no_edges() -> None:
    graph = F(parse_smiles("[Na+]"))
    assert graph.x.shape[0] == 1
    assert graph.edge_index.shape == (2, 0)
    assert graph.edge_attr.shape == (0, len(BOND_VOCAB))


def test_dims_cover_every_category() -> None:
    graph = F(parse_smiles("Cn1cnc2c1c(=O)n(C)c(=O)n2C"))
    assert (graph.x < np.array(F.atom_dims)).all()
    assert (graph.edge_attr < np.array(F.bond_dims)).all()


def test_config_round_trip_and_errors() -> None:
    assert GraphFeaturizer.from_config(F.to_config()) == F
    small = GraphFeaturizer(("atomic_num", "chirality"), ("bond_type",))
    assert GraphFeaturizer.from_config(small.to_config()) == small
    assert small(parse_smiles("CCO")).x.shape == (3, 2)
    with pytest.raises(ValueError, match="unknown graph features"):
        GraphFeaturizer(("atomic_mass",))
    with pytest.raises(ValueError, match="version"):
        GraphFeaturizer.from_config({**F.to_config(), "version": 99})
