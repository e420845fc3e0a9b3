"""Random views of depictions for contrastive learning, as torch operations on a whole batch (no
PIL, no per-image Python loop); shared by the image strategies (SimCLR on depictions,
image–graph).

A depiction has no canonical orientation, so rotations by 90 degrees and mirror images keep it
what it is. Two ways to vary the framing: `crop_scale` cuts a random square out of the image
(SimCLR's crop; it can cut off atoms near the border), `zoom_scale` shrinks the whole drawing and
places it at a random position on a white canvas, so every atom and bond stays in the picture —
a view that still depicts the same molecule, which a cross-modal objective needs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F

# ITU-R 601 luma weights, the same as PIL's "L" conversion used by the grayscale featurizer
LUMA = (0.299, 0.587, 0.114)


@dataclass
class ImageAugmentConfig:
    """Attributes:
    rotate: rotate each view by a random multiple of 90 degrees.
    flip_prob: probability of mirroring a view (with the rotations, all 8 symmetries of a
        square).
    crop_scale: smallest crop, as a fraction of the image side; the side is drawn uniformly
        from [crop_scale, 1] and the crop resized back. 1.0 turns crops off.
    zoom_scale: smallest zoom-out, as a fraction of the image side; the drawing is shrunk to a
        side drawn from [zoom_scale, 1] and placed at a random offset on white. 1.0: off.
    grayscale_prob: probability of turning a view into gray (RGB only).
    """

    rotate: bool = True
    flip_prob: float = 0.5
    crop_scale: float = 1.0
    zoom_scale: float = 1.0
    grayscale_prob: float = 0.0

    def __post_init__(self) -> None:
        for name in ("crop_scale", "zoom_scale"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")
        for name in ("flip_prob", "grayscale_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")

    def to_config(self) -> dict[str, Any]:
        return asdict(self)


def to_unit_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 pixels -> float in [0, 1]; float images are taken to be in [0, 1] already."""
    if images.dtype == torch.uint8:
        return images.float() / 255.0
    return images.float()


def augment_images(images: torch.Tensor, config: ImageAugmentConfig) -> torch.Tensor:
    """One random view of each image: `[b, C, H, W]` uint8 or float -> float in [0, 1].

    H must equal W when rotations are on (depictions are square).
    """
    x = to_unit_float(images)
    b, channels, height, width = x.shape
    device = x.device
    if config.crop_scale < 1.0:
        x = crop(x, config.crop_scale)
    if config.zoom_scale < 1.0:
        x = zoom_out(x, config.zoom_scale)
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
        luma = torch.tensor(LUMA, device=device, dtype=x.dtype).view(1, 3, 1, 1)
        gray = (x * luma).sum(dim=1, keepdim=True).expand_as(x)
        to_gray = torch.rand(b, device=device) < config.grayscale_prob
        x = torch.where(to_gray.view(b, 1, 1, 1), gray, x)
    return x


def crop(x: torch.Tensor, min_scale: float) -> torch.Tensor:
    """A crop of each image at its own random position, resized back to the full size.

    The side (one fraction of the image per call) is drawn from [min_scale, 1]; each image gets
    its own offset. One crop size per call lets the whole batch be gathered with one index and
    resized with one `F.interpolate`.
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


def zoom_out(x: torch.Tensor, min_scale: float, background: float = 1.0) -> torch.Tensor:
    """Each image shrunk to a side drawn from [min_scale, 1] (one per call) and pasted at its
    own random offset on a `background` canvas: nothing of the drawing is lost."""
    b, _, height, width = x.shape
    scale = min_scale + (1.0 - min_scale) * float(torch.rand(()))
    small_h, small_w = max(1, round(scale * height)), max(1, round(scale * width))
    if small_h == height and small_w == width:
        return x
    small = F.interpolate(x, size=(small_h, small_w), mode="bilinear", align_corners=False)
    small = small.clamp(0.0, 1.0)
    top = torch.randint(0, height - small_h + 1, (b,), device=x.device)
    left = torch.randint(0, width - small_w + 1, (b,), device=x.device)
    rows = top[:, None] + torch.arange(small_h, device=x.device)  # [b, small_h]
    cols = left[:, None] + torch.arange(small_w, device=x.device)  # [b, small_w]
    canvas = torch.full_like(x, background).permute(0, 2, 3, 1)  # [b, H, W, C]
    index = torch.arange(b, device=x.device).view(b, 1, 1)
    canvas[index, rows[:, :, None], cols[:, None, :]] = small.permute(0, 2, 3, 1)
    return canvas.permute(0, 3, 1, 2).contiguous()
