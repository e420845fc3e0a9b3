"""Strategy 4 end to end on tiny data: the corpus views line up with the corpus graphs, the run
resumes, the prompts travel inside encoder.ckpt, fine-tuning learns and reports the channel
weights (metrics.json and a plot), and two-process DDP runs."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from rdkit import Chem

from molbridge.chem.scaffold import murcko_scaffold
from molbridge.data.corpus_views import featurized_view
from molbridge.featurize import GraphFeaturizer, ScaffoldFeaturizer
from molbridge.io import load_bundle
from molbridge.pipeline.models import load_init_encoder
from molbridge.pipeline.pretrain import pretrain
from molbridge.tasks.pretrain.multichannel import scaffold_subgraphs
from tests.helpers import (
    TINY_STREAM,
    fine_tune_tiny,
    run_ddp_pretrain,
    tiny_corpus,
    tiny_pretrain_config,
)

DATA = Path(__file__).parents[1] / "data"
CHANNELS = ["molecule", "scaffold", "context"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One epoch, then a second one resumed from the first one's checkpoints."""
    out = tmp_path_factory.mktemp("mc") / "run"
    settings = {"num_layers": 2, "checkpoint_every": 4, "options": {"min_rows": 4}}
    first = pretrain(tiny_pretrain_config(out, "multichannel", epochs=1, **settings))
    second = pretrain(tiny_pretrain_config(out, "multichannel", epochs=2, resume=True, **settings))
    assert second.summary["resumed_from"] is not None
    assert second.summary["steps"] == 2 * first.summary["steps"]
    assert {"molecule", "scaffold", "context_atoms", "context_fragments", "aux"} <= set(
        second.history[-1]
    )
    return out / "encoder.ckpt"


def test_the_scaffold_view_lines_up_with_the_corpus_graphs(tmp_path: Path) -> None:
    corpus = tiny_corpus(tmp_path)
    scaffold = ScaffoldFeaturizer()
    view = featurized_view(
        corpus, "scaffold", scaffold, {"featurizer": scaffold.to_config()}, (scaffold.width,),
        np.uint8, pack_bits=scaffold.width,
    )  # fmt: skip
    smiles = pd.read_csv(DATA / "bbbp_tiny.csv")["smiles"].tolist()
    shard, ids = corpus.shard(0), corpus.shard_ids(0)
    g = shard.collate(np.arange(len(ids)))
    rows, present = view.lookup(ids)
    (x, _, _, sub_batch), has = scaffold_subgraphs(
        g.x, g.edge_index, g.edge_attr, g.batch, rows[:, scaffold.n_bits :] * present[:, None]
    )
    checked = 0
    for graph, i in enumerate(ids[has.numpy()]):
        expected = Chem.MolFromSmiles(murcko_scaffold(Chem.MolFromSmiles(smiles[i])))
        elements = sorted(int(e) for e in x[sub_batch == graph, 0])
        assert elements == sorted(a.GetAtomicNum() for a in expected.GetAtoms())
        checked += 1
    assert checked > 20


def test_the_prompts_travel_in_the_encoder_and_fine_tuning_learns_channel_weights(
    trained: Path, tmp_path: Path
) -> None:
    bundle = load_bundle(trained)
    assert bundle.extra["strategy"]["name"] == "multichannel"
    assert bundle.encoder["pooling"] == "attention" and bundle.encoder["pooling_queries"] == 3
    assert bundle.encoder["pooling_combine"] == "softmax"
    assert bundle.encoder["channel_names"] == CHANNELS
    assert bundle.parts == {}  # the pre-training heads stay behind
    encoder, _ = load_init_encoder(trained, GraphFeaturizer())
    assert torch.equal(encoder.readout.channel_weights(), torch.full((3,), 1 / 3))
    fine = fine_tune_tiny(trained, tmp_path / "ft", num_layers=2, epochs=2, ensemble=2)
    weights = json.loads(fine.metrics_path.read_text())["channel_weights"]
    assert len(weights) == 2 and all(list(w) == CHANNELS for w in weights)
    for w in weights:
        assert abs(sum(w.values()) - 1.0) < 1e-5
        assert max(abs(v - 1 / 3) for v in w.values()) > 0  # learned, not left at the start
    assert (tmp_path / "ft" / "channel_weights.png").stat().st_size > 0
    hot = fine_tune_tiny(trained, tmp_path / "hot", num_layers=2, channel_temperature=0.5)
    assert load_bundle(hot.model_path).encoder["channel_temperature"] == 0.5


def test_a_plain_encoder_reports_no_channel_weights(tmp_path: Path) -> None:
    out = tmp_path / "am"
    pretrain(tiny_pretrain_config(out, "attr-masking", num_layers=2, fast_dev_run=True))
    fine = fine_tune_tiny(out / "encoder.ckpt", tmp_path / "ft", num_layers=2)
    assert "channel_weights" not in json.loads(fine.metrics_path.read_text())
    assert not (tmp_path / "ft" / "channel_weights.png").exists()
    with pytest.raises(ValueError, match="has no channel weights"):
        fine_tune_tiny(out / "encoder.ckpt", tmp_path / "t", num_layers=2, channel_temperature=2.0)


def test_two_process_ddp(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    settings = {
        "strategy": "multichannel",
        "options": {"min_rows": 4, "channels": ["molecule", "scaffold"]},
        "num_layers": 2,
        "hidden_dim": 32,
    }
    config.write_text(yaml.safe_dump(settings))
    run_ddp_pretrain(
        tmp_path / "ddp",
        "--config",
        config,
        "--corpus",
        DATA / "bbbp_tiny.csv",
        *TINY_STREAM,
    )
    bundle = load_bundle(tmp_path / "ddp" / "encoder.ckpt")
    assert bundle.encoder["channel_names"] == ["molecule", "scaffold"]
