"""Masked-token pre-training of a SMILES encoder (BERT, Devlin et al. 2019; on SMILES as in
ChemBERTa, Chithrananda et al. 2020).

Of the real SMILES tokens of each batch (never `<pad>`, `<cls>` or `<eos>`), each is chosen with
probability `mask_rate`; a chosen token is replaced by `<mask>` 80 % of the time, by a random
SMILES token 10 % and kept 10 % (the BERT rule), and the encoder's state at every chosen position
must predict the original token through a small head.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from molbridge.encoders.smiles import SmilesEncoder
from molbridge.tasks.pretrain.base import PretrainTask

TokenBatch = torch.Tensor | tuple[torch.Tensor] | list[torch.Tensor]


@dataclass
class MaskedTokensConfig:
    """Attributes:
    mask_rate: fraction of the real tokens chosen for prediction per batch (BERT: 0.15).
    lr: Adam learning rate.
    replace_with_mask: share of the chosen tokens replaced by `<mask>` (BERT: 0.8).
    replace_with_random: share replaced by a random token (BERT: 0.1); the rest are kept.
    """

    mask_rate: float = 0.15
    lr: float = 1e-4
    replace_with_mask: float = 0.8
    replace_with_random: float = 0.1

    def __post_init__(self) -> None:
        if not 0.0 < self.mask_rate < 1.0:
            raise ValueError(f"mask_rate must be in (0, 1), got {self.mask_rate}")
        shares = (self.replace_with_mask, self.replace_with_random)
        if min(shares) < 0.0 or sum(shares) > 1.0:
            raise ValueError(
                "replace_with_mask and replace_with_random must be >= 0 and sum to at most 1, "
                f"got {shares}"
            )

    def to_config(self) -> dict[str, Any]:
        return {"name": "masked-tokens", **asdict(self)}


class MaskedTokenPretraining(PretrainTask):
    """Predict masked SMILES tokens from their context.

    Args:
        encoder: the SMILES encoder being pre-trained.
        mask_index: id of `<mask>`.
        pad_index: id of `<pad>`; must be the encoder's `pad_index`.
        cls_index: id of `<cls>`.
        eos_index: id of `<eos>`.
        vocab_size: number of token ids; must be the encoder's `vocab_size`.
        config: masking rule and learning rate.
        random_exclude: further ids never drawn as random replacements (e.g. `<unk>`); the four
            special ids above are always excluded.
    """

    encoder: SmilesEncoder
    random_candidates: torch.Tensor  # a buffer

    def __init__(
        self,
        encoder: SmilesEncoder,
        *,
        mask_index: int,
        pad_index: int,
        cls_index: int,
        eos_index: int,
        vocab_size: int,
        config: MaskedTokensConfig | None = None,
        random_exclude: tuple[int, ...] = (),
    ) -> None:
        self.config = config or MaskedTokensConfig()
        super().__init__(encoder, lr=self.config.lr)
        if vocab_size != encoder.config.vocab_size:
            raise ValueError(
                f"vocab_size {vocab_size} != the encoder's vocab_size {encoder.config.vocab_size}"
            )
        if pad_index != encoder.config.pad_index:
            raise ValueError(
                f"pad_index {pad_index} != the encoder's pad_index {encoder.config.pad_index}"
            )
        special = {mask_index, pad_index, cls_index, eos_index}
        if len(special) != 4 or not all(0 <= i < vocab_size for i in special):
            raise ValueError(
                f"mask/pad/cls/eos ids must be 4 distinct ids below vocab_size={vocab_size}, "
                f"got {mask_index}, {pad_index}, {cls_index}, {eos_index}"
            )
        self.mask_index = mask_index
        self.pad_index = pad_index
        self.cls_index = cls_index
        self.eos_index = eos_index
        excluded = special | set(random_exclude)
        candidates = [i for i in range(vocab_size) if i not in excluded]
        if not candidates:
            raise ValueError("no ordinary token ids left to draw random replacements from")
        self.register_buffer("random_candidates", torch.tensor(candidates), persistent=False)
        d_model = encoder.out_dim
        # BERT's prediction head: a dense transform, GELU, layer norm, then the vocabulary logits
        self.head = nn.Sequential(
            nn.Linear(d_model, d_model),
            nn.GELU(),
            nn.LayerNorm(d_model),
            nn.Linear(d_model, vocab_size),
        )

    @staticmethod
    def _ids(batch: TokenBatch) -> torch.Tensor:
        """The `[batch, length]` ids from a tensor or a 1-tuple of one (a TensorDataset batch)."""
        if isinstance(batch, tuple | list):
            if len(batch) != 1:
                raise ValueError(f"expected ids or a 1-tuple of ids, got {len(batch)} items")
            batch = batch[0]
        if batch.ndim != 2 or batch.dtype != torch.long:
            raise ValueError(
                f"expected int64 ids [batch, length], got {batch.dtype} {list(batch.shape)}"
            )
        return batch

    def corrupt(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Choose positions and apply the 80/10/10 rule.

        Args:
            ids: `[batch, length]` int64 token ids.

        Returns:
            The corrupted ids `[batch, length]` and the chosen positions `[batch, length]` bool
            (at least one per batch, never `<pad>`/`<cls>`/`<eos>`).
        """
        eligible = (ids != self.pad_index) & (ids != self.cls_index) & (ids != self.eos_index)
        if not eligible.any():
            raise ValueError("the batch has no SMILES tokens to mask (only special tokens)")
        chosen = eligible & (torch.rand(ids.shape, device=ids.device) < self.config.mask_rate)
        if not chosen.any():
            # a small batch can draw no position at all; predict one random eligible token then
            flat = eligible.flatten().nonzero().squeeze(1)
            pick = flat[torch.randint(len(flat), (1,), device=ids.device)]
            chosen = chosen.flatten().index_fill(0, pick, True).view_as(ids)
        roll = torch.rand(ids.shape, device=ids.device)
        to_mask = chosen & (roll < self.config.replace_with_mask)
        to_random = (
            chosen
            & (roll >= self.config.replace_with_mask)
            & (roll < self.config.replace_with_mask + self.config.replace_with_random)
        )
        candidates = self.random_candidates
        random_ids = candidates[torch.randint(len(candidates), ids.shape, device=ids.device)]
        corrupted = torch.where(to_mask, torch.full_like(ids, self.mask_index), ids)
        corrupted = torch.where(to_random, random_ids, corrupted)
        return corrupted, chosen

    def loss(self, batch: TokenBatch) -> tuple[torch.Tensor, dict[str, float]]:
        ids = self._ids(batch)
        corrupted, chosen = self.corrupt(ids)
        # padding comes from the original ids: corruption never touches <pad>
        h = self.encoder.token_states(corrupted, ids == self.pad_index)
        logits = self.head(h[chosen]).float()
        target = ids[chosen]
        loss = F.cross_entropy(logits, target)
        accuracy = float((logits.argmax(1) == target).float().mean())
        return loss, {"accuracy": accuracy}
