"""Attribute masking (Hu et al. 2020, "Strategies for pre-training graph neural networks").

A random 15 % of the atoms of each batch have every feature replaced by a mask value; the
encoder's node state at each masked atom must predict its element through a linear head.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from molbridge.data.batch import GraphBatch
from molbridge.encoders import GraphEncoder
from molbridge.tasks.pretrain.base import PretrainTask


@dataclass
class AttrMaskingConfig:
    """Attributes:
    mask_rate: fraction of atoms masked per batch (Hu et al.: 0.15).
    lr: Adam learning rate.
    """

    mask_rate: float = 0.15
    lr: float = 1e-3

    def __post_init__(self) -> None:
        if not 0.0 < self.mask_rate < 1.0:
            raise ValueError(f"mask_rate must be in (0, 1), got {self.mask_rate}")

    def to_config(self) -> dict[str, Any]:
        return {"name": "attr-masking", **asdict(self)}


class AttrMasking(PretrainTask):
    """Predict the element of masked atoms from their context.

    The mask value of each atom-feature column is its last category, the featurizer's "other"
    slot; for the element column that slot never occurs in real molecules (the vocabulary covers
    atomic numbers 0-118), so a masked atom is unambiguous.
    """

    encoder: GraphEncoder
    mask_values: torch.Tensor  # a buffer

    def __init__(self, encoder: GraphEncoder, config: AttrMaskingConfig | None = None) -> None:
        self.config = config or AttrMaskingConfig()
        super().__init__(encoder, lr=self.config.lr)
        atom_dims = encoder.config.atom_dims
        self.register_buffer("mask_values", torch.tensor(atom_dims) - 1, persistent=False)
        self.head = nn.Linear(encoder.out_dim, atom_dims[0])

    def loss(self, batch: GraphBatch) -> tuple[torch.Tensor, dict[str, float]]:
        x, masked = mask_atoms(batch.x, self.config.mask_rate, self.mask_values)
        h = self.encoder.node_embeddings(x, batch.edge_index, batch.edge_attr)
        return element_loss(self.head(h[masked]), batch.x[masked, 0])


def mask_atoms(
    x: torch.Tensor, rate: float, mask_values: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """A copy of the atom features `x` with a random `rate` of the atoms (at least one) set to
    `mask_values` in every column, and the masked atoms' indices."""
    n_atoms = x.shape[0]
    n_masked = max(1, round(rate * n_atoms))
    masked = torch.randperm(n_atoms, device=x.device)[:n_masked]
    x = x.clone()
    x[masked] = mask_values
    return x, masked


def element_loss(
    logits: torch.Tensor, target: torch.Tensor
) -> tuple[torch.Tensor, dict[str, float]]:
    """Cross-entropy of masked atoms' element logits, and their accuracy for the log."""
    logits = logits.float()
    loss = F.cross_entropy(logits, target)
    return loss, {"accuracy": float((logits.argmax(1) == target).float().mean())}
