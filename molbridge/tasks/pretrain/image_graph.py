"""Strategy 3, image–graph pre-training: the graph encoder and an image encoder of depictions,
both trained, learn from each other and from themselves.

Per batch, every molecule's graph and its depiction (a stored view, drawn once):
- **cross-modal** (`cross_weight`): symmetric InfoNCE between the projected graph embedding and
  the projected image embedding of the same molecule, the batch's other molecules as negatives;
- **intra-graph** (`graph_weight`): two views of each graph, each with its own random 15 % of
  atoms masked (Hu et al.'s mask), must find each other among the batch's views (NT-Xent);
- **intra-image** (`image_weight`): two augmented views of each depiction (rotations, mirror,
  zoom-out: `nn.augment`; the molecule stays whole in every view), likewise.
With the intra terms on, the cross-modal term pairs view 1 of the graph with view 1 of the image
and view 2 with view 2 (each graph view against an image view: no extra forward pass); with them
off, one unmasked graph against one augmented image. A molecule whose depiction could not be
drawn stays out of the image and cross-modal terms. The design and its reasons:
docs/strategies/image_graph.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from molbridge.data.batch import MultiViewBatch
from molbridge.encoders import GraphEncoder
from molbridge.encoders.image import ImageEncoder
from molbridge.nn.augment import ImageAugmentConfig, augment_images
from molbridge.nn.losses import info_nce, nt_xent
from molbridge.nn.mlp import mlp
from molbridge.nn.projection import ProjectionHead, ProjectionHeadConfig
from molbridge.tasks.pretrain.attr_masking import mask_atoms
from molbridge.tasks.pretrain.base import PretrainTask

IMAGE_VIEW = "image"


@dataclass
class ImageGraphConfig:
    """Attributes:
    temperature: τ of all three contrastive terms.
    projection_dim: width of the shared graph–image space and of the intra-modal heads.
    cross_weight, graph_weight, image_weight: weights of the three terms (see the module);
        0 turns a term off. The cross-modal term cannot be off.
    mask_rate: atoms masked in each graph view.
    augment: the image views' augmentations (`ImageAugmentConfig`; defaults: rotations,
        mirror, zoom-out to 0.8, no crop).
    min_rows: the image terms enter a batch only when at least this many of its molecules
        have a depiction.
    lr: Adam learning rate of both encoders and the heads.
    """

    temperature: float = 0.1
    projection_dim: int = 128
    cross_weight: float = 1.0
    graph_weight: float = 1.0
    image_weight: float = 1.0
    mask_rate: float = 0.15
    augment: dict[str, Any] = field(default_factory=lambda: {"zoom_scale": 0.8})
    min_rows: int = 8
    lr: float = 1e-3

    def __post_init__(self) -> None:
        if self.temperature <= 0:
            raise ValueError(f"temperature must be positive, got {self.temperature}")
        if self.projection_dim < 1:
            raise ValueError(f"projection_dim must be positive, got {self.projection_dim}")
        if self.cross_weight <= 0:
            raise ValueError(f"cross_weight must be positive, got {self.cross_weight}")
        for name in ("graph_weight", "image_weight"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be at least 0, got {getattr(self, name)}")
        if not 0.0 < self.mask_rate < 1.0:
            raise ValueError(f"mask_rate must be in (0, 1), got {self.mask_rate}")
        if self.min_rows < 2:
            raise ValueError(f"min_rows must be at least 2, got {self.min_rows}")
        try:
            ImageAugmentConfig(**self.augment)
        except TypeError as err:
            raise ValueError(f"augment: {err}") from err

    @property
    def augment_config(self) -> ImageAugmentConfig:
        return ImageAugmentConfig(**self.augment)

    def to_config(self) -> dict[str, Any]:
        return {"name": "image-graph", **asdict(self), "augment": self.augment_config.to_config()}


def _head(dim: int, out: int) -> nn.Module:
    """An intra-modal head (SimCLR's g: Linear -> ReLU -> Linear), dropped after pre-training."""
    return mlp(dim, dim, out)


class ImageGraphPretraining(PretrainTask):
    """Both encoders trained (see the module docstring). A batch is a `MultiViewBatch` with the
    view `image` (`[b, C, H, W]` uint8 depictions).

    Args:
        encoder: the shared graph encoder.
        image_encoder: the image encoder (trained too; saved beside the graph encoder).
    """

    encoder: GraphEncoder
    mask_values: torch.Tensor  # a buffer

    def __init__(
        self,
        encoder: GraphEncoder,
        image_encoder: ImageEncoder,
        config: ImageGraphConfig | None = None,
    ) -> None:
        self.config = config or ImageGraphConfig()
        super().__init__(encoder, lr=self.config.lr)
        self.image_encoder = image_encoder
        dim = self.config.projection_dim
        self.graph_projection = ProjectionHead(ProjectionHeadConfig(encoder.out_dim, dim))
        self.image_projection = ProjectionHead(ProjectionHeadConfig(image_encoder.out_dim, dim))
        self.graph_head = _head(encoder.out_dim, dim) if self.config.graph_weight > 0 else None
        self.image_head = (
            _head(image_encoder.out_dim, dim) if self.config.image_weight > 0 else None
        )
        self.register_buffer(
            "mask_values", torch.tensor(encoder.config.atom_dims) - 1, persistent=False
        )
        self.augment = self.config.augment_config

    def graph_views(self, batch: MultiViewBatch) -> list[torch.Tensor]:
        """Pooled graph embeddings: two masked views, or one unmasked without the graph term."""
        g = batch.graph
        if self.graph_head is None:
            return [self.encoder(g.x, g.edge_index, g.edge_attr, g.batch, g.num_graphs)]
        views = []
        for _ in range(2):
            x, _ = mask_atoms(g.x, self.config.mask_rate, self.mask_values)
            views.append(self.encoder(x, g.edge_index, g.edge_attr, g.batch, g.num_graphs))
        return views

    def image_views(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Image embeddings of two augmented views (one without the image term)."""
        n = 1 if self.image_head is None else 2
        views = torch.cat([augment_images(images, self.augment) for _ in range(n)])
        return list(self.image_encoder(views).chunk(n))

    def loss(self, batch: MultiViewBatch) -> tuple[torch.Tensor, dict[str, float]]:
        config = self.config
        graphs = self.graph_views(batch)
        total = graphs[0].sum() * 0.0
        logs: dict[str, float] = {}
        if self.graph_head is not None:
            term, accuracy = nt_xent(
                self.graph_head(graphs[0]), self.graph_head(graphs[1]), config.temperature
            )
            total = total + config.graph_weight * term
            logs |= {"graph": float(term.detach()), "graph_accuracy": float(accuracy)}
        present = batch.present[IMAGE_VIEW]
        n = int(present.sum())
        if n < config.min_rows:
            return total, logs
        images = self.image_views(batch.views[IMAGE_VIEW][present])
        if self.image_head is not None:
            term, accuracy = nt_xent(
                self.image_head(images[0]), self.image_head(images[1]), config.temperature
            )
            total = total + config.image_weight * term
            logs |= {"image": float(term.detach()), "image_accuracy": float(accuracy)}
        pairs = list(zip(graphs, images, strict=False)) if len(graphs) == len(images) else []
        if not pairs:  # one side has one view: pair it with the other side's first
            pairs = [(graphs[0], images[0])]
        cross = torch.stack(
            [
                info_nce(
                    self.graph_projection(g[present]),
                    self.image_projection(i),
                    config.temperature,
                )
                for g, i in pairs
            ]
        ).mean()
        total = total + config.cross_weight * cross
        logs |= {"cross": float(cross.detach()), "image_rows": float(n)}
        return total, logs
