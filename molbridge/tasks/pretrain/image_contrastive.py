"""Contrastive pre-training of the image encoder on depictions: SimCLR (Chen et al. 2020).

Each image of a batch is augmented twice; the encoder plus a small projection head must tell,
for every view, which of the other `2b - 1` views came from the same molecule (NT-Xent loss).
Augmentations are torch operations on the whole batch (no PIL, no per-image Python loop), chosen
for depictions: a depiction has no canonical orientation, so rotations by 90 degrees and mirror
images are free; small crops and grayscale keep the encoder from matching views by position or
by element colour alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from molbridge.encoders.image import ImageEncoder
from molbridge.nn.losses import nt_xent
from molbridge.tasks.pretrain.base import PretrainTask

# ITU-R 601 luma weights, the same as PIL's "L" conversion used by the grayscale featurizer
_LUMA = (0.299, 0.587, 0.114)


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


def _to_unit_float(images: torch.Tensor) -> torch.Tensor:
    if images.dtype == torch.uint8:
        return images.float() / 255.0
    return images.float()


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
        x = _to_unit_float(images)
        b, channels, height, width = x.shape
        device = x.device
        if config.crop_scale < 1.0:
            x = self._crop(x, config.crop_scale)
        if config.rotate:
            if height != width:
                raise ValueError(f"rotations need square images, got {height}x{width}")
            turns = torch.randint(0, 4, (b,), device=device)
            x = x.clone()
            for k in (1, 2, 3):
                chosen = (turns == k).nonzero().squeeze(1)
                if chosen.numel():
                    x[chosen] = torch.rot90(x[chosen], k, dims=(2, 3))
        if config.flip_prob > 0:
            flip = torch.rand(b, device=device) < config.flip_prob
            x = torch.where(flip.view(b, 1, 1, 1), x.flip(3), x)
        if config.grayscale_prob > 0 and channels == 3:
            luma = torch.tensor(_LUMA, device=device, dtype=x.dtype).view(1, 3, 1, 1)
            gray = (x * luma).sum(dim=1, keepdim=True).expand_as(x)
            to_gray = torch.rand(b, device=device) < config.grayscale_prob
            x = torch.where(to_gray.view(b, 1, 1, 1), gray, x)
        return x

    @staticmethod
    def _crop(x: torch.Tensor, min_scale: float) -> torch.Tensor:
        """A crop of each image at its own random position, resized back to the full size.

        The side (one fraction of the image per call) is drawn from [min_scale, 1]; each image
        gets its own offset. One crop size per call lets the whole batch be gathered with one
        index and resized with one `F.interpolate`.
        """
        b, _, height, width = x.shape
        scale = min_scale + (1.0 - min_scale) * float(torch.rand(()))
        crop_h, crop_w = max(1, round(scale * height)), max(1, round(scale * width))
        if crop_h == height and crop_w == width:
            return x
        top = torch.randint(0, height - crop_h + 1, (b, 1), device=x.device)
        left = torch.randint(0, width - crop_w + 1, (b, 1), device=x.device)
        rows = top + torch.arange(crop_h, device=x.device)  # [b, crop_h]
        cols = left + torch.arange(crop_w, device=x.device)  # [b, crop_w]
        index = torch.arange(b, device=x.device).view(b, 1, 1)
        # advanced indices around a slice: the result is [b, crop_h, crop_w, C]
        crops = x.permute(0, 2, 3, 1)[index, rows[:, :, None], cols[:, None, :]]
        crops = crops.permute(0, 3, 1, 2)
        return F.interpolate(crops, size=(height, width), mode="bilinear", align_corners=False)

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
