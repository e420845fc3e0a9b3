"""What every pre-training strategy shares: the encoder it trains, the optimiser, the loss log."""

from __future__ import annotations

import logging
from typing import Any

import lightning as L
import torch
from torch import nn

from molbridge.tasks.finite import check_finite_loss
from molbridge.tasks.policy import adam, freeze, param_groups

log = logging.getLogger(__name__)


def batch_size(batch: Any) -> int:
    """Examples in a batch: a graph batch's `num_graphs`, else the first axis of a tensor (or
    of the tensor in a 1-tuple/list, as a `TensorDataset` loader yields)."""
    size = getattr(batch, "num_graphs", None)
    if size is not None:
        return int(size)
    if isinstance(batch, tuple | list) and len(batch) == 1:
        batch = batch[0]
    if isinstance(batch, torch.Tensor):
        return int(batch.shape[0])
    raise TypeError(f"cannot tell the size of a batch of type {type(batch).__name__}")


class PretrainTask(L.LightningModule):
    """Base of the pre-training strategies.

    A strategy receives the graph encoder it pre-trains (and any other encoders it needs) and
    implements `loss(batch) -> (loss, {name: value})`; this class runs the step, logs, keeps a
    loss history (one row per `log_every` steps, saved in checkpoints) and builds the optimiser.

    Frozen modules (e.g. another modality's pre-trained encoder) live under `self.frozen`: no
    gradients, always in eval mode, left out of the optimiser and of every checkpoint (they
    never change, and are rebuilt from their own bundle on a resume).

    Args:
        encoder: the graph encoder being pre-trained (`encoder.ckpt` holds its weights).
        lr: Adam learning rate (Hu et al. pre-training: 1e-3).
        log_every: steps averaged into one history row.
        frozen: modules used but never trained, by name.
        lr_by_module: learning rates of named submodules (`encoder`, `heads.graph`, ...) that
            differ from `lr`.
    """

    config: Any  # each strategy's own configuration dataclass (it has `to_config()`)

    def __init__(
        self,
        encoder: nn.Module,
        lr: float = 1e-3,
        log_every: int = 50,
        frozen: dict[str, nn.Module] | None = None,
        lr_by_module: dict[str, float] | None = None,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.lr = lr
        self.log_every = log_every
        self.frozen = nn.ModuleDict({k: freeze(m) for k, m in (frozen or {}).items()})
        self.lr_by_module = dict(lr_by_module or {})
        self.history: list[dict[str, float]] = []
        self._window: list[dict[str, float]] = []

    def loss(self, batch: Any) -> tuple[torch.Tensor, dict[str, float]]:
        """`(loss, {name: value})` for one batch, of whatever kind the strategy's loader yields."""
        raise NotImplementedError

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        loss, logs = self.loss(batch)
        size = batch_size(batch)
        values = {"loss": float(loss.detach()), **logs}
        check_finite_loss(values["loss"], self)
        self.log("train/loss", loss, batch_size=size, prog_bar=True)
        for name, value in logs.items():
            self.log(f"train/{name}", value, batch_size=size, prog_bar=True)
        self._window.append(values)
        if len(self._window) >= self.log_every:
            self._flush()
        return loss

    def _flush(self) -> None:
        if not self._window:
            return
        # a term may be missing from some steps (a batch without any labelled reaction): each
        # name is averaged over the steps that logged it
        names = dict.fromkeys(k for w in self._window for k in w)
        row = {}
        for name in names:
            values = [w[name] for w in self._window if name in w]
            row[name] = sum(values) / len(values)
        self.history.append({"step": float(self.global_step), **row})
        self._window = []

    def on_train_epoch_end(self) -> None:
        self._flush()
        if self.history:  # a line per epoch for logs of runs without a progress bar
            row = self.history[-1]
            log.info(
                "epoch %d done at step %d: %s",
                self.current_epoch,
                int(row["step"]),
                ", ".join(f"{k}={v:.4f}" for k, v in row.items() if k != "step"),
            )

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return adam(param_groups(self, self.lr, self.lr_by_module))

    def train(self, mode: bool = True) -> PretrainTask:
        super().train(mode)
        self.frozen.eval()
        return self

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        # Lightning restores module modes by setting `.training` on every submodule directly
        # (after validation, on a resume), which bypasses `train()`: frozen is put back here
        self.frozen.eval()

    def state_dict(self, *args: Any, **kwargs: Any) -> Any:
        """The trainable side only: frozen modules are not saved."""
        state = super().state_dict(*args, **kwargs)
        frozen = kwargs.get("prefix", "") + "frozen."
        for key in [k for k in state if k.startswith(frozen)]:
            del state[key]
        return state

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        """Load a checkpoint's trainable side; the frozen modules keep their own weights."""
        full = dict(state_dict)
        full.update({f"frozen.{k}": v for k, v in self.frozen.state_dict().items()})
        return super().load_state_dict(full, strict=strict, assign=assign)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["molbridge_history"] = self.history
        # the steps since the last history row, so a resumed run's next row averages them too
        checkpoint["molbridge_window"] = self._window

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.history = list(checkpoint.get("molbridge_history", []))
        self._window = list(checkpoint.get("molbridge_window", []))
