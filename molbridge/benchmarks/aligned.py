"""An ACML encoder's two sides for one modality, as the cross-modal benchmarks (retrieval,
isomers) read them: the frozen modality encoder it was trained against (found through the
bundle, checked by its weights' digest) with the bundle's modality head, and the graph encoder
with the bundle's graph head; and the same two sides untrained (a randomly initialised graph
encoder and random heads, seed 0) against the same frozen embeddings, the baseline row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from molbridge.data.table import featurize_smiles
from molbridge.featurize import GraphFeaturizer
from molbridge.io import CheckpointError, load_bundle
from molbridge.nn.projection import ProjectionHead, ProjectionHeadConfig
from molbridge.pipeline.embeddings import (
    Embedder,
    GraphEmbedder,
    random_encoder,
    resolve_embedder,
    state_digest,
)
from molbridge.pipeline.modality import load_modality_encoder
from molbridge.pipeline.models import encoder_from_bundle, init_encoder_config, load_parts

UNTRAINED = "untrained"


@torch.no_grad()
def apply(module: nn.Module, rows: torch.Tensor, batch: int = 256) -> torch.Tensor:
    """`module` in eval mode over `rows` in batches, float32."""
    module.eval()
    return torch.cat([module(rows[i : i + batch]).float() for i in range(0, len(rows), batch)])


def acml_inputs(path: Path | str) -> dict[str, dict[str, Any]]:
    """The frozen encoders an ACML `encoder.ckpt` was trained against, by modality.

    Raises:
        CheckpointError: not an ACML encoder.
    """
    bundle = load_bundle(path)
    inputs = bundle.extra.get("inputs") or {}
    if bundle.extra.get("strategy", {}).get("name") != "acml" or not inputs:
        raise CheckpointError(f"{path} is not an ACML encoder (pretrain --strategy acml)")
    return dict(inputs)


def frozen_encoder(path: Path | str, modality: str, override: str | None = None) -> Any:
    """(featurizer, encoder) of `modality` the ACML encoder `path` was trained against.

    Raises:
        CheckpointError: it was not trained against one, the file is missing, or the given
            file holds other weights.
    """
    recorded = acml_inputs(path).get(modality)
    if recorded is None:
        raise CheckpointError(f"{path} was not trained against a {modality} encoder")
    source = override or recorded["path"]
    if not Path(source).exists():
        raise CheckpointError(
            f"the {modality} encoder {path} was trained against, {source}, is not here: give "
            f"it with --input {modality}=PATH"
        )
    featurizer, encoder = load_modality_encoder(source)
    if state_digest(encoder) != recorded["weights"]:
        raise CheckpointError(
            f"{source} is not the {modality} encoder {path} was trained against (its weights "
            "differ)"
        )
    return featurizer, encoder


@dataclass
class Sides:
    """Attributes:
    graph: SMILES -> `[n, d]` projected graph embeddings.
    modality: frozen encoder's embeddings `[n, d_m]` -> `[n, d]` projected.
    """

    graph: Any
    modality: nn.Module


def _random_head(in_dim: int, out_dim: int, seed: int) -> ProjectionHead:
    torch.manual_seed(seed)
    return ProjectionHead(ProjectionHeadConfig(in_dim, out_dim))


def sides(path: Path | str, modality: str) -> dict[str, Sides]:
    """`{"trained": ..., UNTRAINED: ...}` sides of the ACML encoder `path` for `modality`."""
    bundle = load_bundle(path)
    names = [f"{modality}_graph", f"{modality}_modality"]
    heads = load_parts(bundle, names, str(path))
    graph_head = cast(ProjectionHead, heads[names[0]])
    modality_head = cast(ProjectionHead, heads[names[1]])
    width, frozen_dim = graph_head.out_dim, modality_head.config.in_dim

    def embed(embedder: Embedder, head: nn.Module) -> Any:
        def graph(smiles: Sequence[str]) -> torch.Tensor:
            return apply(head, torch.from_numpy(embedder.embed_smiles(list(smiles))))

        return graph

    featurizer = GraphFeaturizer.from_config(bundle.featurizer)
    # the same architecture as the trained encoder, randomly initialised
    untrained = random_encoder(featurizer, 0, init_encoder_config(path))
    identity = {"encoder": untrained.config.to_config(), "weights": state_digest(untrained)}
    baseline = GraphEmbedder(untrained, featurizer, identity, label=UNTRAINED, precision="32")
    random_graph = _random_head(graph_head.config.in_dim, width, 0)
    return {
        "trained": Sides(embed(resolve_embedder(str(path), "32"), graph_head), modality_head),
        UNTRAINED: Sides(embed(baseline, random_graph), _random_head(frozen_dim, width, 1)),
    }


def atom_attributions(
    path: Path | str, modality: str, smiles: Sequence[str], frozen_rows: torch.Tensor
) -> list[np.ndarray]:
    """Which atoms drive the agreement of each molecule's graph with its own modality
    embedding: gradient × input of the cosine similarity (projected graph vs projected
    modality embedding) with respect to the encoder's final atom states, summed over features.

    Args:
        smiles: the molecules.
        frozen_rows: `[n, d_m]` the frozen encoder's embedding of each molecule's input.

    Returns:
        One `[n_atoms]` array per molecule (atoms in RDKit order of its SMILES).
    """
    bundle = load_bundle(path)
    encoder = encoder_from_bundle(bundle, source=str(path)).eval()
    featurizer = GraphFeaturizer.from_config(bundle.featurizer)
    names = [f"{modality}_graph", f"{modality}_modality"]
    heads = load_parts(bundle, names, str(path))
    graph_head, modality_head = heads[names[0]].eval(), heads[names[1]].eval()
    target = apply(modality_head, frozen_rows)
    out = []
    for text, row in zip(smiles, target, strict=True):
        graph = featurize_smiles([text], featurizer, scaffolds=False, progress=False)
        if graph.errors:
            raise ValueError(f"{text!r}: {graph.errors[0]}")
        b = graph.graphs.collate(np.arange(1))
        nodes = encoder.node_embeddings(b.x, b.edge_index, b.edge_attr).detach()
        nodes.requires_grad_(True)
        pooled = encoder.readout(nodes, b.batch, b.num_graphs)
        similarity = F.cosine_similarity(graph_head(pooled), row.unsqueeze(0)).sum()
        (grad,) = torch.autograd.grad(similarity, nodes)
        out.append((grad * nodes).sum(dim=1).detach().numpy())
    return out
