"""Numbers a run's configuration must respect, checked when the configuration is made, so a
bad value is one clear error before any work (not a ZeroDivisionError deep in a loop, or a
run of zero epochs that saves an untrained model)."""

from __future__ import annotations

import math
import numbers
from typing import Any


def check_settings(
    config: Any,
    at_least_one: tuple[str, ...],
    positive: tuple[str, ...] = (),
    below_one: tuple[str, ...] = (),
) -> None:
    """Raise `ValueError` naming the option when a count is below 1, a rate is not > 0, or a
    probability (dropout) is outside [0, 1).

    `None` values are left alone (they mean "the default" or "all").
    """
    for name in at_least_one:
        value = getattr(config, name)
        if value is not None and (
            not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1
        ):
            raise ValueError(f"--{name.replace('_', '-')} must be a whole number >= 1, got {value}")
    for name in positive:
        value = getattr(config, name)
        if value is not None and not (
            isinstance(value, int | float) and math.isfinite(value) and value > 0
        ):
            raise ValueError(f"--{name.replace('_', '-')} must be a number > 0, got {value}")
    for name in below_one:
        value = getattr(config, name)
        if not 0.0 <= value < 1.0:
            raise ValueError(f"--{name.replace('_', '-')} must be in [0, 1), got {value}")
