"""Our TDC scaffold split against PyTDC's own `get_train_valid_split` (ADMET group, seeds 1-5).

`tests/data/tdc_admet_split_digests.json` was written by `benchmarks/tdc_split_digests.py` run
with pytdc 1.1.15 on the bundled files; the live comparison runs only where `pytdc` is installed.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from molbridge.data.registry import ADMET_GROUP, get_dataset
from molbridge.data.splits import tdc_scaffold_split, tdc_scaffolds

DIGESTS = json.loads(
    (Path(__file__).parents[2] / "data" / "tdc_admet_split_digests.json").read_text()
)
SEEDS = (1, 2, 3, 4, 5)


@cache
def _train_val(name: str) -> tuple[list[str], list[str | None]]:
    smiles = pd.read_csv(get_dataset(name).train_path)["Drug"].tolist()
    return smiles, tdc_scaffolds(smiles)


def _digest(smiles: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(smiles)).encode()).hexdigest()


@pytest.mark.parametrize("name", ADMET_GROUP)
def test_split_matches_pytdc_digests(name: str) -> None:
    smiles, scaffolds = _train_val(name)
    for seed in SEEDS:
        train, valid, test = tdc_scaffold_split(scaffolds, seed)
        expected = DIGESTS[name][str(seed)]
        assert (len(train), len(valid), len(test)) == (expected["n_train"], expected["n_valid"], 0)
        assert _digest([smiles[i] for i in valid]) == expected["valid_sha256"], (name, seed)


def test_split_depends_on_the_seed_and_keeps_scaffolds_apart() -> None:
    _, scaffolds = _train_val("ames")
    splits = {seed: tdc_scaffold_split(scaffolds, seed) for seed in (1, 2)}
    assert not np.array_equal(splits[1][1], splits[2][1])
    train, valid, _ = splits[1]
    assert not {scaffolds[i] for i in train} & {scaffolds[i] for i in valid}


def test_live_against_pytdc(tmp_path: Path) -> None:
    benchmark_group = pytest.importorskip("tdc.benchmark_group")
    (tmp_path / "admet_group").symlink_to(get_dataset("caco2_wang").train_path.parents[1])
    group = benchmark_group.admet_group(path=str(tmp_path))
    for name in ADMET_GROUP:
        smiles, scaffolds = _train_val(name)
        for seed in SEEDS:
            _, theirs = group.get_train_valid_split(benchmark=name, split_type="default", seed=seed)
            _, valid, _ = tdc_scaffold_split(scaffolds, seed)
            assert sorted(smiles[i] for i in valid) == sorted(theirs["Drug"]), (name, seed)
