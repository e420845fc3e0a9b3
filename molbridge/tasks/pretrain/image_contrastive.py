"""Contrastive pre-training of the image encoder on depictions: SimCLR (Chen et al. 2020).

Each image of a batch is augmented twice; the encoder plus a small projection head must tell,
for every view, which of the other `2b - 1` views came from the same molecule (NT-Xent loss).
Augmentations (`nn.augment`) are chosen for depictions: a depiction has no canonical
orientation, so rotations by 90 degrees and mirror images are free; small crops and grayscale
keep the encoder from matching views by position or by element colour alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from molbridge.encoders.image import ImageEncoder
from molbridge.nn.augment import ImageAugmentConfig, augment_images
from molbridge.nn.losses import nt_xent
from molbridge.tasks.pretrain.base import PretrainTask


@dataclass
class ImageContrastiveConfig:
    """Attributes:
    temperature: NT-Xent temperature tau (SimCLR's best at batch sizes up to 512: 0.1).
    lr: Adam learning rate.
    projection_dim: output size of the projection head g (SimCLR: 128).
    rotate: rotate each view by a random multiple of 90 degrees.
    flip_prob: probability of mirroring a view (with the rotations, all 8 symmetries of a
        square).
    crop_scale: smallest crop, as a fraction of the image side; each view is cropped to a
        side drawn uniformly from [crop_scale, 1] and resized back. 1.0 turns crops off.
    grayscale_prob: probability of turning a view into gray (RGB only).
    """

    temperature: float = 0.1
    lr: float = 1e-3
    projection_dim: int = 128
    rotate: bool = True
    flip_prob: float = 0.5
    crop_scale: float = 0.8
    grayscale_prob: float = 0.2

    def __post_init__(self) -> None:
        if self.temperature <= 0:
            raise ValueError(f"temperature must be positive, got {self.temperature}")
        if self.projection_dim < 1:
            raise ValueError(f"projection_dim must be positive, got {self.projection_dim}")
        if not 0.0 < self.crop_scale <= 1.0:
            raise ValueError(f"crop_scale must be in (0, 1], got {self.crop_scale}")
        for name in ("flip_prob", "grayscale_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")

    def to_config(self) -> dict[str, Any]:
        return {"name": "image-contrastive", **asdict(self)}


class ImageContrastivePretraining(PretrainTask):
    """SimCLR on depictions: the encoder and a 2-layer projection head are trained; the head is
    dropped after pre-training (the encoder's pooled features are the representation).

    A batch is `[b, C, H, W]` uint8 images (or a 1-tuple/list holding it, as a `TensorDataset`
    yields), with `b >= 2`.
    """

    def __init__(self, encoder: ImageEncoder, config: ImageContrastiveConfig | None = None) -> None:
        self.config = config or ImageContrastiveConfig()
        super().__init__(encoder, lr=self.config.lr)
        dim = encoder.out_dim
        # SimCLR's g: Linear -> ReLU -> Linear (the loss is computed on g(h), not on h)
        self.head = nn.Sequential(
            nn.Linear(dim, dim), nn.ReLU(inplace=True), nn.Linear(dim, self.config.projection_dim)
        )

    @staticmethod
    def images_of(batch: torch.Tensor | tuple[torch.Tensor] | list[torch.Tensor]) -> torch.Tensor:
        """The image tensor of a batch given bare or wrapped in a 1-tuple/list."""
        if isinstance(batch, tuple | list):
            if len(batch) != 1:
                raise ValueError(f"expected a batch of images or a 1-tuple, got {len(batch)} items")
            batch = batch[0]
        if batch.ndim != 4:
            raise ValueError(f"expected images [b, C, H, W], got {tuple(batch.shape)}")
        return batch

    def augment(self, images: torch.Tensor) -> torch.Tensor:
        """One random view of each image: `[b, C, H, W]` uint8 or float -> float in [0, 1].

        H must equal W when rotations are on (depictions are square).
        """
        config = self.config
        return augment_images(
            images,
            ImageAugmentConfig(
                rotate=config.rotate,
                flip_prob=config.flip_prob,
                crop_scale=config.crop_scale,
                grayscale_prob=config.grayscale_prob,
            ),
        )

    def loss(  # type: ignore[override]
        self, batch: torch.Tensor | tuple[torch.Tensor] | list[torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        images = self.images_of(batch)
        if images.shape[0] < 2:
            raise ValueError("contrastive pre-training needs at least 2 images per batch")
        views = torch.cat([self.augment(images), self.augment(images)])
        z = self.head(self.encoder(views))
        z1, z2 = z.chunk(2)
        loss, accuracy = nt_xent(z1, z2, self.config.temperature)
        return loss, {"accuracy": float(accuracy)}
