"""Graph readouts as modules: atom states `[n_atoms, d]` -> one embedding per graph.

`mean`, `sum` and `max` are PyG's aggregations; `attention` is PyG's pooling by multi-head
attention (PMA, Lee et al. 2019) with `queries` learned seed vectors and no set-encoder blocks:
each query (a prompt) attends over the atoms of a graph, padding masked, and the query outputs
are concatenated (`[num_graphs, queries * d]`), so one encoder can give one embedding per
channel. With `combine="softmax"` the channels are instead mixed by learned softmax weights
(`softmax(logits / temperature)`, logits starting at 0: the channels' mean), `[num_graphs, d]`:
how a multi-channel encoder is fine-tuned, the weights telling which channel a task leans on.
Being modules, learned readouts are saved with the encoder.
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import aggr

READOUTS = ("mean", "sum", "max", "attention")
COMBINES = ("concat", "softmax")


class Readout(nn.Module):
    """Pools atom states by graph.

    Args:
        name: `mean`, `sum`, `max` or `attention`.
        dim: width of the atom states.
        queries: learned queries of `attention` (one embedding each, concatenated).
        heads: attention heads of `attention` (must divide `dim`).
        combine: how the queries' outputs become one embedding: `concat` or `softmax`
            (learned channel weights; see the module docstring).
        temperature: of the softmax channel weights.
    """

    def __init__(
        self,
        name: str,
        dim: int,
        queries: int = 1,
        heads: int = 4,
        combine: str = "concat",
        temperature: float = 1.0,
    ) -> None:
        super().__init__()
        if name not in READOUTS:
            raise ValueError(f"unknown pooling {name!r}; valid: {', '.join(READOUTS)}")
        if combine not in COMBINES:
            raise ValueError(f"unknown channel combination {combine!r}; valid: {COMBINES}")
        if combine == "softmax" and not temperature > 0:
            raise ValueError(f"channel temperature must be positive, got {temperature}")
        self.name, self.queries = name, queries if name == "attention" else 1
        self.combine, self.temperature = combine, temperature
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
        self.channel_logits: nn.Parameter | None = None
        if combine == "softmax":
            self.channel_logits = nn.Parameter(torch.zeros(self.queries))
        self.out_dim = dim if combine == "softmax" else dim * self.queries

    def channels(self, h: torch.Tensor, batch: torch.Tensor, num_graphs: int) -> torch.Tensor:
        """`[n_atoms, d]` states, `[n_atoms]` sorted graph index -> `[num_graphs, queries, d]`,
        one embedding per query (channel)."""
        return self.per_query(self.pool(h, batch, dim_size=num_graphs))

    def forward(self, h: torch.Tensor, batch: torch.Tensor, num_graphs: int) -> torch.Tensor:
        """`[n_atoms, d]` states, `[n_atoms]` sorted graph index -> `[num_graphs, out_dim]`."""
        pooled = self.pool(h, batch, dim_size=num_graphs)
        if self.channel_logits is None:
            return pooled
        weights = self.channel_weights().to(pooled.dtype)
        return torch.einsum("bqd,q->bd", self.per_query(pooled), weights)

    def channel_weights(self) -> torch.Tensor:
        """`[queries]` softmax weights of the channels (`combine="softmax"` only)."""
        if self.channel_logits is None:
            raise ValueError("this readout concatenates its channels: it has no channel weights")
        return torch.softmax(self.channel_logits / self.temperature, dim=0)

    def per_query(self, pooled: torch.Tensor) -> torch.Tensor:
        """`[num_graphs, queries * d]` -> `[num_graphs, queries, d]` (one row per channel)."""
        return pooled.view(pooled.shape[0], self.queries, -1)
