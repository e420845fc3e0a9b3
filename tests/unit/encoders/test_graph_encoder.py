import numpy as np
import pytest
import torch

from molbridge.chem import parse_smiles
from molbridge.data.packed import PackedGraphs
from molbridge.encoders import GraphEncoder, GraphEncoderConfig
from molbridge.featurize import GraphFeaturizer

F = GraphFeaturizer()


@pytest.mark.parametrize(
    ("pooling", "queries", "width"),
    [("mean", 1, 16), ("sum", 1, 16), ("max", 1, 16), ("attention", 1, 16), ("attention", 3, 48)],
)
def test_output_shape_and_out_dim(pooling: str, queries: int, width: int) -> None:
    config = GraphEncoderConfig(
        F.atom_dims, F.bond_dims, 3, 16, 0.0, pooling, pooling_queries=queries
    )
    encoder = GraphEncoder(config)
    graphs = PackedGraphs.from_graphs(
        [F(parse_smiles(s)) for s in ["CCO", "[Na+]", "c1ccccc1"]], 9, 3
    )
    b = graphs.collate(np.arange(3))
    out = encoder(b.x, b.edge_index, b.edge_attr, b.batch, b.num_graphs)
    assert out.shape == (3, encoder.out_dim) == (3, width)
    with torch.no_grad():
        fast = encoder.eval().for_inference(torch.float32)
        same = fast(b.x, b.edge_index, b.edge_attr, b.batch, b.num_graphs)
        assert torch.allclose(same, encoder(b.x, b.edge_index, b.edge_attr, b.batch, 3), atol=1e-5)


def test_default_is_hu_et_al_size() -> None:
    encoder = GraphEncoder(GraphEncoderConfig(F.atom_dims, F.bond_dims))
    assert encoder.out_dim == 300 and len(encoder.convs) == 5
    n_params = sum(p.numel() for p in encoder.parameters())
    assert 1.5e6 < n_params < 2.5e6


def test_embedding_does_not_depend_on_batch_neighbours() -> None:
    encoder = GraphEncoder(GraphEncoderConfig(F.atom_dims, F.bond_dims, 2, 16, 0.5)).eval()
    graphs = PackedGraphs.from_graphs(
        [F(parse_smiles(s)) for s in ["CCO", "CCCCN", "c1ccccc1"]], 9, 3
    )
    with torch.no_grad():
        together = graphs.collate(np.arange(3))
        alone = graphs.collate([1])
        a = encoder(together.x, together.edge_index, together.edge_attr, together.batch, 3)[1]
        b = encoder(alone.x, alone.edge_index, alone.edge_attr, alone.batch, 1)[0]
    assert torch.allclose(a, b, atol=1e-5)


def test_config_round_trip_and_validation() -> None:
    config = GraphEncoderConfig(F.atom_dims, F.bond_dims, 4, 64, 0.1, "sum")
    assert GraphEncoderConfig.from_config(config.to_config()) == config
    with pytest.raises(ValueError, match="pooling"):
        GraphEncoderConfig(F.atom_dims, F.bond_dims, pooling="attention-ish")
    with pytest.raises(ValueError, match="atom_dims"):
        GraphEncoder(GraphEncoderConfig())


def test_combination_lookup_equals_the_per_column_sum() -> None:
    from molbridge.nn import CategoricalEmbedding

    torch.manual_seed(0)
    embedding = CategoricalEmbedding(F.bond_dims, 16)
    assert embedding.by_combination
    features = torch.stack([torch.randint(0, d, (64,)) for d in F.bond_dims], dim=1)
    per_column = embedding.table(features + embedding.offsets).sum(dim=1)
    assert torch.allclose(embedding(features), per_column, atol=1e-6)
    grad_lookup = torch.autograd.grad(embedding(features).square().sum(), embedding.table.weight)
    grad_sum = torch.autograd.grad(per_column.square().sum(), embedding.table.weight)
    assert torch.allclose(grad_lookup[0], grad_sum[0], atol=1e-5)
    assert not CategoricalEmbedding(F.atom_dims, 8).by_combination


def _trained_batch_norms(encoder: GraphEncoder, b: object) -> None:
    """Give every batch norm non-trivial running statistics and affine parameters."""
    encoder.train()
    with torch.no_grad():
        for module in encoder.modules():
            if isinstance(module, torch.nn.BatchNorm1d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
                module.momentum = 1.0
        encoder(b.x, b.edge_index, b.edge_attr, b.batch, b.num_graphs)  # type: ignore[attr-defined]
    encoder.eval()


def test_inference_copy_computes_the_same_function() -> None:
    torch.manual_seed(0)
    encoder = GraphEncoder(GraphEncoderConfig(F.atom_dims, F.bond_dims, 3, 32, 0.5))
    smiles = ["CCO", "CCCCN", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "[Na+].[Cl-]"]
    graphs = PackedGraphs.from_graphs([F(parse_smiles(s)) for s in smiles], 9, 3)
    b = graphs.collate(np.arange(len(smiles)))
    _trained_batch_norms(encoder, b)
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    with torch.no_grad():
        reference = encoder(b.x, b.edge_index, b.edge_attr, b.batch, b.num_graphs)
        fp32 = encoder.for_inference(torch.float32)
        bf16 = encoder.for_inference(torch.bfloat16)
        out32 = fp32(b.x, b.edge_index, b.edge_attr, b.batch, b.num_graphs)
        out16 = bf16(b.x, b.edge_index, b.edge_attr, b.batch, b.num_graphs)
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in fp32.modules())
    assert torch.allclose(out32, reference, atol=1e-5)
    assert out16.dtype == torch.bfloat16
    assert torch.allclose(out16.float(), reference, atol=0.05 * reference.abs().max().item())
    # the original is untouched and still trainable in fp32
    assert encoder.activation_dtype is None
    for key, value in encoder.state_dict().items():
        assert torch.equal(value, before[key]), key
