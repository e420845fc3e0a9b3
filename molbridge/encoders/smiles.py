"""A Transformer encoder over SMILES token ids (BERT-style, pre-layer-norm)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

_POOLINGS = ("cls", "mean")


@dataclass
class SmilesEncoderConfig:
    """Hyper-parameters of `SmilesEncoder`.

    Attributes:
        vocab_size: number of token ids (from the featurizer's vocabulary).
        max_length: longest input the positional embedding covers (the featurizer's).
        d_model: width of the token states (and `out_dim`).
        num_layers: Transformer encoder layers.
        num_heads: attention heads per layer; must divide `d_model`.
        ff_dim: hidden width of each layer's feed-forward block.
        dropout: dropout on embeddings, attention weights and feed-forward outputs.
        pooling: `cls` (the state at position 0, the featurizer's `<cls>`) or `mean` (the mean
            over the non-padding positions).
        pad_index: the `<pad>` id; those positions are masked out of attention and pooling.
    """

    vocab_size: int
    max_length: int = 128
    d_model: int = 256
    num_layers: int = 4
    num_heads: int = 8
    ff_dim: int = 1024
    dropout: float = 0.1
    pooling: str = "cls"
    pad_index: int = 0

    def __post_init__(self) -> None:
        if self.pooling not in _POOLINGS:
            raise ValueError(f"unknown pooling {self.pooling!r}; valid: {list(_POOLINGS)}")
        if self.d_model % self.num_heads != 0:
            raise ValueError(f"num_heads={self.num_heads} must divide d_model={self.d_model}")
        if not 0 <= self.pad_index < self.vocab_size:
            raise ValueError(f"pad_index {self.pad_index} outside vocab_size {self.vocab_size}")
        if self.num_layers < 1 or self.max_length < 1:
            raise ValueError("num_layers and max_length must be at least 1")

    def to_config(self) -> dict[str, Any]:
        return {"name": "smiles-transformer", **asdict(self)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SmilesEncoderConfig:
        return cls(**{k: v for k, v in config.items() if k != "name"})


class SmilesEncoder(nn.Module):
    """Token embedding + learned positional embedding + pre-norm `nn.TransformerEncoder`.

    Pre-norm layers (`norm_first`, Xiong et al. 2020) train stably without learning-rate
    warm-up; a final layer norm then normalises the last layer's residual stream.
    """

    def __init__(self, config: SmilesEncoderConfig) -> None:
        super().__init__()
        self.config = config
        self.token_embedding = nn.Embedding(
            config.vocab_size, config.d_model, padding_idx=config.pad_index
        )
        self.position_embedding = nn.Embedding(config.max_length, config.d_model)
        self.embedding_dropout = nn.Dropout(config.dropout)
        layer = nn.TransformerEncoderLayer(
            config.d_model,
            config.num_heads,
            config.ff_dim,
            config.dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        # nested tensors are off: they drop padded rows' states, which token_states returns
        self.transformer = nn.TransformerEncoder(
            layer,
            config.num_layers,
            norm=nn.LayerNorm(config.d_model),
            enable_nested_tensor=False,
        )

    @property
    def out_dim(self) -> int:
        return self.config.d_model

    def _padding_mask(self, ids: torch.Tensor, padding_mask: torch.Tensor | None) -> torch.Tensor:
        if ids.ndim != 2:
            raise ValueError(f"SmilesEncoder takes ids [batch, length], got {list(ids.shape)}")
        if ids.shape[1] > self.config.max_length:
            raise ValueError(
                f"input length {ids.shape[1]} exceeds max_length={self.config.max_length}"
            )
        if padding_mask is None:
            return ids == self.config.pad_index
        if padding_mask.shape != ids.shape:
            raise ValueError(
                f"padding_mask shape {list(padding_mask.shape)} != ids shape {list(ids.shape)}"
            )
        return padding_mask.bool()

    def token_states(
        self, ids: torch.Tensor, padding_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Per-token states for per-token heads.

        Args:
            ids: `[batch, length]` int64 token ids, `length <= max_length`.
            padding_mask: `[batch, length]` bool, True at positions to ignore; by default the
                positions holding `pad_index`.

        Returns:
            `[batch, length, d_model]`; states at padding positions are computed but meaningless.
        """
        padding = self._padding_mask(ids, padding_mask)
        positions = torch.arange(ids.shape[1], device=ids.device)
        h = self.token_embedding(ids) + self.position_embedding(positions)
        h = self.embedding_dropout(h)
        return self.transformer(h, src_key_padding_mask=padding)

    def forward(self, ids: torch.Tensor, padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Pooled molecule embeddings.

        Args:
            ids: `[batch, length]` int64 token ids.
            padding_mask: `[batch, length]` bool, True at positions to ignore (default: the
                positions holding `pad_index`).

        Returns:
            `[batch, out_dim]`.
        """
        padding = self._padding_mask(ids, padding_mask)
        h = self.token_states(ids, padding)
        if self.config.pooling == "cls":
            return h[:, 0]
        # masked_fill, not a product, so a NaN in an all-padding row cannot leak into the sum
        total = h.masked_fill(padding.unsqueeze(-1), 0.0).sum(1)
        count = (~padding).sum(1, keepdim=True).clamp(min=1).to(h.dtype)
        return total / count
