"""From a table of SMILES (+ labels) to featurized molecules, with an on-disk feature cache.

Molecules are parsed once, at ingestion. An invalid SMILES raises an error naming its row, or,
with `on_invalid="skip"`, is left out and reported in `MoleculeTable.skipped` — never replaced.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from rdkit import __version__ as rdkit_version
from rich.progress import track

from molbridge import __version__
from molbridge.chem import InvalidMoleculeError, Standardizer, murcko_scaffold, parse_many
from molbridge.data.packed import PackedGraphs
from molbridge.data.registry import file_sha256
from molbridge.featurize.graph import GraphFeaturizer, MolGraph
from molbridge.io.outputs import write_csv

log = logging.getLogger(__name__)

OnInvalid = Literal["raise", "skip"]
# Show a progress bar when featurizing at least this many molecules (in a terminal).
PROGRESS_FROM = 5000
# Bump when parsing or caching changes what a cache entry would hold.
CACHE_FORMAT = 3


@dataclass(frozen=True)
class SkippedRow:
    """An input row left out, and why. `row` is the 0-based data row (file line = row + 2)."""

    row: int
    smiles: str
    reason: str


@dataclass
class FeaturizedMolecules:
    """The valid molecules of a list of SMILES.

    Attributes:
        graphs: one graph per valid molecule.
        rows: `[n_valid]` index of each valid molecule in the input.
        scaffolds: `[n_valid]` Bemis–Murcko scaffold SMILES.
        errors: `(row, smiles, reason)` for each invalid input.
    """

    graphs: PackedGraphs
    rows: np.ndarray
    scaffolds: np.ndarray
    errors: list[SkippedRow] = field(default_factory=list)


@dataclass
class MoleculeTable:
    """Featurized molecules with their labels.

    Attributes:
        graphs, rows, scaffolds: as in `FeaturizedMolecules` (valid molecules only).
        y: `[n_valid, n_tasks]` float32 labels, NaN where missing.
        target_columns: the label columns, in `y`'s column order.
        smiles: `[n_valid]` the input SMILES of each valid molecule.
        skipped: invalid rows left out (only with `on_invalid="skip"`).
        extra: `[n_valid]` columns asked for by name (e.g. a split column), as strings.
    """

    graphs: PackedGraphs
    rows: np.ndarray
    scaffolds: np.ndarray
    y: np.ndarray
    target_columns: tuple[str, ...]
    smiles: np.ndarray
    skipped: list[SkippedRow]
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)


def featurize_smiles(
    smiles: list[object],
    featurizer: GraphFeaturizer,
    standardizer: Standardizer | None = None,
    scaffolds: bool = True,
    progress: bool = True,
) -> FeaturizedMolecules:
    """Parse, standardise and featurize each SMILES; invalid ones are collected in `errors`.

    `scaffolds=False` leaves the scaffold column empty (pre-training corpora do not need it).
    """
    graphs: list[MolGraph] = []
    rows: list[int] = []
    scaffold_list: list[str] = []
    errors: list[SkippedRow] = []
    parsed: Iterable[tuple[int, Any, str | None]] = parse_many(smiles, standardizer)
    if progress and len(smiles) >= PROGRESS_FROM and sys.stderr.isatty():
        parsed = track(parsed, total=len(smiles), description="featurizing", transient=True)
    for row, mol, error in parsed:
        if mol is None:
            errors.append(SkippedRow(row, _as_text(smiles[row]), error or "invalid"))
            continue
        graphs.append(featurizer(mol))
        rows.append(row)
        scaffold_list.append(murcko_scaffold(mol) if scaffolds else "")
    packed = PackedGraphs.from_graphs(
        graphs, len(featurizer.atom_features), len(featurizer.bond_features)
    )
    return FeaturizedMolecules(
        packed, np.asarray(rows, np.int64), np.asarray(scaffold_list, dtype=object), errors
    )


def default_cache_dir() -> Path:
    """`$MOLBRIDGE_CACHE_DIR`, else `~/.cache/molbridge`."""
    env = os.environ.get("MOLBRIDGE_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "molbridge"


def _cache_key(
    file_digest: str,
    smiles_column: str,
    featurizer: GraphFeaturizer,
    standardizer: Standardizer | None,
) -> str:
    payload = json.dumps(
        {
            "file": file_digest,
            "smiles_column": smiles_column,
            "featurizer": featurizer.to_config(),
            "standardizer": None if standardizer is None else standardizer.to_config(),
            "cache_format": CACHE_FORMAT,
            "rdkit": rdkit_version,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def featurize_file_cached(
    path: Path,
    smiles: list[object],
    smiles_column: str,
    featurizer: GraphFeaturizer,
    standardizer: Standardizer | None = None,
    cache_dir: Path | None = None,
) -> FeaturizedMolecules:
    """`featurize_smiles`, cached on disk by the file's sha256 and the featurizer config.

    A cache hit does no RDKit work. Entries are written to a temporary folder and renamed into
    place, so a crash never leaves a half-written entry.
    """
    cache_root = (cache_dir or default_cache_dir()) / "graphs"
    key = _cache_key(file_sha256(path), smiles_column, featurizer, standardizer)
    entry = cache_root / key
    if (entry / "meta.json").exists():
        meta = json.loads((entry / "meta.json").read_text())
        if meta.get("n_inputs") == len(smiles):
            log.debug("feature cache hit for %s (%s)", path, entry)
            return FeaturizedMolecules(
                PackedGraphs.load(entry),
                np.load(entry / "rows.npy"),
                np.asarray(meta["scaffolds"], dtype=object),
                [SkippedRow(**e) for e in meta["errors"]],
            )
    result = featurize_smiles(smiles, featurizer, standardizer)
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=cache_root))
    try:
        result.graphs.save(staging)
        np.save(staging / "rows.npy", result.rows)
        meta = {
            "source": str(path),
            "n_inputs": len(smiles),
            "molbridge": __version__,
            "featurizer": featurizer.to_config(),
            "scaffolds": [str(s) for s in result.scaffolds],
            "errors": [e.__dict__ for e in result.errors],
        }
        (staging / "meta.json").write_text(json.dumps(meta))
        if entry.exists():
            shutil.rmtree(entry)
        staging.rename(entry)
    except OSError as err:  # a read-only or full disk costs speed, not correctness
        log.warning("could not write feature cache %s: %s", entry, err)
        shutil.rmtree(staging, ignore_errors=True)
    return result


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a CSV (optionally gzipped) keeping every cell as written: no NA guessing on SMILES."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    # skip_blank_lines=False: a blank line is a row (with an empty SMILES), so row numbers and
    # the one-output-row-per-input-row promise hold for files with empty lines.
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], skip_blank_lines=False)


def load_table(
    path: Path | str,
    smiles_column: str,
    target_columns: list[str] | tuple[str, ...] | None,
    featurizer: GraphFeaturizer,
    on_invalid: OnInvalid = "raise",
    standardizer: Standardizer | None = None,
    cache_dir: Path | None = None,
    extra_columns: tuple[str, ...] = (),
    require_targets: bool = True,
) -> MoleculeTable:
    """Load a CSV of SMILES and labels into a `MoleculeTable`.

    Args:
        target_columns: label columns; `None` means every column except the SMILES column.
        on_invalid: `"raise"` stops at the first invalid SMILES with its row; `"skip"` leaves
            invalid rows out and lists them in `skipped`.
        extra_columns: further columns carried along as strings (e.g. a split column).
        require_targets: when False, a missing target column is an error only if named.

    Raises:
        InvalidMoleculeError: on an invalid SMILES with `on_invalid="raise"`.
        ValueError: a named column is missing, or a label is not a number.
    """
    path = Path(path)
    frame = read_table(path)
    if smiles_column not in frame.columns:
        raise ValueError(
            f"{path}: no SMILES column {smiles_column!r}; columns are {list(frame.columns)}"
        )
    if target_columns is None:
        target_columns = [c for c in frame.columns if c != smiles_column and c not in extra_columns]
    missing = [c for c in (*target_columns, *extra_columns) if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}; columns are {list(frame.columns)}")
    if require_targets and not target_columns:
        raise ValueError(f"{path}: no target columns")
    labels = _parse_labels(frame, list(target_columns), path)
    smiles = frame[smiles_column].tolist()
    featurized = featurize_file_cached(
        path, smiles, smiles_column, featurizer, standardizer, cache_dir
    )
    if featurized.errors:
        if on_invalid == "raise":
            first = featurized.errors[0]
            raise InvalidMoleculeError(
                first.row,
                first.smiles,
                f"{first.reason} (file {path}, line {first.row + 2}; "
                f"{len(featurized.errors)} invalid rows in all; "
                "use --on-invalid skip to leave them out and list them)",
            )
        log.warning("%s: skipped %d invalid rows", path, len(featurized.errors))
    rows = featurized.rows
    return MoleculeTable(
        graphs=featurized.graphs,
        rows=rows,
        scaffolds=featurized.scaffolds,
        y=labels[rows],
        target_columns=tuple(target_columns),
        smiles=np.asarray(smiles, dtype=object)[rows],
        skipped=list(featurized.errors),
        extra={c: frame[c].to_numpy(dtype=object)[rows] for c in extra_columns},
    )


def _parse_labels(frame: pd.DataFrame, columns: list[str], path: Path) -> np.ndarray:
    """Labels as float32 with NaN for empty cells; a non-numeric or infinite cell raises naming
    its row."""
    out = np.full((len(frame), len(columns)), np.nan, dtype=np.float32)
    for j, column in enumerate(columns):
        text = frame[column].str.strip()
        values = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = values.isna() & (text != "")
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(
                f"{path}: row {row} (line {row + 2}), column {column!r}: "
                f"label {frame[column].iloc[row]!r} is not a number"
            )
        with np.errstate(over="ignore"):
            column_values = values.to_numpy(dtype=np.float64).astype(np.float32)
        # inf, -inf, 1e999, or a value too large for float32: a loss of NaN, not a label
        infinite = np.isinf(column_values)
        if infinite.any():
            row = int(np.flatnonzero(infinite)[0])
            raise ValueError(
                f"{path}: row {row} (line {row + 2}), column {column!r}: "
                f"label {frame[column].iloc[row]!r} is not a finite number "
                f"({int(infinite.sum())} such labels in the column)"
            )
        out[:, j] = column_values
    return out


def write_skipped(skipped: list[tuple[str, SkippedRow]], path: Path) -> None:
    """Write `(file, skipped row)` pairs as a CSV: `file, row, line, smiles, reason`."""
    frame = pd.DataFrame(
        [
            {"file": f, "row": s.row, "line": s.row + 2, "smiles": s.smiles, "reason": s.reason}
            for f, s in skipped
        ],
        columns=["file", "row", "line", "smiles", "reason"],
    )
    write_csv(frame, path)


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else ""
