"""Modality encoders pre-trained end to end: each modality trains, saves a bundle that loads
back into the same featurizer and encoder, and resumes from its checkpoint."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from molbridge.io import Bundle, CheckpointError, save_bundle
from molbridge.pipeline.modality import (
    MODALITIES,
    ModalityConfig,
    load_modality_encoder,
    pretrain_modality,
)

DATA = Path(__file__).parents[1] / "data"


def _config(out: Path, modality: str, **overrides: object) -> ModalityConfig:
    settings: dict[str, object] = dict(
        modality=modality,
        out=str(out),
        corpus=str(DATA / "bbbp_tiny.csv"),
        max_molecules=12,
        image_size=48,
        epochs=1,
        batch_size=4,
        progress=False,
    )
    settings.update(overrides)
    return ModalityConfig(**settings)  # type: ignore[arg-type]


def _inputs(featurizer: object, modality: str) -> torch.Tensor:
    smiles = pd.read_csv(DATA / "bbbp_tiny.csv")["smiles"].tolist()[:3]
    if modality == "spectrum":
        return torch.from_numpy(featurizer.many([np.array([20.0, 128.5]), np.array([77.0])]))  # type: ignore[attr-defined]
    if modality == "descriptors":
        return torch.from_numpy(featurizer.transform(featurizer.many(smiles)))  # type: ignore[attr-defined]
    return torch.from_numpy(featurizer.many(smiles))  # type: ignore[attr-defined]


@pytest.mark.parametrize("modality", MODALITIES)
def test_each_modality_trains_and_its_bundle_loads_back(modality: str, tmp_path: Path) -> None:
    result = pretrain_modality(_config(tmp_path / modality, modality))
    assert result.summary["steps"] == 3  # 12 inputs, batch 4, one epoch
    assert result.summary["inputs_used"] == 12
    assert (tmp_path / modality / "loss_curve.png").exists()
    featurizer, encoder = load_modality_encoder(result.encoder_path)
    encoder.eval()
    x = _inputs(featurizer, modality)
    out = encoder(x)
    assert out.shape == (len(x), encoder.out_dim)  # type: ignore[operator]
    assert torch.isfinite(out).all()


def test_resume_continues_from_the_last_epoch(tmp_path: Path) -> None:
    out = tmp_path / "fp"
    pretrain_modality(_config(out, "fingerprint", epochs=1))
    resumed = pretrain_modality(_config(out, "fingerprint", epochs=2, resume=True))
    assert resumed.summary["resumed_from"] is not None
    assert resumed.summary["steps"] == 6  # the first epoch is not done again


def test_unknown_modality_and_foreign_bundles_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="valid: smiles, image"):
        _config(tmp_path, "audio")
    gin = Bundle(
        kind="encoder",
        featurizer={"name": "graph"},
        encoder={"name": "gin"},
        members=[{"w": torch.zeros(1)}],
    )
    path = save_bundle(gin, tmp_path / "gin.ckpt")
    with pytest.raises(CheckpointError, match="use --init"):
        load_modality_encoder(path)


def test_encoder_settings_are_overridden_and_bad_ones_refused(tmp_path: Path) -> None:
    small = {"d_model": 32, "num_layers": 1, "num_heads": 2, "ff_dim": 64, "max_length": 90}
    result = pretrain_modality(_config(tmp_path / "small", "smiles", encoder=small))
    featurizer, encoder = load_modality_encoder(result.encoder_path)
    assert featurizer.max_length == 90  # type: ignore[attr-defined]
    assert encoder.config.d_model == 32 and encoder.config.num_layers == 1  # type: ignore[union-attr]
    with pytest.raises(ValueError, match=r"encoder settings \['depth'\] cannot be set"):
        pretrain_modality(_config(tmp_path / "bad", "fingerprint", encoder={"depth": 3}))
    with pytest.raises(ValueError, match="too short for the corpus's longest SMILES"):
        pretrain_modality(_config(tmp_path / "short", "smiles", encoder={"max_length": 8}))


def test_held_out_inputs_are_not_trained_on_and_scored_both_ways(tmp_path: Path) -> None:
    # 40 inputs: a tenth (4) held out, 36 trained on (9 steps of 4), the task scored on the 4
    result = pretrain_modality(
        _config(tmp_path / "fp", "fingerprint", max_molecules=40, held_out=100, epochs=3, lr=3e-3)
    )
    assert result.summary["steps"] == 27
    held = result.summary["held_out"]
    assert held["trained"]["inputs"] == held["untrained"]["inputs"] == 4
    # an autoencoder that trained reconstructs unseen fingerprints better than its initial self
    assert held["trained"]["loss"] < held["untrained"]["loss"]
    assert set(held["trained"]) == {"loss", "on_bit_recall", "inputs"}


def test_held_out_needs_enough_inputs() -> None:
    from molbridge.pipeline.modality import held_out_count

    assert held_out_count(12, 1000) == 0  # a tenth is 1: too few to score a contrastive batch
    assert held_out_count(100_000, 1000) == 1000
    assert held_out_count(5000, 1000) == 500
    assert held_out_count(100, 0) == 0
