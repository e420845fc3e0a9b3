"""bf16 where the CPU computes it: `auto` resolves by the CPU, and training in bf16 on a CPU that
only emulates it is warned about before it starts (17 times slower per epoch on an AVX2 CPU)."""

from __future__ import annotations

import logging

import pytest
import torch

from molbridge.pipeline import precision
from molbridge.pipeline.epochs import one_process_trainer


@pytest.fixture
def cpu_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.mark.parametrize("native", [False, True])
def test_auto_is_bf16_only_where_the_cpu_has_it(
    native: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(precision, "bf16_is_fast", lambda: native)
    assert precision.resolve_precision("auto") == ("bf16-mixed" if native else "32")
    assert precision.resolve_precision("32") == "32"


@pytest.mark.parametrize(
    ("requested", "native", "warned"),
    [("bf16-mixed", False, True), ("bf16-mixed", True, False), ("32", False, False)],
)
def test_training_in_emulated_bf16_is_warned_about(
    requested: str,
    native: bool,
    warned: bool,
    cpu_only: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(precision, "bf16_is_fast", lambda: native)
    with caplog.at_level(logging.WARNING, logger="molbridge.pipeline.precision"):
        one_process_trainer(1, requested, [], progress=False)
    said = [r.getMessage() for r in caplog.records if "emulated" in r.getMessage()]
    assert bool(said) == warned
    if warned:
        assert "--precision 32" in said[0]
