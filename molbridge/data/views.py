"""Other views of a corpus's molecules, keyed by molecule id and joined to graph batches.

A *stored view* (fingerprints, descriptors, a frozen encoder's embeddings, SMILES) is computed
once per corpus into a folder under the corpus's cache entry: `values.npy` `[n_ids, ...]` and
`present.npy` `[n_ids]` bool, both memory-mapped, so a batch reads only its own rows and resident
memory does not grow with the corpus. Row `i` belongs to molecule id `i` (the corpus input row);
a molecule without the view (an invalid row, a molecule with no spectrum) has `present = False`.
Bit fingerprints are stored packed (8 bits a byte) and unpacked per batch.

A *rendered view* (2-D depictions) is drawn on demand from the SMILES view, with a bounded
per-molecule cache, because storing MOSES's images at 128 px would take about 77 GB.

`ViewJoin` turns a `GraphBatch` with ids into a `MultiViewBatch`. Written here (not a library):
the join is a numpy gather by id on memory-mapped arrays; no data-loading library keys
heterogeneous per-molecule arrays by a shared id.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from molbridge.data.batch import GraphBatch, MultiViewBatch

VIEW_FORMAT = 1


class View(Protocol):
    """Anything that gives rows of a view by molecule id."""

    def lookup(self, ids: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """`(values [len(ids), ...], present [len(ids)] bool)`; absent rows are zeros."""
        ...


@dataclass
class StoredView:
    """A view stored on disk (see the module docstring); open with `StoredView.open`."""

    root: Path
    meta: dict[str, Any]
    values: np.ndarray
    present: np.ndarray

    @classmethod
    def open(cls, root: Path) -> StoredView:
        meta = json.loads((root / "meta.json").read_text())
        return cls(root, meta, *_map(root))

    def __len__(self) -> int:
        return len(self.present)

    def release(self) -> None:
        """Map the files afresh, dropping the pages read so far from this process's resident
        memory (a stream calls it after each shard, whose ids are one window of the view)."""
        self.values, self.present = _map(self.root)

    def lookup(self, ids: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        ids = np.asarray(ids, dtype=np.int64)
        values = np.asarray(self.values[ids])
        if self.meta.get("packed_bits"):
            values = np.unpackbits(values, axis=1, count=int(self.meta["packed_bits"]))
        present = np.asarray(self.present[ids], dtype=bool)
        values = values.copy() if not values.flags.writeable else values
        values[~present] = 0
        return torch.from_numpy(values), torch.from_numpy(present)

    def has(self, ids: np.ndarray) -> np.ndarray:
        """`[len(ids)]` bool: which molecules have this view."""
        return np.asarray(self.present[np.asarray(ids, dtype=np.int64)], dtype=bool)

    def texts(self, ids: np.ndarray) -> list[str]:
        """For a text view (SMILES): the strings of `ids` ('' where absent)."""
        raw = self.values[np.asarray(ids, dtype=np.int64)]
        return [bytes(v).decode() for v in raw]


def _map(root: Path) -> tuple[np.ndarray, np.ndarray]:
    """A stored view's values and presence mask, memory-mapped read-only."""
    return (
        np.load(root / "values.npy", mmap_mode="r"),
        np.load(root / "present.npy", mmap_mode="r"),
    )


def view_key(name: str, config: Mapping[str, Any]) -> str:
    """The folder name of a view: its name and a digest of what made it."""
    digest = hashlib.sha256(json.dumps(dict(config), sort_keys=True).encode()).hexdigest()
    return f"{name}-{digest[:16]}"


def build_view(
    root: Path,
    n_ids: int,
    row_shape: tuple[int, ...],
    dtype: Any,
    chunks: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]],
    meta: dict[str, Any],
) -> StoredView:
    """Write a stored view once (a later call finds it), atomically.

    Args:
        root: the view's folder (see `view_key`).
        n_ids: molecule ids in the corpus (`n_inputs`).
        row_shape, dtype: shape and dtype of one row as stored.
        chunks: `(ids, values [len(ids), *row_shape], present [len(ids)])` covering any ids;
            ids never given stay absent.
        meta: what made the view (featurizer or encoder config), kept in `meta.json`.
    """
    if (root / "meta.json").exists():
        return StoredView.open(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
    try:
        values = np.lib.format.open_memmap(
            staging / "values.npy", mode="w+", dtype=dtype, shape=(n_ids, *row_shape)
        )
        present = np.lib.format.open_memmap(
            staging / "present.npy", mode="w+", dtype=bool, shape=(n_ids,)
        )
        for ids, rows, ok in chunks:
            values[ids] = rows
            present[ids] = ok
        values.flush()
        present.flush()
        del values, present
        (staging / "meta.json").write_text(
            json.dumps({**meta, "n_ids": n_ids, "format": VIEW_FORMAT})
        )
        os.replace(staging, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return StoredView.open(root)


@dataclass
class RenderedView:
    """Rows drawn on demand from each molecule's SMILES, at most `cache_size` kept (the most
    recently used), so memory stays bounded whatever the corpus size.

    Args:
        smiles: the corpus's SMILES view.
        render: SMILES -> `(row, ok)`; `ok` False for a molecule it cannot draw.
        row_shape, dtype: of one rendered row.
        cache_size: molecules kept rendered.
    """

    smiles: StoredView
    render: Callable[[str], tuple[np.ndarray, bool]]
    row_shape: tuple[int, ...]
    dtype: Any = np.uint8
    cache_size: int = 4096
    _cache: OrderedDict[int, tuple[np.ndarray, bool]] = field(default_factory=OrderedDict)
    renders: int = 0  # how many rows were drawn (not served from the cache)
    meta: dict[str, Any] = field(default_factory=dict)  # what is drawn (names derived views)

    def __len__(self) -> int:
        return len(self.smiles)

    def lookup(self, ids: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        ids = np.asarray(ids, dtype=np.int64)
        out = np.zeros((len(ids), *self.row_shape), dtype=self.dtype)
        present = np.zeros(len(ids), dtype=bool)
        has_smiles = self.smiles.has(ids)
        texts = self.smiles.texts(ids)
        for i, (mol_id, text) in enumerate(zip(ids.tolist(), texts, strict=True)):
            if not has_smiles[i]:
                continue
            if mol_id in self._cache:
                self._cache.move_to_end(mol_id)
            else:
                self._cache[mol_id] = self.render(text)
                self.renders += 1
                if len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            row, ok = self._cache[mol_id]
            if ok:
                out[i], present[i] = row, True
        return torch.from_numpy(out), torch.from_numpy(present)


@dataclass
class ViewJoin:
    """Joins named views to graph batches by molecule id: `GraphBatch` -> `MultiViewBatch`."""

    views: dict[str, View]

    def release(self) -> None:
        """Let every stored view (and a rendered view's SMILES) unmap what it has read."""
        for view in self.views.values():
            for owner in (view, getattr(view, "smiles", None)):
                release = getattr(owner, "release", None)
                if release is not None:
                    release()

    def join(self, batch: GraphBatch) -> MultiViewBatch:
        if batch.ids is None:
            raise ValueError("a batch without molecule ids cannot be joined to other views")
        ids = batch.ids.numpy()
        values, present = {}, {}
        for name, view in self.views.items():
            values[name], present[name] = view.lookup(ids)
        return MultiViewBatch(batch, values, present)
