"""Encoders: plain `nn.Module`s built from a config dataclass, each exposing `out_dim`."""

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

__all__ = [
    "FingerprintEncoder",
    "FingerprintEncoderConfig",
    "GraphEncoder",
    "GraphEncoderConfig",
    "ImageEncoder",
    "ImageEncoderConfig",
    "ReactionEncoder",
    "ReactionEncoderConfig",
    "ReactionTeacher",
    "ReactionTeacherConfig",
    "SmilesEncoder",
    "SmilesEncoderConfig",
    "SpectrumEncoder",
    "SpectrumEncoderConfig",
]
