"""Random state that survives a crash: a resumed run continues the uninterrupted run's draws.

Lightning saves weights, optimiser and loop counters, not the random generators, so a run
resumed from a checkpoint would draw other dropout masks, masked atoms and augmentations than
the run it continues. This callback stores the global generators (torch, numpy, Python, CUDA)
in every checkpoint and puts them back when training restarts from one. Data order does not
depend on them: the loaders shuffle by (seed, epoch) and skip the batches an interrupted epoch
already used.
"""

from __future__ import annotations

import random
from typing import Any

import lightning as L
import numpy as np
import torch


class RandomStateCheckpoint(L.Callback):
    """Save the global random generators in each checkpoint; restore them on resume when
    training starts (`on_train_start`, which Lightning also calls on a mid-epoch restart; nothing
    between saving and that point draws random numbers, so the resumed run draws what the
    uninterrupted one drew)."""

    def __init__(self) -> None:
        self._pending: dict[str, Any] | None = None

    @property
    def state_key(self) -> str:
        return "RandomStateCheckpoint"

    def state_dict(self) -> dict[str, Any]:
        _, keys, pos, has_gauss, gauss = np.random.get_state(legacy=True)  # type: ignore[misc]
        version, internal, gauss_next = random.getstate()
        state: dict[str, Any] = {
            "torch": torch.get_rng_state(),
            # tensors and plain numbers only: checkpoints are loaded with weights_only=True
            "numpy": {
                "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
                "pos": int(pos),
                "has_gauss": int(has_gauss),
                "gauss": float(gauss),
            },
            "python": {"version": version, "internal": list(internal), "gauss": gauss_next},
        }
        if torch.cuda.is_available():
            state["cuda"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._pending = state_dict

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._pending is None:
            return
        state, self._pending = self._pending, None
        torch.set_rng_state(state["torch"])
        numpy_state = state["numpy"]
        np.random.set_state(
            (
                "MT19937",
                numpy_state["keys"].numpy().astype(np.uint32),
                numpy_state["pos"],
                numpy_state["has_gauss"],
                numpy_state["gauss"],
            )
        )
        python_state = state["python"]
        random.setstate(
            (python_state["version"], tuple(python_state["internal"]), python_state["gauss"])
        )
        if "cuda" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda"])
