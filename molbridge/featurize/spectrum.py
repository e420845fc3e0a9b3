"""NMR peak lists -> fixed-length binned spectra (Gaussian-broadened or plain histograms).

Unlike the other featurizers this one takes data, not a `Mol`: a spectrum is already a
measurement, so its input is the array of peak shifts (ppm) that `molbridge.data.spectra`
reads, and `many` takes a list of such arrays (not SMILES).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

log = logging.getLogger(__name__)

# Per nucleus: (low ppm, high ppm, sigma ppm). The ranges hold all but ~0.5 % of the bundled
# NMR8K peaks (13C above 220 ppm: some ketones and carbenes; 1H above 12 ppm: acidic protons).
DEFAULTS: dict[str, tuple[float, float, float]] = {
    "13C": (0.0, 220.0, 1.0),
    "1H": (0.0, 12.0, 0.05),
}
# A Gaussian's mass beyond 6 sigma is below 1e-9: bins farther away are left at zero.
_WINDOW_SIGMAS = 6.0


class OutOfRangeError(ValueError):
    """Peaks outside the featurizer's ppm range, with `strict=True`."""


@dataclass(frozen=True)
class SpectrumFeaturizer:
    """A peak list -> `[n_bins]` float32 spectrum on a fixed ppm grid.

    The range `[low, high]` is cut into `n_bins` equal bins. With `sigma > 0` each peak is a
    unit-area Gaussian of standard deviation `sigma` (ppm), integrated over each bin (normal
    CDF differences, so narrow peaks are not lost between bin centres); a peak near the range's
    edge is renormalised to unit area inside the range. With `sigma == 0` each peak adds 1 to
    the bin holding it (a peak exactly at `high` goes to the last bin). Either way the vector
    sums to the number of peaks inside `[low, high]`.

    Peaks outside the range are never dropped silently: with `strict=True` they raise
    `OutOfRangeError`; otherwise they are left out of the vector, counted by `out_of_range`,
    and `many` logs how many there were.

    Attributes:
        nucleus: `"13C"` or `"1H"`; picks the defaults of `low`, `high` and `sigma`.
        low: lower end of the range, ppm (default 13C 0, 1H 0).
        high: upper end of the range, ppm (default 13C 220, 1H 12).
        n_bins: vector length.
        sigma: Gaussian broadening, ppm (default 13C 1.0, 1H 0.05); 0 for histogram binning.
        strict: raise on peaks outside the range instead of counting them.
    """

    nucleus: str = "13C"
    low: float | None = None
    high: float | None = None
    n_bins: int = 512
    sigma: float | None = None
    strict: bool = False

    def __post_init__(self) -> None:
        if self.nucleus not in DEFAULTS:
            raise ValueError(f"unknown nucleus {self.nucleus!r}; valid: {sorted(DEFAULTS)}")
        low, high, sigma = DEFAULTS[self.nucleus]
        # Resolve the per-nucleus defaults once, so to_config() records the values used.
        for name, default in (("low", low), ("high", high), ("sigma", sigma)):
            value = getattr(self, name)
            object.__setattr__(self, name, float(default if value is None else value))
        low, high, sigma = self._resolved()
        if not low < high:
            raise ValueError(f"low must be below high, got {self.low} and {self.high}")
        if self.n_bins < 1:
            raise ValueError(f"n_bins must be at least 1, got {self.n_bins}")
        if not (math.isfinite(sigma) and sigma >= 0.0):
            raise ValueError(f"sigma must be a finite number >= 0, got {self.sigma}")

    def _resolved(self) -> tuple[float, float, float]:
        """`(low, high, sigma)` in ppm; always set after `__post_init__` (typed as floats)."""
        return float(self.low or 0.0), float(self.high or 0.0), float(self.sigma or 0.0)

    @property
    def bin_width(self) -> float:
        """Width of one bin, ppm."""
        low, high, _ = self._resolved()
        return (high - low) / self.n_bins

    @property
    def bin_centers(self) -> np.ndarray:
        """`[n_bins]` float64 ppm at the centre of each bin."""
        low, _, _ = self._resolved()
        return low + (np.arange(self.n_bins) + 0.5) * self.bin_width

    def __call__(self, peaks: ArrayLike) -> np.ndarray:
        """`[n_peaks]` shifts (ppm) -> `[n_bins]` float32."""
        shifts = self._check(peaks)
        inside = self._inside(shifts)
        if self.strict and not inside.all():
            raise OutOfRangeError(
                f"{int((~inside).sum())} peaks outside [{self.low}, {self.high}] ppm: "
                f"{shifts[~inside].tolist()}"
            )
        return self._bin(shifts[inside])

    def out_of_range(self, peaks: ArrayLike) -> int:
        """How many of the peaks fall outside `[low, high]` (left out of the vector)."""
        shifts = self._check(peaks)
        return int((~self._inside(shifts)).sum())

    def many(self, peak_lists: Sequence[ArrayLike]) -> np.ndarray:
        """Peak lists -> `[n, n_bins]` float32; logs the number of out-of-range peaks."""
        out = np.zeros((len(peak_lists), self.n_bins), dtype=np.float32)
        outside = 0
        spectra_with_outside = 0
        for i, peaks in enumerate(peak_lists):
            try:
                out[i] = self(peaks)
            except ValueError as err:
                raise type(err)(f"peak list {i}: {err}") from None
            n = self.out_of_range(peaks)
            outside += n
            spectra_with_outside += n > 0
        if outside:
            log.warning(
                "%d %s peaks in %d of %d spectra lie outside [%s, %s] ppm and are not binned",
                outside,
                self.nucleus,
                spectra_with_outside,
                len(peak_lists),
                self.low,
                self.high,
            )
        return out

    def to_config(self) -> dict[str, Any]:
        return {"name": "nmr-spectrum", **asdict(self)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SpectrumFeaturizer:
        return cls(**{k: v for k, v in config.items() if k != "name"})

    def _check(self, peaks: ArrayLike) -> np.ndarray:
        shifts = np.asarray(peaks, dtype=np.float64)
        if shifts.ndim != 1:
            raise ValueError(f"peaks must be a 1-D array of shifts, got shape {shifts.shape}")
        if not np.isfinite(shifts).all():
            raise ValueError(f"peak shifts must be finite, got {shifts.tolist()}")
        return shifts

    def _inside(self, shifts: np.ndarray) -> np.ndarray:
        low, high, _ = self._resolved()
        return (shifts >= low) & (shifts <= high)

    def _bin(self, shifts: np.ndarray) -> np.ndarray:
        low, _, sigma = self._resolved()
        width = self.bin_width
        out = np.zeros(self.n_bins, dtype=np.float64)
        if sigma == 0.0:
            index = np.minimum(((shifts - low) / width).astype(np.int64), self.n_bins - 1)
            np.add.at(out, index, 1.0)
            return out.astype(np.float32)
        reach = _WINDOW_SIGMAS * sigma
        for shift in shifts:
            # Only the bins within 6 sigma of the peak get mass (and always its own bin).
            first = max(0, math.floor((shift - reach - low) / width))
            last = max(first + 1, min(self.n_bins, math.ceil((shift + reach - low) / width)))
            edges = low + np.arange(first, last + 1) * width
            # bin mass = difference of the normal CDF, 0.5 * (1 + erf(z / sqrt 2)), at the edges
            cdf = np.array([math.erf((edge - shift) / (sigma * math.sqrt(2.0))) for edge in edges])
            mass = np.diff(cdf)
            out[first:last] += mass / mass.sum()  # unit area inside the range
        return out.astype(np.float32)
