"""Reactions from the bundled sets as one stream: reactant and product graphs, the reaction
class where known (USPTO-50K) and the yield where known (Buchwald–Hartwig, Suzuki–Miyaura),
for strategies that learn from reactions."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from molbridge.chem import InvalidMoleculeError
from molbridge.data.batch import ReactionBatch
from molbridge.data.reactions import PackedReactions, load_reactions, pack_reactions
from molbridge.featurize.reaction import ReactionFeaturizer

log = logging.getLogger(__name__)


@dataclass
class ReactionCorpus:
    """Featurized reactions of one or more bundled sets, in order.

    Attributes:
        reactions: the packed reactant/product (and agent) graphs.
        label: `[n]` int64 reaction class, -1 where the set has none.
        yield_frac: `[n]` float32 yield in [0, 1], NaN where the set has none.
        source: `[n]` the set each reaction comes from.
        row: `[n]` the reaction's row in its set's file.
        skipped: `(set, row, reason)` of reactions that could not be featurized.
    """

    reactions: PackedReactions
    label: np.ndarray
    yield_frac: np.ndarray
    source: np.ndarray
    row: np.ndarray
    skipped: list[tuple[str, int, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.reactions)

    def collate(self, indices: Sequence[int] | np.ndarray) -> ReactionBatch:
        """The reactions at `indices` as a batch; `ids` are their positions in this corpus."""
        idx = np.asarray(indices, dtype=np.int64)
        batch = self.reactions.collate(idx)
        batch.label = torch.from_numpy(self.label[idx])
        batch.yield_frac = torch.from_numpy(self.yield_frac[idx])
        batch.ids = torch.from_numpy(idx.copy())
        return batch


def reaction_corpus(
    names: Sequence[str],
    featurizer: ReactionFeaturizer | None = None,
    limit: int | None = None,
) -> ReactionCorpus:
    """The bundled reaction sets `names` (e.g. `uspto_50k`, `buchwald_hartwig`,
    `suzuki_miyaura`) featurized into one corpus, the first `limit` reactions of each if given.
    A reaction that cannot be featurized is left out and reported in `skipped` (and logged),
    never replaced."""
    featurizer = featurizer or ReactionFeaturizer()
    graphs, labels, yields, sources, rows = [], [], [], [], []
    skipped: list[tuple[str, int, str]] = []
    for name in names:
        table = load_reactions(name)
        for i, rxn in enumerate(table.rxn[:limit]):
            try:
                graphs.append(featurizer(rxn, row=i))
            except (InvalidMoleculeError, ValueError) as err:
                skipped.append((name, i, str(err)))
                continue
            labels.append(-1 if table.label is None else int(table.label[i]))
            yields.append(np.nan if table.yield_frac is None else float(table.yield_frac[i]))
            sources.append(name)
            rows.append(i)
    if skipped:
        log.warning("%d reactions could not be featurized and are left out", len(skipped))
    return ReactionCorpus(
        pack_reactions(graphs, featurizer),
        np.asarray(labels, dtype=np.int64),
        np.asarray(yields, dtype=np.float32),
        np.asarray(sources, dtype=object),
        np.asarray(rows, dtype=np.int64),
        skipped,
    )
