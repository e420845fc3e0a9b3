"""Strategy 2 on the strategy contract: `molbridge pretrain --strategy acml --modalities ...`.

Each modality named in `options.modalities` needs a frozen encoder made by `molbridge
pretrain-modality`: `inputs.<modality>` (YAML `inputs:` or `--input NAME=PATH`), else the one
shipped in `models/<modality>-encoder/encoder.ckpt` of a source checkout. Its embedding of every
corpus molecule is computed once and kept as a corpus view (`modality_views.py`), so an epoch
costs the graph encoder's forward and backward only.

When a spectrum encoder is among them, an earlier stage appends the bundled NMRShiftDB2
molecules of its nucleus to the corpus (`OUT/corpus.csv`): hardly any corpus molecule has a
measured spectrum otherwise.

Options (YAML `options:`): `modalities` (names, each with an input), `spectrum_molecules`
(append the spectra's molecules; default on) and the mapping `contrast:` (`ACMLConfig`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torch import nn

from molbridge.data.spectra import spectrum_smiles
from molbridge.featurize import SpectrumFeaturizer
from molbridge.io import CheckpointError
from molbridge.io.outputs import RunFolder
from molbridge.pipeline.modality import load_modality_encoder
from molbridge.pipeline.modality_views import KINDS, frozen_modality_view
from molbridge.pipeline.strategy import (
    CorpusData,
    Strategy,
    StrategyInputs,
    extend_corpus,
    options_of,
    register_strategy,
)
from molbridge.tasks.pretrain.acml import ACMLConfig, ACMLHeads, AsymmetricContrastive

if TYPE_CHECKING:
    from molbridge.pipeline.pretrain import PretrainConfig

log = logging.getLogger(__name__)

NAME = "acml"
MODALITY_NAMES = ("smiles", "image", "fingerprint", "descriptors", "spectrum")
# the frozen encoders shipped with the source (models/<modality>-encoder/, each with its card)
SHIPPED = Path(__file__).resolve().parents[2] / "models"


@dataclass
class ACMLOptions:
    """The strategy's options (YAML `options:`); see the module docstring."""

    modalities: list[str] = field(default_factory=lambda: ["smiles", "image", "fingerprint"])
    spectrum_molecules: bool = True
    contrast: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.modalities = list(self.modalities)
        unknown = sorted(set(self.modalities) - set(MODALITY_NAMES))
        if unknown or not self.modalities:
            raise ValueError(
                f"modalities must be some of {', '.join(MODALITY_NAMES)}, got {self.modalities}"
            )
        if len(set(self.modalities)) != len(self.modalities):
            raise ValueError(f"modalities repeat: {self.modalities}")

    def contrast_config(self, lr: float) -> ACMLConfig:
        return options_of(ACMLConfig, self.contrast, f"{NAME} contrast", lr=lr)


def _options(config: PretrainConfig) -> ACMLOptions:
    options = options_of(ACMLOptions, config.options, NAME)
    options.contrast_config(config.lr)  # a bad option fails before any work
    return options


def shipped_encoder(modality: str) -> Path:
    """Where a source checkout ships the frozen encoder of `modality` (it may not exist)."""
    return SHIPPED / f"{modality}-encoder" / "encoder.ckpt"


def encoder_path(config: PretrainConfig, modality: str) -> Path:
    """The frozen encoder of `modality`: `inputs.<modality>`, else the shipped one.

    Raises:
        ValueError: neither exists.
    """
    if modality in config.inputs:
        return Path(config.inputs[modality])
    shipped = shipped_encoder(modality)
    if shipped.exists():
        return shipped
    raise ValueError(
        f"{NAME}: no {modality} encoder: give one with --input {modality}=PATH (YAML "
        f"inputs: {{{modality}: PATH}}), made by `molbridge pretrain-modality {modality} --out "
        f"DIR` (DIR/encoder.ckpt)"
    )


def modality_stage(config: PretrainConfig, run: RunFolder) -> PretrainConfig:
    """Resolve each modality's encoder into `inputs` (a wrong file fails here, before the
    corpus is read) and, with a spectrum encoder, append the spectra's molecules to the corpus."""
    options = _options(config)
    paths = {m: encoder_path(config, m) for m in options.modalities}
    nuclei = []
    for modality, path in paths.items():
        featurizer, _ = load_modality_encoder(path)
        kind = KINDS[type(featurizer)]
        if kind != modality:
            raise CheckpointError(
                f"{path} is a {kind} encoder, not a {modality} one (inputs.{modality})"
            )
        if isinstance(featurizer, SpectrumFeaturizer):
            nuclei.append(featurizer.nucleus)
    config = replace(config, inputs={**config.inputs, **{m: str(p) for m, p in paths.items()}})
    if not nuclei or not options.spectrum_molecules:
        return config
    return extend_corpus(
        config,
        run,
        lambda: [s for nucleus in nuclei for s in spectrum_smiles(nucleus)],
        f"NMRShiftDB2 molecules ({', '.join(nuclei)})",
    )


@register_strategy(NAME, before=modality_stage)
def acml(inputs: StrategyInputs) -> Strategy:
    options = _options(inputs.config)
    config = options.contrast_config(inputs.config.lr)
    views, dims, sparse, described = {}, {}, False, {}
    for modality in options.modalities:
        path = inputs.inputs[modality]
        made = frozen_modality_view(inputs.corpus, path, name=f"{NAME}-{modality}")
        if made.present < config.min_rows:
            raise ValueError(
                f"{NAME}: only {made.present} corpus molecules have a {modality} input ({path})"
            )
        views[modality], dims[modality] = made.view, made.dim
        described[modality] = {"path": str(path), "kind": made.kind, "weights": made.weights}
        sparse = sparse or made.absent > 0
        log.info("%s: %d molecules have a %s embedding", NAME, made.present, modality)
    task = AsymmetricContrastive(inputs.encoder, dims, config)
    data = CorpusData(inputs.corpus, inputs.config.batch_size, inputs.config.seed, views)
    return Strategy(
        task, data, parts=heads_as_parts(task), sometimes_unused=sparse, inputs=described
    )


def heads_as_parts(task: AsymmetricContrastive) -> dict[str, nn.Module]:
    """Both projection heads of each modality, saved in `encoder.ckpt` as `<modality>_graph`
    and `<modality>_modality` (retrieval compares embeddings in their shared space)."""
    parts: dict[str, nn.Module] = {}
    for modality, heads in task.heads.items():
        assert isinstance(heads, ACMLHeads)
        parts[f"{modality}_graph"], parts[f"{modality}_modality"] = heads.graph, heads.modality
    return parts
