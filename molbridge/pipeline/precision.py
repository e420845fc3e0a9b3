"""Which floating-point precision this machine computes fast: bf16 only where the CPU has
bfloat16 instructions (or a GPU runs the work); elsewhere it is emulated, many times slower."""

from __future__ import annotations

import logging

import torch

log = logging.getLogger(__name__)


def bf16_is_fast() -> bool:
    """Whether this CPU has bfloat16 instructions (AVX512-BF16 or AMX) that oneDNN uses; without
    them bf16 is emulated and slower than float32."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_precision(precision: str) -> str:
    """`auto` -> `bf16-mixed` where the CPU computes bf16 natively, else `32`."""
    if precision == "auto":
        return "bf16-mixed" if bf16_is_fast() else "32"
    return precision


def warn_if_bf16_is_emulated(precision: str) -> None:
    """A warning before training in bf16 on a CPU without bfloat16 instructions: it runs, but
    emulated (fine-tuning the multi-channel encoder took 17 times as long per epoch as in
    float32 on an AVX2 CPU, `docs/results/multichannel.md`), and nothing else would say why."""
    if precision.startswith("bf16") and not torch.cuda.is_available() and not bf16_is_fast():
        log.warning(
            "--precision %s on a CPU without bfloat16 instructions (AVX512-BF16 or AMX): bf16 "
            "is emulated here, many times slower than --precision 32",
            precision,
        )
