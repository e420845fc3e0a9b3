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
    """

    x: torch.Tensor
    edge_index: torch.Tensor
    edge_attr: torch.Tensor
    batch: torch.Tensor
    num_graphs: int
    y: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> GraphBatch:
        return GraphBatch(
            self.x.to(device),
            self.edge_index.to(device),
            self.edge_attr.to(device),
            self.batch.to(device),
            self.num_graphs,
            None if self.y is None else self.y.to(device),
        )
