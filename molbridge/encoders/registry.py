"""Encoder and part names -> classes: the one place a config's `name` becomes a module.

`build_encoder(config)` rebuilds any encoder (or any module a bundle carries as a part) from the
`to_config()` dictionary it was saved with. Used at the config edge only: by bundle loading,
`train`, `predict`, `embed`, `pretrain` and the modality path.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from molbridge.encoders.fingerprint import FingerprintEncoder, FingerprintEncoderConfig
from molbridge.encoders.graph import GraphEncoder, GraphEncoderConfig
from molbridge.encoders.image import ImageEncoder, ImageEncoderConfig
from molbridge.encoders.reaction import (
    ReactionEncoder,
    ReactionEncoderConfig,
    ReactionTeacher,
    ReactionTeacherConfig,
)
from molbridge.encoders.smiles import SmilesEncoder, SmilesEncoderConfig
from molbridge.encoders.spectrum import SpectrumEncoder, SpectrumEncoderConfig
from molbridge.nn.projection import ProjectionHead, ProjectionHeadConfig

ENCODERS: dict[str, tuple[Any, type[nn.Module]]] = {}


def register_encoder(name: str, config_class: Any, module_class: type[nn.Module]) -> None:
    """Make `build_encoder` know `name`; `config_class` has `from_config(dict)`.

    Raises:
        ValueError: `name` is registered already.
    """
    if name in ENCODERS:
        raise ValueError(f"encoder {name!r} is registered already")
    ENCODERS[name] = (config_class, module_class)


def build_encoder(config: dict[str, Any]) -> nn.Module:
    """The module described by `config` (a `to_config()` dictionary), with fresh weights.

    Raises:
        ValueError: no or unknown `name` (the valid names are listed), or invalid settings.
    """
    name = config.get("name")
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; known: {', '.join(sorted(ENCODERS))}")
    config_class, module_class = ENCODERS[name]
    try:
        return module_class(config_class.from_config(config))
    except TypeError as err:  # an unknown or missing setting
        raise ValueError(f"encoder {name!r}: {err}") from err


for _name, _config, _module in (
    ("gin", GraphEncoderConfig, GraphEncoder),
    ("smiles-transformer", SmilesEncoderConfig, SmilesEncoder),
    ("resnet", ImageEncoderConfig, ImageEncoder),
    ("fingerprint-mlp", FingerprintEncoderConfig, FingerprintEncoder),
    ("spectrum-cnn", SpectrumEncoderConfig, SpectrumEncoder),
    ("reaction", ReactionEncoderConfig, ReactionEncoder),
    ("reaction-teacher", ReactionTeacherConfig, ReactionTeacher),
    ("projection", ProjectionHeadConfig, ProjectionHead),
):
    register_encoder(_name, _config, _module)
