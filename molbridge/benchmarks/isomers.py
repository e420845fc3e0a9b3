"""Isomer discrimination (`molbridge benchmark isomers`): given a molecule's embedding in another
modality (its NMR spectrum; separately its SMILES, image or fingerprint), does an ACML graph
encoder pick the molecule's own graph among graphs with the same molecular formula?

Queries: the held-out tenth of the NMRShiftDB2 molecules (never trained with), the same for every
modality, so that the modalities compare on one set. Candidates of a query: itself and every
other molecule with its formula in the pool — all NMRShiftDB2 molecules of the nucleus and the
MOSES test set (176,074 molecules no pre-training here reads) — at most `max_candidates` of
them (a seeded sample); a query without any isomer in the pool is left out and counted. The
query's projected modality embedding scores each candidate's projected graph embedding by
cosine; accuracy is the share of queries whose own graph scores highest (a tie counts against
it), beside chance (the mean of 1 / candidates) and the untrained sides (`aligned.py`).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from molbridge.benchmarks.aligned import aligned_modalities, sides
from molbridge.chem import molecular_formula, parse_many
from molbridge.data.corpus import moses_test_sample
from molbridge.data.corpus_views import input_row
from molbridge.data.spectra import molecule_key, spectrum_records
from molbridge.featurize import SpectrumFeaturizer
from molbridge.io.outputs import RunFolder

log = logging.getLogger(__name__)

MOSES_TEST = 176_074


@dataclass
class IsomerOptions:
    """Attributes:
    out: output folder (`results.json`, `results.md`).
    init: label -> an ACML `encoder.ckpt`.
    modalities: which of its modalities to query with (default: all it was trained on).
    nucleus: the spectra whose held-out molecules are the queries.
    max_candidates: candidates per query at most (the query included).
    seed: of the candidate samples.
    """

    out: str
    init: dict[str, str]
    modalities: list[str] | None = None
    nucleus: str = "13C"
    max_candidates: int = 50
    seed: int = 0
    overwrite: bool = False

    def __post_init__(self) -> None:
        if not self.init:
            raise ValueError("isomers needs at least one ACML encoder: --init LABEL=encoder.ckpt")
        if self.max_candidates < 2:
            raise ValueError(f"max_candidates must be at least 2, got {self.max_candidates}")


@dataclass
class Candidates:
    """Queries and their candidate sets, over one list of distinct molecules.

    Attributes:
        smiles: every molecule involved (queries first), distinct by structure.
        queries: `[q]` index into `smiles` of each query.
        sets: per query, indices into `smiles` of its candidates (its own first).
        spectra: per query, its measured peaks (the held-out record's).
        no_isomer: queries left out for want of an isomer in the pool.
    """

    smiles: list[str]
    queries: list[int]
    sets: list[np.ndarray]
    spectra: list[np.ndarray]
    no_isomer: int


def candidates(nucleus: str, max_candidates: int, seed: int, pool_limit: int | None) -> Candidates:
    """The isomer sets of the held-out spectra's molecules (see the module docstring).

    Args:
        pool_limit: take only the first this many MOSES test molecules (tests); `None`: all.
    """
    held = spectrum_records(nucleus, "held-out")
    pool = [s for s, _ in spectrum_records(nucleus, "train")]
    pool += moses_test_sample(pool_limit, 0) if pool_limit else moses_test_sample(MOSES_TEST, 0)
    keys: dict[str, int] = {}
    smiles: list[str] = []
    formulas: list[str] = []
    for text in [s for s, _ in held] + pool:
        for _, mol, _ in parse_many([text]):
            if mol is None:
                continue
            key = molecule_key(mol)
            if key not in keys:
                keys[key] = len(smiles)
                smiles.append(text)
                formulas.append(molecular_formula(mol))
    by_formula: dict[str, list[int]] = defaultdict(list)
    for i, formula in enumerate(formulas):
        by_formula[formula].append(i)
    rng = np.random.default_rng(seed)
    queries, sets, spectra, no_isomer = [], [], [], 0
    # the held-out molecules come first, distinct and valid (`spectrum_records`): query q is
    # molecule q
    assert smiles[: len(held)] == [s for s, _ in held]
    for index, (_, peaks) in enumerate(held):
        others = [i for i in by_formula[formulas[index]] if i != index]
        if not others:
            no_isomer += 1
            continue
        if len(others) >= max_candidates:
            others = sorted(rng.choice(others, max_candidates - 1, replace=False).tolist())
        queries.append(index)
        sets.append(np.array([index, *others]))
        spectra.append(peaks)
    return Candidates(smiles, queries, sets, spectra, no_isomer)


def accuracy(query: torch.Tensor, graphs: torch.Tensor, sets: list[np.ndarray]) -> float:
    """Share of queries whose own graph (first of its set) has the highest cosine similarity
    among its set; a tie counts against it."""
    q, g = F.normalize(query.float(), dim=1), F.normalize(graphs.float(), dim=1)
    hits = 0
    for row, members in zip(q, sets, strict=True):
        sim = g[torch.from_numpy(members)] @ row
        hits += int((sim[1:] < sim[0]).all())
    return hits / len(sets)


def run_isomers(options: IsomerOptions, pool_limit: int | None = None) -> dict[str, Any]:
    """Score every (encoder, modality); writes `results.json` and `results.md`."""
    run = RunFolder.claim(options.out, "benchmark-isomers", overwrite=options.overwrite)
    for name in ("results.json", "results.md"):
        run.file(name)
    sets = candidates(options.nucleus, options.max_candidates, options.seed, pool_limit)
    if not sets.queries:
        raise ValueError("no held-out molecule has an isomer in the pool")
    chance = float(np.mean([1 / len(s) for s in sets.sets]))
    sizes = [len(s) for s in sets.sets]
    query_smiles = [sets.smiles[i] for i in sets.queries]
    # only the pool's molecules that are some query's candidates are embedded (a few percent
    # of the 180k), each set renumbered into that list
    needed = sorted({int(i) for members in sets.sets for i in members})
    position = {index: k for k, index in enumerate(needed)}
    candidate_smiles = [sets.smiles[i] for i in needed]
    local_sets = [np.array([position[int(i)] for i in members]) for members in sets.sets]
    rows: list[dict[str, Any]] = []
    for label, path in options.init.items():
        for modality in options.modalities or aligned_modalities(path):
            featurizer, both = sides(path, modality)
            if isinstance(featurizer, SpectrumFeaturizer):
                query_rows = torch.from_numpy(featurizer.many(sets.spectra))
            else:
                make = input_row(featurizer)
                made = [None if m is None else make(m) for _, m, _ in parse_many(query_smiles)]
                if any(m is None for m in made):
                    raise ValueError(f"{modality}: a query molecule has no {modality} input")
                query_rows = torch.from_numpy(np.stack(made))  # type: ignore[arg-type]
            known: dict[int, torch.Tensor] = {}
            for model, side in both.items():
                name = label if model == "trained" else model
                score = accuracy(
                    side.project(query_rows, known), side.graph(candidate_smiles), local_sets
                )
                rows.append(
                    {"encoder": label, "modality": modality, "model": name, "accuracy": score}
                )
                log.info("%s / %s / %s: accuracy %.3f", label, modality, name, score)
    summary = {
        "queries": len(sets.queries),
        "no_isomer": sets.no_isomer,
        "candidates_mean": float(np.mean(sizes)),
        "candidates_median": float(np.median(sizes)),
        "chance": chance,
        "options": {
            "nucleus": options.nucleus,
            "max": options.max_candidates,
            "seed": options.seed,
        },
        "rows": rows,
    }
    (run.path / "results.json").write_text(json.dumps(summary, indent=1))
    lines = [
        "# Isomer discrimination (held-out NMRShiftDB2 molecules)",
        "",
        f"{len(sets.queries)} queries ({sets.no_isomer} without an isomer in the pool left out), "
        f"{np.mean(sizes):.1f} candidates on average (at most {options.max_candidates}); "
        f"chance {chance:.3f}.",
        "",
        "| modality | model | accuracy |",
        "|---|---|---|",
        *[f"| {r['modality']} | {r['model']} | {r['accuracy']:.3f} |" for r in rows],
        "",
    ]
    (run.path / "results.md").write_text("\n".join(lines))
    return summary
