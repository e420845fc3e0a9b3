"""Pre-training corpora: featurized once into memory-mapped shards, then streamed batch by batch.

A corpus is MOSES (`moses`: 1,584,663 SMILES from ZINC, read from the `molsets` package's data
file, the package never imported) or any CSV / `.smi` file of SMILES. `build_corpus` featurizes
it in shards of `shard_size` molecules (each a `PackedGraphs` folder, written atomically, so an
interrupted build resumes at the first missing shard; shards are built in parallel processes).
`ShardStream` iterates over the shards memory-mapped, one shard at a time, so resident memory
does not grow with the corpus. With several ranks (DDP) each rank streams its own shards.

Written by hand (the sharded store and its stream): PyG's `OnDiskDataset` keeps one Python
object per molecule on the hot path, and WebDataset / Lightning's `StreamingDataset` bring
formats and services this project does not need.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import multiprocessing
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from rdkit import __version__ as rdkit_version
from rich.progress import Progress, TaskID
from torch.utils.data import IterableDataset, get_worker_info

from molbridge import __version__
from molbridge.data.batch import MultiViewBatch
from molbridge.data.packed import GraphBatch, PackedGraphs
from molbridge.data.registry import file_sha256
from molbridge.data.table import default_cache_dir, featurize_smiles
from molbridge.data.views import ViewJoin
from molbridge.featurize.graph import GraphFeaturizer

log = logging.getLogger(__name__)

MOSES = "moses"
CORPUS_FORMAT = 1
_MOSES_FILE = ("dataset", "data", "train.csv.gz")


def corpus_path(source: str | Path) -> Path:
    """The file behind a corpus name: `moses`, or a path to a CSV / `.smi` file."""
    if str(source) == MOSES:
        spec = importlib.util.find_spec("moses")
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(
                "the MOSES corpus is not installed: pip install --no-deps molsets==0.3.1"
            )
        return Path(spec.submodule_search_locations[0]).joinpath(*_MOSES_FILE)
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"corpus {source!r}: no such file (or use --corpus moses)")
    return path


def _read_chunks(
    path: Path, smiles_column: str | None, chunk_size: int, limit: int | None
) -> Iterator[list[str]]:
    """SMILES in chunks of `chunk_size`, at most `limit` in all; `.smi`: first field per line."""
    if path.name.endswith((".smi", ".smi.gz", ".txt")):
        reader = pd.read_csv(
            path,
            sep=r"\s+",
            header=None,
            usecols=[0],
            names=["smiles"],
            dtype=str,
            chunksize=chunk_size,
            keep_default_na=False,
        )
        column = "smiles"
    else:
        reader = pd.read_csv(path, dtype=str, chunksize=chunk_size, keep_default_na=False)
        column = smiles_column or ""
    seen = 0
    for frame in reader:
        if not column:
            candidates = [c for c in frame.columns if c.lower() == "smiles"]
            if not candidates:
                raise ValueError(
                    f"{path}: no SMILES column among {list(frame.columns)}; "
                    "name it with --smiles-column"
                )
            column = candidates[0]
        if column not in frame.columns:
            raise ValueError(f"{path}: no column {column!r}; columns are {list(frame.columns)}")
        smiles = frame[column].tolist()
        if limit is not None:
            smiles = smiles[: max(0, limit - seen)]
        if not smiles:
            return
        seen += len(smiles)
        yield smiles


def read_smiles(
    source: str | Path, smiles_column: str | None = None, max_molecules: int | None = None
) -> list[str]:
    """All SMILES of a corpus (`moses` or a CSV / `.smi` file), the first `max_molecules` only
    if given; for the modality encoders' pre-training, whose corpora fit in memory."""
    path = corpus_path(source)
    return [s for chunk in _read_chunks(path, smiles_column, 100_000, max_molecules) for s in chunk]


def moses_test_sample(n: int, seed: int = 0) -> list[str]:
    """A seeded sample of `n` SMILES of the MOSES test set (176,074 molecules that no
    pre-training here reads), in file order: held-out molecules for the analyses of encoders."""
    test = corpus_path("moses").with_name("test.csv.gz")
    smiles = pd.read_csv(test)["SMILES"].astype(str).tolist()
    if not 0 < n <= len(smiles):
        raise ValueError(f"n must be in 1..{len(smiles)}, got {n}")
    rng = np.random.default_rng(seed)
    return [smiles[i] for i in sorted(rng.choice(len(smiles), n, replace=False))]


@dataclass(frozen=True)
class CorpusShards:
    """A featurized corpus on disk.

    Attributes:
        root: the cache entry (shards `shard_00000/`, ..., `meta.json`, `skipped.csv`).
        counts: molecules per shard.
        featurizer: the configuration the graphs were made with.
        n_inputs: SMILES read; `n_inputs - len(self)` were invalid (listed in `skipped.csv`).
    """

    root: Path
    counts: tuple[int, ...]
    featurizer: dict[str, object]
    n_inputs: int

    def __len__(self) -> int:
        return sum(self.counts)

    def shard(self, i: int) -> PackedGraphs:
        """Shard `i`, memory-mapped (nothing is read until a batch touches it)."""
        return PackedGraphs.load(self.root / f"shard_{i:05d}", mmap=True)

    def shard_ids(self, i: int) -> np.ndarray:
        """`[count]` molecule ids of shard `i`: each graph's row in the corpus input, stable for
        a corpus (other views of the molecules are keyed by it)."""
        return np.load(self.root / f"shard_{i:05d}" / "rows.npy", mmap_mode="r")

    def smiles_chunks(self, chunk_size: int = 100_000) -> Iterator[tuple[np.ndarray, list[str]]]:
        """`(ids, smiles)` of every input row, in order (invalid rows included: their ids have
        no graph), re-read from the corpus file."""
        meta = json.loads((self.root / "meta.json").read_text())
        chunks = _read_chunks(
            Path(meta["source"]), meta.get("smiles_column"), chunk_size, self.n_inputs
        )
        start = 0
        for chunk in chunks:
            yield np.arange(start, start + len(chunk)), chunk
            start += len(chunk)


def _corpus_key(
    digest: str,
    featurizer: GraphFeaturizer,
    shard_size: int,
    max_molecules: int | None,
    smiles_column: str | None,
) -> str:
    payload = {
        "file": digest,
        "featurizer": featurizer.to_config(),
        "shard_size": shard_size,
        "max_molecules": max_molecules,
        "smiles_column": smiles_column,
        "format": CORPUS_FORMAT,
        "rdkit": rdkit_version,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def _build_shard(
    smiles: Sequence[str], first_row: int, featurizer_config: dict[str, object], target: Path
) -> tuple[int, list[tuple[int, str, str]]]:
    """Featurize one shard into `target` (atomically); returns its size and invalid rows."""
    featurizer = GraphFeaturizer.from_config(featurizer_config)
    result = featurize_smiles(list(smiles), featurizer, scaffolds=False, progress=False)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    result.graphs.save(staging)
    np.save(staging / "rows.npy", result.rows + first_row)
    errors = [(e.row + first_row, e.smiles, e.reason) for e in result.errors]
    (staging / "skipped.json").write_text(json.dumps(errors))
    staging.rename(target)
    return len(result.graphs), errors


def single_thread_worker() -> None:
    """A worker process's initializer: one torch thread, so workers do not oversubscribe."""
    torch.set_num_threads(1)


def _build_in_parallel(
    chunks: Iterator[list[str]],
    entry: Path,
    config: dict[str, object],
    workers: int,
    bar: Progress,
    task: TaskID,
) -> tuple[int, int]:
    """Shards built by `workers` processes, at most `workers` chunks of SMILES waiting."""
    context = multiprocessing.get_context("spawn")
    futures: list[Future[tuple[int, list[tuple[int, str, str]]]] | None] = []
    n_inputs = 0

    def done() -> int:
        return sum(1 for f in futures if f is None or f.done())

    with ProcessPoolExecutor(workers, mp_context=context, initializer=single_thread_worker) as pool:
        for i, chunk in enumerate(chunks):
            target = entry / f"shard_{i:05d}"
            if target.exists():  # finished by an interrupted earlier build
                futures.append(None)
            else:
                futures.append(pool.submit(_build_shard, chunk, n_inputs, config, target))
            n_inputs += len(chunk)
            while len(futures) - done() > workers:
                next(f for f in futures if f is not None and not f.done()).result()
                bar.update(task, completed=done())
        for future in futures:
            if future is not None:
                future.result()
            bar.update(task, completed=done())
    return n_inputs, len(futures)


def build_corpus(
    source: str | Path,
    featurizer: GraphFeaturizer | None = None,
    cache_dir: Path | None = None,
    shard_size: int = 100_000,
    max_molecules: int | None = None,
    smiles_column: str | None = None,
    workers: int = 1,
    progress: bool = True,
) -> CorpusShards:
    """Featurize a corpus into shards once (a later call with the same inputs reuses them).

    Invalid SMILES are skipped and listed with their row and reason in `skipped.csv` of the
    entry (a pre-training corpus is not a user's table: one bad row should not stop it).
    """
    featurizer = featurizer or GraphFeaturizer()
    path = corpus_path(source)
    key = _corpus_key(file_sha256(path), featurizer, shard_size, max_molecules, smiles_column)
    entry = (cache_dir or default_cache_dir()) / "corpus" / key
    meta_path = entry / "meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        return CorpusShards(entry, tuple(meta["counts"]), meta["featurizer"], meta["n_inputs"])
    entry.mkdir(parents=True, exist_ok=True)
    config = featurizer.to_config()
    chunks = _read_chunks(path, smiles_column, shard_size, max_molecules)
    n_inputs = 0
    with Progress(disable=not progress) as bar:
        task = bar.add_task(f"featurizing {path.name} in shards of {shard_size}", total=None)
        if workers <= 1:
            n_shards = 0
            for i, chunk in enumerate(chunks):
                target = entry / f"shard_{i:05d}"
                if not target.exists():  # else finished by an interrupted earlier build
                    _build_shard(chunk, n_inputs, config, target)
                n_inputs += len(chunk)
                n_shards = i + 1
                bar.update(task, completed=n_shards)
        else:
            n_inputs, n_shards = _build_in_parallel(chunks, entry, config, workers, bar, task)
    counts, skipped = [], []
    for i in range(n_shards):
        shard = entry / f"shard_{i:05d}"
        counts.append(len(np.load(shard / "atom_ptr.npy", mmap_mode="r")) - 1)
        skipped += json.loads((shard / "skipped.json").read_text())
    pd.DataFrame(skipped, columns=["row", "smiles", "reason"]).to_csv(
        entry / "skipped.csv", index=False
    )
    if skipped:
        log.warning(
            "%s: %d invalid SMILES skipped, listed in %s", path, len(skipped), entry / "skipped.csv"
        )
    meta = {
        "source": str(path),
        "n_inputs": n_inputs,
        "counts": counts,
        "featurizer": config,
        "molbridge": __version__,
        "shard_size": shard_size,
        "smiles_column": smiles_column,
    }
    meta_path.write_text(json.dumps(meta))
    return CorpusShards(entry, tuple(counts), config, n_inputs)


class ShardStream(IterableDataset):
    """Batches of a sharded corpus, shard by shard, each shard memory-mapped.

    Every epoch visits the shards in a seeded random order and each shard's molecules in a
    seeded random order. Shards are dealt out to ranks (`rank::world_size`), then to data-loader
    workers; every rank yields exactly `steps_per_epoch` batches (wrapping round its shards if it
    must), so DDP ranks stay in step. Call `set_epoch` before each epoch (Lightning does not).
    """

    def __init__(
        self,
        corpus: CorpusShards,
        batch_size: int,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        views: ViewJoin | None = None,
    ) -> None:
        super().__init__()
        self.views = views
        if world_size > len(corpus.counts):
            raise ValueError(
                f"{world_size} ranks need at least as many shards; the corpus has "
                f"{len(corpus.counts)} (build it with a smaller shard size)"
            )
        self.corpus, self.batch_size, self.seed = corpus, batch_size, seed
        self.rank, self.world_size = rank, world_size
        self.epoch = 0
        self._skip = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def skip_batches(self, n: int) -> None:
        """Let the next pass over this epoch leave out its first `n` batches (a resume)."""
        self._skip = max(0, n)

    @property
    def steps_per_epoch(self) -> int:
        """Batches each rank yields per epoch (the smallest rank's full batches, at least 1)."""
        per_rank = [
            sum(self.corpus.counts[i] for i in range(r, len(self.corpus.counts), self.world_size))
            for r in range(self.world_size)
        ]
        return max(1, min(per_rank) // self.batch_size)

    def _my_shards(self, rng: np.random.Generator) -> list[int]:
        order = rng.permutation(len(self.corpus.counts))
        return [int(i) for i in order[self.rank :: self.world_size]]

    def __iter__(self) -> Iterator[GraphBatch | MultiViewBatch]:
        rng = np.random.default_rng([self.seed, self.epoch])
        shards = self._my_shards(rng)
        steps = self.steps_per_epoch
        worker = get_worker_info()
        n_workers, worker_id = (1, 0) if worker is None else (worker.num_workers, worker.id)
        produced = 0
        skip, self._skip = self._skip, 0
        while produced < steps:
            before = produced
            for shard_id in shards:
                graphs = self.corpus.shard(shard_id)
                order = rng.permutation(len(graphs))
                ids = self.corpus.shard_ids(shard_id)
                for start in range(0, len(order) - self.batch_size + 1, self.batch_size):
                    if produced >= steps:
                        return
                    if produced >= skip and produced % n_workers == worker_id:
                        batch = graphs.collate(order[start : start + self.batch_size], ids=ids)
                        yield batch if self.views is None else self.views.join(batch)
                    produced += 1
                del graphs, ids  # unmap before the next shard
                if self.views is not None:
                    self.views.release()  # and the views' window of this shard
            if produced == before:
                raise ValueError(
                    f"batch size {self.batch_size} is larger than every shard of rank {self.rank}"
                )

    def __len__(self) -> int:
        return self.steps_per_epoch
