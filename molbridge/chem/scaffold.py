"""Bemis–Murcko scaffolds."""

from __future__ import annotations

from rdkit import Chem
from rdkit.Chem.Scaffolds import MurckoScaffold


def murcko_scaffold(mol: Chem.Mol, include_chirality: bool = True) -> str:
    """Canonical SMILES of the Bemis–Murcko scaffold; `""` for acyclic molecules.

    `include_chirality=True` matches the scaffold split of Hu et al. 2020 (pretrain-gnns
    `scaffold_split` calls `generate_scaffold(smiles, include_chirality=True)`).
    """
    scaffold = MurckoScaffold.GetScaffoldForMol(mol)
    return Chem.MolToSmiles(scaffold, isomericSmiles=include_chirality)
