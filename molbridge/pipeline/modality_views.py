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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
from torch import nn

from molbridge.data.corpus import CorpusShards
from molbridge.data.corpus_views import (
    embedding_view,
    modality_input_view,
)
from molbridge.data.views import StoredView
from molbridge.featurize import (
    DescriptorFeaturizer,
    ECFPFeaturizer,
    ImageFeaturizer,
    SmilesFeaturizer,
    SpectrumFeaturizer,
)
from molbridge.io import CheckpointError, load_bundle
from molbridge.pipeline.embeddings import state_digest
from molbridge.pipeline.modality import FEATURIZERS, MODALITY_ENCODERS, load_modality_encoder
from molbridge.pipeline.models import load_parts

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


def frozen_modality_view(corpus: CorpusShards, path: Path | str, name: str) -> ModalityView:
    """The embedding view of the modality encoder in bundle `path`, stored as view `name`.

    Raises:
        CheckpointError: `path` is not a modality encoder bundle.
    """
    featurizer, encoder = load_modality_encoder(path)
    kind = KINDS[type(featurizer)]
    source = modality_input_view(corpus, featurizer)
    config = cast(Any, encoder).config.to_config()
    weights = state_digest(encoder)
    identity = {"encoder": config, "weights": weights}
    view = embedding_view(corpus, encoder, identity, name=name, source=source, batch_size=256)
    present = int(np.count_nonzero(view.present))
    absent = len(corpus) - present
    if absent:
        log.info("%s: %d of %d molecules have no %s input", name, absent, len(corpus), kind)
    return ModalityView(kind, view, view.values.shape[1], present, absent, weights)


def load_modality(path: Path | str, modality: str) -> tuple[Any, nn.Module]:
    """(featurizer, encoder with its weights) of `modality` from a bundle: a `pretrain-modality`
    encoder of that modality, or an encoder bundle carrying a modality encoder as the part of
    that name (an image–graph `encoder.ckpt` carries its image encoder as `image`).

    Raises:
        CheckpointError: the bundle has no encoder of `modality` (what it has is named).
    """
    bundle = load_bundle(path)
    if bundle.encoder.get("name") in MODALITY_ENCODERS:
        featurizer, encoder = load_modality_encoder(path)
        kind = KINDS[type(featurizer)]
        if kind != modality:
            raise CheckpointError(f"{path} is a {kind} encoder, not a {modality} one")
        return featurizer, encoder
    carried = bundle.extra.get("part_featurizers") or {}
    if modality not in carried:
        has = ", ".join(sorted(carried)) or "none"
        raise CheckpointError(
            f"{path} carries no {modality} encoder (modality encoders it carries: {has})"
        )
    config = carried[modality]
    if config.get("name") not in FEATURIZERS:
        raise CheckpointError(f"{path}: part {modality!r} has an unknown featurizer {config}")
    featurizer = FEATURIZERS[config["name"]].from_config(config)
    return featurizer, load_parts(bundle, [modality], str(path))[modality]
