"""Embedding of categorical feature columns (atoms, bonds)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class CategoricalEmbedding(nn.Module):
    """Sum of one embedding per categorical column (OGB's AtomEncoder/BondEncoder idea).

    Args:
        dims: number of categories of each column.
        out_dim: embedding size.
    """

    def __init__(self, dims: Sequence[int], out_dim: int) -> None:
        super().__init__()
        self.dims = tuple(int(d) for d in dims)
        self.out_dim = out_dim
        # One table for all columns, addressed by per-column offsets: a single gather per call.
        self.table = nn.Embedding(sum(self.dims), out_dim)
        offsets = torch.tensor([0, *self.dims[:-1]]).cumsum(0)
        self.register_buffer("offsets", offsets, persistent=False)
        nn.init.xavier_uniform_(self.table.weight)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """`[n, n_columns]` int64 categories -> `[n, out_dim]`."""
        return self.table(features + self.offsets).sum(dim=1)
