"""Reactions from the bundled sets as one stream: reactant and product graphs, the reaction
class where known (USPTO-50K) and the yield where known (Buchwald–Hartwig, Suzuki–Miyaura),
for strategies that learn from reactions."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import lightning as L
import numpy as np
import torch
from rdkit import Chem
from rich.progress import track

from molbridge.chem import InvalidMoleculeError, parse_many
from molbridge.data.batch import ReactionBatch
from molbridge.data.reactions import PackedReactions, load_reactions, pack_reactions
from molbridge.data.sampling import index_loader
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
        product_group: `[n]` int64, one number per distinct product-side text (the Suzuki–Miyaura
            set makes one product 5,760 times; Buchwald–Hartwig five).
        set_mean_yield: `[n]` float32 mean yield of the reaction's set, NaN for sets without.
        skipped: `(set, row, reason)` of reactions that could not be featurized.
    """

    reactions: PackedReactions
    label: np.ndarray
    yield_frac: np.ndarray
    source: np.ndarray
    row: np.ndarray
    product_group: np.ndarray
    set_mean_yield: np.ndarray
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
        batch.product_group = torch.from_numpy(self.product_group[idx])
        batch.set_mean_yield = torch.from_numpy(self.set_mean_yield[idx])
        return batch

    def subset(self, indices: Sequence[int] | np.ndarray) -> ReactionCorpus:
        """The reactions at `indices`, in that order (a held-out part, a smaller corpus)."""
        idx = np.asarray(indices, dtype=np.int64)
        return ReactionCorpus(
            self.reactions.subset(idx),
            self.label[idx],
            self.yield_frac[idx],
            self.source[idx],
            self.row[idx],
            self.product_group[idx],
            self.set_mean_yield[idx],
            list(self.skipped),
        )


def reaction_corpus(
    names: Sequence[str],
    featurizer: ReactionFeaturizer | None = None,
    limit: int | None = None,
    show: bool = False,
) -> ReactionCorpus:
    """The bundled reaction sets `names` (e.g. `uspto_50k`, `buchwald_hartwig`,
    `suzuki_miyaura`) featurized into one corpus, the first `limit` reactions of each if given.
    A reaction that cannot be featurized is left out and reported in `skipped` (and logged),
    never replaced. `show`: a progress bar per set."""
    featurizer = featurizer or ReactionFeaturizer()
    graphs, labels, yields, sources, rows, products, means = [], [], [], [], [], [], []
    skipped: list[tuple[str, int, str]] = []
    cache: dict = {}  # component SMILES -> graph, shared by all sets
    for name in names:
        table = load_reactions(name)
        # the set's mean yield over all its reactions (the reference of yield weights)
        mean = np.nan if table.yield_frac is None else float(np.nanmean(table.yield_frac))
        reactions = table.rxn[:limit]
        shown = track(reactions, description=f"featurizing {name}", transient=True)
        for i, rxn in enumerate(shown if show else reactions):
            try:
                graphs.append(featurizer(rxn, row=i, cache=cache))
            except (InvalidMoleculeError, ValueError) as err:
                skipped.append((name, i, str(err)))
                continue
            labels.append(-1 if table.label is None else int(table.label[i]))
            yields.append(np.nan if table.yield_frac is None else float(table.yield_frac[i]))
            sources.append(name)
            rows.append(i)
            products.append(rxn.strip().split(">")[2])
            means.append(mean)
    if skipped:
        log.warning("%d reactions could not be featurized and are left out", len(skipped))
    _, product_group = np.unique(np.asarray(products, dtype=object), return_inverse=True)
    return ReactionCorpus(
        pack_reactions(graphs, featurizer),
        np.asarray(labels, dtype=np.int64),
        np.asarray(yields, dtype=np.float32),
        np.asarray(sources, dtype=object),
        np.asarray(rows, dtype=np.int64),
        product_group.astype(np.int64).reshape(-1),
        np.asarray(means, dtype=np.float32),
        skipped,
    )


def reaction_molecules(names: Sequence[str], limit: int | None = None) -> list[str]:
    """The distinct molecules of the bundled reaction sets `names` (reactants, agents and
    products, the first `limit` reactions of each), as canonical SMILES in order of first
    appearance. Components RDKit cannot read are left out (their reactions are reported by
    `reaction_corpus`)."""
    seen: dict[str, None] = {}
    raw: set[str] = set()
    for name in names:
        for rxn in load_reactions(name).rxn[:limit]:
            for part in rxn.strip().split(">"):
                raw.update(c for c in part.split(".") if c)
    ordered = sorted(raw)
    for _, mol, _ in parse_many(ordered):
        if mol is not None:
            seen.setdefault(Chem.MolToSmiles(mol), None)
    return list(seen)


class ReactionData(L.LightningDataModule):
    """A `ReactionCorpus` as shuffled batches whose order is a function of (seed, epoch) alone,
    so a run resumed at an epoch boundary sees what the uninterrupted run saw."""

    def __init__(self, corpus: ReactionCorpus, batch_size: int, seed: int) -> None:
        super().__init__()
        self.corpus, self.batch_size, self.seed = corpus, batch_size, seed

    def train_dataloader(self) -> torch.utils.data.DataLoader:
        n = len(self.corpus)
        # batch norm needs 2+ rows: every batch is full when there are more than one
        return index_loader(
            n, self.corpus.collate, self.batch_size, self.seed, drop_last=n > self.batch_size
        )
