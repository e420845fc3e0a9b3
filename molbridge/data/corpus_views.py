"""Views of a sharded corpus, each computed once and kept under the corpus's cache entry
(`<corpus>/views/<name>-<digest>/`): SMILES, fingerprints, a frozen encoder's embeddings, and
depictions rendered on demand. See `molbridge.data.views` for the storage."""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rdkit import Chem
from rich.progress import Progress

from molbridge.chem import parse_many
from molbridge.data.corpus import CorpusShards, single_thread_worker
from molbridge.data.spectra import molecule_key, spectrum_records
from molbridge.data.views import RenderedView, StoredView, build_view, view_key
from molbridge.featurize import (
    DescriptorFeaturizer,
    ECFPFeaturizer,
    ImageFeaturizer,
    SmilesFeaturizer,
    SpectrumFeaturizer,
)

log = logging.getLogger(__name__)
Chunk = tuple[np.ndarray, np.ndarray, np.ndarray]  # ids, rows, present


def _view_root(corpus: CorpusShards, name: str, config: dict[str, Any]) -> Path:
    return corpus.root / "views" / view_key(name, config)


def _valid_ids(corpus: CorpusShards) -> np.ndarray:
    """`[n_inputs]` bool: True for ids that have a graph."""
    valid = np.zeros(corpus.n_inputs, dtype=bool)
    for i in range(len(corpus.counts)):
        valid[corpus.shard_ids(i)] = True
    return valid


def smiles_view(corpus: CorpusShards, chunk_size: int = 100_000) -> StoredView:
    """Each molecule's input SMILES as fixed-width bytes (present where the molecule is valid)."""
    config = {"kind": "smiles"}
    root = _view_root(corpus, "smiles", config)
    if (root / "meta.json").exists():
        return StoredView.open(root)
    width = max(
        (len(s.encode()) for _, chunk in corpus.smiles_chunks(chunk_size) for s in chunk),
        default=1,
    )
    valid = _valid_ids(corpus)

    def chunks() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for ids, smiles in corpus.smiles_chunks(chunk_size):
            yield ids, np.array([s.encode() for s in smiles], dtype=f"S{width}"), valid[ids]

    return build_view(root, corpus.n_inputs, (), f"S{width}", chunks(), config)


def featurized_view(
    corpus: CorpusShards,
    name: str,
    featurize: Callable[[Chem.Mol], np.ndarray | None],
    config: dict[str, Any],
    row_shape: tuple[int, ...],
    dtype: Any,
    pack_bits: int = 0,
    chunk_size: int = 50_000,
    workers: int = 1,
    progress: bool = False,
) -> StoredView:
    """Any per-molecule featurization of the corpus, stored once: descriptors, spectra (a
    molecule without a measured spectrum gives `None` and is absent), fingerprints, depictions.

    Args:
        featurize: molecule -> one row (`row_shape`, before packing), or `None`: no such view.
            Picklable when `workers > 1`.
        config: what `featurize` is (featurizer config, source file digest): names the view.
        pack_bits: store 0/1 rows of this many bits packed 8 to a byte (0: as they are).
        workers: processes featurizing chunks side by side (worth it for slow featurizers,
            e.g. RDKit's drawing); the stored view is the same for any number.
        progress: a progress bar over the corpus's molecules.
    """
    config = {"kind": name, **config}
    root = _view_root(corpus, name, config)
    if (root / "meta.json").exists():
        return StoredView.open(root)
    stored_shape = ((pack_bits + 7) // 8,) if pack_bits else row_shape
    shape = (stored_shape, np.uint8 if pack_bits else dtype, pack_bits)

    def chunks(bar: Progress) -> Iterator[Chunk]:
        task = bar.add_task(f"{name} view", total=corpus.n_inputs)
        for ids, rows, ok in _featurized_chunks(corpus, featurize, shape, chunk_size, workers):
            bar.advance(task, len(ids))
            yield ids, rows, ok

    meta = {**config, "packed_bits": pack_bits}
    with Progress(disable=not progress) as bar:
        return build_view(root, corpus.n_inputs, stored_shape, shape[1], chunks(bar), meta)


def _featurize_chunk(
    featurize: Callable[[Chem.Mol], np.ndarray | None],
    smiles: list[str],
    shape: tuple[tuple[int, ...], Any, int],
) -> tuple[np.ndarray, np.ndarray]:
    """One chunk's rows and which are present; `shape`: (stored row shape, dtype, pack_bits)."""
    stored_shape, dtype, pack_bits = shape
    rows = np.zeros((len(smiles), *stored_shape), dtype=dtype)
    ok = np.zeros(len(smiles), dtype=bool)
    for row, mol, _ in parse_many(smiles):
        value = None if mol is None else featurize(mol)
        if value is not None:
            rows[row] = np.packbits(value.astype(np.uint8)) if pack_bits else value
            ok[row] = True
    return rows, ok


def _featurized_chunks(
    corpus: CorpusShards,
    featurize: Callable[[Chem.Mol], np.ndarray | None],
    shape: tuple[tuple[int, ...], Any, int],
    chunk_size: int,
    workers: int,
) -> Iterator[Chunk]:
    """The corpus's chunks featurized in order, by `workers` processes, at most `workers`
    chunks in flight beside the one being written (a chunk of depictions is about 120 MB)."""
    if workers <= 1:
        for ids, smiles in corpus.smiles_chunks(chunk_size):
            yield ids, *_featurize_chunk(featurize, smiles, shape)
        return
    context = multiprocessing.get_context("spawn")  # RDKit and torch are not fork-safe
    waiting: deque[tuple[np.ndarray, Future[tuple[np.ndarray, np.ndarray]]]] = deque()
    with ProcessPoolExecutor(workers, mp_context=context, initializer=single_thread_worker) as pool:
        for ids, smiles in corpus.smiles_chunks(chunk_size):
            waiting.append((ids, pool.submit(_featurize_chunk, featurize, smiles, shape)))
            if len(waiting) > workers:
                done_ids, future = waiting.popleft()
                yield done_ids, *future.result()
        while waiting:
            done_ids, future = waiting.popleft()
            yield done_ids, *future.result()


def fingerprint_view(corpus: CorpusShards, featurizer: ECFPFeaturizer) -> StoredView:
    """ECFP bits (stored packed) or counts of each valid molecule."""
    return featurized_view(
        corpus,
        "fingerprint",
        featurizer,
        {"featurizer": featurizer.to_config()},
        (featurizer.n_bits,),
        np.uint8,
        pack_bits=0 if featurizer.counts else featurizer.n_bits,
    )


def embedding_view(
    corpus: CorpusShards,
    encoder: torch.nn.Module,
    encoder_config: dict[str, Any],
    name: str = "embedding",
    source: StoredView | RenderedView | None = None,
    batch_size: int = 512,
    dtype: Any = np.float16,
) -> StoredView:
    """A frozen encoder's embedding of each molecule, computed once and kept: the per-molecule
    embedding cache of strategies whose other side never changes.

    Args:
        encoder: with `source=None`, a graph encoder (`[b, out_dim]` from a graph batch's
            tensors, e.g. a `GraphEncoder` or its inference copy); else an encoder of
            `source`'s rows (a fingerprint or descriptor MLP).
        encoder_config: what the encoder is (its config, its bundle's digest): names the view,
            so another encoder gets its own.
        source: the stored view the encoder reads; `None`: the corpus graphs.
        dtype: stored dtype (float16 halves the disk and page-cache footprint).
    """
    config = {
        "kind": "embedding",
        "encoder": encoder_config,
        "source": "graph" if source is None else source.meta,
    }
    root = _view_root(corpus, name, config)
    if (root / "meta.json").exists():
        return StoredView.open(root)
    out_dim = int(encoder.out_dim)  # type: ignore[arg-type]
    was_training = encoder.training
    encoder.eval()

    def from_graphs() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for i in range(len(corpus.counts)):
            graphs, ids = corpus.shard(i), np.asarray(corpus.shard_ids(i))
            for start in range(0, len(graphs), batch_size):
                index = np.arange(start, min(start + batch_size, len(graphs)))
                b = graphs.collate(index)
                rows = encoder(b.x, b.edge_index, b.edge_attr, b.batch, b.num_graphs)
                yield ids[index], rows.float().numpy().astype(dtype), np.ones(len(index), bool)

    def from_view(
        view: StoredView | RenderedView,
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for start in range(0, len(view), batch_size):
            ids = np.arange(start, min(start + batch_size, len(view)))
            values, present = view.lookup(ids)
            rows = np.zeros((len(ids), out_dim), dtype=dtype)
            if present.any():
                rows[present.numpy()] = encoder(values[present]).float().numpy().astype(dtype)
            yield ids, rows, present.numpy()

    chunks = from_graphs() if source is None else from_view(source)
    try:
        with torch.inference_mode():
            return build_view(root, corpus.n_inputs, (out_dim,), dtype, chunks, config)
    finally:
        encoder.train(was_training)


def image_view(
    corpus: CorpusShards, featurizer: ImageFeaturizer, cache_size: int = 4096
) -> RenderedView:
    """Depictions drawn on demand from the SMILES view, `cache_size` kept."""
    smiles = smiles_view(corpus)

    def render(text: str) -> tuple[np.ndarray, bool]:
        for _, mol, _ in parse_many([text]):
            if mol is not None:
                return featurizer(mol), True
        return np.zeros(featurizer.shape, np.uint8), False

    meta = {"kind": "image", "featurizer": featurizer.to_config()}
    return RenderedView(smiles, render, featurizer.shape, np.uint8, cache_size, meta=meta)


def stored_image_view(
    corpus: CorpusShards,
    featurizer: ImageFeaturizer,
    workers: int = 1,
    progress: bool = False,
    chunk_size: int = 10_000,
) -> StoredView:
    """Depictions drawn once per molecule and kept on disk (memory-mapped `[n, C, S, S]` uint8),
    for strategies that read every image each epoch; a molecule RDKit cannot draw is absent.
    Drawing is slow (a few hundred molecules a second a core): `workers` processes share it."""
    config = {"featurizer": featurizer.to_config()}
    return featurized_view(
        corpus,
        "image-stored",
        _Depiction(featurizer),
        config,
        featurizer.shape,
        np.uint8,
        chunk_size=chunk_size,
        workers=workers,
        progress=progress,
    )


class _Depiction:
    """Molecule -> its depiction, or `None` where RDKit cannot draw it (a drawing failure, not
    a bad molecule: logged). A class, not a closure, so worker processes can receive it."""

    def __init__(self, featurizer: ImageFeaturizer) -> None:
        self.featurizer = featurizer

    def __call__(self, mol: Chem.Mol) -> np.ndarray | None:
        try:
            return self.featurizer(mol)
        except (RuntimeError, ValueError) as err:
            log.warning("no depiction of %s: %s", Chem.MolToSmiles(mol), err)
            return None


def _spectrum_source(corpus: CorpusShards, featurizer: SpectrumFeaturizer) -> StoredView:
    """Binned spectra of the corpus molecules found among the training part of the spectra
    (found by structure; a held-out molecule that the corpus holds gets none)."""
    records = spectrum_records(featurizer.nucleus)
    binned = {}
    for row, mol, _ in parse_many([smiles for smiles, _ in records]):
        if mol is not None:
            binned[molecule_key(mol)] = featurizer(records[row][1])

    def featurize(mol: Chem.Mol) -> np.ndarray | None:
        return binned.get(molecule_key(mol))

    config = {"featurizer": featurizer.to_config(), "records": len(records), "part": "train"}
    shape = (featurizer.n_bins,)
    return featurized_view(corpus, "spectrum", featurize, config, shape, np.float32)


def input_row(featurizer: Any) -> Callable[[Chem.Mol], np.ndarray | None]:
    """Molecule -> the row a frozen encoder of `featurizer`'s modality reads, or `None` where it
    has none (a SMILES longer than the encoder reads is left out, not cut). Not for spectra,
    which come from measurements, not from the structure."""
    if isinstance(featurizer, SmilesFeaturizer):

        def smiles_row(mol: Chem.Mol) -> np.ndarray | None:
            try:
                return featurizer(mol)
            except ValueError:
                return None

        return smiles_row
    if isinstance(featurizer, DescriptorFeaturizer):
        return lambda mol: featurizer.transform(featurizer.many_mols([mol]))[0]
    if isinstance(featurizer, ImageFeaturizer | ECFPFeaturizer):
        return featurizer  # type: ignore[no-any-return]
    raise TypeError(f"no input rows from structures for {type(featurizer).__name__}")


def modality_input_view(corpus: CorpusShards, featurizer: Any) -> StoredView | RenderedView:
    """The input of a modality encoder of `featurizer`, by molecule id: token ids, normalised
    descriptors or binned spectra (stored), fingerprint bits (stored, packed), depictions
    (rendered on demand)."""
    config = {"featurizer": featurizer.to_config()}
    if isinstance(featurizer, SmilesFeaturizer):
        shape = (featurizer.max_length,)
        return featurized_view(
            corpus, "smiles-tokens", input_row(featurizer), config, shape, np.int64
        )
    if isinstance(featurizer, ImageFeaturizer):
        return image_view(corpus, featurizer)
    if isinstance(featurizer, ECFPFeaturizer):
        return fingerprint_view(corpus, featurizer)
    if isinstance(featurizer, DescriptorFeaturizer):
        shape = (featurizer.n_descriptors,)
        return featurized_view(
            corpus, "descriptors", input_row(featurizer), config, shape, np.float32
        )
    if isinstance(featurizer, SpectrumFeaturizer):
        return _spectrum_source(corpus, featurizer)
    raise TypeError(f"no corpus view for featurizer {type(featurizer).__name__}")
