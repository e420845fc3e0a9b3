"""NMR peak lists from an NMRShiftDB2-style SDF file (by default the bundled NMR8K sample).

The bundled file (`bundled/spectra/nmrshiftdb2_nmr8k.sdf.gz`, provenance in the `SOURCES.md`
beside it) holds 7998 records. With RDKit 2026.09, 5997 have a 13C spectrum and 3014 a 1H
spectrum (1030 both, one none). One record (nmrshiftdb2 ID 5509) assigns a 13C peak to an atom
its molblock does not have: it is invalid, so the 13C set reads as 5996 records with
`on_invalid="skip"` (which reports it) and raises with the default `on_invalid="raise"`.

Which spectrum is read: a record may hold several spectra of one nucleus (`Spectrum 13C 0`,
`Spectrum 13C 1`, ...). The number after the nucleus counts the record's spectra across *all*
nuclei (a record with a 13C and a 1H spectrum has `Spectrum 13C 0` and `Spectrum 1H 1`), so
"the first spectrum of a nucleus" is the one with the lowest number for that nucleus, not
always number 0 (reading only `Spectrum 1H 0` would lose the 1H spectra of 1030 records).
The `Solvent` property lists one solvent per spectrum number (`0:Chloroform-D1 (CDCl3) 1:...`);
each nucleus gets the solvent of the spectrum read.

Peak list format: `shift;intensity+multiplicity;atom_index|...` with the shift in ppm and a
0-based atom index into the molblock (for 1H, the heavy atom that carries the hydrogen). The
intensity/multiplicity field is checked to be present but not kept.

Bad records are loud and nothing is lost (STYLE rule 6): a molblock RDKit cannot read or
sanitise, or a malformed peak list, raises `InvalidNMRRecordError` naming the record's position
and nmrshiftdb2 ID; with `on_invalid="skip"` the record is left out and listed in the reader's
`skipped` (position, ID, reason) and the count is logged.
"""

from __future__ import annotations

import functools
import gzip
import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal, NamedTuple

import numpy as np
from rdkit import Chem, rdBase

# The chemistry boundary's scoped RDKit log capture (one way to hear why RDKit refused a molecule).
from molbridge.chem.mol import capture_rdkit_errors, last_rdkit_message, parse_many
from molbridge.data.registry import verified_path

log = logging.getLogger(__name__)

BUNDLED_NMR = "spectra/nmrshiftdb2_nmr8k.sdf.gz"
NUCLEI = ("13C", "1H")
Nucleus = Literal["13C", "1H"]
OnInvalid = Literal["raise", "skip"]

_SPECTRUM_KEY = re.compile(r"^Spectrum (\S+) (\d+)$")
# Splits `0:Chloroform-D1 (CDCl3) 1:Unreported` into (number, solvent) pairs.
_NUMBERED = re.compile(r"(?:^|\s+)(\d+):")


class InvalidNMRRecordError(ValueError):
    """An SDF record that cannot be used; names the file, the record's position and its ID."""

    def __init__(self, source: str, position: int, record_id: str | None, reason: str) -> None:
        self.source = source
        self.position = position
        self.record_id = record_id
        self.reason = reason
        who = f"nmrshiftdb2 ID {record_id}" if record_id is not None else "ID unknown"
        super().__init__(f"{source}: record {position} ({who}): {reason}")


@dataclass(frozen=True)
class SkippedRecord:
    """A record left out with `on_invalid="skip"`, and why.

    Attributes:
        position: 0-based position of the record in the file.
        id: its `nmrshiftdb2 ID`, or `None` when the molblock could not be read at all.
        reason: what was wrong.
    """

    position: int
    id: str | None
    reason: str


class NMRRecord(NamedTuple):
    """One molecule with its first 13C and first 1H spectrum (see the module docstring).

    Attributes:
        position: 0-based position of the record in the file.
        id: the `nmrshiftdb2 ID`.
        smiles: the record's `SMILES` property (as written in the file).
        mol: the sanitised molecule from the molblock, explicit hydrogens kept so that atom
            indices match the peak assignments.
        peaks_13c: `[n_peaks]` float64 13C shifts in ppm, in file order; empty without 13C.
        atoms_13c: `[n_peaks]` int64 atom index of each 13C peak.
        solvent_13c: solvent of the 13C spectrum, `None` when not given.
        peaks_1h: `[n_peaks]` float64 1H shifts in ppm; empty without 1H.
        atoms_1h: `[n_peaks]` int64 index of the heavy atom carrying each 1H.
        solvent_1h: solvent of the 1H spectrum, `None` when not given.
    """

    position: int
    id: str
    smiles: str
    mol: Chem.Mol
    peaks_13c: np.ndarray
    atoms_13c: np.ndarray
    solvent_13c: str | None
    peaks_1h: np.ndarray
    atoms_1h: np.ndarray
    solvent_1h: str | None

    def has(self, nucleus: Nucleus) -> bool:
        """Whether the record has a spectrum of `nucleus`."""
        return len(self.peaks(nucleus)) > 0

    def peaks(self, nucleus: Nucleus) -> np.ndarray:
        """`[n_peaks]` shifts (ppm) of `nucleus`."""
        return self.peaks_13c if _check_nucleus(nucleus) == "13C" else self.peaks_1h

    def atoms(self, nucleus: Nucleus) -> np.ndarray:
        """`[n_peaks]` atom indices of the peaks of `nucleus`."""
        return self.atoms_13c if _check_nucleus(nucleus) == "13C" else self.atoms_1h

    def solvent(self, nucleus: Nucleus) -> str | None:
        """Solvent of the spectrum of `nucleus`."""
        return self.solvent_13c if _check_nucleus(nucleus) == "13C" else self.solvent_1h


class NMRReader:
    """Streams `NMRRecord`s from an SDF file; made by `read_nmr_sdf`.

    Each iteration re-reads the file from the start and refills `skipped`.

    Attributes:
        path: the SDF file (`.sdf` or `.sdf.gz`).
        nucleus: only records with a spectrum of this nucleus are yielded (`None`: all).
        on_invalid: `"raise"` or `"skip"`.
        skipped: records left out as invalid during the last iteration (only with `"skip"`).
    """

    def __init__(self, path: Path, nucleus: Nucleus | None, on_invalid: OnInvalid) -> None:
        if on_invalid not in ("raise", "skip"):
            raise ValueError(f"on_invalid must be 'raise' or 'skip', got {on_invalid!r}")
        self.path = path
        self.nucleus = None if nucleus is None else _check_nucleus(nucleus)
        self.on_invalid = on_invalid
        self.skipped: list[SkippedRecord] = []

    def __iter__(self) -> Iterator[NMRRecord]:
        self.skipped = []
        with _open(self.path) as handle:
            supplier = Chem.ForwardSDMolSupplier(handle, sanitize=False, removeHs=False)
            position = -1
            while True:
                position += 1
                # Scoped to reading this record: RDKit's per-molecule warnings (e.g. "tagged as
                # 3D, but all Z coords are zero") stay quiet and its errors become the reason.
                with rdBase.BlockLogs(), capture_rdkit_errors() as capture:
                    try:
                        mol = next(supplier)
                    except StopIteration:
                        break
                    if mol is None:
                        detail = last_rdkit_message(capture)
                        self._invalid(position, None, f"RDKit cannot read the molblock ({detail})")
                        continue
                    record_id = _prop(mol, "nmrshiftdb2 ID")
                    if self.nucleus is not None and _first_spectrum(mol, self.nucleus) is None:
                        continue
                    try:
                        Chem.SanitizeMol(mol)
                    except Exception as err:  # RDKit raises several sanitisation types
                        self._invalid(position, record_id, f"sanitisation failed: {err}")
                        continue
                try:
                    record = _record(mol, position, record_id)
                except ValueError as err:
                    self._invalid(position, record_id, str(err))
                    continue
                yield record
        if self.skipped:
            log.warning("%s: skipped %d invalid NMR records", self.path, len(self.skipped))

    def _invalid(self, position: int, record_id: str | None, reason: str) -> None:
        if self.on_invalid == "raise":
            raise InvalidNMRRecordError(
                str(self.path),
                position,
                record_id,
                f"{reason} (use on_invalid='skip' to leave such records out and list them)",
            )
        self.skipped.append(SkippedRecord(position, record_id, reason))


def read_nmr_sdf(
    path: Path | str | None = None,
    nucleus: Nucleus | None = None,
    on_invalid: OnInvalid = "raise",
) -> NMRReader:
    """Stream NMR records from an SDF file.

    Args:
        path: an `.sdf` or `.sdf.gz` file; `None` reads the bundled NMR8K sample (its sha256 is
            checked against `bundled/SHA256SUMS` first).
        nucleus: `"13C"` or `"1H"` to yield only records with that spectrum; `None` for all.
        on_invalid: `"raise"` stops at the first invalid record with an
            `InvalidNMRRecordError`; `"skip"` leaves it out and lists it in the reader's
            `skipped` after (or during) iteration.

    Returns:
        An iterable of `NMRRecord`; iterate it (it reads lazily) and then look at `.skipped`.

    Example:
        >>> reader = read_nmr_sdf(nucleus="13C", on_invalid="skip")
        >>> shifts = [record.peaks_13c for record in reader]
        >>> reader.skipped  # [SkippedRecord(position=112, id='5509', reason=...)]
    """
    resolved = verified_path(BUNDLED_NMR) if path is None else Path(path)
    return NMRReader(resolved, nucleus, on_invalid)


@dataclass
class NMRSpectra:
    """The records of one nucleus as parallel lists (from `load_nmr_spectra`).

    Attributes:
        nucleus: `"13C"` or `"1H"`.
        ids: nmrshiftdb2 IDs.
        smiles: the records' SMILES.
        mols: sanitised molecules with explicit hydrogens (atom indices match `atoms`).
        peaks: one `[n_peaks]` float64 array of shifts (ppm) per record.
        atoms: one `[n_peaks]` int64 array of assigned atom indices per record.
        solvents: solvent of each spectrum, `None` where not given.
        skipped: invalid records left out (only with `on_invalid="skip"`).
    """

    nucleus: Nucleus
    ids: list[str] = field(default_factory=list)
    smiles: list[str] = field(default_factory=list)
    mols: list[Chem.Mol] = field(default_factory=list)
    peaks: list[np.ndarray] = field(default_factory=list)
    atoms: list[np.ndarray] = field(default_factory=list)
    solvents: list[str | None] = field(default_factory=list)
    skipped: list[SkippedRecord] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


def load_nmr_spectra(
    nucleus: Nucleus,
    path: Path | str | None = None,
    on_invalid: OnInvalid = "raise",
) -> NMRSpectra:
    """All records with a spectrum of `nucleus`, as lists (see `read_nmr_sdf` for the arguments).

    The bundled file needs `on_invalid="skip"` for 13C (one invalid record, reported in
    `skipped`).
    """
    reader = read_nmr_sdf(path, nucleus, on_invalid)
    out = NMRSpectra(nucleus=_check_nucleus(nucleus))
    for record in reader:
        out.ids.append(record.id)
        out.smiles.append(record.smiles)
        out.mols.append(record.mol)
        out.peaks.append(record.peaks(nucleus))
        out.atoms.append(record.atoms(nucleus))
        out.solvents.append(record.solvent(nucleus))
    out.skipped = list(reader.skipped)
    return out


def parse_peak_list(text: str, n_atoms: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Parse `shift;intensity+multiplicity;atom_index|...` into shifts and atom indices.

    Args:
        text: the peak list (a trailing `|` is allowed).
        n_atoms: when given, every atom index must be below it.

    Returns:
        `([n_peaks] float64 shifts in ppm, [n_peaks] int64 atom indices)`.

    Raises:
        ValueError: empty list, a peak without three fields, a shift that is not a finite
            number, or an atom index that is not a non-negative integer (below `n_atoms`).
    """
    pieces = text.strip().split("|")
    if pieces and pieces[-1] == "":
        pieces.pop()  # the format ends every peak with `|`
    if not pieces:
        raise ValueError("empty peak list")
    shifts = np.empty(len(pieces), dtype=np.float64)
    atoms = np.empty(len(pieces), dtype=np.int64)
    for i, piece in enumerate(pieces):
        fields = piece.split(";")
        if len(fields) != 3:
            raise ValueError(
                f"peak {i} {piece!r} has {len(fields)} fields, "
                "expected shift;intensity+multiplicity;atom_index"
            )
        try:
            shift = float(fields[0])
        except ValueError:
            raise ValueError(f"peak {i} {piece!r}: shift {fields[0]!r} is not a number") from None
        if not math.isfinite(shift):
            raise ValueError(f"peak {i} {piece!r}: shift is not finite")
        index_text = fields[2].strip()
        if not index_text.isdigit():
            raise ValueError(f"peak {i} {piece!r}: atom index {fields[2]!r} is not an integer")
        atom = int(index_text)
        if n_atoms is not None and atom >= n_atoms:
            raise ValueError(
                f"peak {i} {piece!r}: atom index {atom} is out of range ({n_atoms} atoms)"
            )
        shifts[i] = shift
        atoms[i] = atom
    return shifts, atoms


def _record(mol: Chem.Mol, position: int, record_id: str | None) -> NMRRecord:
    """The `NMRRecord` of a sanitised molecule; a bad property raises ValueError."""
    if record_id is None:
        raise ValueError("no 'nmrshiftdb2 ID' property")
    smiles = _prop(mol, "SMILES")
    if not smiles:
        raise ValueError("no 'SMILES' property")
    solvents = _numbered_values(_prop(mol, "Solvent"))
    parsed: dict[str, tuple[np.ndarray, np.ndarray, str | None]] = {}
    for nucleus in NUCLEI:
        first = _first_spectrum(mol, nucleus)
        if first is None:
            empty = (np.empty(0, np.float64), np.empty(0, np.int64), None)
            parsed[nucleus] = empty
            continue
        key, number = first
        try:
            shifts, atoms = parse_peak_list(mol.GetProp(key), mol.GetNumAtoms())
        except ValueError as err:
            raise ValueError(f"{key!r}: {err}") from None
        parsed[nucleus] = (shifts, atoms, solvents.get(number))
    return NMRRecord(position, record_id, smiles, mol, *parsed["13C"], *parsed["1H"])


def _first_spectrum(mol: Chem.Mol, nucleus: str) -> tuple[str, int] | None:
    """`(property name, spectrum number)` of the lowest-numbered spectrum of `nucleus`."""
    found = []
    for name in mol.GetPropNames():
        match = _SPECTRUM_KEY.match(name)
        if match and match.group(1) == nucleus:
            found.append((int(match.group(2)), name))
    if not found:
        return None
    number, name = min(found)
    return name, number


def _numbered_values(text: str | None) -> dict[int, str]:
    """`0:a 1:b` -> `{0: "a", 1: "b"}` (values stripped)."""
    if not text:
        return {}
    parts = _NUMBERED.split(text)
    # re.split with one group: ["", "0", "a ", "1", "b"]
    return {int(parts[i]): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def _prop(mol: Chem.Mol, name: str) -> str | None:
    return str(mol.GetProp(name)).strip() if mol.HasProp(name) else None


def _check_nucleus(nucleus: str) -> Nucleus:
    if nucleus == "13C":
        return "13C"
    if nucleus == "1H":
        return "1H"
    raise ValueError(f"unknown nucleus {nucleus!r}; valid: {list(NUCLEI)}")


def _open(path: Path) -> gzip.GzipFile | BinaryIO:
    if not path.exists():
        raise FileNotFoundError(f"NMR SDF file {path} does not exist")
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def molecule_key(mol: Chem.Mol) -> str:
    """Canonical isomeric SMILES: how a corpus molecule finds its spectrum."""
    return str(Chem.MolToSmiles(mol))


# of the spectra's distinct molecules: never trained with (retrieval, isomers measure on them)
HELD_OUT_SHARE = 0.1


def record_keys(spectra: NMRSpectra) -> list[str | None]:
    """Each record's molecule key, its SMILES read as a corpus reads SMILES (the records'
    `mols` carry explicit hydrogens, some of which RDKit will not remove), so that one
    molecule's keys agree wherever it comes from; `None` where the SMILES does not parse."""
    keys: list[str | None] = [None] * len(spectra)
    for row, mol, _ in parse_many(spectra.smiles):
        if mol is not None:
            keys[row] = molecule_key(mol)
    return keys


def held_out_keys(keys: list[str | None]) -> set[str]:
    """A fixed 10 % of the distinct molecules (a seeded permutation of their sorted keys)."""
    distinct = sorted({k for k in keys if k is not None})
    order = np.random.default_rng(0).permutation(len(distinct))
    return {distinct[i] for i in order[: round(HELD_OUT_SHARE * len(distinct))]}


def spectrum_records(nucleus: str, part: str = "train") -> list[tuple[str, np.ndarray]]:
    """`(SMILES, peaks)` of one record per distinct molecule of the bundled NMRShiftDB2
    spectra of `nucleus` (its first record), in file order: the `train` part, or the
    `held-out` one (`held_out_keys`), which no pre-training here uses — neither the spectrum
    encoder's nor a strategy's — so that retrieval and isomer discrimination measure on unseen
    spectra."""
    if part not in ("train", "held-out"):
        raise ValueError(f"part must be train or held-out, got {part!r}")
    return list(_spectrum_parts(nucleus)[part == "held-out"])


@functools.lru_cache(maxsize=2)
def _spectrum_parts(
    nucleus: str,
) -> tuple[tuple[tuple[str, np.ndarray], ...], tuple[tuple[str, np.ndarray], ...]]:
    """(train, held-out) records of `nucleus`, read and parsed once per process."""
    spectra = load_nmr_spectra(nucleus, on_invalid="skip")  # type: ignore[arg-type]
    keys = record_keys(spectra)
    held = held_out_keys(keys)
    first: dict[str, tuple[str, np.ndarray]] = {}
    for key, smiles, peaks in zip(keys, spectra.smiles, spectra.peaks, strict=True):
        if key is not None:
            first.setdefault(key, (smiles, peaks))
    train = tuple(v for k, v in first.items() if k not in held)
    return train, tuple(v for k, v in first.items() if k in held)


def spectrum_smiles(nucleus: str, part: str = "train") -> list[str]:
    """The SMILES of `spectrum_records(nucleus, part)`."""
    return [smiles for smiles, _ in spectrum_records(nucleus, part)]
