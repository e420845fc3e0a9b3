"""Training policy shared by tasks: frozen modules and per-module learning rates."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn


def freeze(module: nn.Module) -> nn.Module:
    """No gradients and eval mode (dropout off, batch-norm statistics fixed); returns `module`."""
    module.requires_grad_(False)
    return module.eval()


def param_groups(
    module: nn.Module, lr: float, lr_by_module: Mapping[str, float] | None = None
) -> list[dict[str, object]]:
    """Optimiser parameter groups: the trainable parameters of each named submodule in
    `lr_by_module` (a dotted name, e.g. `encoder` or `heads.graph`) at its own rate, every other
    trainable parameter at `lr`. Frozen parameters (no gradient) are left out.

    Raises:
        ValueError: a name that is no submodule of `module`.
    """
    lr_by_module = dict(lr_by_module or {})
    names = dict(module.named_modules())
    unknown = sorted(set(lr_by_module) - set(names))
    if unknown:
        raise ValueError(f"learning rates for unknown modules {unknown}")
    claimed: set[int] = set()
    groups: list[dict[str, object]] = []
    # longest names first: a rate for `encoder.readout` wins over one for `encoder`
    for name in sorted(lr_by_module, key=len, reverse=True):
        params = [p for p in names[name].parameters() if p.requires_grad and id(p) not in claimed]
        claimed.update(id(p) for p in params)
        if params:
            groups.append({"params": params, "lr": lr_by_module[name], "name": name})
    rest = [p for p in module.parameters() if p.requires_grad and id(p) not in claimed]
    if rest:
        groups.insert(0, {"params": rest, "lr": lr, "name": "default"})
    return groups


def adam(groups: list[dict[str, object]]) -> torch.optim.Optimizer:
    """Adam over `groups`; fused (one kernel for all parameters) where every parameter allows."""
    return torch.optim.Adam(groups, fused=True)  # type: ignore[arg-type]
