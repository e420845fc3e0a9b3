"""Train/valid/test splits. One implementation serves every caller.

Each function returns three sorted int64 index arrays into the molecules it was given.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

Split = tuple[np.ndarray, np.ndarray, np.ndarray]


def _check_fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(
            f"split fractions must be three non-negative numbers summing to 1, got {fractions}"
        )
    return float(fractions[0]), float(fractions[1]), float(fractions[2])


def _as_split(train: list[int], valid: list[int], test: list[int]) -> Split:
    return tuple(np.sort(np.asarray(part, dtype=np.int64)) for part in (train, valid, test))  # type: ignore[return-value]


def scaffold_split(scaffolds: Sequence[str], fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> Split:
    """Deterministic Bemis–Murcko scaffold split of Hu et al. 2020.

    Scaffold sets are sorted by (size, first index), descending, as pretrain-gnns does, and assigned
    greedily: to train while it stays within its fraction, else to valid while train + valid stay
    within theirs, else to test. No scaffold is shared between parts.
    """
    frac_train, frac_valid, _ = _check_fractions(fractions)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, scaffold in enumerate(scaffolds):
        groups[scaffold].append(i)
    ordered = sorted(groups.values(), key=lambda g: (len(g), g[0]), reverse=True)
    n = len(scaffolds)
    train_cutoff, valid_cutoff = frac_train * n, (frac_train + frac_valid) * n
    train: list[int] = []
    valid: list[int] = []
    test: list[int] = []
    for group in ordered:
        if len(train) + len(group) > train_cutoff:
            if len(train) + len(valid) + len(group) > valid_cutoff:
                test.extend(group)
            else:
                valid.extend(group)
        else:
            train.extend(group)
    return _as_split(train, valid, test)


def random_split(n: int, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> Split:
    """Uniformly random split of `n` items, reproducible from `seed`."""
    frac_train, frac_valid, _ = _check_fractions(fractions)
    order = np.random.default_rng(seed).permutation(n)
    n_train, n_valid = round(frac_train * n), round(frac_valid * n)
    return _as_split(
        order[:n_train].tolist(),
        order[n_train : n_train + n_valid].tolist(),
        order[n_train + n_valid :].tolist(),
    )


_PART_NAMES = {"train": 0, "valid": 1, "val": 1, "validation": 1, "test": 2}


def column_split(values: Sequence[object]) -> Split:
    """Split given by a column whose cells say `train`, `valid` (or `val`) or `test`."""
    parts: list[list[int]] = [[], [], []]
    for i, value in enumerate(values):
        key = str(value).strip().lower()
        if key not in _PART_NAMES:
            raise ValueError(
                f"row {i}: split value {value!r} is not one of train, valid, val, test"
            )
        parts[_PART_NAMES[key]].append(i)
    return _as_split(*parts)


def make_split(
    method: str,
    scaffolds: Sequence[str],
    seed: int = 0,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    column: Sequence[object] | None = None,
) -> Split:
    """Dispatch by name: `scaffold`, `random`, or `column` (with the column's values)."""
    if method == "scaffold":
        return scaffold_split(scaffolds, fractions)
    if method == "random":
        return random_split(len(scaffolds), fractions, seed)
    if method == "column":
        if column is None:
            raise ValueError("a column split needs the column's values")
        return column_split(column)
    raise ValueError(f"unknown split {method!r}; valid: scaffold, random, column:NAME")
