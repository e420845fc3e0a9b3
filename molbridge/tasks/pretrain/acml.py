"""Strategy 2, asymmetric contrastive multimodal learning (ACML): frozen modality encoders pull
the graph encoder's embedding of each molecule towards their own embedding of it.

Only the graph side learns: the shared graph encoder, and per modality a projection head on
each side (the frozen encoder's embeddings are read from a corpus view, computed once). Per
modality the loss is the reference implementation's soft-target contrastive loss
(`nn.losses.soft_target_contrastive`) over the batch's molecules that have the modality; the
modalities' losses are summed. The design and its reasons: docs/strategies/acml.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, cast

import torch
from torch import nn

from molbridge.data.batch import MultiViewBatch
from molbridge.encoders import GraphEncoder
from molbridge.nn.losses import soft_target_contrastive
from molbridge.nn.projection import ProjectionHead, ProjectionHeadConfig
from molbridge.tasks.pretrain.base import PretrainTask


@dataclass
class ACMLConfig:
    """Attributes:
    temperature: τ of the soft-target contrastive loss (the reference's default, 1).
    projection_dim: width both sides are projected to.
    dropout: dropout inside the projection heads (the reference: 0.1).
    min_rows: a modality enters a batch's loss only when at least this many of the batch's
        molecules have it (a contrast needs candidates: 2 at the least).
    lr: Adam learning rate.
    """

    temperature: float = 1.0
    projection_dim: int = 256
    dropout: float = 0.1
    min_rows: int = 8
    lr: float = 1e-3

    def __post_init__(self) -> None:
        if self.temperature <= 0:
            raise ValueError(f"temperature must be positive, got {self.temperature}")
        if self.projection_dim < 1:
            raise ValueError(f"projection_dim must be positive, got {self.projection_dim}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.min_rows < 2:
            raise ValueError(f"min_rows must be at least 2, got {self.min_rows}")

    def to_config(self) -> dict[str, Any]:
        return {"name": "acml", **asdict(self)}


class ACMLHeads(nn.Module):
    """The two projection heads of one modality: `graph` (on the graph encoder's embedding,
    kept for fine-tuning as a part) and `modality` (on the frozen encoder's embedding)."""

    def __init__(self, graph_dim: int, modality_dim: int, config: ACMLConfig) -> None:
        super().__init__()
        self.graph = ProjectionHead(
            ProjectionHeadConfig(graph_dim, config.projection_dim, config.dropout)
        )
        self.modality = ProjectionHead(
            ProjectionHeadConfig(modality_dim, config.projection_dim, config.dropout)
        )


class AsymmetricContrastive(PretrainTask):
    """The graph encoder against each modality's stored embedding (the batch's view of that
    name); a molecule lacking a modality stays out of that modality's term.

    Args:
        encoder: the shared graph encoder.
        modalities: view name -> width of the frozen encoder's embedding.
    """

    encoder: GraphEncoder

    def __init__(
        self,
        encoder: GraphEncoder,
        modalities: dict[str, int],
        config: ACMLConfig | None = None,
    ) -> None:
        if not modalities:
            raise ValueError("ACML needs at least one modality")
        self.config = config or ACMLConfig()
        super().__init__(encoder, lr=self.config.lr)
        self.heads = nn.ModuleDict(
            {name: ACMLHeads(encoder.out_dim, dim, self.config) for name, dim in modalities.items()}
        )

    def loss(self, batch: MultiViewBatch) -> tuple[torch.Tensor, dict[str, float]]:
        g = batch.graph
        graph = self.encoder(g.x, g.edge_index, g.edge_attr, g.batch, g.num_graphs)
        # zero, but part of the graph: a batch in which no modality has enough rows still
        # steps (with no gradient) instead of failing in backward
        total = graph.sum() * 0.0
        logs: dict[str, float] = {}
        for name, module in self.heads.items():
            heads = cast(ACMLHeads, module)
            present = batch.present[name]
            n = int(present.sum())
            if n < self.config.min_rows:
                continue
            term = soft_target_contrastive(
                heads.graph(graph[present]),
                heads.modality(batch.views[name][present].float()),
                self.config.temperature,
            )
            total = total + term
            logs[name] = float(term.detach())
            logs[f"{name}_rows"] = float(n)
        return total, logs
