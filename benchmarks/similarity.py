"""Does an encoder's embedding space agree with chemists' similarity? For N held-out molecules
(a seeded sample of the MOSES test set, which no pre-training here reads), rank every other
molecule by cosine similarity of the encoders' embeddings and by Tanimoto similarity of ECFP4
(2048 bits); report per encoder the mean Spearman correlation of the two rankings over the
molecules, and how many of each molecule's 10 Tanimoto nearest neighbours are among its 10
embedding nearest neighbours. Writes similarity.json, similarity.md and similarity.png.

Usage:  .venv/bin/python benchmarks/similarity.py --out DIR --init random \\
            --init attr-masking=models/attr-masking-moses-1epoch/encoder.ckpt [--n 1000]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr

from molbridge.chem import parse_many
from molbridge.data.corpus import moses_test_sample
from molbridge.featurize import ECFPFeaturizer
from molbridge.nn.losses import tanimoto
from molbridge.pipeline.embeddings import resolve_embedder

NEIGHBOURS = 10


def agreement(embedding: np.ndarray, reference: np.ndarray) -> dict[str, np.ndarray]:
    """Per molecule: Spearman of its similarity row to the reference row (itself left out),
    and the share of its reference top-k found in its embedding top-k."""
    z = torch.nn.functional.normalize(torch.from_numpy(embedding).float(), dim=1)
    cosine = (z @ z.T).numpy()
    n = len(cosine)
    rho, overlap = np.zeros(n), np.zeros(n)
    for i in range(n):
        others = np.r_[0:i, i + 1 : n]
        a, b = cosine[i, others], reference[i, others]
        rho[i] = spearmanr(a, b).statistic
        top_a = set(others[np.argsort(-a)[:NEIGHBOURS]])
        top_b = set(others[np.argsort(-b)[:NEIGHBOURS]])
        overlap[i] = len(top_a & top_b) / NEIGHBOURS
    return {"spearman": rho, "overlap": overlap}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--init", action="append", required=True, help="LABEL=CKPT or random")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    smiles = moses_test_sample(args.n, args.seed)
    mols = [mol for _, mol, _ in parse_many(smiles)]
    if any(m is None for m in mols):
        raise ValueError("an invalid SMILES in the MOSES test set")
    bits = torch.from_numpy(ECFPFeaturizer(2, 2048).many_mols(mols))
    reference = tanimoto(bits, bits).numpy()
    results, per_molecule = {}, {}
    for spec in args.init:
        label, _, path = spec.partition("=") if "=" in spec else (spec, "", spec)
        started = time.perf_counter()
        embedding = resolve_embedder(path, precision="32").embed_smiles(smiles)
        scores = agreement(np.asarray(embedding, dtype=np.float32), reference)
        per_molecule[label] = scores["spearman"]
        results[label] = {
            "checkpoint": path,
            "spearman_mean": float(scores["spearman"].mean()),
            "spearman_std": float(scores["spearman"].std()),
            "top10_overlap_mean": float(scores["overlap"].mean()),
            "seconds": time.perf_counter() - started,
        }
        print(label, json.dumps(results[label]))
    summary = {
        "n": args.n,
        "seed": args.seed,
        "fingerprint": "ECFP4 2048 bits",
        "encoders": results,
    }
    (args.out / "similarity.json").write_text(json.dumps(summary, indent=1))
    lines = [
        f"# Embedding vs Tanimoto similarity, {args.n} MOSES test molecules (seed {args.seed})",
        "",
        "| encoder | Spearman (mean ± std over molecules) | top-10 neighbours shared |",
        "|---|---|---|",
    ]
    for label, r in results.items():
        lines.append(
            f"| {label} | {r['spearman_mean']:.3f} ± {r['spearman_std']:.3f} | "
            f"{r['top10_overlap_mean']:.2f} |"
        )
    (args.out / "similarity.md").write_text("\n".join(lines) + "\n")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1.8 * len(per_molecule) + 2, 4))
    ax.boxplot(list(per_molecule.values()), showfliers=False)
    ax.set_xticks(range(1, len(per_molecule) + 1), list(per_molecule), fontsize=8)
    ax.set_ylabel("Spearman(cosine, Tanimoto) per molecule")
    ax.set_title(f"Embedding vs ECFP4 Tanimoto similarity, {args.n} held-out molecules")
    fig.tight_layout()
    fig.savefig(args.out / "similarity.png", dpi=120)
    plt.close(fig)
    print((args.out / "similarity.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
