"""The inputs of the fixed-feature models: tabular features and/or a frozen encoder's embedding.

`part_matrices(recipe, parts)` gives one matrix per part (train, valid, test, or the rows to
predict), tabular columns first, then the embedding. Both are computed once per molecule and
cached on disk (`data/feature_store.py`); each process keeps its featurizer, embedders and
stores for its whole life, so the cells of a benchmark worker share them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from molbridge.data.feature_store import FeatureStore, owner_key
from molbridge.data.packed import PackedGraphs
from molbridge.featurize.tabular import TabularFeaturizer
from molbridge.pipeline.embeddings import Embedder, embed_parts, embedding_store, resolve_embedder


@dataclass(frozen=True)
class FeatureRecipe:
    """What a fixed-feature model reads.

    Attributes:
        tabular: the tabular features (`featurize/tabular.py`).
        encoder: an `--init` value whose frozen embedding is appended (a bundle path, `random`,
            `minimol`), or `None`.
    """

    tabular: bool
    encoder: str | None = None

    def __post_init__(self) -> None:
        if not self.tabular and self.encoder is None:
            raise ValueError("a feature recipe needs the tabular features, an encoder, or both")


_STORES: dict[str, FeatureStore] = {}  # per process
_EMBEDDERS: dict[str, Embedder] = {}


def tabular_store(featurizer: TabularFeaturizer, cache_dir: Path | None = None) -> FeatureStore:
    """The per-molecule cache of the tabular features (one per process and featurizer)."""
    key = owner_key(featurizer.identity())
    if key not in _STORES:
        _STORES[key] = FeatureStore(key, featurizer.many, cache_dir=cache_dir)
    return _STORES[key]


def embedder_of(spec: str, precision: str = "auto") -> Embedder:
    """The embedder of an `--init` value (built once per process)."""
    key = f"{spec}|{precision}"
    if key not in _EMBEDDERS:
        _EMBEDDERS[key] = resolve_embedder(spec, precision)
    return _EMBEDDERS[key]


def embedder_store(embedder: Embedder, cache_dir: Path | None = None) -> FeatureStore:
    store = embedding_store(embedder, cache_dir)
    return _STORES.setdefault(store.owner, store)


def part_matrices(
    recipe: FeatureRecipe,
    parts: Sequence[tuple[Sequence[str], PackedGraphs | None]],
    precision: str = "auto",
    cache_dir: Path | None = None,
    embedder: Embedder | None = None,
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """One float32 matrix per part (its SMILES, and its graphs when at hand), and a description
    of the columns. `embedder` overrides the one `recipe.encoder` names (a loaded bundle's)."""
    blocks: list[list[np.ndarray]] = []
    described: dict[str, Any] = {}
    if recipe.tabular:
        featurizer = TabularFeaturizer()
        store = tabular_store(featurizer, cache_dir)
        store.remember([s for smiles, _ in parts for s in smiles])
        blocks.append([store.rows(list(smiles)) for smiles, _ in parts])
        described["tabular"] = {
            "ecfp_bits": featurizer.ecfp_bits,
            "avalon_bits": featurizer.avalon_bits,
            "n_features": featurizer.n_features,
        }
    if embedder is None and recipe.encoder is not None:
        embedder = embedder_of(recipe.encoder, precision)
    if embedder is not None:
        blocks.append(embed_parts(embedder, embedder_store(embedder, cache_dir), parts))
        described["encoder"] = {"init": recipe.encoder, "dim": embedder.dim}
    matrices = [np.concatenate([b[k] for b in blocks], axis=1) for k in range(len(parts))]
    return matrices, described
