"""A 1-D convolutional encoder of binned spectra (`molbridge.featurize.spectrum` output)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn


@dataclass
class SpectrumEncoderConfig:
    """Hyper-parameters of `SpectrumEncoder`.

    Attributes:
        n_bins: length of the input spectra (the featurizer's `n_bins`).
        channels: output channels of each conv stage; each stage halves the length, so
            `n_bins` must be at least `2 ** len(channels)`.
        kernel_size: odd convolution width, in bins (7 bins of 0.43 ppm span about 3 ppm of 13C).
        out_dim: embedding size.
        dropout: dropout before the final linear layer.
    """

    n_bins: int = 512
    channels: tuple[int, ...] = (32, 64, 128, 256)
    kernel_size: int = 7
    out_dim: int = 256
    dropout: float = 0.1

    def __post_init__(self) -> None:
        self.channels = tuple(int(c) for c in self.channels)
        if not self.channels or min(self.channels) < 1:
            raise ValueError(
                f"channels must be a non-empty tuple of positive ints, got {self.channels}"
            )
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd and positive, got {self.kernel_size}")
        if self.n_bins < 2 ** len(self.channels):
            raise ValueError(
                f"n_bins={self.n_bins} is too short for {len(self.channels)} halving stages "
                f"(needs at least {2 ** len(self.channels)})"
            )
        if self.out_dim < 1 or not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"need out_dim >= 1 and dropout in [0, 1), got {self}")

    def to_config(self) -> dict[str, Any]:
        return {"name": "spectrum-cnn", **asdict(self), "channels": list(self.channels)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SpectrumEncoderConfig:
        return cls(**{k: v for k, v in config.items() if k != "name"})


class SpectrumEncoder(nn.Module):
    """1-D CNN: `len(channels)` stages of conv-BN-ReLU-maxpool(2), global mean and max pooling
    (concatenated), dropout, linear to `out_dim`.

    Mean pooling sees how much signal a region holds, max pooling whether one sharp peak is
    there; the two together keep both for the embedding.
    """

    def __init__(self, config: SpectrumEncoderConfig) -> None:
        super().__init__()
        self.config = config
        stages: list[nn.Module] = []
        in_channels = 1
        for channels in config.channels:
            stages += [
                # no bias: the batch norm right after has its own shift
                nn.Conv1d(in_channels, channels, config.kernel_size, padding="same", bias=False),
                nn.BatchNorm1d(channels),
                nn.ReLU(),
                nn.MaxPool1d(2),
            ]
            in_channels = channels
        self.stages = nn.Sequential(*stages)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(2 * in_channels, config.out_dim)

    @property
    def out_dim(self) -> int:
        return self.config.out_dim

    def forward(self, spectra: torch.Tensor) -> torch.Tensor:
        """`[batch, n_bins]` float spectra -> `[batch, out_dim]` embeddings."""
        if spectra.ndim != 2 or spectra.shape[1] != self.config.n_bins:
            raise ValueError(
                f"expected spectra of shape [batch, {self.config.n_bins}], "
                f"got {tuple(spectra.shape)}"
            )
        h = self.stages(spectra.unsqueeze(1))  # [batch, channels[-1], n_bins / 2**stages]
        pooled = torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1)
        return self.head(self.dropout(pooled))
