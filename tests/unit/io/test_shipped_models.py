"""The pre-trained encoders shipped in `models/` load for `--init`, stay small and have a card."""

from pathlib import Path

import pytest

from molbridge.featurize import GraphFeaturizer
from molbridge.io import load_bundle
from molbridge.pipeline.models import load_init_encoder

MODELS = sorted((Path(__file__).parents[3] / "models").glob("*/encoder.ckpt"))


def test_models_are_shipped() -> None:
    assert MODELS, "models/ holds no encoder"


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.parent.name)
def test_each_shipped_encoder_loads_for_init_and_has_a_card(path: Path) -> None:
    assert path.stat().st_size <= 10 * 1024 * 1024
    bundle = load_bundle(path)
    assert bundle.kind == "encoder" and bundle.encoder["name"] == "gin"
    assert bundle.extra["pretraining"]["corpus_molecules"] > 0
    encoder, _ = load_init_encoder(path, GraphFeaturizer())
    assert encoder.out_dim == 300
    card = (path.parent / "README.md").read_text()
    for fact in ("Corpus", "Training", "Command", "Measured effect"):
        assert fact in card, f"{path.parent.name}/README.md lacks {fact!r}"
