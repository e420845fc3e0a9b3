"""An aligned encoder's two sides for one modality, as the cross-modal benchmarks (retrieval,
isomers) read them: the modality encoder — the frozen one an ACML encoder was trained against
(found through the bundle, checked by its weights' digest), or the one an image–graph encoder
carries, trained with it — with the bundle's modality head, and the graph encoder with the
bundle's graph head; and the same two sides untrained (a randomly initialised graph encoder and
random heads, seed 0, against the same frozen encoder or a random one of the same
architecture), the baseline row.
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
from molbridge.encoders.registry import build_encoder
from molbridge.featurize import GraphFeaturizer
from molbridge.io import CheckpointError, load_bundle
from molbridge.nn.projection import ProjectionHead, ProjectionHeadConfig
from molbridge.pipeline.acml import shipped_encoder
from molbridge.pipeline.embeddings import (
    Embedder,
    GraphEmbedder,
    random_encoder,
    resolve_embedder,
    state_digest,
)
from molbridge.pipeline.modality import load_modality_encoder
from molbridge.pipeline.modality_views import load_modality
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
    """(featurizer, encoder) of `modality` the ACML encoder `path` was trained against: the
    file `override`, else the path the bundle recorded, else (that path gone: trained in another
    folder) the one shipped in `models/<modality>-encoder/`; whichever it is must hold the
    weights the bundle recorded.

    Raises:
        CheckpointError: it was not trained against one, the file is missing, or the given
            file holds other weights.
    """
    recorded = acml_inputs(path).get(modality)
    if recorded is None:
        raise CheckpointError(f"{path} was not trained against a {modality} encoder")
    source = override or recorded["path"]
    shipped = shipped_encoder(modality)
    if not override and not Path(source).exists() and shipped.exists():
        # the path recorded where it was trained (another folder, another machine): the
        # encoder shipped with the source, if it has the same weights (checked below)
        source = str(shipped)
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


def aligned_modalities(path: Path | str) -> list[str]:
    """The modalities whose two projection heads (`<m>_graph`, `<m>_modality`) the encoder
    `path` carries: those trained jointly with it (image–graph's image), else the frozen
    encoders an ACML encoder was trained against.

    Raises:
        CheckpointError: neither kind of encoder.
    """
    bundle = load_bundle(path)
    joint = [
        m
        for m in bundle.extra.get("part_featurizers") or {}
        if {f"{m}_graph", f"{m}_modality"} <= set(bundle.parts)
    ]
    return joint or list(acml_inputs(path))


def modality_encoder(
    path: Path | str, modality: str, override: str | None = None
) -> tuple[Any, nn.Module, bool]:
    """(featurizer, encoder, trained jointly) of `modality` for the encoder `path`: the one it
    carries as a part (trained with it), else the frozen one it was trained against.

    Raises:
        CheckpointError: see `frozen_encoder`; or an override given for a carried encoder.
    """
    if modality in (load_bundle(path).extra.get("part_featurizers") or {}):
        if override is not None:
            raise CheckpointError(
                f"{path} carries its own {modality} encoder: no other one can be given"
            )
        featurizer, encoder = load_modality(path, modality)
        return featurizer, encoder, True
    featurizer, encoder = frozen_encoder(path, modality, override)
    return featurizer, encoder, False


@dataclass
class Sides:
    """Attributes:
    graph: SMILES -> `[n, d]` projected graph embeddings.
    encoder: the modality encoder (input rows -> its embedding; frozen for ACML).
    modality: its embeddings `[n, d_m]` -> `[n, d]` projected.
    """

    graph: Any
    encoder: nn.Module
    modality: nn.Module

    def project(self, rows: torch.Tensor, known: dict[int, torch.Tensor]) -> torch.Tensor:
        """`rows` (the modality's inputs) projected; `known` keeps each encoder's embedding of
        them, so sides that share a frozen encoder compute it once."""
        key = id(self.encoder)
        if key not in known:
            known[key] = apply(self.encoder, rows)
        return apply(self.modality, known[key])


def _random_head(in_dim: int, out_dim: int, seed: int) -> ProjectionHead:
    torch.manual_seed(seed)
    return ProjectionHead(ProjectionHeadConfig(in_dim, out_dim))


def sides(
    path: Path | str, modality: str, override: str | None = None
) -> tuple[Any, dict[str, Sides]]:
    """The modality's featurizer, and `{"trained": ..., UNTRAINED: ...}` sides of the encoder
    `path` for `modality`. The untrained pair: a randomly initialised graph encoder with random
    heads (seed 0), against the same frozen modality encoder (ACML) or a randomly initialised
    one of the same architecture (a modality encoder trained jointly, as image–graph's)."""
    bundle = load_bundle(path)
    featurizer, encoder, joint = modality_encoder(path, modality, override)
    names = [f"{modality}_graph", f"{modality}_modality"]
    heads = load_parts(bundle, names, str(path))
    graph_head = cast(ProjectionHead, heads[names[0]])
    modality_head = cast(ProjectionHead, heads[names[1]])
    width, modality_dim = graph_head.out_dim, modality_head.config.in_dim

    def embed(embedder: Embedder, head: nn.Module) -> Any:
        def graph(smiles: Sequence[str]) -> torch.Tensor:
            return apply(head, torch.from_numpy(embedder.embed_smiles(list(smiles))))

        return graph

    graph_featurizer = GraphFeaturizer.from_config(bundle.featurizer)
    # the same architecture as the trained encoder, randomly initialised
    untrained = random_encoder(graph_featurizer, 0, init_encoder_config(path))
    identity = {"encoder": untrained.config.to_config(), "weights": state_digest(untrained)}
    baseline = GraphEmbedder(untrained, graph_featurizer, identity, label=UNTRAINED, precision="32")
    random_graph = _random_head(graph_head.config.in_dim, width, 0)
    untrained_modality = encoder
    if joint:
        torch.manual_seed(0)
        untrained_modality = build_encoder(cast(Any, encoder).config.to_config())
    return featurizer, {
        "trained": Sides(
            embed(resolve_embedder(str(path), "32"), graph_head), encoder, modality_head
        ),
        UNTRAINED: Sides(
            embed(baseline, random_graph),
            untrained_modality,
            _random_head(modality_dim, width, 1),
        ),
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
