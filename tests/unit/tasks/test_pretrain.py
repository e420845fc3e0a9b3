import numpy as np
import pytest
import torch

from molbridge.chem import parse_smiles
from molbridge.data.packed import PackedGraphs
from molbridge.featurize import GraphFeaturizer
from molbridge.tasks.pretrain import AttrMasking, ContextPred
from molbridge.tasks.pretrain.context_pred import hop_distances
from tests.helpers import small_encoder

F = GraphFeaturizer()
SMILES = ["CCCCCCCCCCO", "c1ccccc1CCCCCCN", "CC(=O)Nc1ccc(O)cc1", "CCCCCCCCCCCCCC", "O"]


def _batch():  # type: ignore[no-untyped-def]
    graphs = PackedGraphs.from_graphs([F(parse_smiles(s)) for s in SMILES], 9, 3)
    return graphs.collate(np.arange(len(SMILES)))


def test_hop_distances_on_a_chain_and_a_second_molecule() -> None:
    b = _batch()
    n = b.x.shape[0]
    counts = torch.bincount(b.batch)
    starts = torch.cumsum(counts, 0) - counts
    dist = hop_distances(b.edge_index, n, starts, max_hops=7)
    first = dist[: counts[0]].tolist()  # decanol from C1: 0, 1, 2, ... along the chain
    assert first == [0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8]  # 11 atoms; 8 = beyond max_hops
    assert dist[starts[4]] == 0  # water: its own source
    assert (dist[starts[1] : starts[2]] <= 8).all()


def test_attr_masking_loss_trains_the_encoder() -> None:
    torch.manual_seed(0)
    task = AttrMasking(small_encoder(F, dropout=0.0))
    loss, logs = task.loss(_batch())
    assert loss.ndim == 0 and loss > 0 and 0.0 <= logs["accuracy"] <= 1.0
    loss.backward()
    assert task.encoder.atom_embedding.table.weight.grad is not None
    # the mask value is each column's last ("other") slot, never a real element
    assert task.mask_values[0] == F.atom_dims[0] - 1


def test_context_prediction_skips_small_molecules_and_trains_both_encoders() -> None:
    torch.manual_seed(0)
    encoder = small_encoder(F, num_layers=5, dropout=0.0)
    context = small_encoder(F, num_layers=3, dropout=0.0)
    task = ContextPred(encoder, context)
    loss, logs = task.loss(_batch())
    assert 0 < logs["molecules"] <= 4  # water (and any molecule without anchors) sits out
    loss.backward()
    assert encoder.atom_embedding.table.weight.grad is not None
    assert context.atom_embedding.table.weight.grad is not None
    with pytest.raises(ValueError, match="r1"):
        ContextPred(small_encoder(F, num_layers=2), context)
