import lightning as L
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from molbridge.encoders.spectrum import SpectrumEncoder, SpectrumEncoderConfig
from molbridge.featurize.spectrum import SpectrumFeaturizer
from molbridge.tasks.pretrain.spectrum_autoencoder import (
    SpectrumAutoencoderConfig,
    SpectrumAutoencoderPretraining,
)

N_BINS = 128


def _spectra(n: int = 8) -> torch.Tensor:
    rng = np.random.default_rng(0)
    featurizer = SpectrumFeaturizer(n_bins=N_BINS, sigma=2.0)
    peaks = [rng.uniform(10, 200, size=rng.integers(3, 10)) for _ in range(n)]
    return torch.from_numpy(featurizer.many(peaks))


def _task(**config: float) -> SpectrumAutoencoderPretraining:
    encoder = SpectrumEncoder(
        SpectrumEncoderConfig(n_bins=N_BINS, channels=(8, 16), out_dim=32, dropout=0.0)
    )
    return SpectrumAutoencoderPretraining(encoder, SpectrumAutoencoderConfig(**config))


def test_loss_halves_when_overfitting_eight_spectra() -> None:
    torch.manual_seed(0)
    task = _task(hidden_dim=128)
    spectra = _spectra()
    optimizer = torch.optim.Adam(task.parameters(), lr=3e-3)
    losses = []
    for _ in range(60):
        loss, logs = task.loss(spectra)
        assert logs == {}
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.5 * losses[0], losses
    # and below predicting the batch's mean spectrum: it reconstructs each spectrum
    target = spectra / spectra.amax(dim=1, keepdim=True)
    assert losses[-1] < float(((target - target.mean(0)) ** 2).mean())


def test_corruption_masks_blocks_and_keeps_shape() -> None:
    torch.manual_seed(0)
    task = _task(mask_rate=0.5, mask_span=8, noise_std=0.0)
    spectra = torch.ones(4, N_BINS)
    corrupted = task.corrupt(spectra)
    assert corrupted.shape == spectra.shape
    blocks = corrupted.view(4, N_BINS // 8, 8)
    # each block is all kept or all zeroed
    assert ((blocks == 0).all(2) | (blocks == 1).all(2)).all()
    assert 0 < (blocks == 0).all(2).float().mean() < 1


def test_batch_forms_and_config() -> None:
    task = _task()
    spectra = _spectra(4)
    for batch in (spectra, (spectra,), [spectra]):
        loss, _ = task.loss(batch)
        assert loss.ndim == 0 and loss > 0
    with pytest.raises(ValueError, match="1-tuple"):
        task.loss((spectra, spectra))
    config = task.config.to_config()
    assert config["name"] == "spectrum-autoencoder" and config["lr"] == 1e-3
    assert SpectrumAutoencoderConfig.from_config(config) == task.config
    with pytest.raises(ValueError, match="mask_rate"):
        SpectrumAutoencoderConfig(mask_rate=1.0)


def test_fast_dev_run_records_history() -> None:
    torch.manual_seed(0)
    task = _task()
    task.log_every = 1
    loader = DataLoader(TensorDataset(_spectra(8)), batch_size=4)
    trainer = L.Trainer(
        fast_dev_run=True,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(task, loader)
    assert len(task.history) == 1 and task.history[0]["loss"] > 0
