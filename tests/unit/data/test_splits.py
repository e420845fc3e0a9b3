import numpy as np
import pytest

from molbridge.data.splits import column_split, make_split, random_split, scaffold_split


def _scaffolds(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    # skewed scaffold sizes like real data: a few big families, many singletons
    return [f"s{int(k)}" for k in rng.zipf(1.6, size=n) % 97]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scaffold_split_is_disjoint_complete_and_deterministic(seed: int) -> None:
    scaffolds = _scaffolds(500, seed)
    train, valid, test = scaffold_split(scaffolds)
    assert len(train) + len(valid) + len(test) == 500
    assert len(np.unique(np.concatenate([train, valid, test]))) == 500
    parts = [{scaffolds[i] for i in part} for part in (train, valid, test)]
    assert not parts[0] & parts[1] and not parts[0] & parts[2] and not parts[1] & parts[2]
    assert len(train) <= 0.8 * 500
    again = scaffold_split(list(scaffolds))
    assert all(np.array_equal(a, b) for a, b in zip((train, valid, test), again, strict=True))


def test_scaffold_split_puts_biggest_families_in_train() -> None:
    scaffolds = ["big"] * 50 + ["mid"] * 20 + [f"single{i}" for i in range(30)]
    train, valid, test = scaffold_split(scaffolds)
    assert set(range(50)) <= set(train.tolist())
    assert set(range(50, 70)) <= set(train.tolist())
    assert len(valid) == 10 and len(test) == 10


def test_scaffold_split_ties_follow_hu_et_al() -> None:
    # pretrain-gnns sorts by (size, first index) in reverse: among equal sizes, the set that
    # appears later in the file goes first
    scaffolds = ["b", "a", "b", "a", "c"]
    assert [p.tolist() for p in scaffold_split(scaffolds, (0.4, 0.4, 0.2))] == [[1, 3], [0, 2], [4]]


def test_random_split_is_seeded() -> None:
    a = random_split(100, seed=3)
    b = random_split(100, seed=3)
    c = random_split(100, seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])
    assert [len(p) for p in a] == [80, 10, 10]


def test_column_split_and_errors() -> None:
    train, valid, test = column_split(["train", "val", "test", "Train", "valid "])
    assert train.tolist() == [0, 3] and valid.tolist() == [1, 4] and test.tolist() == [2]
    with pytest.raises(ValueError, match="row 1"):
        column_split(["train", "holdout"])
    with pytest.raises(ValueError, match="unknown split"):
        make_split("stratified", ["a"])
    with pytest.raises(ValueError, match="fractions"):
        scaffold_split(["a"], (0.5, 0.5, 0.5))
