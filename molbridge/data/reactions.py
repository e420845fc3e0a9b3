"""Bundled reaction datasets, the Yield-BERT splits, and packing reaction graphs for batching.

The files live in `molbridge/data/bundled/reactions/` (provenance and column meanings in its
`SOURCES.md`) and are checked against `bundled/SHA256SUMS` every time they are opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import torch

from molbridge.data.batch import ReactionBatch
from molbridge.data.packed import PackedGraphs
from molbridge.data.registry import BUNDLED_DIR, DataIntegrityError, verified_path
from molbridge.featurize.reaction import ReactionFeaturizer, ReactionGraphs

REACTIONS_DIR = BUNDLED_DIR / "reactions"


@dataclass(frozen=True)
class _ReactionSource:
    file: str  # relative to the bundled folder, as listed in SHA256SUMS
    orderings: str | None  # the Yield-BERT row orders, if the set has them
    order_column: str | None  # the orderings file's column naming the sheet / split file


_SOURCES: dict[str, _ReactionSource] = {
    "buchwald_hartwig": _ReactionSource(
        "reactions/buchwald_hartwig/buchwald_hartwig.csv.gz",
        "reactions/buchwald_hartwig/buchwald_hartwig_orderings.csv.gz",
        "sheet",
    ),
    "suzuki_miyaura": _ReactionSource(
        "reactions/suzuki_miyaura/suzuki_miyaura.csv.gz",
        "reactions/suzuki_miyaura/suzuki_miyaura_orderings.csv.gz",
        "split",
    ),
    "uspto_50k": _ReactionSource("reactions/uspto_50k/uspto_50k_u.csv.gz", None, None),
}
REACTION_DATASETS = tuple(_SOURCES)

# Yield-BERT (Schwaller et al. 2021, rxn_yields `NAME_SPLIT`): per sheet, the number N with
# train = the sheet's first N - 1 rows and test = the rest (rxn_yields: "paper has starting
# index 1 not 0"). FullCV_xx: 2767 train / 1188 test, the 70/30 random splits.
_BH_SPLIT_N = {f"FullCV_{k:02d}": 2768 for k in range(1, 11)} | {
    "Test1": 3058,
    "Test2": 3056,
    "Test3": 3059,
    "Test4": 3056,
}
# Suzuki–Miyaura: train = the first 4032 rows (70 %) of random_split_k, test = the other 1728.
_SM_SPLIT_TRAIN = {f"random_split_{k}": 4032 for k in range(10)}


@dataclass(frozen=True)
class ReactionTable:
    """One bundled reaction dataset; row `i` is the file's row `i` (its `rxn_id` where it has one).

    Attributes:
        name: dataset name (`buchwald_hartwig`, `suzuki_miyaura`, `uspto_50k`).
        rxn: reaction SMILES `reactants>agents>products`, one per row.
        yield_frac: `[n]` float64 yield as a fraction in [0, 1], or `None` (USPTO-50K).
        label: `[n]` int64 reaction class 0-9 (USPTO-50K), or `None`.
        split: `[n]` the file's own `train`/`test` assignment (USPTO-50K: SynRXN's), or `None`.
    """

    name: str
    rxn: list[str]
    yield_frac: np.ndarray | None = None
    label: np.ndarray | None = None
    split: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.rxn)


def _source(name: str) -> _ReactionSource:
    if name not in _SOURCES:
        raise KeyError(
            f"unknown reaction dataset {name!r}; bundled reaction datasets: "
            f"{', '.join(REACTION_DATASETS)}"
        )
    return _SOURCES[name]


def load_reactions(name: str) -> ReactionTable:
    """Read a bundled reaction dataset.

    Buchwald–Hartwig's `yield_pct` (percent) is divided by 100; Suzuki–Miyaura's `yield_frac`
    is already a fraction; USPTO-50K has `label` and `split` but no yields.

    Raises:
        KeyError: unknown name (the message lists the valid ones).
        DataIntegrityError: the bundled file does not match its recorded sha256.
    """
    source = _source(name)
    frame = pd.read_csv(verified_path(source.file))
    if "rxn_id" in frame and not np.array_equal(frame["rxn_id"].to_numpy(), np.arange(len(frame))):
        # The orderings files refer to rows by rxn_id; both must be the row index.
        raise DataIntegrityError(f"{source.file}: rxn_id is not the row index")
    yield_frac = None
    if "yield_pct" in frame:
        yield_frac = frame["yield_pct"].to_numpy(np.float64) / 100.0
    elif "yield_frac" in frame:
        yield_frac = frame["yield_frac"].to_numpy(np.float64)
    return ReactionTable(
        name=name,
        rxn=frame["rxn"].astype(str).tolist(),
        yield_frac=yield_frac,
        label=frame["label"].to_numpy(np.int64) if "label" in frame else None,
        split=frame["split"].to_numpy(str) if "split" in frame else None,
    )


def yield_bert_split(name: str, index: int | str) -> tuple[np.ndarray, np.ndarray]:
    """Train and test row indices (into `load_reactions(name)`) of the Yield-BERT protocol.

    Args:
        name: `buchwald_hartwig` or `suzuki_miyaura`.
        index: Buchwald–Hartwig: 1-10 for sheet `FullCV_01`..`FullCV_10`, or a sheet name
            (`FullCV_xx`, `Test1`..`Test4`); Suzuki–Miyaura: 0-9 for `random_split_0`..`_9`, or
            that name.

    Returns:
        `(train, test)` int64 arrays in the sheet's row order (not sorted). Buchwald–Hartwig:
        train = the first N - 1 rows of the sheet, N = 2768 for FullCV (2767 / 1188), 3058
        Test1, 3056 Test2, 3059 Test3, 3056 Test4. Suzuki–Miyaura: the first 4032 rows train,
        the other 1728 test.
    """
    _source(name)  # an unknown name raises listing the valid ones
    if name == "buchwald_hartwig":
        sheet = f"FullCV_{index:02d}" if isinstance(index, int) else index
        if sheet not in _BH_SPLIT_N:
            raise KeyError(f"unknown Yield-BERT split {index!r}; valid: {sorted(_BH_SPLIT_N)}")
        n_train = _BH_SPLIT_N[sheet] - 1
    elif name == "suzuki_miyaura":
        sheet = f"random_split_{index}" if isinstance(index, int) else index
        if sheet not in _SM_SPLIT_TRAIN:
            raise KeyError(f"unknown Yield-BERT split {index!r}; valid: {sorted(_SM_SPLIT_TRAIN)}")
        n_train = _SM_SPLIT_TRAIN[sheet]
    else:
        raise KeyError(f"{name!r} has no Yield-BERT splits; only buchwald_hartwig, suzuki_miyaura")
    order = _ordering(name, sheet)
    return order[:n_train].copy(), order[n_train:].copy()


@cache
def _orderings(name: str) -> pd.DataFrame:
    source = _source(name)
    assert source.orderings is not None  # callers ask only for sets with orderings
    return pd.read_csv(verified_path(source.orderings))


def _ordering(name: str, sheet: str) -> np.ndarray:
    """The `rxn_id`s of `sheet`, in the sheet's row order."""
    source = _source(name)
    frame = _orderings(name)
    rows = frame[frame[str(source.order_column)] == sheet].sort_values("position")
    return rows["rxn_id"].to_numpy(np.int64)


# -- packing for batches -------------------------------------------------------------------


@dataclass
class PackedReactions:
    """Reactions stored as their distinct component molecules, each featurized once, and per
    reaction the components of each side (CSR: side `i` lists `ids[ptr[i]:ptr[i + 1]]`).

    Attributes:
        molecules: the distinct components' graphs.
        smiles: `[n_molecules]` their SMILES as written.
        reactant_ptr, reactant_ids: each reaction's reactant components (agents included when
            the featurizer puts them there; kept-apart agents are on neither side).
        product_ptr, product_ids: each reaction's product components.
    """

    molecules: PackedGraphs
    smiles: np.ndarray
    reactant_ptr: np.ndarray
    reactant_ids: np.ndarray
    product_ptr: np.ndarray
    product_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.reactant_ptr) - 1

    def collate(
        self, indices: Sequence[int] | np.ndarray, y: np.ndarray | None = None
    ) -> ReactionBatch:
        """Batch the reactions at `indices` (in that order), with their rows of `y` if given:
        the batch's distinct components once each, and which side each occurrence pools into
        (reaction `i`'s reactants are side `i`, its products side `b + i`)."""
        idx = np.asarray(indices, dtype=np.int64)
        b = len(idx)
        r_members, r_counts = _gather(self.reactant_ptr, self.reactant_ids, idx)
        p_members, p_counts = _gather(self.product_ptr, self.product_ids, idx)
        members = np.concatenate([r_members, p_members])
        sides = np.concatenate(
            [np.repeat(np.arange(b), r_counts), b + np.repeat(np.arange(b), p_counts)]
        )
        distinct, position = np.unique(members, return_inverse=True)
        return ReactionBatch(
            self.molecules.collate(distinct),
            torch.from_numpy(position.astype(np.int64).reshape(-1)),
            torch.from_numpy(sides.astype(np.int64)),
            b,
            None if y is None else torch.from_numpy(np.ascontiguousarray(y[idx], np.float32)),
        )

    def subset(self, indices: Sequence[int] | np.ndarray) -> PackedReactions:
        """The reactions at `indices`, in that order (the molecule table is shared)."""
        idx = np.asarray(indices, dtype=np.int64)
        r_members, r_counts = _gather(self.reactant_ptr, self.reactant_ids, idx)
        p_members, p_counts = _gather(self.product_ptr, self.product_ids, idx)
        return PackedReactions(
            self.molecules,
            self.smiles,
            np.concatenate([[0], np.cumsum(r_counts)]).astype(np.int64),
            r_members,
            np.concatenate([[0], np.cumsum(p_counts)]).astype(np.int64),
            p_members,
        )


def _gather(ptr: np.ndarray, ids: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The CSR rows `idx` concatenated, and each row's length."""
    counts = ptr[idx + 1] - ptr[idx]
    if not len(idx):
        return np.zeros(0, np.int64), counts
    starts = np.repeat(ptr[idx], counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return ids[starts + offsets].astype(np.int64), counts


def pack_reactions(
    graphs: Sequence[ReactionGraphs], featurizer: ReactionFeaturizer
) -> PackedReactions:
    """Pack featurized reactions (from `featurizer`): each distinct component SMILES stored
    once, sides as lists of component numbers."""
    table: dict[str, int] = {}
    molecules: list = []
    ptrs: dict[str, list[int]] = {"reactants": [0], "products": [0]}
    ids: dict[str, list[int]] = {"reactants": [], "products": []}
    for reaction in graphs:
        for side in ("reactants", "products"):
            for component in getattr(reaction, side):
                if component not in table:
                    table[component] = len(molecules)
                    molecules.append(reaction.graphs[component])
                ids[side].append(table[component])
            ptrs[side].append(len(ids[side]))
    n_atom_features = len(featurizer.graph.atom_features)
    n_bond_features = len(featurizer.graph.bond_features)
    return PackedReactions(
        PackedGraphs.from_graphs(molecules, n_atom_features, n_bond_features),
        np.asarray(list(table), dtype=object),
        np.asarray(ptrs["reactants"], np.int64),
        np.asarray(ids["reactants"], np.int64),
        np.asarray(ptrs["products"], np.int64),
        np.asarray(ids["products"], np.int64),
    )
