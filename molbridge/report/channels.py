"""The channel weights of fine-tuned multi-channel encoders, as grouped bars: which structural
level (molecule, scaffold, context) each task leans on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
import numpy as np


def plot_channel_weights(
    weights: Mapping[str, Sequence[Mapping[str, float]]], path: Path, title: str = ""
) -> Path:
    """One group of bars per task, one bar per channel: the mean softmax weight over the task's
    models (seeds or ensemble members), each model's own weight a dot on its bar.

    Args:
        weights: task -> one `{channel: weight}` per model. A task's models share their
            channels; tasks may differ (a channel ablation's encoder lacks one): a task has bars
            for its own channels only, and its dashed line is its own equal weight.
    """
    tasks = [t for t, models in weights.items() if models]
    if not tasks:
        raise ValueError("no channel weights to plot")
    own = {t: list(weights[t][0]) for t in tasks}
    for t in tasks:
        if any(list(m) != own[t] for m in weights[t]):
            raise ValueError(f"the models of {t!r} differ in their channels")
    channels = list(dict.fromkeys(c for t in tasks for c in own[t]))
    width = 0.8 / len(channels)
    fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(tasks) + 2), 3.6))
    for c, channel in enumerate(channels):
        at = [i for i, t in enumerate(tasks) if channel in own[t]]
        xs = np.array(at) + (c - (len(channels) - 1) / 2) * width
        values = [[float(m[channel]) for m in weights[tasks[i]]] for i in at]
        ax.bar(xs, [np.mean(v) for v in values], width, label=channel)
        for x, v in zip(xs, values, strict=True):
            ax.scatter([x] * len(v), v, color="black", s=8, zorder=3)
    for i, t in enumerate(tasks):  # equal weights of the task's own channels
        ax.hlines(1 / len(own[t]), i - 0.45, i + 0.45, color="grey", linestyle="--", linewidth=1)
    ax.set_xticks(np.arange(len(tasks)), tasks, rotation=30 if len(tasks) > 4 else 0, ha="right")
    ax.set_ylabel("softmax channel weight")
    ax.set_title(title or "channel weights after fine-tuning\n(dashed: equal weights)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_channel_weights_by_set(records: Sequence[Mapping[str, Any]], path: Path) -> Path | None:
    """The channel weights of a benchmark's cells fine-tuned from multi-channel encoders, by set
    (and model, when several have them), every seed's models together; nothing without any.

    Args:
        records: benchmark cells (`dataset`, `model`, `seed`, and `channel_weights` when the
            encoder had channels).
    """
    with_weights = [r for r in records if r.get("channel_weights")]
    models = {r["model"] for r in with_weights}
    weights: dict[str, list[Mapping[str, float]]] = {}
    for record in sorted(with_weights, key=lambda r: (r["dataset"], r["model"], r["seed"])):
        name = record["dataset"] + (f" · {record['model']}" if len(models) > 1 else "")
        weights.setdefault(name, []).extend(record["channel_weights"])
    return plot_channel_weights(weights, path) if weights else None
