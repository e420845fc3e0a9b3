"""A frozen modality encoder's embedding of every molecule of a corpus, computed once and kept
as a corpus view: what strategies with frozen modality encoders (ACML) align the graph with.

`frozen_modality_view(corpus, path, name)` reads a `pretrain-modality` bundle and chains two
views: the modality's input (token ids, depictions, fingerprint bits, normalised descriptors,
a binned NMR spectrum) and the encoder's embedding of it. Both are keyed by what made them
(featurizer config, encoder weights' digest), so another encoder gets its own, and a second run
on the same corpus reads them from the cache. A molecule without the modality (no measured
spectrum; a SMILES longer than the encoder's `max_length`) is absent from both, and
`ModalityView.absent` says how many there are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
from rdkit import Chem

from molbridge.chem import parse_many
from molbridge.data.corpus import CorpusShards
from molbridge.data.corpus_views import (
    embedding_view,
    featurized_view,
    fingerprint_view,
    image_view,
)
from molbridge.data.spectra import molecule_key, spectrum_records
from molbridge.data.views import RenderedView, StoredView
from molbridge.featurize import (
    DescriptorFeaturizer,
    ECFPFeaturizer,
    ImageFeaturizer,
    SmilesFeaturizer,
    SpectrumFeaturizer,
)
from molbridge.pipeline.embeddings import state_digest
from molbridge.pipeline.modality import load_modality_encoder

log = logging.getLogger(__name__)

# which modality a bundle's featurizer reads
KINDS = {
    SmilesFeaturizer: "smiles",
    ImageFeaturizer: "image",
    ECFPFeaturizer: "fingerprint",
    DescriptorFeaturizer: "descriptors",
    SpectrumFeaturizer: "spectrum",
}


@dataclass
class ModalityView:
    """Attributes:
    kind: the modality the encoder reads (`smiles`, `image`, `fingerprint`, `descriptors`,
        `spectrum`).
    view: `[n_ids, dim]` embeddings by molecule id.
    dim: embedding width.
    present: molecules that have the modality.
    absent: valid molecules of the corpus that do not.
    weights: the sha256 digest of the frozen encoder's state.
    """

    kind: str
    view: StoredView
    dim: int
    present: int
    absent: int
    weights: str


def _spectrum_source(corpus: CorpusShards, featurizer: SpectrumFeaturizer) -> StoredView:
    """Binned spectra of the corpus molecules found among the training part of the spectra
    (found by structure; a held-out molecule that the corpus holds gets none)."""
    records = spectrum_records(featurizer.nucleus)
    binned = {}
    for row, mol, _ in parse_many([smiles for smiles, _ in records]):
        if mol is not None:
            binned[molecule_key(mol)] = featurizer(records[row][1])

    def featurize(mol: Chem.Mol) -> np.ndarray | None:
        return binned.get(molecule_key(mol))

    config = {"featurizer": featurizer.to_config(), "records": len(records), "part": "train"}
    shape = (featurizer.n_bins,)
    return featurized_view(corpus, "spectrum", featurize, config, shape, np.float32)


def input_row(featurizer: Any) -> Callable[[Chem.Mol], np.ndarray | None]:
    """Molecule -> the row a frozen encoder of `featurizer`'s modality reads, or `None` where it
    has none (a SMILES longer than the encoder reads is left out, not cut). Not for spectra,
    which come from measurements, not from the structure."""
    if isinstance(featurizer, SmilesFeaturizer):

        def smiles_row(mol: Chem.Mol) -> np.ndarray | None:
            try:
                return featurizer(mol)
            except ValueError:
                return None

        return smiles_row
    if isinstance(featurizer, DescriptorFeaturizer):
        return lambda mol: featurizer.transform(featurizer.many_mols([mol]))[0]
    if isinstance(featurizer, ImageFeaturizer | ECFPFeaturizer):
        return featurizer  # type: ignore[no-any-return]
    raise TypeError(f"no input rows from structures for {type(featurizer).__name__}")


def _source(corpus: CorpusShards, featurizer: Any) -> StoredView | RenderedView:
    """The stored (or rendered) input of the modality's encoder, by molecule id."""
    config = {"featurizer": featurizer.to_config()}
    if isinstance(featurizer, SmilesFeaturizer):
        shape = (featurizer.max_length,)
        return featurized_view(
            corpus, "smiles-tokens", input_row(featurizer), config, shape, np.int64
        )
    if isinstance(featurizer, ImageFeaturizer):
        return image_view(corpus, featurizer)
    if isinstance(featurizer, ECFPFeaturizer):
        return fingerprint_view(corpus, featurizer)
    if isinstance(featurizer, DescriptorFeaturizer):
        shape = (featurizer.n_descriptors,)
        return featurized_view(
            corpus, "descriptors", input_row(featurizer), config, shape, np.float32
        )
    if isinstance(featurizer, SpectrumFeaturizer):
        return _spectrum_source(corpus, featurizer)
    raise TypeError(f"no corpus view for featurizer {type(featurizer).__name__}")


def frozen_modality_view(corpus: CorpusShards, path: Path | str, name: str) -> ModalityView:
    """The embedding view of the modality encoder in bundle `path`, stored as view `name`.

    Raises:
        CheckpointError: `path` is not a modality encoder bundle.
    """
    featurizer, encoder = load_modality_encoder(path)
    kind = KINDS[type(featurizer)]
    source = _source(corpus, featurizer)
    config = cast(Any, encoder).config.to_config()
    weights = state_digest(encoder)
    identity = {"encoder": config, "weights": weights}
    view = embedding_view(corpus, encoder, identity, name=name, source=source, batch_size=256)
    present = int(np.count_nonzero(view.present))
    absent = len(corpus) - present
    if absent:
        log.info("%s: %d of %d molecules have no %s input", name, absent, len(corpus), kind)
    return ModalityView(kind, view, view.values.shape[1], present, absent, weights)
