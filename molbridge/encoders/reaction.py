"""Reaction encoder: one shared graph encoder reads both sides of a reaction; the two side
embeddings are combined into one reaction embedding. `ReactionTeacher` builds on it: the
reaction-trained teacher of the reaction-distillation strategy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import torch
from torch import nn

from molbridge.encoders.graph import GraphEncoder, GraphEncoderConfig
from molbridge.nn import mlp
from molbridge.nn.projection import ProjectionHead, ProjectionHeadConfig

COMBINES = ("concat-diff", "diff")
# readouts a side can be pooled with from its components' node states
SIDE_POOLINGS = ("mean", "sum")


class GraphBatchLike(Protocol):
    """What the encoder reads from a batch (`molbridge.data.packed.GraphBatch` fits; typed
    structurally because encoders must not import the data layer)."""

    x: torch.Tensor
    edge_index: torch.Tensor
    edge_attr: torch.Tensor
    batch: torch.Tensor
    num_graphs: int


class ReactionBatchLike(Protocol):
    """What the reaction encoder reads (`molbridge.data.batch.ReactionBatch` fits): distinct
    component graphs and, per occurrence, its molecule (`members`) and side (`sides`; reaction
    `i`'s reactants are side `i`, its products side `size + i`)."""

    molecules: GraphBatchLike
    members: torch.Tensor
    sides: torch.Tensor
    size: int


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
        if self.graph.pooling not in SIDE_POOLINGS:
            raise ValueError(
                f"a reaction side pools its components' atoms: the graph encoder's pooling must "
                f"be one of {list(SIDE_POOLINGS)}, not {self.graph.pooling!r}"
            )
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

    The batch's distinct component molecules run through the graph encoder in a single call, so
    batch norm sees reactants and products together and the weights get one backward pass; in
    training, batch norm's statistics are those of the distinct molecules (each counted once),
    not of every occurrence. A student model can take `encoder.graph`'s weights afterwards.

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

    def encode_sides(self, batch: ReactionBatchLike) -> tuple[torch.Tensor, torch.Tensor]:
        """Side embeddings `(h_r, h_p)`, each `[batch.size, graph.out_dim]`.

        Each distinct component is encoded once; a side pools the node states of all its
        components' atoms (mean or sum, as the graph encoder's readout), which is what the
        graph encoder's readout gives for the side as one disconnected graph: message passing
        never crosses components.
        """
        m = batch.molecules
        nodes = self.graph.node_embeddings(m.x, m.edge_index, m.edge_attr)
        width = nodes.shape[1]
        sums = nodes.new_zeros(m.num_graphs, width).index_add_(0, m.batch, nodes)
        atoms = torch.bincount(m.batch, minlength=m.num_graphs).to(nodes.dtype)
        n_sides = 2 * batch.size
        side_sums = nodes.new_zeros(n_sides, width).index_add_(0, batch.sides, sums[batch.members])
        if self.config.graph.pooling == "mean":
            side_atoms = nodes.new_zeros(n_sides).index_add_(0, batch.sides, atoms[batch.members])
            side_sums = side_sums / side_atoms.clamp_min(1).unsqueeze(1)
        return side_sums[: batch.size], side_sums[batch.size :]

    def forward(self, batch: ReactionBatchLike) -> torch.Tensor:
        """Reaction embeddings `[batch.size, out_dim]`."""
        h_r, h_p = self.encode_sides(batch)
        if self.config.combine == "concat-diff":
            out = torch.cat([h_r, h_p, h_p - h_r], dim=-1)
        else:
            out = h_p - h_r
        return out if self.projection is None else self.projection(out)


@dataclass
class ReactionTeacherConfig:
    """Hyper-parameters of `ReactionTeacher`.

    Attributes:
        reaction: the reaction encoder (its graph encoder reads single molecules too).
        embedding_dim: width of the space where reactants are transformed into products (the
            teacher's per-molecule representation, which a student distils).
        n_classes: reaction classes of the class head (USPTO-50K: 10).
        head_hidden: hidden width of the class and yield heads.
    """

    reaction: ReactionEncoderConfig = field(default_factory=ReactionEncoderConfig)
    embedding_dim: int = 256
    n_classes: int = 10
    head_hidden: int = 256

    def __post_init__(self) -> None:
        if self.reaction.projection_dim is not None:
            raise ValueError("the teacher's reaction encoder has no projection of its own")
        for name in ("embedding_dim", "n_classes", "head_hidden"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "reaction-teacher",
            "reaction": self.reaction.to_config(),
            "embedding_dim": self.embedding_dim,
            "n_classes": self.n_classes,
            "head_hidden": self.head_hidden,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ReactionTeacherConfig:
        if config.get("name") != "reaction-teacher":
            raise ValueError(f"not a reaction teacher config: {config}")
        return cls(
            ReactionEncoderConfig.from_config(config["reaction"]),
            int(config["embedding_dim"]),
            int(config["n_classes"]),
            int(config["head_hidden"]),
        )


class TeacherOutputs(NamedTuple):
    """What the teacher makes of a batch of reactions (`b` rows each).

    Attributes:
        transformed: `[b, embedding_dim]` the reactants' embedding moved by the learned
            transformation: where the teacher expects the product.
        product: `[b, embedding_dim]` the products' embedding.
        class_logits: `[b, n_classes]` reaction class.
        yield_pred: `[b]` predicted yield in [0, 1].
    """

    transformed: torch.Tensor
    product: torch.Tensor
    class_logits: torch.Tensor
    yield_pred: torch.Tensor


class ReactionTeacher(nn.Module):
    """The reaction-trained teacher of strategy 1 (reaction distillation).

    One graph encoder reads each side of a reaction (`ReactionEncoder`); a projection maps a
    side's pooled embedding `h` into the transformation space, `z = P(h)`; the reactants'
    `z_r` plus a learned residual transformation, `z_r + T(z_r)`, is trained to land on the
    product's `z_p`. Class and yield heads read the combined reaction embedding
    `[h_r, h_p, h_p - h_r]`. For a single molecule, `P(graph(molecule))` is the teacher's
    representation (`molecule_encoder`).
    """

    def __init__(self, config: ReactionTeacherConfig) -> None:
        super().__init__()
        self.config = config
        self.reaction = ReactionEncoder(config.reaction)
        width, dim = config.reaction.graph.hidden_dim, config.embedding_dim
        self.project = ProjectionHead(ProjectionHeadConfig(width, dim, dropout=0.0))
        self.transform = mlp(dim, dim, dim)
        self.class_head = mlp(config.reaction.out_dim, config.head_hidden, config.n_classes)
        self.yield_head = mlp(config.reaction.out_dim, config.head_hidden, 1)

    @property
    def out_dim(self) -> int:
        """Width of the per-molecule representation."""
        return self.config.embedding_dim

    def forward(self, batch: ReactionBatchLike) -> TeacherOutputs:
        h_r, h_p = self.reaction.encode_sides(batch)
        z_r = self.project(h_r)
        combined = torch.cat([h_r, h_p, h_p - h_r], dim=-1)
        return TeacherOutputs(
            z_r + self.transform(z_r),
            self.project(h_p),
            self.class_head(combined),
            torch.sigmoid(self.yield_head(combined).squeeze(-1)),
        )

    def molecule_encoder(self) -> MoleculeRepresentation:
        """A module giving the teacher's representation of single molecules (`[b, out_dim]`
        from a graph batch's tensors), sharing these weights."""
        return MoleculeRepresentation(self.reaction.graph, self.project)


class MoleculeRepresentation(nn.Module):
    """`graph -> projection`: the per-molecule representation of a teacher."""

    def __init__(self, graph: GraphEncoder, project: nn.Module) -> None:
        super().__init__()
        self.graph, self.project = graph, project

    @property
    def out_dim(self) -> int:
        return int(self.project.out_dim)  # type: ignore[arg-type]

    def forward(
        self,
        x: torch.Tensor,
        edge_index: torch.Tensor,
        edge_attr: torch.Tensor,
        batch: torch.Tensor,
        num_graphs: int,
    ) -> torch.Tensor:
        return self.project(self.graph(x, edge_index, edge_attr, batch, num_graphs))
