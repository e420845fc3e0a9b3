"""Train/valid/test splits. One implementation serves every caller.

Each function returns three sorted int64 index arrays into the molecules it was given.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from molbridge.chem import scaffold_of_smiles

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


def tdc_scaffolds(smiles: Sequence[str]) -> list[str | None]:
    """The scaffolds TDC's split groups by: stereo-free Murcko scaffolds of the raw SMILES
    (`None` where RDKit cannot parse one). Remembered for the last few SMILES lists, since
    every seed and every model of a benchmark splits the same file again."""
    return list(_tdc_scaffolds(tuple(smiles)))


@lru_cache(maxsize=4)
def _tdc_scaffolds(smiles: tuple[str, ...]) -> tuple[str | None, ...]:
    return tuple(scaffold_of_smiles(text, include_chirality=False) for text in smiles)


def tdc_scaffold_split(
    scaffolds: Sequence[str | None], seed: int, fractions: Sequence[float] = (0.875, 0.125, 0.0)
) -> Split:
    """TDC's seeded scaffold split (`tdc.utils.split.create_scaffold_split`), which the ADMET
    benchmark group uses to make train/valid from `train_val.csv` for seeds 1-5.

    Molecules are grouped by `tdc_scaffolds` (unparsable ones, `None`, are left out of every
    part, as TDC leaves them out). Groups
    bigger than half the valid or half the test size are "big", the rest "small"; each list is
    shuffled with Python's `random.Random(seed)` (big first), and groups are assigned greedily:
    to train while it stays within `int(n * f_train)`, then to valid (within `int(n * f_valid)`
    when a test part is asked for), then to test. Only which rows land where is reproduced (the
    parts come back sorted), which is all a split means here.
    """
    frac_train, frac_valid, frac_test = _check_fractions(fractions)
    groups: dict[str, list[int]] = defaultdict(list)  # first-seen order, as TDC's dict
    for i, scaffold in enumerate(scaffolds):
        if scaffold is not None:
            groups[scaffold].append(i)
    n = sum(len(g) for g in groups.values())
    train_size = int(n * frac_train)
    valid_size = int(n * frac_valid)
    test_size = n - train_size - valid_size
    big = [g for g in groups.values() if len(g) > valid_size / 2 or len(g) > test_size / 2]
    small = [g for g in groups.values() if not (len(g) > valid_size / 2 or len(g) > test_size / 2)]
    rng = random.Random(seed)
    rng.shuffle(big)
    rng.shuffle(small)
    train: list[int] = []
    valid: list[int] = []
    test: list[int] = []
    for group in big + small:
        if len(train) + len(group) <= train_size:
            train.extend(group)
        elif frac_test == 0 or len(valid) + len(group) <= valid_size:
            valid.extend(group)
        else:
            test.extend(group)
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


def column_split(values: Sequence[object] | np.ndarray) -> Split:
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


SPLIT_METHODS = ("scaffold", "tdc-scaffold", "random", "column:NAME")


def make_split(
    method: str,
    scaffolds: Sequence[str],
    seed: int = 0,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    column: Sequence[object] | np.ndarray | None = None,
    smiles: Sequence[str] | None = None,
) -> Split:
    """Dispatch by name: `scaffold` (Hu et al.), `tdc-scaffold` (with the raw SMILES),
    `random`, or `column` (with the column's values)."""
    if method == "scaffold":
        return scaffold_split(scaffolds, fractions)
    if method == "tdc-scaffold":
        if smiles is None:
            raise ValueError("TDC's scaffold split needs the SMILES")
        return tdc_scaffold_split(tdc_scaffolds(smiles), seed, fractions)
    if method == "random":
        return random_split(len(scaffolds), fractions, seed)
    if method == "column":
        if column is None:
            raise ValueError("a column split needs the column's values")
        return column_split(column)
    raise ValueError(f"unknown split {method!r}; valid: {', '.join(SPLIT_METHODS)}")
