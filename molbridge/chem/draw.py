"""Molecules drawn with per-atom weights (attributions): the RDKit side of every explanation
figure. Written with RDKit's own similarity-map drawing (`SimilarityMaps`), which colours each
atom by its weight on a diverging scale."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image
from rdkit.Chem.Draw import SimilarityMaps, rdMolDraw2D

from molbridge.chem.mol import parse_smiles


def atom_weight_image(smiles: str, weights: Sequence[float], size: int = 300) -> Image.Image:
    """`smiles` drawn with each atom coloured by its weight (green positive, pink negative,
    scaled to the largest magnitude).

    Raises:
        ValueError: `weights` does not have one value per heavy atom.
    """
    mol = parse_smiles(smiles)
    if len(weights) != mol.GetNumAtoms():
        raise ValueError(f"{len(weights)} weights for {mol.GetNumAtoms()} atoms of {smiles!r}")
    values = np.asarray(weights, dtype=float)
    scale = float(np.abs(values).max()) or 1.0
    drawer = rdMolDraw2D.MolDraw2DCairo(size, size)
    SimilarityMaps.GetSimilarityMapFromWeights(mol, (values / scale).tolist(), draw2d=drawer)
    drawer.FinishDrawing()
    return Image.open(io.BytesIO(drawer.GetDrawingText())).convert("RGB")
