"""Bemis–Murcko scaffolds."""

from __future__ import annotations

from rdkit import Chem
from rdkit.Chem.Scaffolds import MurckoScaffold


def murcko_scaffold(mol: Chem.Mol, include_chirality: bool = False) -> str:
    """Canonical SMILES of the Bemis–Murcko scaffold; `""` for acyclic molecules.

    `include_chirality=False` matches Hu et al. 2020 (pretrain-gnns `generate_scaffold`).
    """
    scaffold = MurckoScaffold.GetScaffoldForMol(mol)
    return Chem.MolToSmiles(scaffold, isomericSmiles=include_chirality)
