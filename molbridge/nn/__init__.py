"""Torch-only building blocks (no RDKit here)."""

from molbridge.nn.dropout import FastDropout
from molbridge.nn.embedding import CategoricalEmbedding
from molbridge.nn.gine import GINEConv
from molbridge.nn.mlp import mlp

__all__ = ["CategoricalEmbedding", "FastDropout", "GINEConv", "mlp"]
