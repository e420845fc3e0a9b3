"""The fixed feature set of the boosted-tree model: count fingerprints, reduced graphs, descriptors.

Columns, in order: ECFP4 counts (Morgan radius 2, folded to 1024), Avalon counts (1024), ErG
(RDKit's extended reduced-graph vector, 315) and RDKit's 2-D descriptor list (raw values) — the
recipe of the gradient-boosted entry that leads the TDC ADMET leaderboard.

Missing values (documented policy): a descriptor that RDKit cannot compute for a molecule, or that
comes out infinite or NaN, is NaN here — never a stand-in zero — and stays NaN for the trees
(CatBoost sends missing values down their own side of every split, `nan_mode="Min"`). A finite
value beyond float32's range (`Ipc` of large molecules reaches 1e40) is clipped to ±3e38 so the
float32 matrix holds no infinity. Counts saturate at 255.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from rdkit import Chem, DataStructs, rdBase
from rdkit.Avalon import pyAvalonTools
from rdkit.Chem import rdReducedGraphs

from molbridge.chem import parse_smiles
from molbridge.featurize.descriptors import DescriptorFeaturizer
from molbridge.featurize.fingerprint import ECFPFeaturizer

ERG_SIZE = 315  # RDKit's ErG vector length (rdReducedGraphs.GetErGFingerprint)
_FLOAT32_MAX = 3e38


@dataclass(frozen=True)
class TabularFeaturizer:
    """Molecules -> `[n, n_features]` float32: ECFP counts, Avalon counts, ErG, RDKit descriptors.

    Attributes:
        ecfp_bits: folded length of the Morgan radius-2 count vector.
        avalon_bits: folded length of the Avalon count vector.
        descriptors: RDKit descriptor names, in column order (stored, so a checkpoint rebuilds
            the same columns under a later RDKit that adds descriptors). Default: all of them.
    """

    ecfp_bits: int = 1024
    avalon_bits: int = 1024
    descriptors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.ecfp_bits < 1 or self.avalon_bits < 1:
            raise ValueError(f"fingerprint lengths must be >= 1, got {self}")
        names = tuple(self.descriptors) or DescriptorFeaturizer().names
        # validated (unknown or repeated names raise) by the descriptor featurizer
        object.__setattr__(self, "descriptors", DescriptorFeaturizer(names).names)

    @property
    def n_features(self) -> int:
        return self.ecfp_bits + self.avalon_bits + ERG_SIZE + len(self.descriptors)

    @property
    def names(self) -> list[str]:
        """One name per column (`ecfp_<i>`, `avalon_<i>`, `erg_<i>`, then descriptor names)."""
        return (
            [f"ecfp_{i}" for i in range(self.ecfp_bits)]
            + [f"avalon_{i}" for i in range(self.avalon_bits)]
            + [f"erg_{i}" for i in range(ERG_SIZE)]
            + list(self.descriptors)
        )

    @property
    def ecfp(self) -> ECFPFeaturizer:
        """The featurizer of the first block (columns `0 .. ecfp_bits - 1`)."""
        return ECFPFeaturizer(2, self.ecfp_bits, counts=True)

    def many_mols(self, mols: Sequence[Chem.Mol]) -> np.ndarray:
        """Molecules -> `[n, n_features]` float32 (NaN where a descriptor is missing)."""
        ecfp = self.ecfp.many_mols(mols)
        avalon = np.zeros((len(mols), self.avalon_bits), dtype=np.uint8)
        erg = np.zeros((len(mols), ERG_SIZE), dtype=np.float32)
        for i, mol in enumerate(mols):
            counts = pyAvalonTools.GetAvalonCountFP(mol, nBits=self.avalon_bits)
            row = np.zeros(self.avalon_bits, dtype=np.int64)
            DataStructs.ConvertToNumpyArray(counts, row)
            avalon[i] = np.minimum(row, 255)
            erg[i] = rdReducedGraphs.GetErGFingerprint(mol)
        raw = DescriptorFeaturizer(self.descriptors).many_mols(mols)
        descriptors = np.clip(raw, -_FLOAT32_MAX, _FLOAT32_MAX).astype(np.float32)
        return np.concatenate([ecfp, avalon, erg, descriptors], axis=1, dtype=np.float32)

    def many(self, smiles: Sequence[str]) -> np.ndarray:
        """SMILES -> `[n, n_features]`; an invalid one raises naming its position."""
        return self.many_mols([parse_smiles(s, row=i) for i, s in enumerate(smiles)])

    def identity(self) -> dict[str, Any]:
        """What its values depend on: the config and the RDKit version (descriptors change)."""
        return {"tabular": self.to_config(), "rdkit": rdBase.rdkitVersion}

    def to_config(self) -> dict[str, Any]:
        return {"name": "tabular", **asdict(self), "descriptors": list(self.descriptors)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TabularFeaturizer:
        return cls(**{k: v for k, v in config.items() if k != "name"})
