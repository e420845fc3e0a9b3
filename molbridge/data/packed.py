"""Many molecular graphs in a few contiguous arrays, and the collate that batches them.

Written by hand because no library stores graphs this way: a PyG `Data` object per molecule
costs a Python object per molecule in the hot loop; here a batch is a handful of numpy gathers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from molbridge.data.batch import GraphBatch

if TYPE_CHECKING:  # the featurizer imports RDKit; the store itself needs only numpy and torch
    from molbridge.featurize.graph import MolGraph


_ARRAYS = ("x", "edge_index", "edge_attr", "atom_ptr", "edge_ptr")


@dataclass
class PackedGraphs:
    """Graphs stored end to end.

    Attributes:
        x: `[total_atoms, n_atom_features]` uint8 atom categories.
        edge_index: `[2, total_edges]` int32, atom indices local to each molecule.
        edge_attr: `[total_edges, n_bond_features]` uint8 bond categories.
        atom_ptr: `[n_graphs + 1]` int64 start of each molecule's atoms.
        edge_ptr: `[n_graphs + 1]` int64 start of each molecule's edges.
    """

    x: np.ndarray
    edge_index: np.ndarray
    edge_attr: np.ndarray
    atom_ptr: np.ndarray
    edge_ptr: np.ndarray

    def __len__(self) -> int:
        return len(self.atom_ptr) - 1

    @classmethod
    def from_graphs(
        cls, graphs: Sequence[MolGraph], n_atom_features: int, n_bond_features: int
    ) -> PackedGraphs:
        atom_counts = np.array([len(g.x) for g in graphs], dtype=np.int64)
        edge_counts = np.array([g.edge_index.shape[1] for g in graphs], dtype=np.int64)
        atom_ptr = np.concatenate([[0], np.cumsum(atom_counts)])
        edge_ptr = np.concatenate([[0], np.cumsum(edge_counts)])
        if graphs:
            x = np.concatenate([g.x for g in graphs]).astype(np.uint8)
            edge_index = np.concatenate([g.edge_index for g in graphs], axis=1).astype(np.int32)
            edge_attr = np.concatenate([g.edge_attr for g in graphs]).astype(np.uint8)
        else:
            x = np.zeros((0, n_atom_features), np.uint8)
            edge_index = np.zeros((2, 0), np.int32)
            edge_attr = np.zeros((0, n_bond_features), np.uint8)
        edge_index = edge_index.reshape(2, -1)
        edge_attr = edge_attr.reshape(-1, n_bond_features)
        return cls(x, edge_index, edge_attr, atom_ptr, edge_ptr)

    def graph(self, i: int) -> MolGraph:
        """Molecule `i` as a `MolGraph` (int64 arrays)."""
        from molbridge.featurize.graph import MolGraph

        a0, a1 = self.atom_ptr[i], self.atom_ptr[i + 1]
        e0, e1 = self.edge_ptr[i], self.edge_ptr[i + 1]
        return MolGraph(
            self.x[a0:a1].astype(np.int64),
            self.edge_index[:, e0:e1].astype(np.int64),
            self.edge_attr[e0:e1].astype(np.int64),
        )

    def collate(
        self,
        indices: Sequence[int] | np.ndarray,
        y: np.ndarray | None = None,
        ids: np.ndarray | None = None,
    ) -> GraphBatch:
        """Batch the molecules at `indices` (in that order), with their rows of `y` and their
        molecule ids (`ids[i]` is molecule `i`'s) if given."""
        idx = np.asarray(indices, dtype=np.int64)
        atom_start, atom_count = self.atom_ptr[idx], np.diff(self.atom_ptr)[idx]
        edge_start, edge_count = self.edge_ptr[idx], np.diff(self.edge_ptr)[idx]
        atom_gather = _ranges(atom_start, atom_count)
        edge_gather = _ranges(edge_start, edge_count)
        new_atom_offset = np.cumsum(atom_count) - atom_count
        edge_index = self.edge_index[:, edge_gather].astype(np.int64)
        edge_index += np.repeat(new_atom_offset, edge_count)
        return GraphBatch(
            x=torch.from_numpy(self.x[atom_gather].astype(np.int64)),
            edge_index=torch.from_numpy(edge_index),
            edge_attr=torch.from_numpy(self.edge_attr[edge_gather].astype(np.int64)),
            batch=torch.from_numpy(np.repeat(np.arange(len(idx)), atom_count)),
            num_graphs=len(idx),
            y=None if y is None else torch.from_numpy(np.ascontiguousarray(y[idx], np.float32)),
            ids=None if ids is None else torch.from_numpy(np.asarray(ids[idx], np.int64)),
        )

    def subset(self, indices: Sequence[int] | np.ndarray) -> PackedGraphs:
        """A new store holding the molecules at `indices`, in that order (arrays copied)."""
        idx = np.asarray(indices, dtype=np.int64)
        atom_count, edge_count = np.diff(self.atom_ptr)[idx], np.diff(self.edge_ptr)[idx]
        edge_gather = _ranges(self.edge_ptr[idx], edge_count)
        return PackedGraphs(
            x=self.x[_ranges(self.atom_ptr[idx], atom_count)],
            edge_index=self.edge_index[:, edge_gather],  # local indices stay valid
            edge_attr=self.edge_attr[edge_gather],
            atom_ptr=np.concatenate([[0], np.cumsum(atom_count)]).astype(np.int64),
            edge_ptr=np.concatenate([[0], np.cumsum(edge_count)]).astype(np.int64),
        )

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name in _ARRAYS:
            np.save(directory / f"{name}.npy", getattr(self, name))

    @classmethod
    def load(cls, directory: Path, mmap: bool = False) -> PackedGraphs:
        if mmap:
            arrays = {n: np.load(directory / f"{n}.npy", mmap_mode="r") for n in _ARRAYS}
        else:
            arrays = {n: np.load(directory / f"{n}.npy") for n in _ARRAYS}
        return cls(**arrays)


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of `arange(s, s + c)` for each pair, without a Python loop."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return np.arange(total, dtype=np.int64) + offsets
