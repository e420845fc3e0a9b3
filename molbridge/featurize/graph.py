"""Molecular graph featurizer with Hu et al. 2020 / OGB-style categorical features.

Each atom and bond becomes a row of small integers (category indices); the encoder embeds each
column and sums the embeddings. Unknown values map to a final "other" category, never to zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from rdkit import Chem

FEATURIZER_VERSION = 1

# Vocabularies (OGB's allowable features, with atomic number 0 for dummy atoms '*').
ATOM_VOCAB: dict[str, list[Any]] = {
    "atomic_num": list(range(0, 119)),
    "chirality": ["CHI_UNSPECIFIED", "CHI_TETRAHEDRAL_CW", "CHI_TETRAHEDRAL_CCW", "CHI_OTHER"],
    "degree": list(range(0, 11)),
    "formal_charge": list(range(-5, 6)),
    "num_hs": list(range(0, 9)),
    "num_radical_electrons": list(range(0, 5)),
    "hybridization": ["S", "SP", "SP2", "SP3", "SP3D", "SP3D2"],
    "is_aromatic": [False, True],
    "is_in_ring": [False, True],
}
BOND_VOCAB: dict[str, list[Any]] = {
    "bond_type": ["SINGLE", "DOUBLE", "TRIPLE", "AROMATIC"],
    "stereo": ["STEREONONE", "STEREOZ", "STEREOE", "STEREOCIS", "STEREOTRANS", "STEREOANY"],
    "is_conjugated": [False, True],
}


class MolGraph(NamedTuple):
    """One molecule as arrays.

    Attributes:
        x: `[n_atoms, n_atom_features]` int64 category indices.
        edge_index: `[2, 2 * n_bonds]` int64, both directions of every bond.
        edge_attr: `[2 * n_bonds, n_bond_features]` int64 category indices.
    """

    x: np.ndarray
    edge_index: np.ndarray
    edge_attr: np.ndarray


def _index(vocab: list[Any], value: Any) -> int:
    """Position of `value` in `vocab`, or the trailing "other" slot `len(vocab)`."""
    try:
        return vocab.index(value)
    except ValueError:
        return len(vocab)


def _atom_value(atom: Chem.Atom, name: str) -> Any:
    if name == "atomic_num":
        return atom.GetAtomicNum()
    if name == "chirality":
        return str(atom.GetChiralTag())
    if name == "degree":
        return atom.GetTotalDegree()
    if name == "formal_charge":
        return atom.GetFormalCharge()
    if name == "num_hs":
        return atom.GetTotalNumHs()
    if name == "num_radical_electrons":
        return atom.GetNumRadicalElectrons()
    if name == "hybridization":
        return str(atom.GetHybridization())
    if name == "is_aromatic":
        return atom.GetIsAromatic()
    if name == "is_in_ring":
        return atom.IsInRing()
    raise KeyError(name)


def _bond_value(bond: Chem.Bond, name: str) -> Any:
    if name == "bond_type":
        return str(bond.GetBondType())
    if name == "stereo":
        return str(bond.GetStereo())
    if name == "is_conjugated":
        return bond.GetIsConjugated()
    raise KeyError(name)


@dataclass(frozen=True)
class GraphFeaturizer:
    """Pure `Mol -> MolGraph` featurizer.

    Attributes:
        atom_features: names from `ATOM_VOCAB`, in column order.
        bond_features: names from `BOND_VOCAB`, in column order.
    """

    atom_features: tuple[str, ...] = tuple(ATOM_VOCAB)
    bond_features: tuple[str, ...] = tuple(BOND_VOCAB)

    def __post_init__(self) -> None:
        unknown = [n for n in self.atom_features if n not in ATOM_VOCAB]
        unknown += [n for n in self.bond_features if n not in BOND_VOCAB]
        if unknown:
            raise ValueError(
                f"unknown graph features {unknown}; valid atom features: {list(ATOM_VOCAB)}, "
                f"bond features: {list(BOND_VOCAB)}"
            )

    @property
    def atom_dims(self) -> tuple[int, ...]:
        """Number of categories per atom column (vocabulary size + 1 for "other")."""
        return tuple(len(ATOM_VOCAB[n]) + 1 for n in self.atom_features)

    @property
    def bond_dims(self) -> tuple[int, ...]:
        """Number of categories per bond column (vocabulary size + 1 for "other")."""
        return tuple(len(BOND_VOCAB[n]) + 1 for n in self.bond_features)

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "graph",
            "version": FEATURIZER_VERSION,
            "atom_features": list(self.atom_features),
            "bond_features": list(self.bond_features),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> GraphFeaturizer:
        if config.get("name") != "graph":
            raise ValueError(f"not a graph featurizer config: {config}")
        if config.get("version") != FEATURIZER_VERSION:
            raise ValueError(
                f"graph featurizer version {config.get('version')} is not supported "
                f"(this molbridge writes version {FEATURIZER_VERSION})"
            )
        return cls(tuple(config["atom_features"]), tuple(config["bond_features"]))

    def __call__(self, mol: Chem.Mol) -> MolGraph:
        atoms = mol.GetAtoms()
        x = np.array(
            [
                [_index(ATOM_VOCAB[n], _atom_value(atom, n)) for n in self.atom_features]
                for atom in atoms
            ],
            dtype=np.int64,
        ).reshape(mol.GetNumAtoms(), len(self.atom_features))
        n_bonds = mol.GetNumBonds()
        edge_index = np.empty((2, 2 * n_bonds), dtype=np.int64)
        edge_attr = np.empty((2 * n_bonds, len(self.bond_features)), dtype=np.int64)
        for i, bond in enumerate(mol.GetBonds()):
            begin, end = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
            features = [_index(BOND_VOCAB[n], _bond_value(bond, n)) for n in self.bond_features]
            edge_index[:, 2 * i] = (begin, end)
            edge_index[:, 2 * i + 1] = (end, begin)
            edge_attr[2 * i] = features
            edge_attr[2 * i + 1] = features
        return MolGraph(x, edge_index, edge_attr)
