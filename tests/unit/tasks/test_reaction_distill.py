"""Strategy 1's tasks: the teacher's yield-weighted transformation loss, shapes, and the
distillation terms."""

import math

import pytest
import torch

from molbridge.data.batch import MultiViewBatch
from molbridge.data.reaction_stream import reaction_corpus
from molbridge.encoders import (
    GraphEncoderConfig,
    ReactionEncoderConfig,
    ReactionTeacher,
    ReactionTeacherConfig,
)
from molbridge.featurize import GraphFeaturizer
from molbridge.tasks.pretrain.reaction_distill import (
    TEACHER_VIEW,
    ReactionDistillation,
    ReactionDistillConfig,
    ReactionTeacherPretraining,
    TeacherTrainingConfig,
    distillation_loss,
    transformation_loss,
    yield_weights,
)
from tests.helpers import small_encoder

F = GraphFeaturizer()


def small_teacher() -> ReactionTeacher:
    graph = GraphEncoderConfig(F.atom_dims, F.bond_dims, 2, 32, 0.0)
    return ReactionTeacher(ReactionTeacherConfig(ReactionEncoderConfig(graph), embedding_dim=16))


def test_yield_weights_relative_to_the_set_mean_and_neutral_without_yield() -> None:
    y = torch.tensor([0.0, 0.2, 0.4, math.nan])
    mean = torch.tensor([0.4, 0.4, 0.4, math.nan])
    assert yield_weights(y, mean).tolist() == pytest.approx([0.0, 0.5, 1.0, 1.0])
    assert yield_weights(y, mean, enabled=False).tolist() == [1.0, 1.0, 1.0, 1.0]


def test_a_zero_yield_reaction_gives_no_gradient_to_the_transformation_loss() -> None:
    torch.manual_seed(0)
    transformed = torch.randn(5, 8, requires_grad=True)
    product = torch.randn(5, 8, requires_grad=True)
    weights = yield_weights(torch.tensor([0.5, 0.0, 0.9, math.nan, 0.3]), torch.full((5,), 0.4))
    loss = transformation_loss(transformed, product, weights, torch.arange(5), 0.1)
    loss.backward()
    assert transformed.grad is not None and product.grad is not None
    assert transformed.grad[1].abs().sum() == 0 and product.grad[1].abs().sum() == 0
    assert transformed.grad[0].abs().sum() > 0 and product.grad[3].abs().sum() > 0
    # the same reaction with its yield weighting off does pull
    transformed.grad = None
    ones = torch.ones(5)
    transformation_loss(transformed, product, ones, torch.arange(5), 0.1).backward()
    assert transformed.grad[1].abs().sum() > 0


def test_reactions_making_the_same_product_are_not_negatives() -> None:
    z = torch.eye(4)
    product = z.clone()
    product[1] = product[0]  # reactions 0 and 1 make the same product
    ones = torch.ones(4)
    apart = transformation_loss(z, product, ones, torch.arange(4), 0.1)
    grouped = transformation_loss(z, product, ones, torch.tensor([0, 0, 1, 2]), 0.1)
    assert grouped < apart


def test_teacher_shapes_and_a_training_step() -> None:
    corpus = reaction_corpus(["uspto_50k", "buchwald_hartwig"], limit=6)
    batch = corpus.collate(range(len(corpus)))
    teacher = small_teacher()
    out = teacher(batch)
    assert out.transformed.shape == out.product.shape == (12, 16)
    assert out.class_logits.shape == (12, 10) and out.yield_pred.shape == (12,)
    assert ((out.yield_pred >= 0) & (out.yield_pred <= 1)).all()
    task = ReactionTeacherPretraining(teacher, TeacherTrainingConfig())
    loss, logs = task.loss(batch)
    assert loss.ndim == 0 and {"transformation", "class", "yield_mse"} <= set(logs)
    loss.backward()
    assert teacher.reaction.graph.atom_embedding.table.weight.grad is not None
    # the per-molecule representation reads single molecules
    mol = teacher.molecule_encoder()
    m = batch.molecules
    assert mol(m.x, m.edge_index, m.edge_attr, m.batch, m.num_graphs).shape == (m.num_graphs, 16)


def test_distillation_loss_is_zero_when_the_student_equals_the_teacher() -> None:
    teacher = torch.randn(6, 16)
    loss, logs = distillation_loss(
        teacher.clone(), teacher.clone(), teacher, ReactionDistillConfig()
    )
    assert float(loss) == pytest.approx(0.0, abs=1e-6)
    assert logs["feature"] == pytest.approx(0.0, abs=1e-6)
    assert logs["relational"] == pytest.approx(0.0, abs=1e-6)
    # any other student is penalised by both terms
    other = torch.randn(6, 16)
    _, logs = distillation_loss(other, other, teacher, ReactionDistillConfig())
    assert logs["feature"] > 0.1 and logs["relational"] > 0.01
    # the relational term off is left out
    _, logs = distillation_loss(other, other, teacher, ReactionDistillConfig(relational_weight=0))
    assert "relational" not in logs


def test_student_shapes_and_gradient_with_and_without_masking() -> None:
    corpus = reaction_corpus(["uspto_50k"], limit=8)
    graphs = corpus.collate(range(8)).molecules
    assert graphs.num_graphs >= 8
    n = graphs.num_graphs
    teacher_rows = torch.randn(n, 16)
    present = torch.tensor([True] * (n - 1) + [False])
    batch = MultiViewBatch(graphs, {TEACHER_VIEW: teacher_rows}, {TEACHER_VIEW: present})
    for mask_weight in (0.0, 0.5):
        torch.manual_seed(0)
        task = ReactionDistillation(
            small_encoder(F), 16, ReactionDistillConfig(mask_weight=mask_weight)
        )
        assert task.projection(torch.zeros(2, 32)).shape == (2, 16)
        loss, logs = task.loss(batch)
        assert ("masking" in logs) == (mask_weight > 0)
        loss.backward()
        assert task.encoder.atom_embedding.table.weight.grad is not None


def test_bad_options_are_named() -> None:
    with pytest.raises(ValueError, match="both be 0"):
        ReactionDistillConfig(feature_weight=0, relational_weight=0)
    with pytest.raises(ValueError, match="temperature"):
        TeacherTrainingConfig(temperature=0)
