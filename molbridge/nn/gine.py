"""GINE message passing written with torch's gather/scatter ops directly."""

from __future__ import annotations

import torch
from torch import nn


class GINEConv(nn.Module):
    """`h_i' = nn((1 + eps) h_i + sum_{j -> i} ReLU(h_j + e_ij))` (GINE: Hu et al. 2020, GIN of
    Xu et al. 2019 eq. 4.1 with edge features added to each message).

    Same function and same state-dict keys (`nn.*`, `eps`) as PyG's `GINEConv` with
    `train_eps=False`; written with `index_select` + `index_add_` because PyG's sum aggregation
    (`scatter_add_` over an expanded index) took about twice as long on CPU here.

    Args:
        mlp: the update network, `[n, d] -> [n, d_out]`.
        eps: the fixed self-weight epsilon.
    """

    eps: torch.Tensor  # a buffer

    def __init__(self, mlp: nn.Module, eps: float = 0.0) -> None:
        super().__init__()
        self.nn = mlp
        self.register_buffer("eps", torch.tensor([eps]))

    def forward(
        self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor
    ) -> torch.Tensor:
        """`x` `[n_atoms, d]`, `edge_index` `[2, n_edges]` (source, target), `edge_attr`
        `[n_edges, d]` -> `[n_atoms, d_out]`."""
        source, target = edge_index[0], edge_index[1]
        message = torch.relu(x.index_select(0, source) + edge_attr)
        aggregated = message.new_zeros((x.shape[0], message.shape[1])).index_add_(
            0, target, message
        )
        # one fused add with a Python scalar: `(1 + eps) * x` with the 1-element fp32 buffer
        # would promote bf16 node states to fp32 (and cost two passes)
        return self.nn(torch.add(aggregated, x, alpha=1.0 + float(self.eps)))
