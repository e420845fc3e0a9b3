"""Readouts: shapes, PyG equivalence, padding never leaks between graphs, learned queries."""

import pytest
import torch
from torch_geometric.nn import global_add_pool, global_max_pool, global_mean_pool

from molbridge.nn.readout import Readout


def _atoms() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    return torch.randn(9, 8), torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2])


@pytest.mark.parametrize(
    ("name", "pool"),
    [("mean", global_mean_pool), ("sum", global_add_pool), ("max", global_max_pool)],
)
def test_plain_readouts_are_pyg_pooling(name: str, pool: object) -> None:
    h, batch = _atoms()
    assert torch.allclose(Readout(name, 8)(h, batch, 3), pool(h, batch, size=3))  # type: ignore[operator]


@pytest.mark.parametrize("queries", [1, 3])
def test_attention_gives_one_embedding_per_query(queries: int) -> None:
    h, batch = _atoms()
    readout = Readout("attention", 8, queries=queries, heads=2)
    out = readout(h, batch, 3)
    assert out.shape == (3, 8 * queries) and readout.out_dim == 8 * queries
    assert readout.per_query(out).shape == (3, queries, 8)
    assert torch.isfinite(out).all()


def test_attention_masks_padding_a_graph_ignores_its_batch_mates() -> None:
    # a graph's embedding must not change when a larger graph joins the batch (its padded
    # slots are masked)
    h, batch = _atoms()
    readout = Readout("attention", 8, queries=2, heads=4).eval()
    alone = readout(h[3:5], torch.zeros(2, dtype=torch.long), 1)
    together = readout(h, batch, 3)[1:2]
    assert torch.allclose(alone, together, atol=1e-6)


def test_attention_queries_are_learned_parameters() -> None:
    readout = Readout("attention", 8, queries=2, heads=2)
    assert sum(p.numel() for p in readout.parameters()) > 0
    assert sum(p.numel() for p in Readout("mean", 8).parameters()) == 0
    with pytest.raises(ValueError, match="heads dividing"):
        Readout("attention", 8, queries=1, heads=3)
    with pytest.raises(ValueError, match="unknown pooling"):
        Readout("median", 8)


def test_softmax_combine_mixes_the_channels_by_learned_weights() -> None:
    h, batch = _atoms()
    readout = Readout("attention", 8, queries=3, heads=2, combine="softmax", temperature=0.5)
    assert readout.out_dim == 8
    channels = readout.channels(h, batch, 3)
    assert channels.shape == (3, 3, 8)
    # at the start the weights are equal: the channels' mean
    assert torch.allclose(readout(h, batch, 3), channels.mean(1), atol=1e-6)
    with torch.no_grad():
        assert readout.channel_logits is not None
        readout.channel_logits.copy_(torch.tensor([1.0, 0.0, -1.0]))
    weights = readout.channel_weights()
    assert torch.allclose(weights, torch.softmax(torch.tensor([2.0, 0.0, -2.0]), 0))
    expected = (channels * weights.view(1, 3, 1)).sum(1)
    assert torch.allclose(readout(h, batch, 3), expected, atol=1e-6)
    readout(h, batch, 3).sum().backward()
    assert readout.channel_logits.grad is not None


def test_concatenated_channels_have_no_weights_and_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="no channel weights"):
        Readout("attention", 8, queries=2, heads=2).channel_weights()
    with pytest.raises(ValueError, match="unknown channel combination"):
        Readout("attention", 8, queries=2, heads=2, combine="max")
    with pytest.raises(ValueError, match="temperature must be positive"):
        Readout("attention", 8, queries=2, heads=2, combine="softmax", temperature=0.0)
