"""Strategy 2's task: per-modality soft-target contrast over the molecules that have the
modality, summed; only the graph side and the heads learn."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from molbridge.chem import parse_smiles
from molbridge.data.batch import MultiViewBatch
from molbridge.data.packed import PackedGraphs
from molbridge.featurize import GraphFeaturizer
from molbridge.nn.losses import soft_target_contrastive
from molbridge.tasks.pretrain.acml import ACMLConfig, ACMLHeads, AsymmetricContrastive
from tests.helpers import small_encoder

F = GraphFeaturizer()
N = 12


def _graphs():  # type: ignore[no-untyped-def]
    smiles = pd.read_csv(Path(__file__).parents[2] / "data" / "bbbp_tiny.csv")["smiles"][:N]
    graphs = PackedGraphs.from_graphs(
        [F(parse_smiles(s)) for s in smiles], len(F.atom_dims), len(F.bond_dims)
    )
    return graphs.collate(np.arange(N))


def _task(**config: object) -> AsymmetricContrastive:
    torch.manual_seed(0)
    task = AsymmetricContrastive(
        small_encoder(F), {"smiles": 16, "spectrum": 8}, ACMLConfig(dropout=0.0, **config)
    )
    return task.eval()  # no dropout: the same batch gives the same loss


def _batch(spectrum_present: torch.Tensor, spectra: torch.Tensor | None = None) -> MultiViewBatch:
    torch.manual_seed(1)
    views = {
        "smiles": torch.randn(N, 16),
        "spectrum": torch.randn(N, 8) if spectra is None else spectra,
    }
    present = {"smiles": torch.ones(N, dtype=torch.bool), "spectrum": spectrum_present}
    return MultiViewBatch(_graphs(), views, present)


def test_the_loss_is_the_sum_of_each_modality_s_soft_target_contrast() -> None:
    task = _task()
    batch = _batch(torch.ones(N, dtype=torch.bool))
    loss, logs = task.loss(batch)
    g = batch.graph
    graph = task.encoder(g.x, g.edge_index, g.edge_attr, g.batch, g.num_graphs)
    expected = 0.0
    for name in ("smiles", "spectrum"):
        heads = task.heads[name]
        assert isinstance(heads, ACMLHeads)
        term = float(
            soft_target_contrastive(heads.graph(graph), heads.modality(batch.views[name])).detach()
        )
        assert logs[name] == pytest.approx(term, rel=1e-5)
        expected += term
    assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_a_molecule_without_the_modality_stays_out_of_its_term() -> None:
    task = _task()
    present = torch.tensor([True] * 9 + [False] * 3)
    spectra = torch.randn(N, 8)
    _, logs = task.loss(_batch(present, spectra))
    # what an absent row holds does not matter
    changed = spectra.clone()
    changed[~present] = 100.0
    _, logs_changed = task.loss(_batch(present, changed))
    assert logs_changed["spectrum"] == pytest.approx(logs["spectrum"], rel=1e-6)
    assert logs["spectrum_rows"] == 9
    # and the term is the contrast over the 9 present molecules alone
    batch = _batch(present, spectra)
    g = batch.graph
    graph = task.encoder(g.x, g.edge_index, g.edge_attr, g.batch, g.num_graphs)
    heads = task.heads["spectrum"]
    assert isinstance(heads, ACMLHeads)
    term = soft_target_contrastive(heads.graph(graph[present]), heads.modality(spectra[present]))
    assert logs["spectrum"] == pytest.approx(float(term), rel=1e-5)


def test_a_modality_with_too_few_molecules_in_the_batch_is_left_out() -> None:
    task = _task(min_rows=4)
    present = torch.tensor([True] * 3 + [False] * 9)
    loss, logs = task.loss(_batch(present))
    assert "spectrum" not in logs and "smiles" in logs
    assert float(loss) == pytest.approx(logs["smiles"], rel=1e-6)
    # no modality at all: a zero loss that still backpropagates (no gradient)
    batch = _batch(torch.zeros(N, dtype=torch.bool))
    batch.present["smiles"] = torch.zeros(N, dtype=torch.bool)
    loss, logs = task.loss(batch)
    assert float(loss) == 0.0 and logs == {}
    loss.backward()


def test_only_the_graph_encoder_and_the_heads_learn() -> None:
    task = _task().train()
    loss, _ = task.loss(_batch(torch.ones(N, dtype=torch.bool)))
    loss.backward()
    names = {n.split(".")[0] for n, p in task.named_parameters() if p.grad is not None}
    assert names == {"encoder", "heads"}
    # the modality side is its stored embedding: the batch's rows get no gradient
    assert all(not v.requires_grad for v in _batch(torch.ones(N, dtype=torch.bool)).views.values())


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="min_rows"):
        ACMLConfig(min_rows=1)
    with pytest.raises(ValueError, match="temperature"):
        ACMLConfig(temperature=0)
    with pytest.raises(ValueError, match="at least one modality"):
        AsymmetricContrastive(small_encoder(F), {})
