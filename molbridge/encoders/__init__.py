"""Encoders: plain `nn.Module`s built from a config dataclass, each exposing `out_dim`."""

from molbridge.encoders.graph import GraphEncoder, GraphEncoderConfig

__all__ = ["GraphEncoder", "GraphEncoderConfig"]
