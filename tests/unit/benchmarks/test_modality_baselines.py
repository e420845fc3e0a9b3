"""`benchmarks/modality_baselines.py`: the marginal predictors on constructed inputs whose
answer is known."""

import importlib.util
from pathlib import Path

import pytest
import torch

_PATH = Path(__file__).parents[3] / "benchmarks" / "modality_baselines.py"
_spec = importlib.util.spec_from_file_location("modality_baselines", _PATH)
assert _spec is not None and _spec.loader is not None
baselines = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(baselines)


def test_fingerprint_bit_frequency() -> None:
    # bit 0 always on, bit 1 on in a quarter of the training rows
    train = torch.tensor([[1, 1], [1, 0], [1, 0], [1, 0]])
    held = torch.tensor([[1, 1]])
    scores = baselines._fingerprint(train, held)
    expected = -(torch.log(torch.tensor(1 - 1e-6)) + torch.log(torch.tensor(0.25))) / 2
    assert scores["bit_frequency_bce"] == pytest.approx(float(expected), rel=1e-4)
    assert scores["bit_frequency_on_bit_recall"] == pytest.approx(0.5)  # bit 0 only


def test_spectrum_mean_of_scaled_targets() -> None:
    train = torch.tensor([[2.0, 0.0], [0.0, 5.0]])  # scaled: [1, 0] and [0, 1]; mean [.5, .5]
    held = torch.tensor([[0.0, 3.0]])  # scaled [0, 1]
    assert baselines._spectrum(train, held)["mean_spectrum_mse"] == pytest.approx(0.25)
