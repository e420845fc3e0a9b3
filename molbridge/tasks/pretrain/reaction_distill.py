"""Strategy 1, reaction distillation: a teacher learns from reactions (and their yields), then
the shared graph encoder (the student) learns from the teacher, one molecule at a time.

Stage 1, `ReactionTeacherPretraining`: reactants plus a learned transformation must land on
their product in the teacher's embedding space (InfoNCE against the batch's other products),
each reaction's term weighted by its yield; auxiliary heads predict the reaction class and the
yield. Stage 2, `ReactionDistillation`: the student reads single molecules and matches the
teacher's representation of each (a feature term) and the teacher's pairwise similarities
within the batch (a relational term), optionally with a light attribute-masking term. The design
and its reasons: docs/strategies/reaction_distill.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from molbridge.data.batch import MultiViewBatch, ReactionBatch
from molbridge.encoders import GraphEncoder, ReactionTeacher
from molbridge.nn.losses import info_nce, relational_kl
from molbridge.nn.projection import ProjectionHead, ProjectionHeadConfig
from molbridge.tasks.pretrain.attr_masking import element_loss, mask_atoms
from molbridge.tasks.pretrain.base import PretrainTask

TEACHER_VIEW = "teacher"  # the view holding the teacher's representation of each molecule


@dataclass
class TeacherTrainingConfig:
    """Attributes:
    temperature: InfoNCE temperature of the transformation loss.
    yield_weighting: weight each reaction's transformation term by its yield, relative to its
        set's mean yield (a reaction of average yield weighs 1, a zero-yield one 0); `False`
        weighs every reaction 1 (the ablation).
    class_weight: weight of the reaction-class cross-entropy (reactions with a class only).
    yield_weight: weight of the yield regression (squared error on yields in [0, 1], reactions
        with a yield only).
    lr: Adam learning rate.
    """

    temperature: float = 0.1
    yield_weighting: bool = True
    class_weight: float = 1.0
    yield_weight: float = 1.0
    lr: float = 1e-3

    def __post_init__(self) -> None:
        if self.temperature <= 0:
            raise ValueError(f"temperature must be positive, got {self.temperature}")
        for name in ("class_weight", "yield_weight"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be non-negative, got {getattr(self, name)}")

    def to_config(self) -> dict[str, Any]:
        return {"name": "reaction-teacher", **asdict(self)}


def yield_weights(
    yield_frac: torch.Tensor, set_mean: torch.Tensor, enabled: bool = True
) -> torch.Tensor:
    """Per-reaction weights of the transformation loss.

    Args:
        yield_frac: `[b]` yields in [0, 1], NaN where a reaction has none.
        set_mean: `[b]` the mean yield of each reaction's set (any value where NaN above).
        enabled: `False` gives all ones (yield weighting off).

    Returns:
        `[b]` `yield / set_mean` where the yield is known (0 for a zero yield: it pulls not at
        all; 1 for a reaction of its set's average yield), and the neutral 1 where unknown (a
        USPTO reaction, published because it worked).
    """
    if not enabled:
        return torch.ones_like(yield_frac)
    known = ~torch.isnan(yield_frac)
    relative = yield_frac / set_mean.clamp_min(1e-6)
    return torch.where(known, relative, torch.ones_like(yield_frac))


def transformation_loss(
    transformed: torch.Tensor,
    product: torch.Tensor,
    weights: torch.Tensor,
    product_group: torch.Tensor,
    temperature: float,
) -> torch.Tensor:
    """Weighted InfoNCE between transformed reactants and products.

    Reactions of weight 0 are left out entirely, as anchors and as negatives, so they give no
    gradient at all; rows making the same product (`product_group`) are not each other's
    negatives. Zero when fewer than two reactions remain.
    """
    keep = weights > 0
    if int(keep.sum()) < 2:
        return transformed.sum() * 0.0
    return info_nce(
        transformed[keep],
        product[keep],
        temperature,
        weights=weights[keep],
        same=product_group[keep],
    )


class ReactionTeacherPretraining(PretrainTask):
    """Stage 1: train a `ReactionTeacher` on reaction batches (`ReactionBatch` with `label`,
    `yield_frac`, `product_group` and `set_mean_yield`, as `ReactionCorpus.collate` makes)."""

    encoder: ReactionTeacher

    def __init__(self, teacher: ReactionTeacher, config: TeacherTrainingConfig | None = None):
        self.config = config or TeacherTrainingConfig()
        super().__init__(teacher, lr=self.config.lr)

    def loss(self, batch: ReactionBatch) -> tuple[torch.Tensor, dict[str, float]]:
        label, yield_frac = batch.label, batch.yield_frac
        group, set_mean = batch.product_group, batch.set_mean_yield
        if label is None or yield_frac is None or group is None or set_mean is None:
            raise ValueError(
                "a teacher batch needs label, yield_frac, product_group and set_mean_yield"
            )
        out = self.encoder(batch)
        weights = yield_weights(yield_frac, set_mean, self.config.yield_weighting)
        nce = transformation_loss(
            out.transformed, out.product, weights, group, self.config.temperature
        )
        total, logs = nce, {"transformation": float(nce.detach())}
        labelled = label >= 0
        if labelled.any():
            logits = out.class_logits[labelled].float()
            ce = F.cross_entropy(logits, label[labelled])
            total = total + self.config.class_weight * ce
            accuracy = (logits.argmax(1) == label[labelled]).float().mean()
            logs |= {"class": float(ce.detach()), "class_accuracy": float(accuracy)}
        known = ~torch.isnan(yield_frac)
        if known.any():
            mse = F.mse_loss(out.yield_pred[known].float(), yield_frac[known])
            total = total + self.config.yield_weight * mse
            logs["yield_mse"] = float(mse.detach())
        return total, logs


@dataclass
class ReactionDistillConfig:
    """Attributes:
    feature_weight: weight of the feature term, 1 - cosine(P(student), teacher).
    relational_weight: weight of the relational term (KL between the teacher's and the
        student's softmaxed within-batch similarity rows); 0 turns it off (the ablation).
    relational_temperature: temperature of those softmaxes.
    mask_weight: weight of the attribute-masking term; 0 turns it off. When on, the student
        reads each batch with `mask_rate` of its atoms masked, in ONE forward pass that serves
        both the masked-element loss and the distillation terms.
    mask_rate: fraction of atoms masked.
    lr: Adam learning rate.
    """

    feature_weight: float = 1.0
    relational_weight: float = 1.0
    relational_temperature: float = 0.1
    mask_weight: float = 0.5
    mask_rate: float = 0.15
    lr: float = 1e-3

    def __post_init__(self) -> None:
        for name in ("feature_weight", "relational_weight", "mask_weight"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be non-negative, got {getattr(self, name)}")
        if self.feature_weight + self.relational_weight == 0:
            raise ValueError("feature_weight and relational_weight cannot both be 0")
        if self.relational_temperature <= 0:
            raise ValueError("relational_temperature must be positive")
        if not 0.0 < self.mask_rate < 1.0:
            raise ValueError(f"mask_rate must be in (0, 1), got {self.mask_rate}")

    def to_config(self) -> dict[str, Any]:
        return {"name": "reaction-distill", **asdict(self)}


def distillation_loss(
    projected: torch.Tensor,
    student: torch.Tensor,
    teacher: torch.Tensor,
    config: ReactionDistillConfig,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Feature term on the projected student embeddings, relational term on the student's own
    embeddings (the geometry fine-tuning and probes read); both zero when the student equals
    the teacher.

    Args:
        projected: `[b, d_t]` the student's embeddings projected to the teacher's width.
        student: `[b, d_s]` the student's pooled embeddings.
        teacher: `[b, d_t]` the teacher's representation of the same molecules.
    """
    teacher = teacher.float()
    feature = (1 - F.cosine_similarity(projected.float(), teacher, dim=1)).mean()
    total = config.feature_weight * feature
    logs = {"feature": float(feature.detach())}
    if config.relational_weight > 0:
        relational = relational_kl(student, teacher, config.relational_temperature)
        total = total + config.relational_weight * relational
        logs["relational"] = float(relational.detach())
    return total, logs


class ReactionDistillation(PretrainTask):
    """Stage 2: the shared graph encoder learns the teacher's per-molecule representation,
    stored once per molecule as the view `teacher` (the teacher itself is not needed here)."""

    encoder: GraphEncoder
    mask_values: torch.Tensor  # a buffer

    def __init__(
        self, encoder: GraphEncoder, teacher_dim: int, config: ReactionDistillConfig | None = None
    ) -> None:
        self.config = config or ReactionDistillConfig()
        super().__init__(encoder, lr=self.config.lr)
        self.projection = ProjectionHead(ProjectionHeadConfig(encoder.out_dim, teacher_dim))
        atom_dims = encoder.config.atom_dims
        self.register_buffer("mask_values", torch.tensor(atom_dims) - 1, persistent=False)
        self.element_head: nn.Module | None = None
        if self.config.mask_weight > 0:
            self.element_head = nn.Linear(encoder.out_dim, atom_dims[0])

    def loss(self, batch: MultiViewBatch) -> tuple[torch.Tensor, dict[str, float]]:
        g, present = batch.graph, batch.present[TEACHER_VIEW]
        x, masked = g.x, None
        if self.element_head is not None:
            x, masked = mask_atoms(g.x, self.config.mask_rate, self.mask_values)
        nodes = self.encoder.node_embeddings(x, g.edge_index, g.edge_attr)
        student = self.encoder.readout(nodes, g.batch, g.num_graphs)
        total, logs = distillation_loss(
            self.projection(student[present]),
            student[present],
            batch.views[TEACHER_VIEW][present],
            self.config,
        )
        if self.element_head is not None and masked is not None:
            masking, masking_logs = element_loss(self.element_head(nodes[masked]), g.x[masked, 0])
            total = total + self.config.mask_weight * masking
            logs |= {"masking": float(masking.detach()), **masking_logs}
        return total, logs
