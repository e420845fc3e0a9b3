"""The RDKit boundary: parsing, standardisation, scaffolds."""

from molbridge.chem.mol import (
    InvalidMoleculeError,
    Standardizer,
    molecular_formula,
    parse_many,
    parse_smiles,
)
from molbridge.chem.scaffold import murcko_scaffold, scaffold_of_smiles

__all__ = [
    "InvalidMoleculeError",
    "Standardizer",
    "molecular_formula",
    "murcko_scaffold",
    "parse_many",
    "parse_smiles",
    "scaffold_of_smiles",
]
