"""Torch-only building blocks (no RDKit here)."""

from molbridge.nn.embedding import CategoricalEmbedding
from molbridge.nn.mlp import mlp

__all__ = ["CategoricalEmbedding", "mlp"]
