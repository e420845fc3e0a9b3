"""Per-molecule feature rows (tabular features, frozen-encoder embeddings), computed once, cached.

A `FeatureStore` answers `rows(smiles)` with one row per SMILES. SMILES it has not seen are
computed by its `compute` function in one call and kept in memory; `remember(smiles)` also keeps
them on disk, one `.npy` per requested list under `<cache>/features/<owner>/<digest>.npy`, where
`owner` names what computes them (a featurizer config, an encoder's weight digest) and `digest`
the SMILES list. A later run — another seed, another worker process — asking for the same list
reads the file and does no chemistry and no inference.

Written by hand: the graph-feature cache (`data/table.py`) keys by file, but these rows are asked
for by SMILES (train/valid parts move with the seed) and by owner.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from molbridge.data.table import default_cache_dir
from molbridge.io.atomic import atomic_write

log = logging.getLogger(__name__)

# Bump when what a cached row means changes (the computation behind an owner key).
STORE_FORMAT = 1


def owner_key(description: dict[str, Any]) -> str:
    """A short stable key for what computes the rows (a JSON-able description of it)."""
    text = json.dumps({"format": STORE_FORMAT, **description}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _list_digest(smiles: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for s in smiles:
        digest.update(s.encode())
        digest.update(b"\n")
    return digest.hexdigest()[:32]


class FeatureStore:
    """Rows by SMILES for one owner, in memory and (for `remember`ed lists) on disk.

    Args:
        owner: `owner_key(...)` of what `compute` computes.
        compute: SMILES -> `[n, d]` float32 rows, in order (raises on an invalid SMILES: callers
            pass only SMILES that parsed).
        cache_dir: the cache root (default `$MOLBRIDGE_CACHE_DIR` or `~/.cache/molbridge`);
            `None` with `disk=False` keeps everything in memory.
        disk: whether `remember` writes files.
    """

    def __init__(
        self,
        owner: str,
        compute: Callable[[list[str]], np.ndarray],
        cache_dir: Path | None = None,
        disk: bool = True,
    ) -> None:
        self.owner = owner
        self.compute = compute
        self.folder = (cache_dir or default_cache_dir()) / "features" / owner
        self.disk = disk
        self._index: dict[str, int] = {}
        self._blocks: list[np.ndarray] = []
        self._matrix: np.ndarray | None = None

    def _add(self, smiles: Sequence[str], rows: np.ndarray) -> None:
        if len(rows) != len(smiles):
            raise ValueError(f"{len(rows)} feature rows computed for {len(smiles)} molecules")
        start = sum(len(b) for b in self._blocks)
        self._blocks.append(np.asarray(rows, dtype=np.float32))
        self._matrix = None
        for i, s in enumerate(smiles):
            self._index.setdefault(s, start + i)

    def remember(
        self,
        smiles: Sequence[str],
        compute: Callable[[list[int]], np.ndarray] | None = None,
    ) -> None:
        """Make sure every SMILES of the list has its row, reading or writing the list's file.

        The file is named after the sorted set of the SMILES, so the same molecules asked for in
        another order (the train and valid parts of another seed) find it. `compute`, if given,
        gets positions in `smiles` and returns their rows (a caller that already holds the
        molecules' graphs embeds those instead of parsing the SMILES again).
        """
        unique = sorted(set(smiles))
        path = self.folder / f"{_list_digest(unique)}.npy"
        if all(s in self._index for s in unique):
            if not self.disk or path.exists():
                return
        elif self.disk and path.exists():
            try:
                self._add(unique, np.load(path, allow_pickle=False))
                log.debug("feature store hit: %s", path)
                return
            except (OSError, ValueError) as err:  # a damaged file is recomputed
                log.warning("feature cache %s unreadable (%s); recomputing", path, err)
        first: dict[str, int] = {}
        for i, s in enumerate(smiles):
            first.setdefault(s, i)
        missing = [s for s in unique if s not in self._index]
        if missing:
            if compute is None:
                self._add(missing, self.compute(missing))
            else:
                self._add(missing, compute([first[s] for s in missing]))
        if self.disk:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                with atomic_write(path) as partial, open(partial, "wb") as handle:
                    np.save(handle, self.rows(unique))
            except OSError as err:  # a full or read-only cache only costs time
                log.warning("could not write feature cache %s: %s", path, err)

    def rows(self, smiles: Sequence[str]) -> np.ndarray:
        """`[len(smiles), d]` float32, computing (in memory) the rows not yet known."""
        missing = list(dict.fromkeys(s for s in smiles if s not in self._index))
        if missing:
            self._add(missing, self.compute(missing))
        if not self._blocks:
            raise ValueError("the feature store holds no rows yet")
        if self._matrix is None:
            self._matrix = (
                np.concatenate(self._blocks) if len(self._blocks) > 1 else self._blocks[0]
            )
            self._blocks = [self._matrix]
        return self._matrix[[self._index[s] for s in smiles]]
