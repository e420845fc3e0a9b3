"""Cross-modal retrieval (`molbridge benchmark retrieval`): does an aligned graph encoder (ACML,
image–graph) find a molecule from another modality's embedding of it, and the other way round?

Held-out molecules: a seeded sample of the MOSES test set (no pre-training here reads it) for
SMILES, image, fingerprint and descriptors; the held-out tenth of the NMRShiftDB2 molecules
(`modality_views.spectrum_records`, never trained with) for spectra. Each modality's frozen
encoder — the one the ACML encoder was trained against, found through the bundle and checked by
its weights' digest — embeds its input, and the bundle's modality head projects it; the graph
encoder embeds the graph, and that modality's graph head projects it. Top-1/5/10 accuracy in
both directions (`metrics.retrieval.retrieval_topk`), within consecutive blocks of 128 (the
published protocol; chance top-k = k/128) and against the whole held-out set (chance k/n).
Beside each encoder: `untrained`, a randomly initialised graph encoder with random heads (seed
0) against the same frozen embeddings, and chance.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from molbridge.benchmarks.aligned import aligned_modalities, sides
from molbridge.chem import parse_many
from molbridge.data.corpus import moses_test_sample
from molbridge.data.corpus_views import input_row
from molbridge.data.spectra import spectrum_records
from molbridge.featurize import SpectrumFeaturizer
from molbridge.io.outputs import RunFolder
from molbridge.metrics.retrieval import retrieval_topk

log = logging.getLogger(__name__)

KS = (1, 5, 10)
BLOCK = 128


@dataclass
class RetrievalOptions:
    """Attributes:
    out: output folder (`results.json`, `results.md`).
    init: label -> an ACML `encoder.ckpt` (its heads and its recorded frozen encoders).
    modalities: which of the encoders' modalities to score (default: all they were trained on).
    encoders: modality -> a frozen encoder path, overriding the one the bundle recorded (it
        must have the same weights).
    n: held-out MOSES molecules (the spectra's held-out part is used whole).
    seed: of the MOSES sample.
    """

    out: str
    init: dict[str, str]
    modalities: list[str] | None = None
    encoders: dict[str, str] = field(default_factory=dict)
    n: int = 2000
    seed: int = 0
    overwrite: bool = False

    def __post_init__(self) -> None:
        if not self.init:
            raise ValueError("retrieval needs at least one ACML encoder: --init LABEL=encoder.ckpt")
        if self.n < BLOCK:
            raise ValueError(f"n must be at least the block size {BLOCK}, got {self.n}")


@dataclass
class HeldOut:
    """One modality's held-out molecules: their SMILES and the frozen encoder's input rows."""

    smiles: list[str]
    rows: torch.Tensor
    left_out: int  # molecules whose input could not be made (e.g. too long a SMILES)


def held_out(featurizer: Any, n: int, seed: int) -> HeldOut:
    """The held-out molecules of the frozen encoder's modality, and its input for each."""
    if isinstance(featurizer, SpectrumFeaturizer):
        records = spectrum_records(featurizer.nucleus, "held-out")
        spectra = featurizer.many([peaks for _, peaks in records])
        return HeldOut([s for s, _ in records], torch.from_numpy(spectra), 0)
    smiles = moses_test_sample(n, seed)
    make = input_row(featurizer)
    kept: list[str] = []
    rows: list[np.ndarray] = []
    for i, mol, _ in parse_many(smiles):
        row = None if mol is None else make(mol)
        if row is not None:
            kept.append(smiles[i])
            rows.append(row)
    return HeldOut(kept, torch.from_numpy(np.stack(rows)), len(smiles) - len(kept))


def score(graph: torch.Tensor, modality: torch.Tensor) -> dict[str, float]:
    """Top-k both ways, in blocks of 128 (the rows left over after the last full block are
    not scored there) and against all rows."""
    n_blocks = len(graph) // BLOCK * BLOCK
    blocks = retrieval_topk(graph[:n_blocks], modality[:n_blocks], KS, batch_size=BLOCK)
    whole = retrieval_topk(graph, modality, KS)
    return {f"block_{k}": v for k, v in blocks.items()} | {f"all_{k}": v for k, v in whole.items()}


def run_retrieval(options: RetrievalOptions) -> dict[str, Any]:
    """Score every (encoder, modality) pair; writes `results.json` and `results.md`."""
    run = RunFolder.claim(options.out, "benchmark-retrieval", overwrite=options.overwrite)
    for name in ("results.json", "results.md"):
        run.file(name)
    results: list[dict[str, Any]] = []
    for label, path in options.init.items():
        for modality in options.modalities or aligned_modalities(path):
            featurizer, both = sides(path, modality, options.encoders.get(modality))
            data = held_out(featurizer, options.n, options.seed)
            known: dict[int, torch.Tensor] = {}
            for model, side in both.items():
                g, m = side.graph(data.smiles), side.project(data.rows, known)
                name = label if model == "trained" else model
                row = {"encoder": label, "modality": modality, "model": name, "n": len(g)}
                results.append(row | {"left_out": data.left_out} | score(g, m))
                log.info("%s / %s / %s: %s", label, modality, name, results[-1])
    summary = {"options": {"n": options.n, "seed": options.seed, "block": BLOCK}, "rows": results}
    (run.path / "results.json").write_text(json.dumps(summary, indent=1))
    (run.path / "results.md").write_text(results_markdown(results))
    return summary


def results_markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "# Cross-modal retrieval (held-out molecules)",
        "",
        "Top-k accuracy, graph → modality / modality → graph; blocks of 128 (the published "
        "protocol) and the whole held-out set.",
        "",
        "| modality | model | n | block top-1 | block top-5 | block top-10 | all top-1 "
        "| all top-5 | all top-10 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    seen_chance: set[tuple[str, int]] = set()
    for row in rows:
        cells = [
            f"{row[f'{scope}_forward_top{k}']:.3f} / {row[f'{scope}_backward_top{k}']:.3f}"
            for scope in ("block", "all")
            for k in KS
        ]
        lines.append(
            f"| {row['modality']} | {row['model']} | {row['n']} | " + " | ".join(cells) + " |"
        )
        if (row["modality"], row["n"]) not in seen_chance:
            seen_chance.add((row["modality"], row["n"]))
            chance = [f"{k / BLOCK:.3f}" for k in KS] + [f"{k / row['n']:.4f}" for k in KS]
            lines.append(
                f"| {row['modality']} | chance | {row['n']} | " + " | ".join(chance) + " |"
            )
    return "\n".join(lines) + "\n"
