"""Denoising autoencoder pre-training of a `FingerprintEncoder` (Vincent et al. 2008, "Extracting
and composing robust features with denoising autoencoders").

Each input entry is zeroed with probability `input_dropout` (their "masking noise"); the encoder
embeds the corrupted vector and a decoder MLP reconstructs the clean one: BCE-with-logits
against binary fingerprint bits, or MSE against normalised descriptors (where 0 is the fit
set's median, so a dropped descriptor reads as "typical").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F

from molbridge.encoders.fingerprint import FingerprintEncoder
from molbridge.nn import mlp
from molbridge.tasks.pretrain.base import PretrainTask

_TARGETS = ("fingerprint", "descriptors")


@dataclass
class FingerprintAutoencoderConfig:
    """Attributes:
    lr: Adam learning rate.
    input_dropout: probability that each input entry is zeroed before encoding (denoising).
    target: `fingerprint` (binary bits, BCE-with-logits) or `descriptors` (normalised
        float values, MSE).
    decoder_hidden_dim: width of the decoder MLP's hidden layer (`out_dim -> this -> in_dim`).
    """

    lr: float = 1e-3
    input_dropout: float = 0.2
    target: str = "fingerprint"
    decoder_hidden_dim: int = 512

    def __post_init__(self) -> None:
        if self.target not in _TARGETS:
            raise ValueError(f"unknown target {self.target!r}; valid: {list(_TARGETS)}")
        if not 0.0 <= self.input_dropout < 1.0:
            raise ValueError(f"input_dropout must be in [0, 1), got {self.input_dropout}")
        if self.lr <= 0 or self.decoder_hidden_dim < 1:
            raise ValueError(f"lr and decoder_hidden_dim must be positive, got {self}")

    def to_config(self) -> dict[str, Any]:
        return {"name": "fingerprint-autoencoder", **asdict(self)}


class FingerprintRows(NamedTuple):
    """A batch of fixed-length vectors, `x`: `[b, in_dim]`.

    `num_graphs` (= b) is the batch size under the name `PretrainTask.training_step` logs with.
    """

    x: torch.Tensor

    @property
    def num_graphs(self) -> int:
        return int(self.x.shape[0])


def _rows(
    batch: torch.Tensor | FingerprintRows | tuple[torch.Tensor] | list[torch.Tensor],
) -> FingerprintRows:
    """A tensor, its 1-tuple/list (what a `TensorDataset` loader yields) or `FingerprintRows`."""
    if isinstance(batch, FingerprintRows):
        return batch
    if isinstance(batch, tuple | list):
        if len(batch) != 1:
            raise ValueError(f"expected a 1-tuple holding the [b, in_dim] tensor, got {len(batch)}")
        batch = batch[0]
    if not isinstance(batch, torch.Tensor):
        raise TypeError(f"expected a [b, in_dim] tensor, got {type(batch).__name__}")
    return FingerprintRows(batch)


class FingerprintAutoencoderPretraining(PretrainTask):
    """Reconstruct each clean fingerprint / descriptor vector from a corrupted copy.

    Args:
        encoder: the fingerprint encoder being pre-trained.
        config: the task's hyper-parameters.
    """

    def __init__(
        self, encoder: FingerprintEncoder, config: FingerprintAutoencoderConfig | None = None
    ) -> None:
        self.config = config or FingerprintAutoencoderConfig()
        super().__init__(encoder, lr=self.config.lr)
        self.decoder = mlp(
            encoder.out_dim, self.config.decoder_hidden_dim, encoder.config.in_dim, num_layers=2
        )

    def loss(self, batch: Any) -> tuple[torch.Tensor, dict[str, float]]:
        """`batch`: `[b, in_dim]` tensor (float, uint8 or bool), its 1-tuple, or
        `FingerprintRows`. Returns the mean reconstruction loss over all entries and, for
        fingerprints, the recall of set bits."""
        clean = _rows(batch).x.float()
        if self.config.target == "fingerprint" and bool(((clean != 0) & (clean != 1)).any()):
            raise ValueError(
                "target 'fingerprint' needs 0/1 bits (BCE); binarise count fingerprints or "
                "use target 'descriptors'"
            )
        keep = torch.rand_like(clean) >= self.config.input_dropout
        # masking noise (Vincent et al. 2008): dropped entries are zeroed, the rest not rescaled
        output = self.decoder(self.encoder(clean * keep)).float()
        if self.config.target == "descriptors":
            return F.mse_loss(output, clean), {}
        loss = F.binary_cross_entropy_with_logits(output, clean)
        on = clean > 0.5
        recall = float(((output > 0) & on).sum() / on.sum().clamp(min=1))
        return loss, {"on_bit_recall": recall}

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        """`batch`: `[b, in_dim]` tensor or its 1-tuple (from a `TensorDataset` loader)."""
        return super().training_step(_rows(batch), batch_idx)  # type: ignore[arg-type]
