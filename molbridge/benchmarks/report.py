"""`DIR/report.html` of a benchmark run: its tables and bar chart, the channel weights of
multi-channel encoders, embedding maps of the `--init` encoders beside a random-init GIN, and a
few test molecules explained by a fine-tuned GIN (integrated gradients), on one self-contained
page (`report.html.write_html`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from molbridge.report.html import Section, write_html

log = logging.getLogger(__name__)
REPORT = "report.html"
FIGURES = "report_files"  # the figures drawn for the page (also inlined in it)
MAP_MOLECULES = 2000
EXPLAINED = 6


def report_cell(out: Path) -> Path | None:
    """The fine-tuned GIN cell whose model the report explains: the first dataset's first
    seed, of the first GIN model (kept for the report by the runner), if it exists."""
    config = yaml.safe_load((out / "benchmark.yaml").read_text())
    dataset, seed = config.get("report_dataset"), config.get("report_seed")
    for model in config.get("models") or []:
        if str(model).startswith("gin"):
            cell = out / "cells" / str(dataset) / str(model) / f"seed{seed}"
            if (cell / "model.ckpt").exists() and (cell / "test_predictions.csv").exists():
                return cell
    return None


def _test_molecules(cell: Path) -> tuple[list[str], pd.Series]:
    """The report cell's test molecules and their first target's labels."""
    predictions = pd.read_csv(cell / "test_predictions.csv")
    target = next(c for c in predictions.columns if c != "smiles" and not c.endswith("_pred"))
    return predictions["smiles"].astype(str).tolist(), predictions[target]


def _maps(out: Path, init: dict[str, str], cell: Path | None, figures: Path) -> Section:
    from molbridge.benchmarks.runner import encoder_labels
    from molbridge.pipeline.embeddings import resolve_embedder
    from molbridge.report.embedding_map import plot_embedding_maps

    section = Section("Embedding maps")
    encoders = {"random init": "random", **encoder_labels(init)}
    if cell is None or len(encoders) < 2:
        section.text = "No `--init` encoder in this run (or no fine-tuned GIN cell): no maps."
        return section
    smiles, labels = _test_molecules(cell)
    smiles, labels = smiles[:MAP_MOLECULES], labels[:MAP_MOLECULES]
    panels = {
        name: np.asarray(resolve_embedder(path, precision="32").embed_smiles(smiles))
        for name, path in encoders.items()
    }
    path = plot_embedding_maps(panels, figures / "maps.png", list(labels), str(labels.name))
    section.text = (
        f"The frozen embeddings of the {len(smiles)} test molecules of `{cell.parts[-3]}`, "
        f"projected by UMAP, coloured by `{labels.name}`: each encoder before fine-tuning."
    )
    section.figures.append((path, "UMAP of each encoder's embedding, same molecules"))
    return section


def _explanations(cell: Path | None, figures: Path) -> Section:
    from molbridge.pipeline.explain import explain_file

    section = Section("Explained molecules")
    if cell is None:
        section.text = "No fine-tuned GIN in this run: nothing to explain."
        return section
    smiles, _ = _test_molecules(cell)
    path = figures / "explained.png"
    explanations = explain_file(cell / "model.ckpt", smiles[:EXPLAINED], path)
    section.text = (
        f"{len(explanations)} test molecules of `{cell.parts[-3]}` explained by the fine-tuned "
        f"`{cell.parts[-2]}` (seed {cell.name.removeprefix('seed')}): integrated gradients per "
        "atom for the first target, green raising the output, pink lowering it "
        "(`molbridge explain`)."
    )
    section.figures.append((path, "per-atom attributions"))
    return section


def write_report(out: Path, summary: dict[str, Any], init: dict[str, str]) -> Path:
    """`out/report.html` from the finished run in `out` (figures also in `out/report_files/`).
    A part that cannot be drawn is reported on the page, never fatal to the benchmark."""
    figures = out / FIGURES
    figures.mkdir(exist_ok=True)
    text = (out / "results.md").read_text()
    results = Section(
        "Results",
        "\n".join(text.splitlines()[1:]),  # its own title is the page's
        [(out / "results.png", "test metric per dataset and model")],
    )
    sections = [results]
    if (out / "channel_weights.png").exists():
        sections.append(
            Section(
                "Channel weights",
                "The softmax weights a multi-channel encoder's fine-tuning gave each channel.",
                [(out / "channel_weights.png", "channel weights by set")],
            )
        )
    cell = report_cell(out)
    for build in (lambda: _maps(out, init, cell, figures), lambda: _explanations(cell, figures)):
        try:
            sections.append(build())
        except (ValueError, OSError, RuntimeError) as err:  # the tables still get their page
            log.warning("report: a section could not be drawn: %s", err)
            sections.append(Section("(section not drawn)", f"`{err}`"))
    models = ", ".join(f"`{m}`" for m in summary["models"])
    intro = f"Models: {models}. Settings: `benchmark.yaml` beside this page."
    return write_html(f"molbridge benchmark: {summary['suite']}", sections, out / REPORT, intro)
