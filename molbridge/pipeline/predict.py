"""Predict and embed for new molecules: one output row per input row, in the same order."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from molbridge.chem import parse_many
from molbridge.data.packed import GraphBatch, PackedGraphs
from molbridge.data.table import featurize_smiles, read_table
from molbridge.featurize import GraphFeaturizer
from molbridge.io import Bundle, load_bundle
from molbridge.io.atomic import atomic_write
from molbridge.io.outputs import check_output_file, write_csv
from molbridge.pipeline.models import build_property_models, encoder_from_bundle
from molbridge.pipeline.precision import resolve_precision
from molbridge.tasks import PropertyTask

ERROR_COLUMN = "error"


def _smiles_column(frame: pd.DataFrame, requested: str | None, default: str) -> str:
    column = requested or default
    if column not in frame.columns:
        raise ValueError(
            f"no SMILES column {column!r}; columns are {list(frame.columns)} (use --smiles-column)"
        )
    return column


_DTYPES = {"32": torch.float32, "32-true": torch.float32, "bf16-mixed": torch.bfloat16}


def _inference_dtype(precision: str) -> torch.dtype:
    precision = resolve_precision(precision)
    if precision not in _DTYPES:
        raise ValueError(f"unknown precision {precision!r}; valid: auto, 32, bf16-mixed")
    return _DTYPES[precision]


def set_threads(threads: int | None) -> None:
    """Use `threads` intra-op threads for inference; `None`: one per core this process may run
    on (its CPU affinity, which a container or `taskset` may restrict below the machine's count).

    On an idle 2-core machine 2 threads predict 20k rows in 63 s against 79 s with 1
    (docs/results/predict_speed.md); on a machine other jobs keep busy, fewer can be faster.
    """
    if threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        threads = threads or os.cpu_count() or 1
    if threads < 1:
        raise ValueError(f"--threads must be at least 1, got {threads}")
    torch.set_num_threads(threads)


class _Predictor:
    """One model prepared for prediction: its encoder's fast inference copy when it has one
    (batch norm folded, weights in the compute dtype), else the encoder under autocast."""

    def __init__(self, task: PropertyTask, dtype: torch.dtype) -> None:
        self.task = task.eval()
        for_inference = getattr(task.encoder, "for_inference", None)
        self.encoder = for_inference(dtype) if for_inference is not None else task.encoder
        self.autocast = for_inference is None and dtype != torch.float32

    def __call__(self, batch: GraphBatch) -> torch.Tensor:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.autocast):
            embedding = self.encoder(
                batch.x, batch.edge_index, batch.edge_attr, batch.batch, batch.num_graphs
            )
        return self.task.values_from_outputs(self.task.head(embedding.float()))


def _featurize(
    smiles: list[object], featurizer: GraphFeaturizer
) -> tuple[PackedGraphs, np.ndarray, list[str]]:
    """Graphs of the valid rows, their row indices, and an error text per row ('' if valid)."""
    # no scaffolds: prediction does not split, and they cost a quarter of featurization
    featurized = featurize_smiles(smiles, featurizer, scaffolds=False)
    errors = [""] * len(smiles)
    for skipped in featurized.errors:
        errors[skipped.row] = skipped.reason
    return featurized.graphs, featurized.rows, errors


def predict_members(
    models: list[PropertyTask], graphs: PackedGraphs, batch_size: int = 256, precision: str = "32"
) -> np.ndarray:
    """Each ensemble member's predictions `[n_models, n_graphs, n_tasks]` in the user's units
    (probabilities for classification), in store order."""
    out = np.full((len(models), len(graphs), models[0].config.n_tasks), np.nan, dtype=np.float64)
    dtype = _inference_dtype(precision)
    with torch.inference_mode():
        predictors = [_Predictor(m, dtype) for m in models]
        for start in range(0, len(graphs), batch_size):
            index = np.arange(start, min(start + batch_size, len(graphs)))
            batch = graphs.collate(index)
            out[:, index] = torch.stack([p(batch) for p in predictors]).numpy()
    return out


def predict_packed(
    models: list[PropertyTask], graphs: PackedGraphs, batch_size: int = 256, precision: str = "32"
) -> np.ndarray:
    """Ensemble-mean predictions `[n_graphs, n_tasks]` in the user's units, in store order."""
    return predict_members(models, graphs, batch_size, precision).mean(0)


def predict_frame(
    models: list[PropertyTask],
    featurizer: GraphFeaturizer,
    smiles: list[object],
    batch_size: int = 256,
    precision: str = "32",
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Ensemble-mean predictions `[n_inputs, n_tasks]` (NaN for invalid rows), an error text
    per row, and the members' standard deviation `[n_inputs, n_tasks]` (0 for one model)."""
    graphs, rows, errors = _featurize(smiles, featurizer)
    n_tasks = models[0].config.n_tasks
    mean = np.full((len(smiles), n_tasks), np.nan, dtype=np.float64)
    spread = np.full((len(smiles), n_tasks), np.nan, dtype=np.float64)
    members = predict_members(models, graphs, batch_size, precision)
    mean[rows], spread[rows] = members.mean(0), members.std(0)
    return mean, errors, spread


def predict_file(
    model_path: Path | str,
    data: Path | str,
    out: Path | str,
    smiles_column: str | None = None,
    precision: str = "auto",
    threads: int | None = None,
) -> pd.DataFrame:
    """Write `out`: the input's columns, one `<target>_pred` column per target (the ensemble
    mean), for an ensemble (`train --ensemble K`) one `<target>_std` column per target (the
    members' standard deviation: how much they disagree), and `error`.

    `precision="auto"` predicts in bf16 where the CPU has bf16 instructions (probabilities
    within 0.02 of float32's, tests/cli/test_reliability.py), else in float32.
    """
    out = check_output_file(out, inputs=(data, model_path))  # before any work
    set_threads(threads)
    bundle = load_bundle(model_path)
    frame = read_table(data)
    column = _smiles_column(frame, smiles_column, bundle.extra.get("smiles_column", "smiles"))
    spread: np.ndarray | None = None
    if bundle.kind == GBM_KIND:
        values, errors, targets, spread = _gbm_rows(bundle, str(model_path), frame[column].tolist())
    else:
        featurizer, models = build_property_models(bundle, str(model_path))
        values, errors, members_std = predict_frame(
            models, featurizer, frame[column].tolist(), precision=precision
        )
        targets = list(models[0].config.target_names)
        spread = members_std if len(models) > 1 else None
    result = frame.copy()
    for j, name in enumerate(targets):
        result[f"{name}_pred"] = values[:, j]
        if spread is not None:
            result[f"{name}_std"] = spread[:, j]
    result[ERROR_COLUMN] = errors
    write_csv(result, out)
    return result


def embed_file(
    model_path: Path | str,
    data: Path | str,
    out: Path | str,
    smiles_column: str | None = None,
    batch_size: int = 256,
    precision: str = "auto",
    threads: int | None = None,
    modality: str | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Graph embeddings `[n_inputs, out_dim]` (NaN rows for invalid inputs) to `.npy` or `.parquet`.

    For `.npy`, the per-row errors go to `<out>.errors.csv` beside it; a parquet file holds the
    SMILES, the `error` column and one `emb_<i>` column per dimension. With `modality` (e.g.
    `image`), the embeddings of that modality's encoder: a `pretrain-modality` bundle, or the
    part of that name in an encoder bundle (`modality_views.load_modality`).
    """
    out = Path(out)
    if out.suffix not in (".npy", ".parquet"):
        raise ValueError(f"--out must end in .npy or .parquet, got {out.name}")
    check_output_file(out, inputs=(data, model_path))  # before any work
    if out.suffix == ".npy":
        check_output_file(out.with_suffix(".errors.csv"), inputs=(data, model_path))
    set_threads(threads)
    if modality is not None:
        return _embed_modality(model_path, data, out, smiles_column, modality, batch_size)
    bundle = load_bundle(model_path)
    if bundle.kind == GBM_KIND:
        frame = read_table(data)
        column = _smiles_column(frame, smiles_column, bundle.extra.get("smiles_column", "smiles"))
        smiles = frame[column].tolist()
        embeddings, errors, _, _ = _gbm_rows(bundle, str(model_path), smiles, features=True)
        _write_embeddings(out, embeddings.astype(np.float32), errors, smiles, column)
        return embeddings.astype(np.float32), errors
    encoder = encoder_from_bundle(bundle, source=str(model_path))
    encoder = encoder.for_inference(_inference_dtype(precision))
    featurizer = GraphFeaturizer.from_config(bundle.featurizer)
    frame = read_table(data)
    column = _smiles_column(frame, smiles_column, bundle.extra.get("smiles_column", "smiles"))
    smiles = frame[column].tolist()
    graphs, rows, errors = _featurize(smiles, featurizer)
    embeddings = np.full((len(smiles), encoder.out_dim), np.nan, dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(graphs), batch_size):
            index = np.arange(start, min(start + batch_size, len(graphs)))
            b = graphs.collate(index)
            embeddings[rows[index]] = (
                encoder(b.x, b.edge_index, b.edge_attr, b.batch, b.num_graphs).float().numpy()
            )
    _write_embeddings(out, embeddings, errors, smiles, column)
    return embeddings, errors


def _embed_modality(
    model_path: Path | str,
    data: Path | str,
    out: Path,
    smiles_column: str | None,
    modality: str,
    batch_size: int,
) -> tuple[np.ndarray, list[str]]:
    """`embed_file` with a modality encoder: each row's input made from its structure."""
    # here, not at the top: the graph path (predict, embed) does not pay for these imports
    from molbridge.data.corpus_views import input_row
    from molbridge.pipeline.modality_views import load_modality

    featurizer, encoder = load_modality(model_path, modality)
    frame = read_table(data)
    column = _smiles_column(frame, smiles_column, "smiles")
    smiles = frame[column].tolist()
    try:
        make = input_row(featurizer)
    except TypeError as err:  # spectra are measurements, not made from a structure
        raise ValueError(f"embed --modality {modality}: {err}") from err
    errors = [""] * len(smiles)
    rows, inputs = [], []
    for row, mol, error in parse_many(smiles):
        value = None if mol is None else make(mol)
        if value is None:
            errors[row] = error or f"no {modality} input for this molecule"
            continue
        rows.append(row)
        inputs.append(value)
    embeddings = np.full((len(smiles), int(encoder.out_dim)), np.nan, dtype=np.float32)  # type: ignore[arg-type]
    encoder.eval()
    with torch.inference_mode():
        for start in range(0, len(rows), batch_size):
            chunk = torch.from_numpy(np.stack(inputs[start : start + batch_size]))
            embeddings[rows[start : start + batch_size]] = encoder(chunk).float().numpy()
    _write_embeddings(out, embeddings, errors, smiles, column)
    return embeddings, errors


def _write_embeddings(
    out: Path, embeddings: np.ndarray, errors: list[str], smiles: list[object], column: str
) -> None:
    if out.suffix == ".npy":
        with atomic_write(out) as partial, open(partial, "wb") as handle:
            np.save(handle, embeddings)
        write_csv(
            pd.DataFrame({"row": range(len(smiles)), column: smiles, ERROR_COLUMN: errors}),
            out.with_suffix(".errors.csv"),
        )
    else:
        table = pd.DataFrame(embeddings, columns=[f"emb_{i}" for i in range(embeddings.shape[1])])
        table.insert(0, ERROR_COLUMN, errors)
        table.insert(0, column, [s if isinstance(s, str) else "" for s in smiles])
        with atomic_write(out) as partial:
            table.to_parquet(partial, index=False)


GBM_KIND = "gbm-model"


def _gbm_rows(
    bundle: Bundle, source: str, smiles: list[object], features: bool = False
) -> tuple[np.ndarray, list[str], list[str], np.ndarray | None]:
    """A gbm bundle's predictions (or, with `features`, its input rows) for every input row:
    NaN rows and an error text for the invalid ones; its target names; and the spread of its
    virtual ensembles (NaN rows for the invalid ones; None for a model without them, and with
    `features`)."""
    from molbridge.pipeline.train_gbm import gbm_features, load_gbm

    model, featurizer, embedder = load_gbm(bundle, source)
    errors = [""] * len(smiles)
    valid: list[int] = []
    for row, mol, error in parse_many(smiles):
        if mol is None:
            errors[row] = error or "invalid"
        else:
            valid.append(row)
    x = gbm_features(featurizer, embedder, [str(smiles[r]) for r in valid])
    targets = list(bundle.task.get("target_names", []))
    width = x.shape[1] if features else len(model.tasks)
    out = np.full((len(smiles), width), np.nan)
    spread = None
    if not features and model.virtual_ensembles > 1:
        spread = np.full((len(smiles), len(model.tasks)), np.nan)
    if valid:
        out[valid] = x if features else model.predict(x)
        if spread is not None:
            spread[valid] = model.predict_spread(x)
    return out, errors, targets, spread
