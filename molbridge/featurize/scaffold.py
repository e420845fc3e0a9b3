"""Scaffold featurizer: a molecule's Bemis–Murcko scaffold as a fingerprint, and which of its
atoms belong to the scaffold (for scaffold-keeping views of its graph)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from rdkit import Chem
from rdkit.Chem.Scaffolds import MurckoScaffold

from molbridge.featurize.fingerprint import ECFPFeaturizer


@dataclass(frozen=True)
class ScaffoldFeaturizer:
    """Molecule -> `[n_bits + max_atoms]` uint8 0/1: the ECFP bits of its Bemis–Murcko scaffold
    (RDKit's `GetScaffoldForMol`: rings, the linkers between them, and the atoms double-bonded
    to either), then one flag per atom, in the molecule's atom order, set for scaffold atoms.
    An acyclic molecule has an empty scaffold: all zeros. A molecule with more than `max_atoms`
    atoms gives `None` (no row), as a fixed-width row holds only so many flags.

    Attributes:
        radius: Morgan radius of the scaffold fingerprint (2: ECFP4).
        n_bits: scaffold fingerprint length.
        max_atoms: atom flags per row.
    """

    radius: int = 2
    n_bits: int = 512
    max_atoms: int = 128

    def __post_init__(self) -> None:
        if self.max_atoms < 1:
            raise ValueError(f"max_atoms must be at least 1, got {self.max_atoms}")
        ECFPFeaturizer(self.radius, self.n_bits)  # checks radius and n_bits

    @property
    def width(self) -> int:
        return self.n_bits + self.max_atoms

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "scaffold",
            "radius": self.radius,
            "n_bits": self.n_bits,
            "max_atoms": self.max_atoms,
        }

    def scaffold_atoms(self, mol: Chem.Mol) -> tuple[Chem.Mol, tuple[int, ...]]:
        """The scaffold as a molecule, and the indices of its atoms in `mol` (empty when
        acyclic)."""
        scaffold = MurckoScaffold.GetScaffoldForMol(mol)
        if scaffold.GetNumAtoms() == 0:
            return scaffold, ()
        # the scaffold is `mol` without its side chains, so it matches `mol` at its own atoms
        return scaffold, tuple(mol.GetSubstructMatch(scaffold))

    def __call__(self, mol: Chem.Mol) -> np.ndarray | None:
        if mol.GetNumAtoms() > self.max_atoms:
            return None
        row = np.zeros(self.width, dtype=np.uint8)
        scaffold, atoms = self.scaffold_atoms(mol)
        if scaffold.GetNumAtoms() and not atoms:
            return None  # no match: cannot happen for RDKit's scaffold, but never guess
        if atoms:
            row[: self.n_bits] = ECFPFeaturizer(self.radius, self.n_bits)(scaffold)
            row[self.n_bits + np.asarray(atoms, dtype=np.int64)] = 1
        return row
