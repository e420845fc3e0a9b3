import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from molbridge.data.corpus import ShardStream, build_corpus, corpus_path

BBBP_TINY = Path(__file__).parents[2] / "data" / "bbbp_tiny.csv"


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    smiles = pd.read_csv(BBBP_TINY)["smiles"].tolist()[:140]
    smiles[7], smiles[100] = "C1CC", "not a smiles"  # two invalid rows
    path = tmp_path_factory.mktemp("corpus") / "corpus.csv"
    pd.DataFrame({"SMILES": smiles}).to_csv(path, index=False)
    return path


def test_build_shards_skips_and_reports_invalid_rows(corpus_file: Path, tmp_path: Path) -> None:
    corpus = build_corpus(corpus_file, cache_dir=tmp_path, shard_size=50, progress=False)
    assert corpus.counts == (49, 50, 39) and corpus.n_inputs == 140 and len(corpus) == 138
    skipped = pd.read_csv(corpus.root / "skipped.csv")
    assert skipped["row"].tolist() == [7, 100]
    assert np.load(corpus.root / "shard_00002" / "rows.npy")[0] == 100 + 1  # global row numbers
    assert corpus.shard(1).x.dtype == np.uint8 and len(corpus.shard(1)) == 50
    limited = build_corpus(
        corpus_file, cache_dir=tmp_path, shard_size=50, max_molecules=60, progress=False
    )
    assert limited.n_inputs == 60 and limited.counts == (49, 10)


def test_rebuild_reuses_finished_shards(corpus_file: Path, tmp_path: Path) -> None:
    corpus = build_corpus(corpus_file, cache_dir=tmp_path, shard_size=50, progress=False)
    stamps = {p.name: p.stat().st_mtime_ns for p in corpus.root.glob("shard_*")}
    again = build_corpus(corpus_file, cache_dir=tmp_path, shard_size=50, progress=False)
    assert again == corpus
    # an interrupted build: no meta, one shard missing -> only that shard is made again
    (corpus.root / "meta.json").unlink()
    import shutil

    shutil.rmtree(corpus.root / "shard_00001")
    rebuilt = build_corpus(corpus_file, cache_dir=tmp_path, shard_size=50, progress=False)
    assert rebuilt.counts == corpus.counts
    assert (corpus.root / "shard_00000").stat().st_mtime_ns == stamps["shard_00000"]
    assert (corpus.root / "shard_00001").stat().st_mtime_ns != stamps["shard_00001"]


def _seen(stream: ShardStream) -> list[tuple[int, int]]:
    """(number of atoms, first atom's features) per molecule: enough to tell molecules apart."""
    out = []
    for batch in stream:
        counts = np.bincount(batch.batch.numpy(), minlength=batch.num_graphs)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        out += [(int(c), int(batch.x[s].sum())) for c, s in zip(counts, starts, strict=True)]
    return out


def test_stream_visits_each_molecule_at_most_once_and_ranks_stay_in_step(
    corpus_file: Path, tmp_path: Path
) -> None:
    corpus = build_corpus(corpus_file, cache_dir=tmp_path, shard_size=50, progress=False)
    stream = ShardStream(corpus, batch_size=16, seed=0)
    batches = list(stream)
    assert len(batches) == stream.steps_per_epoch == 138 // 16
    assert all(b.num_graphs == 16 for b in batches)
    first = _seen(stream)
    stream.set_epoch(1)
    assert _seen(stream) != first  # another order
    ranks = [ShardStream(corpus, 16, seed=0, rank=r, world_size=2) for r in range(2)]
    assert len(list(ranks[0])) == len(list(ranks[1])) == ranks[0].steps_per_epoch
    with pytest.raises(ValueError, match="shards"):
        ShardStream(corpus, 16, world_size=4)


@pytest.mark.skipif(importlib.util.find_spec("moses") is None, reason="molsets not installed")
def test_moses_corpus_file_is_found() -> None:
    path = corpus_path("moses")
    assert path.name == "train.csv.gz" and pd.read_csv(path, nrows=2).columns.tolist() == ["SMILES"]
    with pytest.raises(FileNotFoundError, match="moses"):
        corpus_path("no-such-corpus.csv")


def test_parallel_build_equals_serial_build(corpus_file: Path, tmp_path: Path) -> None:
    serial = build_corpus(corpus_file, cache_dir=tmp_path / "a", shard_size=50, progress=False)
    parallel = build_corpus(
        corpus_file, cache_dir=tmp_path / "b", shard_size=50, workers=2, progress=False
    )
    assert parallel.counts == serial.counts and parallel.n_inputs == serial.n_inputs
    for i in range(len(serial.counts)):
        assert np.array_equal(parallel.shard(i).x, serial.shard(i).x)
        assert np.array_equal(parallel.shard(i).edge_index, serial.shard(i).edge_index)
    assert (parallel.root / "skipped.csv").read_text() == (serial.root / "skipped.csv").read_text()
