"""Tables of results: mean ± std over runs, as Markdown."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def load_runs(folders: Sequence[Path | str]) -> list[dict[str, Any]]:
    """The `metrics.json` of each finished run folder (a folder without one raises)."""
    runs = []
    for folder in folders:
        path = Path(folder) / "metrics.json"
        if not path.exists():
            raise FileNotFoundError(f"{folder} has no metrics.json (run not finished?)")
        runs.append(json.loads(path.read_text()))
    return runs


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; 0 for a single value)."""
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std(ddof=1)) if len(array) > 1 else 0.0


def summarize(runs: list[dict[str, Any]], split: str = "test") -> dict[str, tuple[float, float]]:
    """`{metric: (mean, std)}` over runs for every metric of `split` (`valid` or `test`)."""
    names = runs[0][split].keys()
    return {name: mean_std([run[split][name] for run in runs]) for name in names}


def markdown_runs_table(runs: list[dict[str, Any]], scale: float = 1.0) -> str:
    """One row per run (seed, best epoch, valid and test metrics), then mean ± std."""
    metrics = list(runs[0]["test"])
    header = (
        ["seed", "best epoch"] + [f"valid {m}" for m in metrics] + [f"test {m}" for m in metrics]
    )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for run in runs:
        cells = [str(run["seed"]), ",".join(str(m["best_epoch"]) for m in run["members"])]
        cells += [f"{run['valid'][m] * scale:.3f}" for m in metrics]
        cells += [f"{run['test'][m] * scale:.3f}" for m in metrics]
        lines.append("| " + " | ".join(cells) + " |")
    valid, test = summarize(runs, "valid"), summarize(runs, "test")
    cells = ["mean ± std", ""]
    cells += [f"{valid[m][0] * scale:.3f} ± {valid[m][1] * scale:.3f}" for m in metrics]
    cells += [f"**{test[m][0] * scale:.3f} ± {test[m][1] * scale:.3f}**" for m in metrics]
    lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
