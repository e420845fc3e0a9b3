"""The pre-trained encoders shipped in `models/` load, stay small and have a card: graph
encoders for `--init`, modality encoders (frozen sides of strategy 2) for `pretrain-modality`'s
loader."""

from pathlib import Path

import pytest

from molbridge.featurize import GraphFeaturizer
from molbridge.io import load_bundle
from molbridge.pipeline.modality import MODALITY_ENCODERS, load_modality_encoder
from molbridge.pipeline.models import load_init_encoder

MODELS = sorted((Path(__file__).parents[3] / "models").glob("*/encoder.ckpt"))
GRAPH = [p for p in MODELS if load_bundle(p).encoder["name"] == "gin"]
MODALITY = [p for p in MODELS if p not in GRAPH]
MB = 1024 * 1024
# a GIN 5 x 300 is about 7 MB; an ACML bundle carries its projection heads beside it
GRAPH_LIMIT = 15 * MB
# the largest modality encoder is the ResNet-18 image encoder, about 45 MB in fp32
MODALITY_LIMIT = 50 * MB


def test_models_are_shipped() -> None:
    assert GRAPH, "models/ holds no graph encoder"


@pytest.mark.parametrize("path", GRAPH, ids=lambda p: p.parent.name)
def test_each_shipped_encoder_loads_for_init_and_has_a_card(path: Path) -> None:
    assert path.stat().st_size <= GRAPH_LIMIT
    bundle = load_bundle(path)
    assert bundle.kind == "encoder"
    assert bundle.extra["pretraining"]["corpus_molecules"] > 0
    encoder, _ = load_init_encoder(path, GraphFeaturizer())
    assert encoder.out_dim == 300
    card = (path.parent / "README.md").read_text()
    for fact in ("Corpus", "Training", "Command", "Measured effect"):
        assert fact in card, f"{path.parent.name}/README.md lacks {fact!r}"


@pytest.mark.parametrize("path", MODALITY, ids=lambda p: p.parent.name)
def test_each_shipped_modality_encoder_loads_and_has_a_card(path: Path) -> None:
    assert path.stat().st_size <= MODALITY_LIMIT
    bundle = load_bundle(path)
    assert bundle.encoder["name"] in MODALITY_ENCODERS
    held = bundle.extra["pretraining"]["held_out"]
    assert held["trained"]["inputs"] > 0 and held["trained"]["loss"] < held["untrained"]["loss"]
    _, encoder = load_modality_encoder(path)
    assert encoder.out_dim > 0
    card = (path.parent / "README.md").read_text()
    for fact in ("Data", "Training", "Command", "Sanity number"):
        assert fact in card, f"{path.parent.name}/README.md lacks {fact!r}"
