"""Learning-curve plots."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt


def plot_learning_curves(
    histories: list[list[dict[str, float]]],
    metric: str,
    path: Path,
    best_epochs: list[int] | None = None,
) -> Path:
    """Training loss and validation `metric` per epoch, one line per ensemble member.

    `best_epochs` (one per member) are marked: the epochs whose weights were kept.
    """
    fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=(10, 4))
    for member, history in enumerate(histories):
        epochs = [row["epoch"] for row in history]
        label = f"member {member}" if len(histories) > 1 else None
        ax_loss.plot(epochs, [row.get("train/loss", float("nan")) for row in history], label=label)
        ax_metric.plot(
            epochs, [row.get(f"valid/{metric}", float("nan")) for row in history], label=label
        )
    for epoch in best_epochs or []:
        ax_metric.axvline(epoch, color="grey", linestyle="--", linewidth=1)
    if best_epochs:
        ax_metric.text(
            0.01,
            0.02,
            "dashed: selected epoch",
            transform=ax_metric.transAxes,
            fontsize=8,
            color="grey",
        )
    ax_loss.set(xlabel="epoch", ylabel="training loss", title="Training loss")
    ax_metric.set(xlabel="epoch", ylabel=metric, title=f"Validation {metric}")
    if len(histories) > 1:
        ax_metric.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_pretraining_curve(history: list[dict[str, float]], path: Path, title: str) -> Path:
    """Pre-training loss (and accuracy, when logged) against optimisation steps."""
    steps = [row["step"] for row in history]
    has_accuracy = any("accuracy" in row for row in history)
    fig, axes = plt.subplots(
        1, 2 if has_accuracy else 1, figsize=(10 if has_accuracy else 5, 4), squeeze=False
    )
    axes[0, 0].plot(steps, [row["loss"] for row in history])
    axes[0, 0].set(xlabel="step", ylabel="training loss", title=f"{title}: loss")
    if has_accuracy:
        axes[0, 1].plot(steps, [row.get("accuracy", float("nan")) for row in history])
        axes[0, 1].set(xlabel="step", ylabel="accuracy", title=f"{title}: pretext accuracy")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
