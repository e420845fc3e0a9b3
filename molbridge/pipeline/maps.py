"""`embed --plot`: the map of a file's embeddings, coloured by one of its columns or by each
molecule's scaffold."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from molbridge.chem.scaffold import scaffold_of_smiles
from molbridge.data.table import read_table
from molbridge.io.outputs import check_output_file
from molbridge.report.embedding_map import plot_embedding_maps

SCAFFOLD = "scaffold"


def labels_of(
    data: Path | str, smiles_column: str, color_by: str | None, rows: np.ndarray
) -> list[object] | None:
    """The labels of the molecules `rows` of `data`: a column's values, or with `scaffold` each
    molecule's Bemis–Murcko scaffold (no stereo, as the TDC scaffold split groups)."""
    if color_by is None:
        return None
    frame = read_table(data).iloc[rows]
    if color_by == SCAFFOLD and SCAFFOLD not in frame.columns:
        return [scaffold_of_smiles(str(s)) or "" for s in frame[smiles_column]]
    if color_by not in frame.columns:
        raise ValueError(
            f"--color-by {color_by!r}: no such column; columns are {list(frame.columns)} "
            f"(or {SCAFFOLD!r})"
        )
    return list(frame[color_by])


def plot_file_map(
    embeddings: np.ndarray,
    errors: list[str],
    data: Path | str,
    smiles_column: str,
    path: Path | str,
    color_by: str | None = None,
    name: str = "",
) -> Path:
    """The embeddings of the valid rows (`errors` empty) mapped in 2-D at `path`."""
    path = check_output_file(path, inputs=(data,))
    rows = np.array([i for i, e in enumerate(errors) if not e], dtype=np.int64)
    labels = labels_of(data, smiles_column, color_by, rows)
    return plot_embedding_maps(
        {name or "embeddings": embeddings[rows]}, path, labels, color_by or ""
    )
