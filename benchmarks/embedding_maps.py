"""Embedding maps of several encoders on the same molecules, side by side (issue 25,
acceptance 3): the bundled Lipophilicity set (4,200 molecules, logD at pH 7.4), each
encoder's frozen embedding projected by UMAP and coloured by logD. An encoder whose space
follows the property shows a gradient; a random one, patches. Also reports, per encoder, how
well a molecule's 15 nearest neighbours in the embedding predict its logD (the mean of theirs;
RMSE and Spearman against the truth, leave-one-out): a number to read beside the picture.

Usage:  .venv/bin/python benchmarks/embedding_maps.py --out DIR --init random \\
            --init attr-masking=models/attr-masking-moses-1epoch/encoder.ckpt ...
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.neighbors import NearestNeighbors

from molbridge.data.registry import get_dataset
from molbridge.pipeline.embeddings import resolve_embedder
from molbridge.report.embedding_map import plot_embedding_maps

NEIGHBOURS = 15


def neighbour_prediction(embedding: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Leave-one-out: each molecule's value predicted by the mean of its nearest neighbours'
    (cosine distance in the embedding)."""
    nn = NearestNeighbors(n_neighbors=NEIGHBOURS + 1, metric="cosine").fit(embedding)
    _, index = nn.kneighbors(embedding)
    predicted = y[index[:, 1:]].mean(axis=1)
    return {
        "rmse": float(np.sqrt(np.mean((predicted - y) ** 2))),
        "spearman": float(spearmanr(predicted, y).statistic),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--init", action="append", required=True, help="LABEL=CKPT or random")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    spec = get_dataset("lipo")
    frame = pd.read_csv(spec.train_path)
    target = (spec.target_columns or ("lipo",))[0]
    smiles = frame[spec.smiles_column].astype(str).tolist()
    y = frame[target].to_numpy(dtype=float)
    panels, results = {}, {}
    for spec in args.init:
        label, _, path = spec.partition("=") if "=" in spec else (spec, "", spec)
        started = time.perf_counter()
        embedding = np.asarray(resolve_embedder(path, precision="32").embed_smiles(smiles))
        if not np.isfinite(embedding).all():
            raise ValueError(f"{label}: some Lipophilicity molecules could not be embedded")
        panels[label] = embedding
        results[label] = {"checkpoint": path, **neighbour_prediction(embedding, y)}
        results[label]["seconds"] = time.perf_counter() - started
        print(label, json.dumps(results[label]))
    plot_embedding_maps(panels, args.out / "embedding_maps.png", list(y), "logD (Lipophilicity)")
    (args.out / "embedding_maps.json").write_text(
        json.dumps(
            {"molecules": len(smiles), "neighbours": NEIGHBOURS, "encoders": results}, indent=1
        )
    )
    lines = [
        f"# Embedding maps, Lipophilicity ({len(smiles)} molecules)",
        "",
        f"logD predicted by the mean of the {NEIGHBOURS} nearest neighbours in each embedding "
        "(cosine, leave-one-out); the map: `embedding_maps.png`.",
        "",
        "| encoder | RMSE | Spearman |",
        "|---|---|---|",
    ]
    lines += [f"| {k} | {v['rmse']:.3f} | {v['spearman']:.3f} |" for k, v in results.items()]
    (args.out / "embedding_maps.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
