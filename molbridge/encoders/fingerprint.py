"""Fingerprint / descriptor encoder: an MLP over a fixed-length molecular vector."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, cast

import torch
from torch import nn


@dataclass
class FingerprintEncoderConfig:
    """Hyper-parameters of `FingerprintEncoder`.

    Attributes:
        in_dim: input width (ECFP `n_bits`, or the descriptor featurizer's `n_descriptors`).
        hidden_dims: widths of the hidden layers, first to last (may be empty: one linear map).
        out_dim: embedding width.
        dropout: dropout after each hidden layer.
        batch_norm: batch norm after each hidden linear layer (before its ReLU).
    """

    in_dim: int
    hidden_dims: tuple[int, ...] = (1024, 512)
    out_dim: int = 300
    dropout: float = 0.1
    batch_norm: bool = True

    def __post_init__(self) -> None:
        self.hidden_dims = tuple(int(d) for d in self.hidden_dims)
        if self.in_dim < 1 or self.out_dim < 1 or any(d < 1 for d in self.hidden_dims):
            raise ValueError(f"every width must be >= 1, got {self}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    def to_config(self) -> dict[str, Any]:
        return {"name": "fingerprint-mlp", **asdict(self), "hidden_dims": list(self.hidden_dims)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FingerprintEncoderConfig:
        return cls(**{k: v for k, v in config.items() if k != "name"})


class FingerprintEncoder(nn.Module):
    """MLP: `[Linear -> BatchNorm -> ReLU -> Dropout]` per hidden width, then a linear layer to
    `out_dim` (no activation, so the embedding is unconstrained like `GraphEncoder`'s).

    `molbridge.nn.mlp` is not used because it takes a single hidden width and `hidden_dims`
    here may differ layer by layer (default 1024 then 512).
    """

    def __init__(self, config: FingerprintEncoderConfig) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        width = config.in_dim
        for hidden in config.hidden_dims:
            layers.append(nn.Linear(width, hidden))
            if config.batch_norm:
                layers.append(nn.BatchNorm1d(hidden))
            layers.append(nn.ReLU())
            if config.dropout > 0:
                layers.append(nn.Dropout(config.dropout))
            width = hidden
        layers.append(nn.Linear(width, config.out_dim))
        self.layers = nn.Sequential(*layers)

    @property
    def out_dim(self) -> int:
        return self.config.out_dim

    @property
    def in_dim(self) -> int:
        return self.config.in_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`[b, in_dim]` fingerprints (uint8/bool bits or counts) or float descriptors ->
        `[b, out_dim]` embeddings. Non-float input is cast to the weights' dtype.

        In training mode with batch norm, `b` must be at least 2.
        """
        if x.ndim != 2 or x.shape[1] != self.config.in_dim:
            raise ValueError(
                f"FingerprintEncoder expects [batch, {self.config.in_dim}], got {tuple(x.shape)}"
            )
        weight_dtype = cast(nn.Linear, self.layers[0]).weight.dtype
        if x.dtype != weight_dtype:
            x = x.to(weight_dtype)
        return self.layers(x)
