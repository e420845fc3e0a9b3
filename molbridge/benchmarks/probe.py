"""`molbridge benchmark probe`: panel P1 — every `--init` encoder's linear probe on all 63 sets.

The three suites run one after the other under their own protocols and metrics, each in its own
folder under `out` (`moleculenet/`, `admet/`, `moleculeace/`), with the model `probe+LABEL` for
each encoder; `probe.md` and `probe.json` then put one row per encoder side by side. The probe
is deterministic given the split, so MoleculeNet (one fixed split) and MoleculeACE (one packaged
split) run one seed; TDC runs its five seeds, as its split moves with the seed.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from molbridge.benchmarks.runner import BenchmarkOptions, encoder_labels, run_benchmark
from molbridge.benchmarks.suites import get_suite
from molbridge.io.outputs import RunFolder
from molbridge.report.benchmark import metric_scale

PANEL_SEEDS = {"moleculenet": 1, "admet": 5, "moleculeace": 1}


def run_probe_panel(options: BenchmarkOptions) -> dict[str, Any]:
    """Run P1 for every `options.init` encoder; returns the summary written to `probe.json`."""
    if not options.init:
        raise ValueError("benchmark probe needs at least one --init (CKPT, LABEL=CKPT, random)")
    out = Path(options.out)
    run = RunFolder.claim(out, "probe-panel", resume=options.resume, overwrite=options.overwrite)
    started = time.perf_counter()
    summaries = {}
    wanted = {d.lower() for d in options.datasets or ()}
    for suite, seeds in PANEL_SEEDS.items():
        names = _names(suite)
        chosen = [n for n in names if n.lower() in wanted] if wanted else None
        if wanted and not chosen:
            continue  # --datasets names none of this suite's sets
        run.file(suite)
        sub = replace(
            options,
            suite=suite,
            datasets=chosen,
            out=str(out / suite),
            models=["probe"],
            seeds=options.seeds if options.seeds is not None and suite == "admet" else seeds,
            overwrite=False,
        )
        summaries[suite] = run_benchmark(sub)
    unknown = wanted - {n.lower() for s in PANEL_SEEDS for n in _names(s)}
    if unknown:
        raise ValueError(f"--datasets: no suite has {sorted(unknown)}")
    summary = summarize_panel(summaries, list(encoder_labels(options.init)))
    summary["wall_seconds"] = time.perf_counter() - started
    run.file("probe.json").write_text(json.dumps(summary, indent=1))
    write_panel_markdown(summary, run.file("probe.md"))
    return summary


def combine_panels(folders: dict[str, Path], out: Path) -> dict[str, Any]:
    """One panel from several `benchmark probe` runs (one per encoder, each timed on its own)
    or earlier panels: every suite's cells summarised together, so mean ranks compare all the
    encoders.

    Args:
        folders: {label: folder} — a `benchmark probe` run whose `--init` label is the key, or
            an earlier combined panel (`probe.json`, `<suite>/results.json`) holding the
            label's rows (a control that is not run again: ../shared/EVALUATION.md).
        out: where `probe.json`, `probe.md` and each suite's merged `results.md` go.
    """
    from molbridge.report.benchmark import records_of, summarize_cells, write_markdown

    summaries = {}
    for suite_name in PANEL_SEEDS:
        records = []
        for label, folder in folders.items():
            source = folder / suite_name
            if source.exists():
                records += [r for r in records_of(source) if r["model"] == f"probe+{label}"]
        if not records:
            continue
        # the summary needs the dataset list only: MoleculeACE's split CSVs go to a scratch folder
        with tempfile.TemporaryDirectory() as scratch:
            suite = get_suite(suite_name, Path(scratch))
            names = list(dict.fromkeys(r["dataset"] for r in records))
            datasets = suite.select(names)
        models = [f"probe+{label}" for label in folders]
        summary = summarize_cells(suite, datasets, models, records)
        (out / suite_name).mkdir(parents=True, exist_ok=True)
        (out / suite_name / "results.json").write_text(json.dumps(summary, indent=1))
        write_markdown(summary, out / suite_name / "results.md")
        summaries[suite_name] = summary
    panel = summarize_panel(summaries, list(folders))
    walls = {label: _wall(folder, label) for label, folder in folders.items()}
    for row in panel["encoders"]:
        wall = walls[row["encoder"]]
        # a run resumed over kept cells timed only the rest: its cells' own seconds are the cost
        row["wall_seconds"] = wall if wall is not None and wall >= row["seconds"] else None
        walls[row["encoder"]] = row["wall_seconds"] or row["seconds"]
    panel["wall_seconds"] = sum(w or 0.0 for w in walls.values())
    panel["sources"] = {label: str(folder) for label, folder in folders.items()}
    (out / "probe.json").write_text(json.dumps(panel, indent=1))
    write_panel_markdown(panel, out / "probe.md")
    return panel


def _wall(folder: Path, label: str) -> float | None:
    """An encoder's probe wall time: its own run's, or its row's in an earlier panel."""
    panel = json.loads((folder / "probe.json").read_text())
    for row in panel.get("encoders", []):
        if row.get("encoder") == label and row.get("wall_seconds") is not None:
            return float(row["wall_seconds"])
    wall = panel.get("wall_seconds")
    return None if wall is None else float(wall)


def _names(suite: str) -> list[str]:
    """The suite's dataset names (MoleculeACE writes its parts: into a scratch folder here)."""
    with tempfile.TemporaryDirectory() as scratch:
        return [d.name for d in get_suite(suite, Path(scratch)).datasets]


def summarize_panel(summaries: dict[str, dict[str, Any]], labels: list[str]) -> dict[str, Any]:
    """Per encoder: each suite's averages and mean rank among the encoders, and its minutes."""
    rows = []
    for label in labels:
        model = f"probe+{label}"
        row: dict[str, Any] = {"encoder": label, "model": model, "suites": {}, "seconds": 0.0}
        for suite, summary in summaries.items():
            averages = {
                metric: values[model]
                for metric, values in summary["averages"].items()
                if model in values
            }
            row["suites"][suite] = {
                "averages": averages,
                "n_datasets": {
                    metric: values["n_datasets"] for metric, values in summary["averages"].items()
                },
                "mean_rank": summary["mean_rank"].get(model),
            }
            row["seconds"] += summary["seconds"].get(model, 0.0)
        rows.append(row)
    return {"encoders": rows, "suites": list(summaries)}


# the columns of the panel table: (suite, metric, header)
_COLUMNS = (
    ("moleculenet", "roc_auc", "MoleculeNet ROC-AUC × 100 (avg)"),
    ("moleculenet", "rmse", "MoleculeNet RMSE (avg)"),
    ("admet", None, "TDC mean rank among these encoders"),
    ("moleculeace", "rmse", "MoleculeACE RMSE (avg)"),
    ("moleculeace", "rmse_cliff", "MoleculeACE RMSE_cliff"),
)


def write_panel_markdown(summary: dict[str, Any], path: Path) -> None:
    lines = [
        "# Probe panel (P1): frozen encoder -> pooled embedding -> ridge / logistic regression",
        "",
        "Strength chosen on each set's validation part by its headline metric; test reported at "
        "that choice. Per-set tables: `moleculenet/results.md`, `admet/results.md`, "
        "`moleculeace/results.md`.",
        "",
        "| encoder | " + " | ".join(h for _, _, h in _COLUMNS) + " | minutes |",
        "|" + "---|" * (len(_COLUMNS) + 2),
    ]
    for row in summary["encoders"]:
        cells = []
        for suite, metric, _ in _COLUMNS:
            entry = row["suites"].get(suite, {})
            if metric is None:
                value = entry.get("mean_rank")
                cells.append("—" if value is None else f"{value:.2f}")
                continue
            value = entry.get("averages", {}).get(metric)
            scale = metric_scale(suite, metric)
            cells.append("—" if value is None else f"{value * scale:.{1 if scale == 100 else 3}f}")
        minutes = row.get("wall_seconds") or row["seconds"]
        lines.append(f"| {row['encoder']} | " + " | ".join(cells) + f" | {minutes / 60:.1f} |")
    lines += [
        "",
        "Minutes: the wall time of the encoder's own `benchmark probe` run where it had one, "
        "else its cells summed (reading the cached graph features, embedding each molecule "
        f"once, fitting); {summary.get('wall_seconds', 0.0) / 60:.1f} min in all.",
    ]
    path.write_text("\n".join(lines) + "\n")
