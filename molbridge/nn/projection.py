"""Projection head: the small module strategies put on top of an encoder to compare its
embeddings with another side's (contrastive alignment)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn


@dataclass
class ProjectionHeadConfig:
    """Attributes:
    in_dim: width of the encoder embedding.
    out_dim: width of the projection.
    dropout: dropout on the second linear layer's output.
    """

    in_dim: int
    out_dim: int = 256
    dropout: float = 0.1

    def to_config(self) -> dict[str, Any]:
        return {"name": "projection", **asdict(self)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ProjectionHeadConfig:
        return cls(**{k: v for k, v in config.items() if k != "name"})


class ProjectionHead(nn.Module):
    """Linear -> GELU -> Linear -> dropout, plus the first linear's output as a residual, then
    LayerNorm (the head of the ACML reference implementation): `[b, in_dim] -> [b, out_dim]`."""

    def __init__(self, config: ProjectionHeadConfig) -> None:
        super().__init__()
        self.config = config
        self.projection = nn.Linear(config.in_dim, config.out_dim)
        self.fc = nn.Linear(config.out_dim, config.out_dim)
        self.dropout = nn.Dropout(config.dropout)
        self.norm = nn.LayerNorm(config.out_dim)

    @property
    def out_dim(self) -> int:
        return self.config.out_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        projected = self.projection(x)
        return self.norm(self.dropout(self.fc(nn.functional.gelu(projected))) + projected)
