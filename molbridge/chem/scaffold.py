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


def scaffold_of_smiles(smiles: str, include_chirality: bool = False) -> str | None:
    """Scaffold of a SMILES string parsed by plain `Chem.MolFromSmiles`, as RDKit's
    `MurckoScaffoldSmiles(mol=..., includeChirality=...)` gives it; `None` when RDKit cannot
    parse it. This is what TDC's scaffold split groups by (no standardisation, no stereo)."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    return murcko_scaffold(mol, include_chirality)
