"""Property prediction (fine-tuning): multi-task classification or regression."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import lightning as L
import numpy as np
import torch
from torch import nn

from molbridge.data.batch import GraphBatch
from molbridge.metrics import TASK_METRICS, get_metric
from molbridge.tasks.finite import check_finite_loss

log = logging.getLogger(__name__)

TASK_TYPES = ("classification", "regression")


@dataclass
class PropertyTaskConfig:
    """What the property task predicts and how it is trained.

    Attributes:
        task_type: `classification` (independent binary tasks) or `regression`.
        target_names: one name per output column.
        metric: the validation metric that selects the best epoch.
        lr: Adam learning rate (Hu et al. fine-tuning: 1e-3).
        weight_decay: Adam weight decay.
        target_mean, target_std: per-target standardisation for regression (fitted on train).
    """

    task_type: str
    target_names: tuple[str, ...]
    metric: str = ""
    lr: float = 1e-3
    weight_decay: float = 0.0
    target_mean: tuple[float, ...] = field(default_factory=tuple)
    target_std: tuple[float, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.task_type not in TASK_TYPES:
            raise ValueError(f"unknown task type {self.task_type!r}; valid: {TASK_TYPES}")
        self.target_names = tuple(self.target_names)
        self.target_mean = tuple(float(v) for v in self.target_mean)
        self.target_std = tuple(float(v) for v in self.target_std)
        if not self.metric:
            self.metric = TASK_METRICS[self.task_type][0]
        get_metric(self.metric)

    @property
    def n_tasks(self) -> int:
        return len(self.target_names)

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "property",
            **{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()},
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> PropertyTaskConfig:
        return cls(**{k: v for k, v in config.items() if k != "name"})


def masked_loss(logits: torch.Tensor, target: torch.Tensor, task_type: str) -> torch.Tensor:
    """Mean loss over labelled entries only; NaN targets contribute nothing.

    Args:
        logits: `[n, n_tasks]` raw outputs (standardised units for regression).
        target: `[n, n_tasks]` labels with NaN where missing.
    """
    mask = ~torch.isnan(target)
    if not mask.any():
        return logits.sum() * 0.0  # keeps the graph; a batch with no labels teaches nothing
    filled = torch.where(mask, target, torch.zeros_like(target))
    if task_type == "classification":
        per_entry = nn.functional.binary_cross_entropy_with_logits(logits, filled, reduction="none")
    else:
        per_entry = nn.functional.mse_loss(logits, filled, reduction="none")
    return (per_entry * mask).sum() / mask.sum()


class PropertyTask(L.LightningModule):
    """Fine-tunes a graph encoder with a linear head; logs every metric of its task type.

    Args:
        encoder: any module mapping a batch's graph tensors to `[num_graphs, encoder.out_dim]`.
        config: the task's configuration.
    """

    target_mean: torch.Tensor  # buffers: the regression targets' scale
    target_std: torch.Tensor

    def __init__(self, encoder: nn.Module, config: PropertyTaskConfig) -> None:
        super().__init__()
        self.encoder = encoder
        self.config = config
        self.head = nn.Linear(encoder.out_dim, config.n_tasks)  # type: ignore[arg-type]
        n = config.n_tasks
        mean = config.target_mean or (0.0,) * n
        std = config.target_std or (1.0,) * n
        self.register_buffer(
            "target_mean", torch.tensor(mean, dtype=torch.float32), persistent=False
        )
        self.register_buffer("target_std", torch.tensor(std, dtype=torch.float32), persistent=False)
        self.history: list[dict[str, float]] = []
        self.resumed_seconds = 0.0  # epochs trained before a resume, from their history rows
        self._epoch_started = time.perf_counter()
        self.test_metrics: dict[str, float] = {}
        self._outputs: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {"valid": [], "test": []}
        self._train_losses: list[float] = []

    # -- forward ---------------------------------------------------------------------------
    def forward(self, batch: GraphBatch) -> torch.Tensor:
        """Raw outputs `[num_graphs, n_tasks]` (logits, or standardised regression values)."""
        embedding = self.encoder(
            batch.x, batch.edge_index, batch.edge_attr, batch.batch, batch.num_graphs
        )
        return self.head(embedding).float()

    def predict_values(self, batch: GraphBatch) -> torch.Tensor:
        """Predictions in the user's units: probabilities, or de-standardised values."""
        return self.values_from_outputs(self(batch))

    def values_from_outputs(self, out: torch.Tensor) -> torch.Tensor:
        """Raw outputs (from `forward`) -> probabilities, or de-standardised values."""
        if self.config.task_type == "classification":
            return torch.sigmoid(out)
        return out * self.target_std + self.target_mean

    # -- steps -----------------------------------------------------------------------------
    def _scaled_target(self, y: torch.Tensor) -> torch.Tensor:
        if self.config.task_type == "regression":
            return (y - self.target_mean) / self.target_std
        return y

    def training_step(self, batch: GraphBatch, batch_idx: int) -> torch.Tensor:
        assert batch.y is not None
        loss = masked_loss(self(batch), self._scaled_target(batch.y), self.config.task_type)
        value = float(loss.detach())
        check_finite_loss(value, self)
        self._train_losses.append(value)
        self.log("train/loss", loss, batch_size=batch.num_graphs, prog_bar=True)
        return loss

    def _collect(self, stage: str, batch: GraphBatch) -> None:
        assert batch.y is not None
        self._outputs[stage].append(
            (self.predict_values(batch).cpu().numpy(), batch.y.cpu().numpy())
        )

    def validation_step(self, batch: GraphBatch, batch_idx: int) -> None:
        self._collect("valid", batch)

    def test_step(self, batch: GraphBatch, batch_idx: int) -> None:
        self._collect("test", batch)

    def predict_step(self, batch: GraphBatch, batch_idx: int) -> torch.Tensor:
        return self.predict_values(batch)

    def _epoch_metrics(self, stage: str) -> dict[str, float]:
        outputs = self._outputs[stage]
        self._outputs[stage] = []
        if not outputs:
            return {}
        pred = np.concatenate([p for p, _ in outputs])
        true = np.concatenate([t for _, t in outputs])
        return {
            f"{stage}/{name}": get_metric(name)[0](true, pred)
            for name in TASK_METRICS[self.config.task_type]
        }

    def on_train_epoch_start(self) -> None:
        self._epoch_started = time.perf_counter()

    def on_validation_epoch_end(self) -> None:
        metrics = self._epoch_metrics("valid")
        if self.trainer.sanity_checking or not metrics:
            return
        for name, value in metrics.items():
            self.log(name, value, prog_bar=name.endswith(self.config.metric))
        row = {"epoch": float(self.current_epoch), **metrics}
        if self._train_losses:
            row["train/loss"] = float(np.mean(self._train_losses))
            self._train_losses = []
        # training and validation of this epoch: summed over the rows, a resumed run's fit time
        row["seconds"] = time.perf_counter() - self._epoch_started
        self.history.append(row)
        log.info(
            "epoch %d finished in %.1f s: %s",
            self.current_epoch,
            row["seconds"],
            ", ".join(f"{k}={v:.4f}" for k, v in row.items() if k not in ("epoch", "seconds")),
        )

    def on_test_epoch_end(self) -> None:
        self.test_metrics = self._epoch_metrics("test")
        for name, value in self.test_metrics.items():
            self.log(name, value)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        # fused: one kernel for all parameters (the per-tensor loop was ~10 % of a batch-32 step)
        return torch.optim.Adam(
            self.parameters(),
            lr=self.config.lr,
            weight_decay=self.config.weight_decay,
            fused=True,
        )

    # -- state that must survive a resume ------------------------------------------------
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["molbridge_history"] = self.history

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.history = list(checkpoint.get("molbridge_history", []))
        self.resumed_seconds = sum(row.get("seconds", 0.0) for row in self.history)


class ReactionPropertyTask(PropertyTask):
    """`PropertyTask` for reactions (e.g. yields): the encoder reads a whole reaction batch
    (`ReactionEncoder`), the linear head, metrics, selection and history are the same."""

    def forward(self, batch: Any) -> torch.Tensor:  # a ReactionBatch
        return self.head(self.encoder(batch)).float()
