"""Denoising-autoencoder pre-training of a spectrum encoder (Vincent et al. 2008, "Extracting
and composing robust features with denoising autoencoders").

Each binned spectrum (`SpectrumFeaturizer` output) is corrupted: blocks of `mask_span`
neighbouring bins are zeroed with probability `mask_rate` (a block is about one broadened peak
wide, so this is the binned form of dropping peaks), then Gaussian noise of `noise_std` times
the spectrum's largest value is added. The encoder embeds the corrupted spectrum and an MLP
decoder reconstructs the clean one.

Loss scaling: the MSE is taken between the decoder's output and the clean spectrum divided by
its own largest bin, averaged over bins and spectra. So every target peaks at 1, whatever the
number of peaks, the broadening `sigma` or the bin width, and a crowded spectrum does not
outweigh a sparse one. The encoder's input is not rescaled: it sees spectra exactly as the
featurizer writes them, as it will when fine-tuned.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from molbridge.encoders.spectrum import SpectrumEncoder
from molbridge.tasks.pretrain.base import PretrainTask


@dataclass
class SpectrumAutoencoderConfig:
    """Attributes:
    lr: Adam learning rate.
    mask_rate: probability that a block of `mask_span` bins is zeroed.
    mask_span: bins per masked block (8 bins: 3.4 ppm of 13C or 0.19 ppm of 1H at 512 bins).
    noise_std: standard deviation of the added Gaussian noise, relative to each spectrum's
        largest bin.
    hidden_dim: width of the decoder's hidden layer.
    """

    lr: float = 1e-3
    mask_rate: float = 0.15
    mask_span: int = 8
    noise_std: float = 0.05
    hidden_dim: int = 512

    def __post_init__(self) -> None:
        if not 0.0 <= self.mask_rate < 1.0:
            raise ValueError(f"mask_rate must be in [0, 1), got {self.mask_rate}")
        if self.mask_span < 1 or self.hidden_dim < 1:
            raise ValueError(f"mask_span and hidden_dim must be positive, got {self}")
        if self.noise_std < 0.0:
            raise ValueError(f"noise_std must be >= 0, got {self.noise_std}")

    def to_config(self) -> dict[str, Any]:
        return {"name": "spectrum-autoencoder", **asdict(self)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SpectrumAutoencoderConfig:
        return cls(**{k: v for k, v in config.items() if k != "name"})


class SpectrumBatch(NamedTuple):
    """Spectra `[batch, n_bins]`; `num_graphs` is the batch size under the name
    `PretrainTask`'s logging reads."""

    spectra: torch.Tensor
    num_graphs: int


class SpectrumAutoencoderPretraining(PretrainTask):
    """Reconstruct clean binned spectra from corrupted ones (see the module docstring).

    A batch is a `[batch, n_bins]` float tensor, or a 1-tuple/list holding one (what a
    `DataLoader` over a `TensorDataset` yields).

    Args:
        encoder: the spectrum encoder being pre-trained.
        config: corruption, decoder and optimiser settings.
    """

    def __init__(
        self, encoder: SpectrumEncoder, config: SpectrumAutoencoderConfig | None = None
    ) -> None:
        self.config = config or SpectrumAutoencoderConfig()
        super().__init__(encoder, lr=self.config.lr)
        n_bins = encoder.config.n_bins
        self.decoder = nn.Sequential(
            nn.Linear(encoder.out_dim, self.config.hidden_dim),
            nn.ReLU(),
            nn.Linear(self.config.hidden_dim, n_bins),
        )

    def corrupt(self, spectra: torch.Tensor) -> torch.Tensor:
        """`[batch, n_bins]` -> the same spectra with masked blocks and added noise."""
        batch, n_bins = spectra.shape
        span = self.config.mask_span
        n_blocks = -(-n_bins // span)  # ceil
        keep = torch.rand(batch, n_blocks, device=spectra.device) >= self.config.mask_rate
        keep = keep.repeat_interleave(span, dim=1)[:, :n_bins]
        scale = _peak_height(spectra)
        noise = torch.randn_like(spectra) * self.config.noise_std * scale
        return spectra * keep + noise

    def loss(self, batch: Any) -> tuple[torch.Tensor, dict[str, float]]:
        spectra = _spectra(batch).float()
        target = spectra / _peak_height(spectra)
        reconstruction = self.decoder(self.encoder(self.corrupt(spectra)))
        loss = F.mse_loss(reconstruction.float(), target)
        return loss, {}

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        spectra = _spectra(batch)
        return super().training_step(SpectrumBatch(spectra, spectra.shape[0]), batch_idx)


def _spectra(batch: Any) -> torch.Tensor:
    """The `[batch, n_bins]` tensor of a batch (a tensor, a 1-tuple/list, or a SpectrumBatch)."""
    if isinstance(batch, SpectrumBatch):
        return batch.spectra
    if isinstance(batch, tuple | list):
        if len(batch) != 1:
            raise ValueError(f"expected a batch of spectra or a 1-tuple, got {len(batch)} items")
        batch = batch[0]
    if not isinstance(batch, torch.Tensor) or batch.ndim != 2:
        raise ValueError(f"expected a [batch, n_bins] tensor, got {type(batch).__name__}")
    return batch


def _peak_height(spectra: torch.Tensor) -> torch.Tensor:
    """`[batch, 1]` largest bin of each spectrum; 1 for an all-zero spectrum."""
    height = spectra.amax(dim=1, keepdim=True)
    return torch.where(height > 0, height, torch.ones_like(height))
