"""Embedding maps: molecules' embeddings projected to 2-D by UMAP (umap-learn, seeded), each
point coloured by a label (a property, continuous; or a category such as the scaffold, the most
frequent ones each in a colour), one panel per encoder on the same molecules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
import numpy as np

TOP_CATEGORIES = 9  # categories drawn in their own colour; the rest grey


def project(embeddings: np.ndarray, seed: int = 0) -> np.ndarray:
    """`[n, d]` -> `[n, 2]` UMAP coordinates (cosine metric, 15 neighbours; seeded, so the same
    embeddings give the same map)."""
    import umap  # imported here: its numba start-up costs seconds that other commands skip

    if len(embeddings) < 4:
        raise ValueError(f"an embedding map needs at least 4 molecules, got {len(embeddings)}")
    neighbours = min(15, len(embeddings) - 1)
    reducer = umap.UMAP(n_neighbors=neighbours, metric="cosine", random_state=seed)
    return np.asarray(reducer.fit_transform(embeddings), dtype=np.float64)


def _is_numeric(labels: Sequence[object]) -> bool:
    try:
        values = np.asarray(labels, dtype=float)
    except (TypeError, ValueError):
        return False
    return bool(np.isfinite(values).sum() > 0) and len(set(values[np.isfinite(values)])) > 2


def plot_embedding_maps(
    panels: Mapping[str, np.ndarray],
    path: Path,
    labels: Sequence[object] | None = None,
    label_name: str = "",
    seed: int = 0,
) -> Path:
    """One UMAP panel per encoder (`name -> [n, d]` embeddings of the same `n` molecules).

    Args:
        labels: one per molecule: numbers are drawn on a colour scale (NaN grey), anything
            else as categories (the most frequent each in a colour, the rest grey).
    """
    if not panels:
        raise ValueError("no embeddings to map")
    sizes = {len(e) for e in panels.values()}
    if len(sizes) != 1 or (labels is not None and len(labels) not in sizes):
        raise ValueError("every panel and the labels must cover the same molecules")
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels) + 1.2, 4.4), squeeze=False)
    numeric = labels is not None and _is_numeric(labels)
    mappable = None
    for ax, (name, embeddings) in zip(axes[0], panels.items(), strict=True):
        xy = project(np.asarray(embeddings, dtype=np.float32), seed)
        if labels is None:
            ax.scatter(xy[:, 0], xy[:, 1], s=4, alpha=0.7)
        elif numeric:
            values = np.asarray(labels, dtype=float)
            missing = ~np.isfinite(values)
            ax.scatter(xy[missing, 0], xy[missing, 1], s=4, color="lightgrey")
            mappable = ax.scatter(
                xy[~missing, 0], xy[~missing, 1], s=4, c=values[~missing], cmap="viridis"
            )
        else:
            _categories(ax, xy, [str(v) for v in labels])
        ax.set_title(name, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    if mappable is not None:
        fig.colorbar(mappable, ax=axes[0].tolist(), label=label_name, shrink=0.8)
    elif labels is not None:
        axes[0][-1].legend(fontsize=6, markerscale=2, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.suptitle(f"UMAP of the embeddings, {sizes.pop()} molecules" + (
        f", coloured by {label_name}" if label_name else ""), fontsize=10)  # fmt: skip
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def _categories(ax: plt.Axes, xy: np.ndarray, labels: list[str]) -> None:
    top = [c for c, _ in Counter(labels).most_common(TOP_CATEGORIES)]
    rest = np.array([label not in top for label in labels])
    if rest.any():
        ax.scatter(xy[rest, 0], xy[rest, 1], s=4, color="lightgrey", label="other")
    for i, category in enumerate(top):
        mask = np.array([label == category for label in labels])
        shown = category if len(category) <= 30 else category[:29] + "…"
        ax.scatter(xy[mask, 0], xy[mask, 1], s=6, color=plt.cm.tab10(i), label=shown or "(none)")
