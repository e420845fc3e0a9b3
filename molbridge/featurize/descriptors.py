"""RDKit 2D descriptors (`rdkit.Chem.Descriptors`), with robust per-column normalisation.

Raw values come from `DescriptorFeaturizer.__call__` / `many`; `fit` learns per-column
statistics on training rows and `transform` turns raw values into bounded float32 model inputs.

Normalisation is median / IQR scaling clipped to `±clip`: it keeps the order and relative spacing
of the bulk of each column (a rank transform would flatten them) while a heavy tail (`Ipc`,
`MolWt` of peptides) neither sets the scale nor reaches the model unbounded, and it needs only
two numbers per column in the checkpoint.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rdkit import Chem, rdBase
from rdkit.Chem import Descriptors

from molbridge.chem import parse_smiles

# (lower quantile q, width of the central q..1-q range of a standard normal): the scale of a
# column is its first non-zero central range divided by that width, so that on normal data the
# scale equals the standard deviation. The IQR comes first; the 1-99 % range serves a count that
# is zero for most molecules (most `fr_*` groups), whose IQR is 0.
_CENTRAL_RANGES = ((0.25, 1.3490), (0.01, 4.6527))


def _descriptor_functions() -> dict[str, Callable[[Chem.Mol], float]]:
    """RDKit's descriptors by name, in RDKit's order (read on each use, never cached here)."""
    return dict(Descriptors._descList)


def _all_names() -> tuple[str, ...]:
    return tuple(_descriptor_functions())


@dataclass(frozen=True)
class DescriptorFeaturizer:
    """RDKit 2D descriptors as float64 vectors, and their fitted normalisation.

    The column list is stored in the config, so a checkpoint rebuilds the same columns in the
    same order even when a later RDKit adds descriptors.

    Normalisation (`fit` then `transform`): per column, `z = clip((x - center) / scale, ±clip)`
    with `center` the median of the fit rows and `scale` their interquartile range / 1.349 (the
    standard deviation for normal data). Where the IQR is 0 the 1-99 % range / 4.653 is used,
    where that is 0 too `max |x - median| / clip` (so the most extreme fit value lands on the
    clip), and a column constant on the fit rows gets scale 1. NaN (missing) values are ignored
    by the fit and become 0 after normalisation, i.e. the fit set's median; `transform_with_mask`
    also says which entries were missing.

    Attributes:
        names: descriptor names (from `rdkit.Chem.Descriptors._descList`), in column order.
            Default: all of them, in RDKit's order.
        clip: bound of the normalised values (in scale units).
        center: per-column median of the fit rows (`None` until `fit`).
        scale: per-column robust scale of the fit rows, all > 0 (`None` until `fit`).
    """

    names: tuple[str, ...] = field(default_factory=_all_names)
    clip: float = 5.0
    center: tuple[float, ...] | None = None
    scale: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        # lists (from a config file) become tuples, so the frozen featurizer stays hashable
        object.__setattr__(self, "names", tuple(self.names))
        for name in ("center", "scale"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(float(v) for v in value))
        known = _descriptor_functions()
        unknown = [n for n in self.names if n not in known]
        if unknown:
            raise ValueError(f"unknown RDKit descriptors {unknown}; valid: {list(known)}")
        if not self.names:
            raise ValueError("DescriptorFeaturizer needs at least one descriptor name")
        if len(set(self.names)) != len(self.names):
            duplicated = sorted({n for n in self.names if self.names.count(n) > 1})
            raise ValueError(f"descriptor names repeat: {duplicated}")
        if not self.clip > 0:
            raise ValueError(f"clip must be > 0, got {self.clip}")
        if (self.center is None) != (self.scale is None):
            raise ValueError("center and scale are fitted together: give both or neither")
        if self.center is not None and self.scale is not None:
            if len(self.center) != len(self.names) or len(self.scale) != len(self.names):
                raise ValueError(
                    f"{len(self.names)} descriptors but {len(self.center)} centers and "
                    f"{len(self.scale)} scales"
                )
            if not all(math.isfinite(c) for c in self.center):
                raise ValueError("every center must be finite")
            if not all(math.isfinite(s) and s > 0 for s in self.scale):
                raise ValueError("every scale must be finite and > 0")

    @property
    def n_descriptors(self) -> int:
        return len(self.names)

    @property
    def is_fitted(self) -> bool:
        return self.center is not None

    def __call__(self, mol: Chem.Mol) -> np.ndarray:
        """One molecule -> `[n_descriptors]` float64 raw values; NaN where RDKit fails or
        returns a non-finite value (never a stand-in zero)."""
        return self.many_mols([mol])[0]

    def many_mols(self, mols: Sequence[Chem.Mol]) -> np.ndarray:
        """Molecules -> `[n, n_descriptors]` float64 raw values (NaN where missing)."""
        known = _descriptor_functions()
        functions = [known[n] for n in self.names]
        out = np.full((len(mols), len(functions)), np.nan, dtype=np.float64)
        # Scoped to this call: some descriptors warn per molecule (e.g. missing Gasteiger
        # parameters); the failure itself shows as NaN, and the global log settings stay as is.
        with rdBase.BlockLogs():
            for i, mol in enumerate(mols):
                for j, function in enumerate(functions):
                    try:
                        value = float(function(mol))
                    # A descriptor that raises on one molecule is missing there, not fatal:
                    # RDKit's descriptor code raises assorted exception types.
                    except Exception:
                        continue
                    if math.isfinite(value):
                        out[i, j] = value
        return out

    def many(self, smiles: Sequence[str]) -> np.ndarray:
        """SMILES -> `[n, n_descriptors]` float64 raw values; an invalid one raises naming its
        position."""
        return self.many_mols([parse_smiles(s, row=i) for i, s in enumerate(smiles)])

    def _check_raw(self, raw: np.ndarray) -> np.ndarray:
        values = np.asarray(raw, dtype=np.float64)
        if values.ndim not in (1, 2) or values.shape[-1] != self.n_descriptors:
            raise ValueError(
                f"expected raw descriptors shaped [n, {self.n_descriptors}] or "
                f"[{self.n_descriptors}], got {values.shape}"
            )
        return values

    def fit(self, raw: np.ndarray) -> DescriptorFeaturizer:
        """A copy holding per-column statistics of `raw` (`[n, n_descriptors]`, the training
        rows' raw values; NaN and inf are ignored). A column with no finite value gets center 0
        and scale 1."""
        values = self._check_raw(raw)
        if values.ndim != 2 or values.shape[0] == 0:
            raise ValueError(f"fit needs at least one row shaped [n, {self.n_descriptors}]")
        values = np.where(np.isfinite(values), values, np.nan)
        with warnings.catch_warnings():
            # an all-NaN column warns; it is handled just below
            warnings.simplefilter("ignore", RuntimeWarning)
            center = np.nanmedian(values, axis=0)
            scale = np.full(values.shape[1], np.nan)
            for q, normal_width in _CENTRAL_RANGES:
                low, high = np.nanquantile(values, [q, 1.0 - q], axis=0)
                width = (high - low) / normal_width
                scale = np.where(np.isnan(scale) & (width > 0), width, scale)
            extreme = np.nanmax(np.abs(values - center), axis=0) / self.clip
        scale = np.where(np.isnan(scale) & (extreme > 0), extreme, scale)
        center = np.where(np.isnan(center), 0.0, center)
        scale = np.where(np.isnan(scale), 1.0, scale)  # constant (or empty) column
        return dataclasses.replace(self, center=tuple(center.tolist()), scale=tuple(scale.tolist()))

    def transform_with_mask(self, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Normalise raw values with the fitted statistics.

        Args:
            raw: `[n, n_descriptors]` (or `[n_descriptors]`) raw values from `many`/`__call__`.

        Returns:
            `values`, float32 of the same shape, in `[-clip, clip]`, with each missing (NaN or
            inf) entry set to 0, the fit set's median, after normalisation; and `missing`, bool
            of the same shape, True where the raw value was missing.

        Raises:
            RuntimeError: the featurizer has not been fitted.
        """
        if self.center is None or self.scale is None:
            raise RuntimeError(
                "DescriptorFeaturizer is not fitted: call `featurizer = featurizer.fit(raw)` on "
                "the training rows' raw descriptors before transform"
            )
        values = self._check_raw(raw)
        missing = ~np.isfinite(values)
        center = np.asarray(self.center, dtype=np.float64)
        scale = np.asarray(self.scale, dtype=np.float64)
        with np.errstate(invalid="ignore"):  # inf - inf on missing entries, replaced below
            normalised = np.clip((values - center) / scale, -self.clip, self.clip)
        normalised[missing] = 0.0
        return normalised.astype(np.float32), missing

    def transform(self, raw: np.ndarray) -> np.ndarray:
        """`transform_with_mask(raw)` without the mask: float32 values in `[-clip, clip]`."""
        return self.transform_with_mask(raw)[0]

    def to_config(self) -> dict[str, Any]:
        return {
            "name": "rdkit-descriptors",
            "names": list(self.names),
            "clip": self.clip,
            "center": None if self.center is None else list(self.center),
            "scale": None if self.scale is None else list(self.scale),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DescriptorFeaturizer:
        return cls(**{k: v for k, v in config.items() if k != "name"})


def fragment_names() -> tuple[str, ...]:
    """RDKit's fragment-count descriptors (`fr_*`: functional groups, rings, ...), in RDKit's
    order."""
    return tuple(n for n in _all_names() if n.startswith("fr_"))


@dataclass(frozen=True)
class FragmentCountFeaturizer:
    """Molecule -> `[n]` float32 counts of RDKit's fragment descriptors (`fr_*`), or `None`
    when RDKit cannot compute one of them (never a stand-in zero)."""

    names: tuple[str, ...] = field(default_factory=fragment_names)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(self.names))
        DescriptorFeaturizer(names=self.names)  # checks the names

    @property
    def n_fragments(self) -> int:
        return len(self.names)

    def to_config(self) -> dict[str, Any]:
        return {"name": "fragment-counts", "names": list(self.names)}

    def __call__(self, mol: Chem.Mol) -> np.ndarray | None:
        values = DescriptorFeaturizer(names=self.names)(mol)
        return values.astype(np.float32) if np.isfinite(values).all() else None
