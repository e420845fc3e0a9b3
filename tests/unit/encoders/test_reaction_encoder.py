from dataclasses import replace

import numpy as np
import pytest
import torch

from molbridge.chem import parse_smiles
from molbridge.data.packed import PackedGraphs
from molbridge.data.reactions import pack_reactions
from molbridge.encoders import GraphEncoder, GraphEncoderConfig
from molbridge.encoders.reaction import ReactionEncoder, ReactionEncoderConfig
from molbridge.featurize.reaction import ReactionFeaturizer

F = ReactionFeaturizer()
RXNS = ["CC(=O)O.OCC>>CC(=O)OCC.O", "CCN.O=CC>>CCN=CC.O", "C=C>>CC"]


def graph_config(hidden: int = 16) -> GraphEncoderConfig:
    return GraphEncoderConfig(F.atom_dims, F.bond_dims, num_layers=2, hidden_dim=hidden, dropout=0)


def batch(rxns: list[str] = RXNS):  # type: ignore[no-untyped-def]
    return pack_reactions(F.many(rxns), F).collate(np.arange(len(rxns)))


def swapped(rxns: list[str] = RXNS) -> list[str]:
    return [f"{r.split('>')[2]}>>{r.split('>')[0]}" for r in rxns]


@pytest.mark.parametrize(
    ("combine", "projection", "width"),
    [("concat-diff", None, 48), ("diff", None, 16), ("diff", 8, 8)],
)
def test_output_shape(combine: str, projection: int | None, width: int) -> None:
    encoder = ReactionEncoder(ReactionEncoderConfig(graph_config(), combine, projection))
    b = batch()
    out = encoder(b)
    assert out.shape == (3, encoder.out_dim) == (3, width)


def test_swapping_sides_changes_the_output() -> None:
    b, back = batch(), batch(swapped())
    torch.manual_seed(0)
    concat = ReactionEncoder(ReactionEncoderConfig(graph_config())).eval()
    with torch.no_grad():
        forward, backward = concat(b), concat(back)
    assert not torch.allclose(forward, backward)
    diff = ReactionEncoder(ReactionEncoderConfig(graph_config(), "diff")).eval()
    with torch.no_grad():
        # h_p - h_r flips sign when the sides swap
        assert torch.allclose(diff(b), -diff(back), atol=1e-6)


def test_one_graph_encoder_serves_both_sides() -> None:
    encoder = ReactionEncoder(ReactionEncoderConfig(graph_config())).eval()
    graph_encoders = [m for m in encoder.modules() if isinstance(m, GraphEncoder)]
    assert graph_encoders == [encoder.graph]
    b = batch()
    with torch.no_grad():
        h_r, h_p = encoder.encode_sides(b)
        # each side equals the graph encoder's readout of the side as ONE disconnected graph
        for position, h in ((0, h_r), (2, h_p)):
            for i, rxn in enumerate(RXNS):
                g = PackedGraphs.from_graphs(
                    [F.graph(parse_smiles(rxn.split(">")[position]))], 9, 3
                ).collate(np.arange(1))
                whole = encoder.graph(g.x, g.edge_index, g.edge_attr, g.batch, 1)
                assert torch.allclose(h[i], whole[0], atol=1e-5), (position, i)
        out = encoder(b)
    assert torch.allclose(out, torch.cat([h_r, h_p, h_p - h_r], dim=-1))
    # a given (e.g. pre-trained) graph encoder is shared, not copied
    pretrained = GraphEncoder(graph_config())
    assert ReactionEncoder(ReactionEncoderConfig(graph_config()), pretrained).graph is pretrained
    with pytest.raises(ValueError, match="differs"):
        ReactionEncoder(ReactionEncoderConfig(graph_config(32)), pretrained)


def test_both_sides_train_the_shared_weights() -> None:
    encoder = ReactionEncoder(ReactionEncoderConfig(graph_config(), "diff"))
    b = batch()
    encoder(b).pow(2).sum().backward()
    grad = encoder.graph.atom_embedding.table.weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_config_round_trip_and_validation() -> None:
    config = ReactionEncoderConfig(graph_config(), "diff", 32)
    assert ReactionEncoderConfig.from_config(config.to_config()) == config
    assert config.to_config()["graph"]["name"] == "gin"
    with pytest.raises(ValueError, match="combine"):
        ReactionEncoderConfig(graph_config(), "sum")
    with pytest.raises(ValueError, match="pooling"):
        ReactionEncoderConfig(replace(graph_config(), pooling="max"))
