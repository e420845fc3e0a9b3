import math

import numpy as np
import pytest
import torch

from molbridge.chem import parse_smiles
from molbridge.data.packed import PackedGraphs
from molbridge.featurize import GraphFeaturizer
from molbridge.tasks import PropertyTaskConfig, masked_loss
from tests.helpers import small_task


def test_masked_loss_ignores_missing_labels() -> None:
    logits = torch.tensor([[0.5, -1.0], [2.0, 0.3]])
    target = torch.tensor([[1.0, float("nan")], [float("nan"), 0.0]])
    loss = masked_loss(logits, target, "classification")
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor([0.5, 0.3]), torch.tensor([1.0, 0.0])
    )
    assert torch.isclose(loss, expected)
    # changing a prediction where the label is missing changes nothing
    logits2 = logits.clone()
    logits2[0, 1] = 100.0
    assert torch.isclose(masked_loss(logits2, target, "classification"), loss)
    regression = masked_loss(
        torch.tensor([[1.0], [3.0]]), torch.tensor([[2.0], [float("nan")]]), "regression"
    )
    assert math.isclose(float(regression), 1.0)


def test_masked_loss_with_no_labels_is_zero_and_differentiable() -> None:
    logits = torch.zeros(3, 2, requires_grad=True)
    loss = masked_loss(logits, torch.full((3, 2), float("nan")), "classification")
    loss.backward()
    assert float(loss) == 0.0 and logits.grad is not None and not torch.isnan(logits.grad).any()


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="unknown task type"):
        PropertyTaskConfig("ranking", ("a",))
    with pytest.raises(KeyError, match="unknown metric"):
        PropertyTaskConfig("regression", ("a",), metric="r3")
    config = PropertyTaskConfig("regression", ("a",), target_mean=(1.0,), target_std=(2.0,))
    assert PropertyTaskConfig.from_config(config.to_config()) == config
    assert config.metric == "rmse"


def _tiny_set(n: int = 24) -> tuple[PackedGraphs, np.ndarray]:
    smiles = ["C" * k + "O" for k in range(1, n // 2 + 1)] + [
        "c1ccccc1" + "C" * k for k in range(n // 2)
    ]
    f = GraphFeaturizer()
    graphs = PackedGraphs.from_graphs([f(parse_smiles(s)) for s in smiles], 9, 3)
    y = np.array([[0.0]] * (n // 2) + [[1.0]] * (n // 2), dtype=np.float32)
    y[0, 0] = np.nan  # a missing label among them
    return graphs, y


def test_overfits_a_tiny_set() -> None:
    torch.manual_seed(0)
    graphs, y = _tiny_set()
    task = small_task(lr=1e-2)
    optimizer = task.configure_optimizers()
    batch = graphs.collate(np.arange(len(graphs)), y)
    first = None
    for _ in range(150):
        loss = masked_loss(task(batch), batch.y, "classification")
        first = first if first is not None else float(loss)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss) < 0.05 < first
    task.eval()
    with torch.no_grad():
        probabilities = task.predict_values(batch).numpy()[1:, 0]
    assert ((probabilities > 0.5) == (y[1:, 0] == 1)).all()


def test_regression_predictions_are_in_user_units() -> None:
    task = small_task("regression", target_mean=(10.0,), target_std=(2.0,))
    task.eval()
    graphs, _ = _tiny_set(4)
    batch = graphs.collate(np.arange(4))
    with torch.no_grad():
        raw = task(batch)
        assert torch.allclose(task.predict_values(batch), raw * 2.0 + 10.0)
