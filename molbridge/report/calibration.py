"""How far to trust a model's predictions, on its test split: a reliability diagram for
classification, and for an ensemble's regression the error against the members' spread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import spearmanr
from sklearn.calibration import calibration_curve

BINS = 10  # reliability-diagram bins of predicted probability
SPREAD_BINS = 5  # quantile bins of the ensemble's standard deviation


def calibration_report(
    y: np.ndarray,
    members: np.ndarray,
    task_type: str,
    path: Path,
    mean: np.ndarray | None = None,
    spread: np.ndarray | None = None,
    spread_name: str | None = None,
) -> dict[str, Any]:
    """Calibration numbers of the ensemble on a labelled split, and the plot at `path` (none,
    and `{}`, when there is nothing to judge: one regression model has no spread).

    Args:
        y: `[n, n_tasks]` labels (NaN where missing).
        members: `[n_models, n, n_tasks]` each model's predictions (probabilities for
            classification).
        task_type: `classification` or `regression`.
        mean: `[n, n_tasks]` the prediction judged, when it is not the members' mean (a boosted
            model predicts with its plain trees; a second model gives the spread).
        spread: `[n, n_tasks]` each prediction's standard deviation, when it is not the
            members' (a boosted model's), and `spread_name` what it is.
    """
    label = spread_name or ("one model" if len(members) == 1 else f"ensemble of {len(members)}")
    judged = members.mean(0) if mean is None else mean
    has_spread = spread is not None or len(members) > 1
    spread = members.std(0) if spread is None else spread
    labelled = np.isfinite(y) & np.isfinite(judged)
    if task_type == "classification":
        return _reliability(y[labelled], judged[labelled], label, path)
    if not has_spread or labelled.sum() < 2 * SPREAD_BINS:
        return {}
    return _error_vs_spread(y[labelled], judged[labelled], spread[labelled], label, path)


def _reliability(labels: np.ndarray, probs: np.ndarray, label: str, path: Path) -> dict[str, Any]:
    """Reliability diagram over every labelled (molecule, task), ECE and Brier score."""
    if len(np.unique(labels)) < 2:
        return {}
    observed, predicted = calibration_curve(labels, probs, n_bins=BINS, strategy="uniform")
    counts = np.histogram(probs, bins=np.linspace(0, 1, BINS + 1))[0]
    used = counts[counts > 0]
    ece = float(np.sum(used / used.sum() * np.abs(observed - predicted)))
    brier = float(np.mean((probs - labels) ** 2))
    fig, (ax, ax_counts) = plt.subplots(
        2, 1, figsize=(4.8, 5.2), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="calibrated")
    ax.plot(predicted, observed, marker="o", label=label)
    ax.set_ylabel("observed fraction of positives")
    ax.set_title(f"reliability on the test split: ECE {ece:.3f}, Brier {brier:.3f}", fontsize=9)
    ax.legend(fontsize=8)
    ax_counts.bar(np.linspace(0, 1, BINS + 1)[:-1], counts, width=1 / BINS, align="edge")
    ax_counts.set_xlabel("predicted probability")
    ax_counts.set_ylabel("count")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return {"kind": "reliability", "ece": ece, "brier": brier, "n": len(labels)}


def _error_vs_spread(
    y: np.ndarray, mean: np.ndarray, spread: np.ndarray, label: str, path: Path
) -> dict[str, Any]:
    """RMSE of the molecules in each quantile bin of the ensemble's spread, against the bin's
    mean spread; the rank correlation of |error| with spread; and the share within 2 spreads."""
    error = np.abs(y - mean)
    edges = np.quantile(spread, np.linspace(0, 1, SPREAD_BINS + 1))
    which = np.clip(np.searchsorted(edges, spread, side="right") - 1, 0, SPREAD_BINS - 1)
    bins = [
        {
            "spread": float(spread[which == b].mean()),
            "rmse": float(np.sqrt(np.mean(error[which == b] ** 2))),
            "n": int((which == b).sum()),
        }
        for b in range(SPREAD_BINS)
        if (which == b).any()
    ]
    rho = float(spearmanr(spread, error).statistic) if np.ptp(spread) > 0 else float("nan")
    within = float(np.mean(error <= 2 * spread))
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    xs, ys = [b["spread"] for b in bins], [b["rmse"] for b in bins]
    top = max(max(xs), max(ys)) * 1.1
    ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1, label="RMSE = spread")
    ax.plot(xs, ys, marker="o", label=f"test molecules, {SPREAD_BINS} bins by spread")
    ax.set_xlabel(f"predicted standard deviation ({label})")
    ax.set_ylabel("RMSE in the bin")
    ax.set_title(f"error vs spread: Spearman {rho:.2f}, {within:.0%} within 2 SD", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return {
        "kind": "error_vs_spread",
        "spearman_error_spread": rho,
        "within_2_spread": within,
        "bins": bins,
        "n": len(y),
    }
