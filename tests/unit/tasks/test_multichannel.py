"""Strategy 4's task: the scaffold views keep exactly the scaffold atoms, every channel's term
enters, each prompt learns from its own channel, channels can be dropped, and molecules
without a scaffold stay out of the scaffold term."""

import numpy as np
import pytest
import torch
from rdkit import Chem

from molbridge.chem.scaffold import murcko_scaffold
from molbridge.data.batch import MultiViewBatch
from molbridge.data.table import featurize_smiles
from molbridge.encoders import GraphEncoder, GraphEncoderConfig
from molbridge.featurize import (
    DescriptorFeaturizer,
    ECFPFeaturizer,
    GraphFeaturizer,
    ScaffoldFeaturizer,
)
from molbridge.featurize.descriptors import fragment_names
from molbridge.tasks.pretrain.multichannel import (
    FINGERPRINT_VIEW,
    FRAGMENT_VIEW,
    SCAFFOLD_VIEW,
    MultichannelConfig,
    MultichannelPretraining,
    scaffold_subgraphs,
)

SMILES = [
    "CCOc1ccc(CC(=O)N2CCCC2)cc1C",
    "CCCCO",  # acyclic: no scaffold
    "Cc1ccccc1-c1ccncc1Cl",
    "O=C1CCCCC1CCN",
    "CC(=O)Nc1ccc(O)cc1",
    "c1ccc2ccccc2c1",
    "CN1CCC(CC1)Oc1ccccc1",
    "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
]
SCAFFOLD = ScaffoldFeaturizer(n_bits=64, max_atoms=32)


def _batch(smiles: list[str] = SMILES) -> MultiViewBatch:
    graphs = featurize_smiles(smiles, GraphFeaturizer(), scaffolds=False, progress=False).graphs
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    fingerprints = torch.from_numpy(ECFPFeaturizer(2, 64).many_mols(mols))
    scaffolds = torch.from_numpy(np.stack([SCAFFOLD(m) for m in mols]))
    fragments = torch.from_numpy(
        DescriptorFeaturizer(names=fragment_names()).many_mols(mols).astype(np.float32)
    )
    present = torch.ones(len(smiles), dtype=torch.bool)
    return MultiViewBatch(
        graphs.collate(np.arange(len(smiles))),
        {FINGERPRINT_VIEW: fingerprints, SCAFFOLD_VIEW: scaffolds, FRAGMENT_VIEW: fragments},
        {FINGERPRINT_VIEW: present, SCAFFOLD_VIEW: present, FRAGMENT_VIEW: present},
    )


def _task(channels: tuple[str, ...] = ("molecule", "scaffold", "context"), **config: object):  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    featurizer = GraphFeaturizer()
    encoder = GraphEncoder(
        GraphEncoderConfig(featurizer.atom_dims, featurizer.bond_dims, 2, 16, dropout=0.0)
    )
    encoder.set_readout(
        pooling="attention",
        pooling_queries=len(channels),
        pooling_heads=4,
        pooling_combine="softmax",
        channel_names=list(channels),
    )
    settings: dict[str, object] = {
        "channels": channels,
        "fingerprint_bits": 64,
        "scaffold_bits": 64,
        "min_rows": 3,
        **config,
    }
    return MultichannelPretraining(
        encoder,
        len(fragment_names()),
        MultichannelConfig(**settings),  # type: ignore[arg-type]
    )


def test_the_scaffold_subgraphs_are_the_scaffolds() -> None:
    batch = _batch()
    g = batch.graph
    flags = batch.views[SCAFFOLD_VIEW][:, 64:]
    (x, edge_index, _, sub_batch), has = scaffold_subgraphs(
        g.x, g.edge_index, g.edge_attr, g.batch, flags
    )
    assert has.tolist() == [True, False, True, True, True, True, True, True]
    assert int(sub_batch.max()) + 1 == int(has.sum())
    for graph, smiles in enumerate(s for s, h in zip(SMILES, has, strict=True) if h):
        scaffold = Chem.MolFromSmiles(murcko_scaffold(Chem.MolFromSmiles(smiles)))
        atoms = (sub_batch == graph).nonzero().flatten()
        assert len(atoms) == scaffold.GetNumAtoms()
        inside = (sub_batch[edge_index[0]] == graph).sum()
        assert int(inside) == 2 * scaffold.GetNumBonds()  # both directions, nothing dangling
        # the atoms kept keep their own features: the elements match the scaffold's
        elements = sorted(int(e) for e in x[atoms, 0])
        assert elements == sorted(a.GetAtomicNum() for a in scaffold.GetAtoms())


def test_every_channel_term_enters_and_each_prompt_learns() -> None:
    task = _task()
    loss, logs = task.loss(_batch())
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert {"molecule", "scaffold", "context_atoms", "context_fragments", "aux"} <= set(logs)
    expected = logs["molecule"] + logs["scaffold"] + 0.1 * logs["aux"]  # adaptive inside
    expected += (logs["context_atoms"] + logs["context_fragments"]) / 2
    assert abs(float(loss.detach()) - expected) < 1e-4
    loss.backward()
    readout = task.encoder.readout
    seeds = [p for n, p in readout.named_parameters() if "seed" in n]
    assert seeds and seeds[0].grad is not None and seeds[0].grad.abs().sum(-1).gt(0).all()
    # pre-training leaves the channel weights alone (fine-tuning learns them)
    assert readout.channel_logits is not None and readout.channel_logits.grad is None


def test_a_dropped_channel_has_no_prompt_and_no_term() -> None:
    task = _task(("molecule", "context"), aux_weight=0.0)
    _, logs = task.loss(_batch())
    assert "scaffold" not in logs and "aux" not in logs and "molecule" in logs
    assert task.encoder.readout.queries == 2
    with pytest.raises(ValueError, match="the task trains"):
        MultichannelPretraining(task.encoder, 5, MultichannelConfig(channels=("scaffold",)))
    with pytest.raises(ValueError, match="distinct names"):
        MultichannelConfig(channels=("molecule", "ring"))


def test_too_few_scaffolds_leave_the_scaffold_term_out() -> None:
    task = _task(min_rows=3)
    _, logs = task.loss(_batch(["CCCCO", "CCO", "CCN", "c1ccccc1C", "CCCCCC"]))
    assert "scaffold" not in logs and "molecule" in logs
