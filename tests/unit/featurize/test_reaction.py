import numpy as np
import pytest

from molbridge.chem import InvalidMoleculeError, parse_smiles
from molbridge.data.reactions import load_reactions
from molbridge.featurize import GraphFeaturizer
from molbridge.featurize.graph import BOND_VOCAB
from molbridge.featurize.reaction import (
    InvalidReactionError,
    ReactionFeaturizer,
    merge_graphs,
    split_reaction,
)

F = ReactionFeaturizer()
ATOMIC_NUM = list(F.graph.atom_features).index("atomic_num")
BOND_TYPE = list(F.graph.bond_features).index("bond_type")
ESTERIFICATION = "CC(=O)O.OCC>>CC(=O)OCC.O"


def atomic_nums(x: np.ndarray) -> list[int]:
    return x[:, ATOMIC_NUM].tolist()  # category index = atomic number for 0..118


def test_esterification_sides_by_hand() -> None:
    graphs = F(ESTERIFICATION)
    # acetic acid C C O O (3 bonds) + ethanol O C C (2 bonds)
    assert atomic_nums(graphs.reactants.x) == [6, 6, 8, 8, 8, 6, 6]
    assert graphs.reactants.edge_index.shape == (2, 10)
    # ethanol's bonds O-C, C-C come after acetic acid's 6 edges, shifted by its 4 atoms
    assert graphs.reactants.edge_index[:, 6:].T.tolist() == [[4, 5], [5, 4], [5, 6], [6, 5]]
    assert graphs.reactants.edge_attr.shape == (10, len(F.graph.bond_features))
    # ethyl acetate C C O O C C (5 bonds) + water O (no bonds)
    assert atomic_nums(graphs.products.x) == [6, 6, 8, 8, 6, 6, 8]
    assert graphs.products.edge_index.shape == (2, 10)
    assert graphs.products.edge_index.max() == 5  # water's atom 6 has no edge
    assert graphs.agents is None


def test_sides_are_the_components_graphs_merged() -> None:
    graph = GraphFeaturizer()
    acid, ethanol = graph(parse_smiles("CC(=O)O")), graph(parse_smiles("OCC"))
    merged = F(ESTERIFICATION).reactants
    assert np.array_equal(merged.x, np.concatenate([acid.x, ethanol.x]))
    assert np.array_equal(merged.edge_attr, np.concatenate([acid.edge_attr, ethanol.edge_attr]))
    assert merge_graphs([], 9, 3).x.shape == (0, 9)


def test_agents_with_or_apart_from_reactants() -> None:
    with_pd = "CC(=O)O.OCC>[Pd]>CC(=O)OCC.O"
    together = F(with_pd)
    assert atomic_nums(together.reactants.x) == [6, 6, 8, 8, 8, 6, 6, 46]
    assert together.agents is None
    apart = ReactionFeaturizer(agents_with_reactants=False)(with_pd)
    assert atomic_nums(apart.reactants.x) == [6, 6, 8, 8, 8, 6, 6]
    assert apart.agents is not None and atomic_nums(apart.agents.x) == [46]
    assert ReactionFeaturizer(agents_with_reactants=False)(ESTERIFICATION).agents is None
    assert split_reaction("A.B>C>D") == (["A", "B"], ["C"], ["D"])


def test_suzuki_rows_with_tilde_bonds_parse() -> None:
    rxns = load_reactions("suzuki_miyaura").rxn[:5]
    assert any("~" in r for r in rxns)
    graphs = F.many(rxns)
    assert len(graphs) == 5
    for rxn, g in zip(rxns, graphs, strict=True):
        left, _, right = rxn.split(">")
        n_left = sum(parse_smiles(c).GetNumAtoms() for c in left.split("."))
        assert g.reactants.x.shape[0] == n_left
        assert g.products.x.shape[0] == parse_smiles(right).GetNumAtoms()
        assert 46 in atomic_nums(g.reactants.x)  # Pd(OAc)2 or another Pd source
    # `~` is RDKit's UNSPECIFIED bond: the bond type's trailing "other" slot
    pd_acetate = F("CC(=O)O~CC(=O)O~[Pd]>>C").reactants
    assert (pd_acetate.edge_attr[:, BOND_TYPE] == len(BOND_VOCAB["bond_type"])).sum() == 4


def test_invalid_component_names_row_and_component() -> None:
    with pytest.raises(InvalidReactionError, match=r"row 1: invalid reactant 'C1CC'") as info:
        F.many(["CCO>>CC=O", "CC.C1CC>>CC"])
    assert isinstance(info.value, InvalidMoleculeError)  # caught by on_invalid handling too
    assert info.value.row == 1 and info.value.smiles == "C1CC" and info.value.side == "reactant"
    with pytest.raises(InvalidReactionError, match="row 0: invalid product 'c1cc'"):
        F.many(["CC>>c1cc"])
    with pytest.raises(InvalidReactionError, match="found 1 '>'"):
        F.many(["CCO>CC"])
    with pytest.raises(InvalidReactionError, match="needs reactants and products"):
        F("CCO>>")
    with pytest.raises(InvalidReactionError, match="stray"):
        F("CCO..C>>CC")


def test_config_round_trip() -> None:
    featurizer = ReactionFeaturizer(GraphFeaturizer(("atomic_num",), ("bond_type",)), False)
    config = featurizer.to_config()
    assert config["name"] == "reaction" and config["graph"]["name"] == "graph"
    assert ReactionFeaturizer.from_config(config) == featurizer
    assert featurizer(ESTERIFICATION).reactants.x.shape == (7, 1)
    with pytest.raises(ValueError, match="not a reaction featurizer"):
        ReactionFeaturizer.from_config(GraphFeaturizer().to_config())
