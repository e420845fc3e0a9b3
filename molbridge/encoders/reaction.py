"""Reaction encoder: one shared graph encoder reads both sides of a reaction; the two side
embeddings are combined into one reaction embedding."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from torch import nn

from molbridge.encoders.graph import GraphEncoder, GraphEncoderConfig

COMBINES = ("concat-diff", "diff")


class GraphBatchLike(Protocol):
    """What the encoder reads from a batch (`molbridge.data.packed.GraphBatch` fits; typed
    structurally because encoders must not import the data layer)."""

    x: torch.Tensor
    edge_index: torch.Tensor
    edge_attr: torch.Tensor
    batch: torch.Tensor
    num_graphs: int


@dataclass
class ReactionEncoderConfig:
    """Hyper-parameters of `ReactionEncoder`.

    Attributes:
        graph: the shared graph encoder's config (reactant and product sides use one encoder).
        combine: `concat-diff` gives `[h_r, h_p, h_p - h_r]` (3 x graph width); `diff` gives
            `h_p - h_r` (as the difference reaction fingerprint of Schneider et al. 2015).
        projection_dim: if set, a linear layer maps the combined vector to this width.
    """

    graph: GraphEncoderConfig = field(default_factory=GraphEncoderConfig)
    combine: str = "concat-diff"
    projection_dim: int | None = None

    def __post_init__(self) -> None:
        if self.combine not in COMBINES:
            raise ValueError(f"unknown combine {self.combine!r}; valid: {list(COMBINES)}")
        if self.projection_dim is not None and self.projection_dim < 1:
            raise ValueError(f"projection_dim must be positive or None, got {self.projection_dim}")

    @property
    def combined_dim(self) -> int:
        """Width of the combined side embeddings, before any projection."""
        return self.graph.hidden_dim * (3 if self.combine == "concat-diff" else 1)

    @property
    def out_dim(self) -> int:
        return self.projection_dim if self.projection_dim is not None else self.combined_dim

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "reaction",
            "graph": self.graph.to_config(),
            "combine": self.combine,
            "projection_dim": self.projection_dim,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ReactionEncoderConfig:
        if config.get("name") != "reaction":
            raise ValueError(f"not a reaction encoder config: {config}")
        return cls(
            GraphEncoderConfig.from_config(config["graph"]),
            config["combine"],
            config["projection_dim"],
        )


class ReactionEncoder(nn.Module):
    """Encodes reactant and product graphs with ONE `GraphEncoder` and combines them.

    Both sides run through the graph encoder in a single call (the two batches are stacked), so
    batch norm sees reactants and products together and the weights get one backward pass.
    A student model can take `encoder.graph`'s weights afterwards.

    Args:
        config: the hyper-parameters.
        graph: an existing graph encoder to share (e.g. a pre-trained one); its config must be
            `config.graph`. Built from `config.graph` when `None`.
    """

    def __init__(self, config: ReactionEncoderConfig, graph: GraphEncoder | None = None) -> None:
        super().__init__()
        if graph is not None and graph.config != config.graph:
            raise ValueError(
                f"the given graph encoder's config {graph.config} differs from {config.graph}"
            )
        self.config = config
        self.graph = graph if graph is not None else GraphEncoder(config.graph)
        self.projection = (
            nn.Linear(config.combined_dim, config.projection_dim)
            if config.projection_dim is not None
            else None
        )

    @property
    def out_dim(self) -> int:
        return self.config.out_dim

    def encode_sides(
        self, reactants: GraphBatchLike, products: GraphBatchLike
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Side embeddings `(h_r, h_p)`, each `[batch, graph.out_dim]`."""
        n = reactants.num_graphs
        if products.num_graphs != n:
            raise ValueError(
                f"{n} reactant graphs but {products.num_graphs} product graphs in the batch"
            )
        n_atoms = reactants.x.shape[0]
        # Stack both sides into one disjoint batch: product atoms and graphs come after the
        # reactants', so their edge and graph indices shift by the reactant counts.
        h = self.graph(
            torch.cat([reactants.x, products.x]),
            torch.cat([reactants.edge_index, products.edge_index + n_atoms], dim=1),
            torch.cat([reactants.edge_attr, products.edge_attr]),
            torch.cat([reactants.batch, products.batch + n]),
            2 * n,
        )
        return h[:n], h[n:]

    def forward(self, reactants: GraphBatchLike, products: GraphBatchLike) -> torch.Tensor:
        """Reaction embeddings `[batch, out_dim]` from aligned reactant and product batches
        (graph `i` of each is reaction `i`)."""
        h_r, h_p = self.encode_sides(reactants, products)
        if self.config.combine == "concat-diff":
            out = torch.cat([h_r, h_p, h_p - h_r], dim=-1)
        else:
            out = h_p - h_r
        return out if self.projection is None else self.projection(out)
