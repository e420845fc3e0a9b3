"""2D depictions of molecules as small images (RDKit's Cairo drawer, decoded with PIL).

Every drawing option that changes pixels is set here, not left to RDKit's global state, so the
same molecule always gives the same array (for a given RDKit version).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from PIL import Image
from rdkit import Chem
from rdkit.Chem import rdDepictor
from rdkit.Chem.Draw import rdMolDraw2D

from molbridge.chem import parse_smiles

MIN_SIZE = 32
# Line width in pixels, the same at every image size: at 128 px a 2 px bond stays visible after
# the encoder's stride-4 stem without blotting out double bonds.
BOND_LINE_WIDTH = 2
# Fraction of the image left blank on each side, so the border is always background.
PADDING = 0.05


@dataclass(frozen=True)
class ImageFeaturizer:
    """Molecule -> `[channels, size, size]` uint8 depiction, black-ish bonds on white.

    Heteroatoms keep RDKit's default element colours (in RGB); grayscale images are the PIL
    luma ("L") of the same drawing. 2D coordinates are computed on a copy with RDKit's own
    depictor (`forceRDKit=True`, canonical orientation), so the input `Mol` is left unchanged and
    the global CoordGen preference does not change the output.

    Attributes:
        size: image height and width in pixels (at least 32).
        grayscale: one channel instead of three.
        canonical: draw the molecule read back from its canonical SMILES (atoms and bonds in
            RDKit's canonical order), so that one molecule gives one picture however its
            SMILES was written (off by default: the bundles made before it drew the input as
            given).
    """

    size: int = 128
    grayscale: bool = False
    canonical: bool = False

    def __post_init__(self) -> None:
        if self.size < MIN_SIZE:
            raise ValueError(
                f"image size must be at least {MIN_SIZE} pixels, got {self.size}: smaller "
                "depictions are unreadable and vanish in the encoder's stride-32 downsampling"
            )

    @property
    def channels(self) -> int:
        return 1 if self.grayscale else 3

    @property
    def shape(self) -> tuple[int, int, int]:
        """`(channels, size, size)` of one image."""
        return (self.channels, self.size, self.size)

    def draw_png(self, mol: Chem.Mol) -> bytes:
        """The PNG bytes of one molecule's depiction (the only place RDKit draws)."""
        # canonical: read back from its canonical SMILES; else a copy, so that the caller's
        # Mol keeps its conformers
        mol = Chem.MolFromSmiles(Chem.MolToSmiles(mol)) if self.canonical else Chem.Mol(mol)
        rdDepictor.Compute2DCoords(mol, canonOrient=True, forceRDKit=True)
        drawer = rdMolDraw2D.MolDraw2DCairo(self.size, self.size)
        # Any: RDKit's bundled stubs type every option property as MolDrawOptions itself
        options: Any = drawer.drawOptions()
        options.setBackgroundColour((1.0, 1.0, 1.0, 1.0))
        options.clearBackground = True
        options.bondLineWidth = BOND_LINE_WIDTH
        options.scaleBondWidth = False
        options.padding = PADDING
        options.addAtomIndices = False
        options.addBondIndices = False
        options.addStereoAnnotation = False
        options.includeMetadata = False  # pixels only; no mol block inside the PNG
        options.useDefaultAtomPalette()
        drawer.DrawMolecule(mol)
        drawer.FinishDrawing()
        png: bytes = drawer.GetDrawingText()
        return png

    def __call__(self, mol: Chem.Mol) -> np.ndarray:
        """One molecule -> `[channels, size, size]` uint8 (255 = white)."""
        with Image.open(io.BytesIO(self.draw_png(mol))) as image:
            pixels = np.asarray(image.convert("L" if self.grayscale else "RGB"), dtype=np.uint8)
        if self.grayscale:
            return pixels[None].copy()
        return np.ascontiguousarray(pixels.transpose(2, 0, 1))

    def many_mols(self, mols: Sequence[Chem.Mol]) -> np.ndarray:
        """Molecules -> `[n, channels, size, size]` uint8."""
        out = np.empty((len(mols), *self.shape), dtype=np.uint8)
        for i, mol in enumerate(mols):
            out[i] = self(mol)
        return out

    def many(self, smiles: Sequence[str]) -> np.ndarray:
        """SMILES -> `[n, channels, size, size]` uint8; an invalid one raises naming its row."""
        return self.many_mols([parse_smiles(s, row=i) for i, s in enumerate(smiles)])

    def to_config(self) -> dict[str, Any]:
        config = {"name": "image", **asdict(self)}
        if not self.canonical:  # as written before the option existed: their caches still match
            del config["canonical"]
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ImageFeaturizer:
        return cls(**{k: v for k, v in config.items() if k != "name"})
