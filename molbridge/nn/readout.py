"""Graph readouts as modules: atom states `[n_atoms, d]` -> one embedding per graph.

`mean`, `sum` and `max` are PyG's aggregations; `attention` is PyG's pooling by multi-head
attention (PMA, Lee et al. 2019) with `queries` learned seed vectors and no set-encoder blocks:
each query (a prompt) attends over the atoms of a graph, padding masked, and the query outputs
are concatenated (`[num_graphs, queries * d]`), so one encoder can give one embedding per
channel. Being modules, learned readouts are saved with the encoder.
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import aggr

READOUTS = ("mean", "sum", "max", "attention")


class Readout(nn.Module):
    """Pools atom states by graph.

    Args:
        name: `mean`, `sum`, `max` or `attention`.
        dim: width of the atom states.
        queries: learned queries of `attention` (one embedding each, concatenated).
        heads: attention heads of `attention` (must divide `dim`).
    """

    def __init__(self, name: str, dim: int, queries: int = 1, heads: int = 4) -> None:
        super().__init__()
        if name not in READOUTS:
            raise ValueError(f"unknown pooling {name!r}; valid: {', '.join(READOUTS)}")
        self.name, self.queries = name, queries if name == "attention" else 1
        if name == "attention":
            if queries < 1 or heads < 1 or dim % heads:
                raise ValueError(
                    f"attention pooling needs queries >= 1 and heads dividing {dim}; "
                    f"got queries={queries}, heads={heads}"
                )
            self.pool: aggr.Aggregation = aggr.SetTransformerAggregation(
                dim,
                num_seed_points=queries,
                num_encoder_blocks=0,
                num_decoder_blocks=0,
                heads=heads,
                concat=True,
            )
        else:
            self.pool = {
                "mean": aggr.MeanAggregation,
                "sum": aggr.SumAggregation,
                "max": aggr.MaxAggregation,
            }[name]()
        self.out_dim = dim * self.queries

    def forward(self, h: torch.Tensor, batch: torch.Tensor, num_graphs: int) -> torch.Tensor:
        """`[n_atoms, d]` states, `[n_atoms]` sorted graph index -> `[num_graphs, out_dim]`."""
        return self.pool(h, batch, dim_size=num_graphs)

    def per_query(self, pooled: torch.Tensor) -> torch.Tensor:
        """`[num_graphs, queries * d]` -> `[num_graphs, queries, d]` (one row per channel)."""
        return pooled.view(pooled.shape[0], self.queries, -1)
