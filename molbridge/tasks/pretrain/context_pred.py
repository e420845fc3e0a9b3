"""Context prediction (Hu et al. 2020, "Strategies for pre-training graph neural networks").

For one random centre atom per molecule: the K-hop *substructure* around it is encoded by the
graph encoder being pre-trained (K = its number of layers), and the *context* ring of atoms
between r1 and r2 hops by a separate, shallower context encoder. The centre's substructure
embedding must agree (dot product through a sigmoid) with the mean context embedding of the
*anchor* atoms (those in both, r1..K hops) of the same molecule, and disagree with another
molecule's. Molecules too small to have anchor atoms sit that batch out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch_geometric.utils import scatter

from molbridge.data.batch import GraphBatch
from molbridge.encoders import GraphEncoder
from molbridge.tasks.pretrain.base import PretrainTask


@dataclass
class ContextPredConfig:
    """Attributes:
    r1, r2: the context ring's inner and outer hop radii (Hu et al. with K = 5: 4 and 7).
    lr: Adam learning rate.
    """

    r1: int = 4
    r2: int = 7
    lr: float = 1e-3

    def __post_init__(self) -> None:
        if not 0 < self.r1 < self.r2:
            raise ValueError(f"context radii need 0 < r1 < r2, got {self.r1}, {self.r2}")

    def to_config(self) -> dict[str, Any]:
        return {"name": "context-pred", **asdict(self)}


def hop_distances(
    edge_index: torch.Tensor, n_nodes: int, sources: torch.Tensor, max_hops: int
) -> torch.Tensor:
    """Shortest-path hops from each node's molecule's source (`sources`: one node per molecule)
    up to `max_hops`; nodes farther away (or in no source's molecule) get `max_hops + 1`."""
    far = max_hops + 1
    dist = torch.full((n_nodes,), far, dtype=torch.long, device=edge_index.device)
    dist[sources] = 0
    src, dst = edge_index
    for hop in range(1, max_hops + 1):
        frontier = dist[src] == hop - 1
        reached = torch.zeros(n_nodes, dtype=torch.bool, device=edge_index.device)
        reached[dst[frontier]] = True
        dist[reached & (dist == far)] = hop
    return dist


def _induced(
    nodes: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The subgraph on the boolean node mask `nodes`: its node ids, relabelled edges, attrs."""
    keep = nodes[edge_index[0]] & nodes[edge_index[1]]
    new_id = torch.full_like(nodes, -1, dtype=torch.long)
    ids = nodes.nonzero().squeeze(1)
    new_id[ids] = torch.arange(len(ids), device=nodes.device)
    return ids, new_id[edge_index[:, keep]], edge_attr[keep]


class ContextPred(PretrainTask):
    """Context prediction with one negative per molecule (the next molecule's context).

    Args:
        encoder: the graph encoder being pre-trained (its layers are K).
        context_encoder: the context encoder (Hu et al.: r2 - r1 layers, same width).
        config: radii and learning rate.
    """

    encoder: GraphEncoder

    def __init__(
        self,
        encoder: GraphEncoder,
        context_encoder: GraphEncoder,
        config: ContextPredConfig | None = None,
    ) -> None:
        self.config = config or ContextPredConfig()
        super().__init__(encoder, lr=self.config.lr)
        self.context_encoder = context_encoder
        self.k = encoder.config.num_layers
        if not self.config.r1 <= self.k:
            raise ValueError(f"r1 ({self.config.r1}) must not exceed the encoder's {self.k} layers")

    def loss(self, batch: GraphBatch) -> tuple[torch.Tensor, dict[str, float]]:
        n = batch.x.shape[0]
        device = batch.x.device
        counts = torch.bincount(batch.batch, minlength=batch.num_graphs)
        starts = torch.cumsum(counts, 0) - counts
        centres = starts + (torch.rand(batch.num_graphs, device=device) * counts).long()
        dist = hop_distances(batch.edge_index, n, centres, self.config.r2)
        anchor = (dist >= self.config.r1) & (dist <= self.k)
        has_context = (
            scatter(anchor.long(), batch.batch, 0, dim_size=batch.num_graphs, reduce="sum") > 0
        )
        if int(has_context.sum()) < 2:  # nothing to contrast in this batch
            zero = torch.stack([p.sum() for p in self.parameters()]).sum() * 0.0
            return zero, {"accuracy": float("nan"), "molecules": 0.0}

        # substructure: K hops around the centre, through the encoder being pre-trained
        ids, edges, attrs = _induced(dist <= self.k, batch.edge_index, batch.edge_attr)
        h = self.encoder.node_embeddings(batch.x[ids], edges, attrs)
        position = torch.full((n,), -1, dtype=torch.long, device=device)
        position[ids] = torch.arange(len(ids), device=device)
        substructure = h[position[centres]]

        # context ring r1..r2, through the context encoder; mean over the anchor atoms
        ring = (dist >= self.config.r1) & (dist <= self.config.r2)
        ids, edges, attrs = _induced(ring, batch.edge_index, batch.edge_attr)
        c = self.context_encoder.node_embeddings(batch.x[ids], edges, attrs)
        is_anchor = anchor[ids]
        context = scatter(
            c[is_anchor], batch.batch[ids][is_anchor], 0, dim_size=batch.num_graphs, reduce="mean"
        )

        keep = has_context.nonzero().squeeze(1)
        sub, ctx = substructure[keep].float(), context[keep].float()
        positive = (sub * ctx).sum(1)
        negative = (sub * ctx.roll(1, dims=0)).sum(1)
        logits = torch.cat([positive, negative])
        labels = torch.cat([torch.ones_like(positive), torch.zeros_like(negative)])
        loss = F.binary_cross_entropy_with_logits(logits, labels)
        accuracy = float(((logits > 0).float() == labels).float().mean())
        return loss, {"accuracy": accuracy, "molecules": float(len(keep))}
