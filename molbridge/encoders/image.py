"""Image encoder for 2D depictions: ResNet-18 (He et al. 2016) in plain torch.

The default config is torchvision's `resnet18` without its classifier, layer for layer (same
parameter count, 11,176,512), written out here because torchvision is not a dependency.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

# Per-channel pixel statistics of depictions, measured on 300 BBBP molecules drawn by
# `ImageFeaturizer(size=128)` (pixels scaled to [0, 1]): mostly white background.
DEPICTION_MEAN_RGB = (0.957, 0.953, 0.957)
DEPICTION_STD_RGB = (0.182, 0.190, 0.183)
DEPICTION_MEAN_GRAY = (0.955,)
DEPICTION_STD_GRAY = (0.184,)


@dataclass
class ImageEncoderConfig:
    """Hyper-parameters of `ImageEncoder`.

    Attributes:
        in_channels: image channels (3 for RGB depictions, 1 for grayscale).
        widths: channels of each residual stage (ResNet-18: 64, 128, 256, 512).
        blocks: basic blocks per stage (ResNet-18: 2, 2, 2, 2). The first stage keeps the
            resolution, each later one halves it.
        projection_dim: if set, a linear layer maps the pooled features to this size.
        mean: per-channel mean subtracted after scaling pixels to [0, 1]; `None` takes the
            depiction statistics for 1 or 3 channels.
        std: per-channel standard deviation divided by, likewise.
    """

    in_channels: int = 3
    widths: tuple[int, ...] = (64, 128, 256, 512)
    blocks: tuple[int, ...] = (2, 2, 2, 2)
    projection_dim: int | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        self.widths = tuple(int(w) for w in self.widths)
        self.blocks = tuple(int(b) for b in self.blocks)
        if not self.widths or len(self.widths) != len(self.blocks):
            raise ValueError(
                f"widths and blocks need one entry per stage, got {self.widths} and {self.blocks}"
            )
        if min(self.widths) < 1 or min(self.blocks) < 1 or self.in_channels < 1:
            raise ValueError(f"channels, widths and blocks must be positive: {self}")
        if self.projection_dim is not None and self.projection_dim < 1:
            raise ValueError(f"projection_dim must be positive or None, got {self.projection_dim}")
        if self.mean is None:
            self.mean = self._default(DEPICTION_MEAN_RGB, DEPICTION_MEAN_GRAY)
        if self.std is None:
            self.std = self._default(DEPICTION_STD_RGB, DEPICTION_STD_GRAY)
        self.mean = tuple(float(m) for m in self.mean)
        self.std = tuple(float(s) for s in self.std)
        if len(self.mean) != self.in_channels or len(self.std) != self.in_channels:
            raise ValueError(
                f"mean and std need {self.in_channels} values, got {self.mean} and {self.std}"
            )
        if min(self.std) <= 0:
            raise ValueError(f"std must be positive, got {self.std}")

    def _default(self, rgb: tuple[float, ...], gray: tuple[float, ...]) -> tuple[float, ...]:
        if self.in_channels == 3:
            return rgb
        if self.in_channels == 1:
            return gray
        raise ValueError(f"give mean and std for {self.in_channels} channels")

    @property
    def out_dim(self) -> int:
        """Embedding size: `projection_dim` if set, else the last stage's width."""
        return self.projection_dim if self.projection_dim is not None else self.widths[-1]

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "resnet",
            **asdict(self),
            "widths": list(self.widths),
            "blocks": list(self.blocks),
            "mean": list(self.mean or ()),
            "std": list(self.std or ()),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ImageEncoderConfig:
        return cls(**{k: v for k, v in config.items() if k != "name"})


def _conv3x3(in_dim: int, out_dim: int, stride: int = 1) -> nn.Conv2d:
    # no bias: the batch norm after every convolution has its own shift
    return nn.Conv2d(in_dim, out_dim, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (He et al. 2016, Fig. 2).

    `y = ReLU(BN(conv(ReLU(BN(conv(x))))) + shortcut(x))`; the shortcut is a strided 1x1
    convolution with batch norm when the shape changes (option B), else the identity.
    """

    def __init__(self, in_dim: int, out_dim: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = _conv3x3(in_dim, out_dim, stride)
        self.bn1 = nn.BatchNorm2d(out_dim)
        self.conv2 = _conv3x3(out_dim, out_dim)
        self.bn2 = nn.BatchNorm2d(out_dim)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_dim != out_dim:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_dim, out_dim, 1, stride=stride, bias=False), nn.BatchNorm2d(out_dim)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`[b, in_dim, h, w]` -> `[b, out_dim, h / stride, w / stride]`."""
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class ImageEncoder(nn.Module):
    """ResNet: 7x7 stride-2 stem and 3x3 stride-2 max-pool, residual stages, global mean pool.

    The input is downsampled by `2 ** (len(widths) + 1)` (32 for ResNet-18), so a 128 px
    depiction reaches the pool as a 4x4 map.
    """

    pixel_mean: torch.Tensor  # [1, C, 1, 1] buffer
    pixel_std: torch.Tensor  # [1, C, 1, 1] buffer

    def __init__(self, config: ImageEncoderConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or ImageEncoderConfig()
        first = config.widths[0]
        self.stem = nn.Sequential(
            nn.Conv2d(config.in_channels, first, 7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(first),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        stages = []
        in_dim = first
        for i, (width, n_blocks) in enumerate(zip(config.widths, config.blocks, strict=True)):
            stride = 1 if i == 0 else 2
            layers = [BasicBlock(in_dim, width, stride)]
            layers += [BasicBlock(width, width) for _ in range(n_blocks - 1)]
            stages.append(nn.Sequential(*layers))
            in_dim = width
        self.stages = nn.Sequential(*stages)
        self.projection: nn.Module = (
            nn.Linear(in_dim, config.projection_dim)
            if config.projection_dim is not None
            else nn.Identity()
        )
        # buffers, not parameters: part of the checkpoint, never trained
        shape = (1, config.in_channels, 1, 1)
        self.register_buffer("pixel_mean", torch.tensor(config.mean).view(shape))
        self.register_buffer("pixel_std", torch.tensor(config.std).view(shape))
        self._init_weights()

    def _init_weights(self) -> None:
        # He et al. 2015 initialisation (fan-out), as torchvision's ResNet
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    @property
    def out_dim(self) -> int:
        return self.config.out_dim

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """Pixels -> standardised float input `[b, C, H, W]`.

        uint8 images are scaled from 0-255 to [0, 1]; float images are taken to be in [0, 1]
        already. Both are then standardised with the fixed per-channel mean and std.
        """
        if images.ndim != 4 or images.shape[1] != self.config.in_channels:
            raise ValueError(
                f"expected images [b, {self.config.in_channels}, H, W], got {tuple(images.shape)}"
            )
        if images.dtype == torch.uint8:
            images = images.float() / 255.0
        elif not images.is_floating_point():
            raise TypeError(f"expected uint8 or float images, got {images.dtype}")
        return (images - self.pixel_mean.to(images.dtype)) / self.pixel_std.to(images.dtype)

    def feature_map(self, images: torch.Tensor) -> torch.Tensor:
        """`[b, C, H, W]` uint8 or float -> last stage's map `[b, widths[-1], H / 32, W / 32]`
        (for ResNet-18; the divisor is `2 ** (len(widths) + 1)`)."""
        return self.stages(self.stem(self.normalize(images)))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """`[b, C, H, W]` uint8 or float in [0, 1] -> embeddings `[b, out_dim]`."""
        pooled = self.feature_map(images).mean(dim=(2, 3))  # global average pool
        return self.projection(pooled)
