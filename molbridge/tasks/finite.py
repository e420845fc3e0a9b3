"""Stop a run whose loss stops being a number, instead of training on and saving NaN weights."""

from __future__ import annotations

import math

import lightning as L


class NonFiniteLossError(ValueError):
    """The training loss became NaN or infinite."""


def check_finite_loss(value: float, module: L.LightningModule) -> None:
    """Raise `NonFiniteLossError` (epoch and step named) when `value` is NaN or infinite."""
    if not math.isfinite(value):
        raise NonFiniteLossError(
            f"the training loss became {value} at epoch {module.current_epoch}, step "
            f"{module.global_step}; the run stopped and saved no model (lower --lr, check the "
            "labels and their scale, or try --precision 32)"
        )
