"""Summaries of a benchmark run: results.json content, a Markdown report and a bar chart."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from molbridge.benchmarks.anchors import ANCHORS
from molbridge.benchmarks.suites import BenchmarkDataset, Suite
from molbridge.metrics import get_metric
from molbridge.report.tables import mean_std

# shown x100 in reports, as the papers print them
_PERCENT = {("moleculenet", "roc_auc"), ("moleculenet", "auprc")}


def records_of(source: Path) -> list[dict[str, Any]]:
    """Per-seed records of a run folder's cells, or rebuilt from a results.json."""
    if source.is_dir() and (source / "cells").is_dir():
        return [
            json.loads(p.read_text())
            for p in sorted((source / "cells").glob("*/*/seed*/result.json"))
        ]
    summary = json.loads((source if source.is_file() else source / "results.json").read_text())
    records = []
    for row in summary["datasets"]:
        for model, entry in row["results"].items():
            seeds = entry.get("seeds", [])
            by_metric = {
                m: dict(zip(metric_seeds, entry[m]["values"], strict=True))
                for m in row["metrics"]
                if (metric_seeds := _metric_seeds(entry, m)) is not None
            }
            for seed in seeds:
                test = {m: values.get(seed, float("nan")) for m, values in by_metric.items()}
                seconds = entry.get("seconds", 0.0) / len(seeds)  # only the total was kept
                records.append(
                    {"dataset": row["name"], "model": model, "seed": seed, "test": test}
                    | {"seconds": seconds}
                )
    return records


def records_of_sources(sources: Sequence[Path]) -> list[dict[str, Any]]:
    """The records of several sources read as one; a model found in two of them is an error."""
    records: list[dict[str, Any]] = []
    origin: dict[str, Path] = {}
    for source in sources:
        found = records_of(source)
        for model in dict.fromkeys(r["model"] for r in found):
            if model in origin:
                raise ValueError(f"{model!r} is in two sources: {origin[model]} and {source}")
            origin[model] = source
        records += found
    return records


def summarize_cells(
    suite: Suite,
    datasets: Sequence[BenchmarkDataset],
    models: Sequence[str],
    records: list[dict[str, Any]],
) -> dict[str, Any]:
    """Mean ± std (ddof=1) per dataset, model and metric; averages and mean ranks per model."""
    rows: list[dict[str, Any]] = []
    for dataset in datasets:
        metrics = [dataset.metric, *dataset.extra_metrics]
        results: dict[str, Any] = {}
        for model in models:
            mine = [r for r in records if r["dataset"] == dataset.name and r["model"] == model]
            done = [r for r in mine if "test" in r]
            skipped = [r["skipped"] for r in mine if "skipped" in r]
            entry: dict[str, Any] = {
                "seeds": [r["seed"] for r in done],
                "seconds": sum(r.get("seconds", 0.0) for r in done),
            }
            for metric in metrics:
                finite = [r for r in done if np.isfinite(r["test"].get(metric, np.nan))]
                if finite:
                    values = [r["test"][metric] for r in finite]
                    mean, std = mean_std(values)
                    entry[metric] = {
                        "mean": mean,
                        "std": std,
                        "values": values,
                        "seeds": [r["seed"] for r in finite],  # a seed's NaN leaves a gap
                    }
            if skipped:
                entry["skipped"] = skipped[0]
            results[model] = entry
        rows.append(
            {
                "name": dataset.name,
                "task": dataset.task,
                "metric": dataset.metric,
                "metrics": metrics,
                "results": results,
            }
        )
    return {
        "suite": suite.name,
        "protocol": suite.protocol,
        "models": list(models),
        "datasets": rows,
        "averages": _averages(rows, models),
        "mean_rank": _mean_ranks(rows, models),
        "seconds": {m: sum(r["results"][m]["seconds"] for r in rows) for m in models},
    }


def _averages(rows: list[dict[str, Any]], models: Sequence[str]) -> dict[str, Any]:
    """Per metric: each model's mean over the datasets where every model has that metric."""
    out: dict[str, Any] = {}
    for metric in dict.fromkeys(m for row in rows for m in row["metrics"]):
        having = [
            r
            for r in rows
            if metric in r["metrics"] and all(metric in r["results"][m] for m in models)
        ]
        if not having:
            continue
        out[metric] = {
            "n_datasets": len(having),
            **{
                m: float(np.mean([r["results"][m][metric]["mean"] for r in having])) for m in models
            },
        }
    return out


def _mean_ranks(rows: list[dict[str, Any]], models: Sequence[str]) -> dict[str, float]:
    """Each model's rank (1 = best) by the headline metric, averaged over complete datasets."""
    ranks: dict[str, list[float]] = {m: [] for m in models}
    for row in rows:
        metric = row["metric"]
        if not all(metric in row["results"][m] for m in models):
            continue
        higher = get_metric(metric)[1]
        means = np.array([row["results"][m][metric]["mean"] for m in models])
        order = (-means if higher else means).argsort().argsort() + 1
        for m, rank in zip(models, order, strict=True):
            ranks[m].append(float(rank))
    return {m: float(np.mean(v)) for m, v in ranks.items() if v}


def _n_ranked(summary: dict[str, Any]) -> int:
    """How many datasets the mean ranks are over: those where every model has the headline."""
    models = summary["models"]
    return sum(
        all(row["metric"] in row["results"][m] for m in models) for row in summary["datasets"]
    )


def metric_scale(suite: str, metric: str) -> float:
    """100 for the metrics the papers print as percentages, else 1."""
    return 100.0 if (suite, metric) in _PERCENT else 1.0


def _digits(scale: float) -> int:
    """Decimals shown: one for percentages, three otherwise."""
    return 1 if scale == 100.0 else 3


def _fmt(suite: str, metric: str, entry: dict[str, Any] | None) -> str:
    if not entry:
        return "—"
    scale = metric_scale(suite, metric)
    digits = _digits(scale)
    if len(entry.get("values", ())) == 1:  # one seed: no spread to show
        return f"{entry['mean'] * scale:.{digits}f}"
    return f"{entry['mean'] * scale:.{digits}f} ± {entry['std'] * scale:.{digits}f}"


def write_markdown(summary: dict[str, Any], path: Path) -> None:
    """results.md: one table per headline metric, anchors beside ours, averages and ranks."""
    suite, models = summary["suite"], summary["models"]
    anchors = [a for a in ANCHORS.get(suite, ()) if suite != "moleculeace"]
    lines = [
        f"# {suite} benchmark",
        "",
        summary["protocol"],
        "",
        "Mean ± standard deviation (ddof = 1) over seeds (a value without ± is from one seed); "
        "the best of our models in bold.",
    ]
    groups = dict.fromkeys(m for row in summary["datasets"] for m in row["metrics"])
    for metric in groups:
        rows = [r for r in summary["datasets"] if metric in r["metrics"]]
        higher = get_metric("rmse" if metric == "rmse_cliff" else metric)[1]
        shown_anchors = [a for a in anchors if any(r["name"] in a.values for r in rows)]
        scale = metric_scale(suite, metric)
        direction = "higher" if higher else "lower"
        unit = f"{metric}{' × 100' if scale == 100 else ''} ({direction} is better)"
        lines += ["", f"## {unit}", ""]
        header = ["dataset", *models, *(f"{a.system} ({a.status})" for a in shown_anchors)]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for row in rows:
            entries = {m: row["results"][m].get(metric) for m in models}
            present = {m: e["mean"] for m, e in entries.items() if e}
            best = (max if higher else min)(present, key=present.__getitem__) if present else None
            cells = []
            for m in models:
                text = _fmt(suite, metric, entries[m])
                if "skipped" in row["results"][m] and not entries[m]:
                    text = "not run"
                cells.append(f"**{text}**" if m == best and len(present) > 1 else text)
            for a in shown_anchors:
                value = a.values.get(row["name"])
                cells.append("—" if value is None else f"{value:.{_digits(scale)}f}")
            lines.append("| " + " | ".join([row["name"], *cells]) + " |")
        average = summary["averages"].get(metric)
        if average and average["n_datasets"] > 1:
            cells = [f"{average[m] * scale:.{_digits(scale)}f}" for m in models]
            lines.append(
                f"| *average over {average['n_datasets']}* | "
                + " | ".join(cells)
                + " |"
                + " |" * len(shown_anchors)
            )
    if suite == "moleculeace":
        lines += [
            "",
            "## Published means over the 30 sets",
            "",
            "| system | rmse | rmse_cliff | source |",
            "|---|---|---|---|",
        ]
        for a in ANCHORS["moleculeace"]:
            lines.append(
                f"| {a.system} | {a.values['rmse']:.3f} | {a.values['rmse_cliff']:.3f} | "
                f"{a.source} ({a.status}) |"
            )
    lines += _change_against_gin(summary)
    lines += _reproduction(summary)
    if summary["mean_rank"]:
        n_ranked, n_rows = _n_ranked(summary), len(summary["datasets"])
        over = f", over the {n_ranked} of {n_rows} datasets every model has" * (n_ranked < n_rows)
        lines += ["", f"## Mean rank by the headline metric (1 = best){over}", ""]
        lines += ["| " + " | ".join(models) + " |", "|" + "---|" * len(models)]
        lines.append(
            "| "
            + " | ".join(f"{summary['mean_rank'].get(m, float('nan')):.2f}" for m in models)
            + " |"
        )
    skipped = [
        (r["name"], m, r["results"][m]["skipped"])
        for r in summary["datasets"]
        for m in models
        if "skipped" in r["results"][m]
    ]
    if skipped:
        lines += ["", "## Not run", ""] + [f"- {d} · {m}: {why}" for d, m, why in skipped]
    lines += ["", "## Compute", "", "| model | minutes |", "|---|---|"]
    lines += [f"| {m} | {summary['seconds'][m] / 60:.1f} |" for m in models]
    if anchors:
        lines += [
            "",
            "Anchors: " + "; ".join(f"{a.system}: {a.source} ({a.status})" for a in anchors),
        ]
    path.write_text("\n".join(lines) + "\n")


_BASES = {
    "gin": "the GIN without pre-training",
    "gbm": "the boosted trees without an encoder's embedding",
}


REPRODUCED_STDS = 2.0
REPRODUCED_RELATIVE = 0.02


def reproduced(mean: float, std: float, published: float) -> bool:
    """Within `REPRODUCED_STDS` of our std, or within `REPRODUCED_RELATIVE` of the value."""
    gap = abs(mean - published)
    return gap <= REPRODUCED_STDS * std or gap <= REPRODUCED_RELATIVE * abs(published)


def _reproduction(summary: dict[str, Any]) -> list[str]:
    """Our `gbm` against the published boosted-tree entry, set by set (TDC only)."""
    anchor = next(
        (a for a in ANCHORS.get(summary["suite"], ()) if a.system.startswith("GBM")), None
    )
    if anchor is None or "gbm" not in summary["models"]:
        return []
    lines = [
        "",
        f"## gbm against the published {anchor.system} ({anchor.source})",
        "",
        f"Reproduced: within {REPRODUCED_STDS:g} std (ours, over seeds) or within "
        f"{REPRODUCED_RELATIVE:.0%} of the published value.",
        "",
        "| dataset | metric | gbm | published | difference | reproduced |",
        "|---|---|---|---|---|---|",
    ]
    count = total = 0
    for row in summary["datasets"]:
        published = anchor.values.get(row["name"])
        entry = row["results"]["gbm"].get(row["metric"])
        if published is None or not entry:
            continue
        ok = reproduced(entry["mean"], entry["std"], published)
        count += ok
        total += 1
        lines.append(
            f"| {row['name']} | {row['metric']} | {entry['mean']:.3f} ± {entry['std']:.3f} | "
            f"{published:.3f} | {entry['mean'] - published:+.3f} | {'yes' if ok else 'no'} |"
        )
    lines.append(f"| *reproduced* | | | | | {count} of {total} |")
    return lines


def _change_against_gin(summary: dict[str, Any]) -> list[str]:
    """Tables of each pre-trained variant minus its plain model, same splits and seeds: `gin+X` and
    `gin-init` against `gin`, `gbm+X` against `gbm`."""
    lines: list[str] = []
    for base in _BASES:
        lines += _change_against(summary, base)
    return lines


def _change_against(summary: dict[str, Any], base_model: str) -> list[str]:
    """Lines of a table: each `<base>+X` (or `<base>-init`) minus `<base>`, seed by seed."""
    suite, models = summary["suite"], summary["models"]
    others = [m for m in models if m.startswith(base_model) and m != base_model]
    if base_model not in models or not others:
        return []
    lines = [
        "",
        f"## Change against {_BASES[base_model]} (same splits and seeds)",
        "",
        f"Difference of the means in each dataset's headline metric (model − {base_model}; the "
        "sign as the metric's, so + is better for ROC-AUC and worse for RMSE).",
        "",
        "| dataset | metric | " + " | ".join(others) + " |",
        "|" + "---|" * (len(others) + 2),
    ]
    better = {m: 0 for m in others}
    compared = {m: 0 for m in others}
    partial = False
    for row in summary["datasets"]:
        metric = row["metric"]
        scale = metric_scale(suite, metric)
        base = row["results"][base_model]
        cells = []
        for m in others:
            compare = _on_common_seeds(row["results"][m], base, metric)
            if compare is None:
                cells.append("—")
                continue
            delta, common, total = compare
            cell = f"{delta * scale:+.{_digits(scale)}f}"
            if common < total:
                partial = True
                cells.append(f"{cell} ({common} of {total} seeds)")
                continue
            compared[m] += 1
            better[m] += int(delta > 0 if get_metric(metric)[1] else delta < 0)
            cells.append(cell)
        lines.append(f"| {row['name']} | {metric} | " + " | ".join(cells) + " |")
    lines.append(
        f"| *better than {base_model} on* | | "
        + " | ".join(f"{better[m]} of {compared[m]}" for m in others)
        + " |"
    )
    if partial:
        lines += [
            "",
            f"A value marked (k of n seeds) compares the k seeds both have; it is left out of "
            f"the count until the model has all of {base_model}'s seeds.",
        ]
    return lines


def _metric_seeds(entry: dict[str, Any], metric: str) -> list[int] | None:
    """The seeds of `entry[metric]`'s values: kept beside them since a non-finite value is left
    out; a results.json written before that has them only where no value was left out."""
    values = entry[metric]["values"] if metric in entry else None
    if values is None:
        return None
    seeds = entry[metric].get("seeds", entry.get("seeds", []))
    return list(seeds) if len(seeds) == len(values) else None


def _on_common_seeds(
    result: dict[str, Any], base: dict[str, Any], metric: str
) -> tuple[float, int, int] | None:
    """`result` minus `base` in `metric` over the seeds both have (a run still in progress is
    compared on the same splits), with how many seeds that is and how many `base` has. An old
    summary whose values cannot be matched to seeds: the means, as they are."""
    mine, theirs = result.get(metric), base.get(metric)
    if not (mine and theirs):
        return None
    seeds, base_seeds = _metric_seeds(result, metric), _metric_seeds(base, metric)
    n_base = len(theirs["values"])
    if seeds is None or base_seeds is None:
        return float(mine["mean"] - theirs["mean"]), n_base, n_base
    by_seed = dict(zip(base_seeds, theirs["values"], strict=True))
    pairs = [(v, by_seed[s]) for s, v in zip(seeds, mine["values"], strict=True) if s in by_seed]
    if not pairs:
        return None
    delta = float(np.mean([p[0] for p in pairs]) - np.mean([p[1] for p in pairs]))
    return delta, len(pairs), n_base


def plot_results(summary: dict[str, Any], path: Path) -> None:
    """Bar chart with error bars: one panel per headline metric, every model side by side."""
    suite, models = summary["suite"], summary["models"]
    groups = list(dict.fromkeys(m for row in summary["datasets"] for m in row["metrics"]))
    fig, axes = plt.subplots(
        len(groups),
        1,
        squeeze=False,
        figsize=(max(6.0, 0.5 * len(summary["datasets"]) * len(models) / 2), 3.2 * len(groups)),
    )
    width = 0.8 / max(len(models), 1)
    for ax, metric in zip(axes[:, 0], groups, strict=True):
        rows = [r for r in summary["datasets"] if metric in r["metrics"]]
        scale = metric_scale(suite, metric)
        x = np.arange(len(rows))
        for k, model in enumerate(models):
            entries = [r["results"][model].get(metric) for r in rows]
            means = [e["mean"] * scale if e else np.nan for e in entries]
            stds = [e["std"] * scale if e else 0.0 for e in entries]
            ax.bar(
                x + (k - (len(models) - 1) / 2) * width,
                means,
                width,
                yerr=stds,
                capsize=2,
                label=model,
            )
        ax.set_xticks(x, [r["name"] for r in rows], rotation=45, ha="right", fontsize=8)
        ax.set_ylabel(f"{metric}{' × 100' if scale == 100 else ''}")
        ax.set_title(f"{suite}: test {metric} (mean ± std over seeds)", fontsize=10)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # never over a bar
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
