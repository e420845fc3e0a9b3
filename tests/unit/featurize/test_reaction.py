import numpy as np
import pytest

from molbridge.chem import InvalidMoleculeError, parse_smiles
from molbridge.data.reactions import load_reactions
from molbridge.featurize import GraphFeaturizer
from molbridge.featurize.graph import BOND_VOCAB
from molbridge.featurize.reaction import (
    InvalidReactionError,
    ReactionFeaturizer,
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
    assert graphs.reactants == ("CC(=O)O", "OCC") and graphs.products == ("CC(=O)OCC", "O")
    assert graphs.agents == ()
    # acetic acid C C O O (3 bonds = 6 directed edges), ethanol O C C (2 bonds)
    assert atomic_nums(graphs.graphs["CC(=O)O"].x) == [6, 6, 8, 8]
    assert graphs.graphs["CC(=O)O"].edge_index.shape == (2, 6)
    assert atomic_nums(graphs.graphs["OCC"].x) == [8, 6, 6]
    assert graphs.graphs["O"].edge_index.shape == (2, 0)  # water has no bond


def test_components_are_the_graph_featurizer_s_graphs() -> None:
    graph = GraphFeaturizer()
    acid = graph(parse_smiles("CC(=O)O"))
    featurized = F(ESTERIFICATION).graphs["CC(=O)O"]
    assert np.array_equal(featurized.x, acid.x)
    assert np.array_equal(featurized.edge_attr, acid.edge_attr)


def test_agents_with_or_apart_from_reactants() -> None:
    with_pd = "CC(=O)O.OCC>[Pd]>CC(=O)OCC.O"
    together = F(with_pd)
    assert together.reactants == ("CC(=O)O", "OCC", "[Pd]") and together.agents == ()
    apart = ReactionFeaturizer(agents_with_reactants=False)(with_pd)
    assert apart.reactants == ("CC(=O)O", "OCC") and apart.agents == ("[Pd]",)
    assert atomic_nums(apart.graphs["[Pd]"].x) == [46]
    assert ReactionFeaturizer(agents_with_reactants=False)(ESTERIFICATION).agents == ()
    assert split_reaction("A.B>C>D") == (["A", "B"], ["C"], ["D"])


def test_suzuki_rows_with_tilde_bonds_parse() -> None:
    rxns = load_reactions("suzuki_miyaura").rxn[:5]
    assert any("~" in r for r in rxns)
    graphs = F.many(rxns)
    assert len(graphs) == 5
    for rxn, g in zip(rxns, graphs, strict=True):
        left, _, right = rxn.split(">")
        assert g.reactants == tuple(left.split(".")) and g.products == (right,)
        for c in g.reactants:
            assert g.graphs[c].x.shape[0] == parse_smiles(c).GetNumAtoms()
        # Pd(OAc)2 or another Pd source
        assert any(46 in atomic_nums(g.graphs[c].x) for c in g.reactants)
    # `~` is RDKit's UNSPECIFIED bond: the bond type's trailing "other" slot
    pd_acetate = F("CC(=O)O~CC(=O)O~[Pd]>>C").graphs["CC(=O)O~CC(=O)O~[Pd]"]
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
    assert featurizer(ESTERIFICATION).graphs["OCC"].x.shape == (3, 1)
    with pytest.raises(ValueError, match="not a reaction featurizer"):
        ReactionFeaturizer.from_config(GraphFeaturizer().to_config())
