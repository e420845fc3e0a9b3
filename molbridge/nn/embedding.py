"""Embedding of categorical feature columns (atoms, bonds)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

# Above this many distinct combinations, look up each column separately.
MAX_COMBINATIONS = 4096


class CategoricalEmbedding(nn.Module):
    """Sum of one embedding per categorical column (OGB's AtomEncoder/BondEncoder idea).

    For small vocabularies (bonds: 5 x 7 x 3 = 105 combinations) the sum is precomputed for
    every combination and each row does one lookup instead of one per column: the same function
    and the same parameters, with a fraction of the memory traffic and a cheap backward.

    Args:
        dims: number of categories of each column.
        out_dim: embedding size.
    """

    offsets: torch.Tensor  # buffers
    combination_rows: torch.Tensor
    strides: torch.Tensor

    def __init__(self, dims: Sequence[int], out_dim: int) -> None:
        super().__init__()
        self.dims = tuple(int(d) for d in dims)
        self.out_dim = out_dim
        # One table for all columns, addressed by per-column offsets: a single gather per call.
        self.table = nn.Embedding(sum(self.dims), out_dim)
        offsets = torch.tensor([0, *self.dims[:-1]]).cumsum(0)
        self.register_buffer("offsets", offsets, persistent=False)
        nn.init.xavier_uniform_(self.table.weight)
        self.by_combination = math.prod(self.dims) <= MAX_COMBINATIONS
        if self.by_combination:
            # every combination as table rows, and each column's stride in the combination code
            grids = torch.meshgrid(*(torch.arange(d) for d in self.dims), indexing="ij")
            combos = torch.stack([g.reshape(-1) for g in grids], dim=1) + offsets
            strides = torch.tensor([math.prod(self.dims[i + 1 :]) for i in range(len(self.dims))])
            self.register_buffer("combination_rows", combos, persistent=False)
            self.register_buffer("strides", strides, persistent=False)

    def codes(self, features: torch.Tensor) -> torch.Tensor:
        """`[n, n_columns]` categories -> `[n]` combination codes (for `by_combination`)."""
        return (features * self.strides).sum(dim=1)

    def forward(
        self,
        features: torch.Tensor,
        codes: torch.Tensor | None = None,
        dtype: torch.dtype | None = None,
    ) -> torch.Tensor:
        """`[n, n_columns]` int64 categories -> `[n, out_dim]`, in `dtype` if given.

        `codes` (from `codes(features)`) may be passed to reuse them across layers.
        """
        if not self.by_combination:
            # one fused gather-and-sum per row (no [n, n_columns, out_dim] intermediate)
            out = F.embedding_bag(features + self.offsets, self.table.weight, mode="sum")
            return out if dtype is None else out.to(dtype)
        if codes is None:
            codes = self.codes(features)
        combinations = self.table(self.combination_rows).sum(dim=1)  # [n_combinations, out_dim]
        if dtype is not None:
            combinations = combinations.to(dtype)  # cast the small table, not the gathered rows
        return combinations.index_select(0, codes)
