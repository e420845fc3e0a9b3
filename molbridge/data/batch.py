"""Batch types: torch-only, so the model layers (`nn/`, `encoders/`, `tasks/`) can import them
without importing the data layer's RDKit."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class GraphBatch:
    """A batch of graphs in PyG's layout.

    Attributes:
        x: `[n_atoms, n_atom_features]` int64 atom categories.
        edge_index: `[2, n_edges]` int64, indices into the batch's atoms.
        edge_attr: `[n_edges, n_bond_features]` int64 bond categories.
        batch: `[n_atoms]` int64 graph index of each atom.
        num_graphs: number of graphs.
        y: `[num_graphs, n_tasks]` float32 targets (NaN where missing), or `None`.
        ids: `[num_graphs]` int64 stable molecule ids (a corpus's input row), or `None`: the key
            by which other views of the same molecules are joined to the batch.
    """

    x: torch.Tensor
    edge_index: torch.Tensor
    edge_attr: torch.Tensor
    batch: torch.Tensor
    num_graphs: int
    y: torch.Tensor | None = None
    ids: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> GraphBatch:
        return GraphBatch(
            self.x.to(device),
            self.edge_index.to(device),
            self.edge_attr.to(device),
            self.batch.to(device),
            self.num_graphs,
            None if self.y is None else self.y.to(device),
            None if self.ids is None else self.ids.to(device),
        )


@dataclass
class MultiViewBatch:
    """Several views of the same molecules: the graph batch, and per named view its rows for
    these molecules (joined by id) with a mask of the molecules that have that view.

    Attributes:
        graph: the molecules' graphs (`graph.ids` holds their ids).
        views: view name -> `[num_graphs, ...]` tensor (rows of absent molecules are zeros).
        present: view name -> `[num_graphs]` bool, True where the molecule has the view (most
            molecules have no spectrum); a strategy leaves absent rows out of that view's loss.
    """

    graph: GraphBatch
    views: dict[str, torch.Tensor]
    present: dict[str, torch.Tensor]

    @property
    def num_graphs(self) -> int:
        return self.graph.num_graphs

    @property
    def ids(self) -> torch.Tensor | None:
        return self.graph.ids

    def to(self, device: torch.device | str) -> MultiViewBatch:
        return MultiViewBatch(
            self.graph.to(device),
            {k: v.to(device) for k, v in self.views.items()},
            {k: v.to(device) for k, v in self.present.items()},
        )


@dataclass
class ReactionBatch:
    """A batch of `size` reactions: the distinct component molecules of the batch, once each,
    and for every occurrence of a component on a side, which molecule and which side.

    Reaction `i`'s reactant side is side `i`, its product side `size + i`; a side's embedding
    pools the atoms of all its components (as if they were one disconnected graph), computed
    from the component graphs, each encoded once per batch.

    Attributes:
        molecules: the distinct components' graphs.
        members: `[k]` int64, for each occurrence, its molecule in `molecules`.
        sides: `[k]` int64, the side of that occurrence, in `[0, 2 * size)`.
        size: number of reactions.
        y: `[size, n_tasks]` float32 targets (e.g. yields), or `None`.
        label: `[size]` int64 reaction class, -1 where unknown, or `None`.
        yield_frac: `[size]` float32 yield in [0, 1], NaN where unknown, or `None`.
        ids: `[size]` int64 reaction ids in their stream, or `None`.
        product_group: `[size]` int64, equal for reactions that make the same product (so a
            contrastive loss does not push them apart), or `None`.
        set_mean_yield: `[size]` float32 mean yield of each reaction's set (NaN where the set
            has none), or `None`.
    """

    molecules: GraphBatch
    members: torch.Tensor
    sides: torch.Tensor
    size: int
    y: torch.Tensor | None = None
    label: torch.Tensor | None = None
    yield_frac: torch.Tensor | None = None
    ids: torch.Tensor | None = None
    product_group: torch.Tensor | None = None
    set_mean_yield: torch.Tensor | None = None

    @property
    def num_graphs(self) -> int:
        """Reactions in the batch (what a batch's size means for logging)."""
        return self.size

    def to(self, device: torch.device | str) -> ReactionBatch:
        def move(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.to(device)

        return ReactionBatch(
            self.molecules.to(device),
            self.members.to(device),
            self.sides.to(device),
            self.size,
            move(self.y),
            move(self.label),
            move(self.yield_frac),
            move(self.ids),
            move(self.product_group),
            move(self.set_mean_yield),
        )
