"""Which atoms drive an ACML encoder's graph–modality agreement? For a few held-out molecules
(the held-out spectra's molecules for `spectrum`, a MOSES test sample otherwise), each atom is
coloured by gradient × input of the cosine similarity between the molecule's projected graph
embedding and its own projected modality embedding (`aligned.atom_attributions`).

Usage:  .venv/bin/python benchmarks/acml_atoms.py --init models/acml-.../encoder.ckpt \\
            --modality spectrum --n 6 --out docs/results/acml/atoms_spectrum.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from molbridge.benchmarks.aligned import apply, atom_attributions, frozen_encoder
from molbridge.chem import parse_many
from molbridge.chem.draw import atom_weight_image
from molbridge.data.corpus import moses_test_sample
from molbridge.data.corpus_views import input_row
from molbridge.data.spectra import spectrum_records
from molbridge.featurize import SpectrumFeaturizer

SIZE = 300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--init", required=True, help="an ACML encoder.ckpt")
    parser.add_argument("--modality", required=True)
    parser.add_argument("--n", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    featurizer, frozen = frozen_encoder(args.init, args.modality)
    if isinstance(featurizer, SpectrumFeaturizer):
        records = spectrum_records(featurizer.nucleus, "held-out")
        pick = np.random.default_rng(args.seed).choice(len(records), args.n, replace=False)
        smiles = [records[i][0] for i in pick]
        rows = torch.from_numpy(featurizer.many([records[i][1] for i in pick]))
    else:
        smiles = moses_test_sample(args.n, args.seed)
        make = input_row(featurizer)
        rows = torch.from_numpy(np.stack([make(mol) for _, mol, _ in parse_many(smiles)]))
    weights = atom_attributions(args.init, args.modality, smiles, apply(frozen, rows))
    columns = min(3, args.n)
    grid = Image.new("RGB", (columns * SIZE, -(-args.n // columns) * SIZE + 30), "white")
    ImageDraw.Draw(grid).text(
        (8, 8),
        f"{args.modality}: atoms driving graph-{args.modality} agreement "
        "(gradient x input of the cosine; green raises it, pink lowers it)",
        fill="black",
    )
    for i, (text, w) in enumerate(zip(smiles, weights, strict=True)):
        grid.paste(
            atom_weight_image(text, w, SIZE), ((i % columns) * SIZE, 30 + i // columns * SIZE)
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    grid.save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
