"""Extended-connectivity fingerprints (ECFP, Rogers & Hahn 2010) by RDKit's Morgan generator."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator

from molbridge.chem import parse_smiles


@dataclass(frozen=True)
class ECFPFeaturizer:
    """ECFP bit vectors (`counts=False`) or count vectors, as uint8 (counts saturate at 255).

    Attributes:
        radius: Morgan radius (2 gives ECFP4).
        n_bits: vector length (folded).
        counts: count occurrences instead of setting bits.
    """

    radius: int = 2
    n_bits: int = 2048
    counts: bool = False

    def __post_init__(self) -> None:
        if self.radius < 0 or self.n_bits < 1:
            raise ValueError(f"ECFP needs radius >= 0 and n_bits >= 1, got {self}")

    def _generator(self) -> Any:
        return rdFingerprintGenerator.GetMorganGenerator(radius=self.radius, fpSize=self.n_bits)

    def __call__(self, mol: Chem.Mol) -> np.ndarray:
        """One molecule -> `[n_bits]` uint8."""
        return self.many_mols([mol])[0]

    def many_mols(self, mols: Sequence[Chem.Mol]) -> np.ndarray:
        """Molecules -> `[n, n_bits]` uint8."""
        generator = self._generator()
        out = np.zeros((len(mols), self.n_bits), dtype=np.uint8)
        for i, mol in enumerate(mols):
            if self.counts:
                out[i] = np.minimum(generator.GetCountFingerprintAsNumPy(mol), 255)
            else:
                out[i] = generator.GetFingerprintAsNumPy(mol)
        return out

    def atom_environments(self, mol: Chem.Mol) -> dict[int, list[tuple[int, ...]]]:
        """Which atoms set each bit: per set bit, the atoms of every circular environment
        (centre atom plus the atoms within its radius) that hashes to it."""
        info = rdFingerprintGenerator.AdditionalOutput()
        info.AllocateBitInfoMap()
        self._generator().GetCountFingerprintAsNumPy(mol, additionalOutput=info)
        environments: dict[int, list[tuple[int, ...]]] = {}
        for bit, places in info.GetBitInfoMap().items():
            for centre, radius in places:
                atoms = {centre}
                for bond in Chem.FindAtomEnvironmentOfRadiusN(mol, radius, centre):
                    b = mol.GetBondWithIdx(bond)
                    atoms.update((b.GetBeginAtomIdx(), b.GetEndAtomIdx()))
                environments.setdefault(int(bit), []).append(tuple(sorted(atoms)))
        return environments

    def many(self, smiles: Sequence[str]) -> np.ndarray:
        """SMILES -> `[n, n_bits]` uint8; an invalid one raises naming its position."""
        return self.many_mols([parse_smiles(s, row=i) for i, s in enumerate(smiles)])

    def to_config(self) -> dict[str, Any]:
        return {"name": "ecfp", **asdict(self)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ECFPFeaturizer:
        return cls(**{k: v for k, v in config.items() if k != "name"})
