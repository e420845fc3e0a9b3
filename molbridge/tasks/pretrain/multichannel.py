"""Strategy 4, multi-channel hierarchical pre-training: one graph encoder, one learned prompt per
structural level, each channel with its own task.

The shared GIN's atom states are pooled by attention with one learned query (prompt) per channel
(`nn.readout`, `combine="softmax"`: the prompts are saved inside the encoder, and fine-tuning
mixes the channels with learned softmax weights). Per batch:
- **molecule** channel: triplet distance learning on L2-normalised embeddings. The positive of a
  molecule is a view of its graph with a random 15 % of atoms masked; every other molecule of
  the batch is a negative, with a margin that grows with their dissimilarity,
  `margin × (1 - Tanimoto)` on Morgan radius-2 512-bit fingerprints (the view `fingerprint`);
- **scaffold** channel: the same, with the molecule's own Bemis–Murcko scaffold as its positive
  (the graph with every side-chain atom removed: side chains change, the scaffold stays) and
  the margin from the scaffolds' fingerprints (the view `scaffold`: fingerprint bits, then one
  flag per scaffold atom); an acyclic molecule has no scaffold and stays out of this term;
- **context** channel: the masked view's masked atoms predict their atom context (element,
  degree, hydrogen count: one cross-entropy each), and the channel's embedding regresses the
  molecule's RDKit fragment counts (`fr_*`, view `fragments`, as log1p) by smooth L1;
- optional **auxiliary** term (`aux_weight`, 0.1 in the reference): the channels' mean predicts
  the molecule's 512 fingerprint bits (binary cross-entropy).
A channel left out of `channels` has no prompt and no term (the ablation). The design, the
reference's choices and where this one differs: docs/strategies/multichannel.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch_geometric.utils import subgraph

from molbridge.data.batch import MultiViewBatch
from molbridge.encoders import GraphEncoder
from molbridge.nn.losses import batch_margin_triplet, ranked_triplet, tanimoto
from molbridge.nn.mlp import mlp
from molbridge.tasks.pretrain.attr_masking import mask_atoms
from molbridge.tasks.pretrain.base import PretrainTask

CHANNELS = ("molecule", "scaffold", "context")
FINGERPRINT_VIEW, SCAFFOLD_VIEW, FRAGMENT_VIEW = "fingerprint", "scaffold", "fragments"


@dataclass
class MultichannelConfig:
    """Attributes:
    channels: the channels pre-trained, each with its prompt (any of `CHANNELS`, in order).
    margin: the triplet margin at Tanimoto 0 (`margin × (1 - Tanimoto)`; reference 0.8).
    mask_rate: atoms masked in the molecule channel's positive and the context task.
    fingerprint_bits: width of the molecule fingerprint view (the margin and aux targets).
    scaffold_bits: width of the scaffold fingerprint at the start of the scaffold view.
    context_columns: atom feature columns the context task predicts for masked atoms.
    adaptive_weight: weight of the ranked triplets added to the molecule and scaffold terms
        (`nn.losses.ranked_triplet`: a molecule nearer by fingerprint stays nearer by
        embedding; reference 1); 0 turns them off.
    adaptive_threshold: fingerprint-distance difference from which a triplet is ranked.
    molecule_weight, scaffold_weight, context_weight, aux_weight: the terms' weights.
    min_rows: a triplet term enters a batch only with at least this many molecules.
    lr: Adam learning rate.
    """

    channels: tuple[str, ...] = CHANNELS
    margin: float = 0.8
    mask_rate: float = 0.15
    fingerprint_bits: int = 512
    scaffold_bits: int = 512
    context_columns: tuple[int, ...] = (0, 2, 4)
    adaptive_weight: float = 1.0
    adaptive_threshold: float = 0.3
    molecule_weight: float = 1.0
    scaffold_weight: float = 1.0
    context_weight: float = 1.0
    aux_weight: float = 0.1
    min_rows: int = 4
    lr: float = 5e-4
    fragment_names: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        self.channels = tuple(self.channels)
        self.context_columns = tuple(int(c) for c in self.context_columns)
        self.fragment_names = tuple(self.fragment_names)
        unknown = sorted(set(self.channels) - set(CHANNELS))
        if unknown or not self.channels or len(set(self.channels)) != len(self.channels):
            raise ValueError(
                f"channels must be distinct names among {list(CHANNELS)}, got {list(self.channels)}"
            )
        if not self.margin > 0:
            raise ValueError(f"margin must be positive, got {self.margin}")
        if not 0.0 < self.mask_rate < 1.0:
            raise ValueError(f"mask_rate must be in (0, 1), got {self.mask_rate}")
        for name in (
            "molecule_weight",
            "scaffold_weight",
            "context_weight",
            "aux_weight",
            "adaptive_weight",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be at least 0, got {getattr(self, name)}")
        if self.min_rows < 2:
            raise ValueError(f"min_rows must be at least 2, got {self.min_rows}")
        if "context" in self.channels and not self.context_columns:
            raise ValueError("context_columns must name at least one atom feature column")

    def to_config(self) -> dict[str, Any]:
        config = asdict(self)
        for key in ("channels", "context_columns", "fragment_names"):
            config[key] = list(config[key])
        return {"name": "multichannel", **config}


def scaffold_subgraphs(
    x: torch.Tensor,
    edge_index: torch.Tensor,
    edge_attr: torch.Tensor,
    batch: torch.Tensor,
    flags: torch.Tensor,
) -> tuple[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]:
    """Each graph cut down to its scaffold atoms: `((x, edge_index, edge_attr, batch), has)`,
    the graphs renumbered over those with at least one scaffold atom (`has`, `[num_graphs]`
    bool).

    Args:
        flags: `[num_graphs, max_atoms]` 0/1, set for the scaffold atoms of each graph in its
            own atom order (atoms past `max_atoms` count as side chain).
    """
    num_graphs = flags.shape[0]
    counts = torch.bincount(batch, minlength=num_graphs)
    starts = torch.cumsum(counts, 0) - counts
    position = torch.arange(batch.shape[0], device=batch.device) - starts[batch]
    inside = position < flags.shape[1]
    keep = torch.zeros_like(batch, dtype=torch.bool)
    keep[inside] = flags[batch[inside], position[inside]].bool()
    has = torch.zeros(num_graphs, dtype=torch.bool, device=batch.device)
    has[batch[keep]] = True
    new_index = torch.cumsum(has.long(), 0) - 1
    sub_edges, sub_attr = subgraph(
        keep, edge_index, edge_attr, relabel_nodes=True, num_nodes=batch.shape[0]
    )
    return (x[keep], sub_edges, sub_attr, new_index[batch[keep]]), has


class MultichannelPretraining(PretrainTask):
    """See the module docstring. A batch is a `MultiViewBatch` with the views `fingerprint`
    (`[b, fingerprint_bits]` 0/1), `scaffold` (`[b, scaffold_bits + max_atoms]` 0/1) and
    `fragments` (`[b, n_fragments]` counts).

    Args:
        encoder: the shared graph encoder, its readout one attention query per channel (in the
            order of `config.channels`).
        n_fragments: fragment counts per molecule (the context channel's regression target).
    """

    encoder: GraphEncoder
    mask_values: torch.Tensor  # a buffer

    def __init__(
        self,
        encoder: GraphEncoder,
        n_fragments: int,
        config: MultichannelConfig | None = None,
    ) -> None:
        self.config = config or MultichannelConfig()
        super().__init__(encoder, lr=self.config.lr)
        channels = self.config.channels
        if encoder.config.channels != channels or encoder.readout.queries != len(channels):
            raise ValueError(
                f"the encoder's readout has channels {list(encoder.config.channels)}, "
                f"the task trains {list(channels)}"
            )
        if encoder.readout.channel_logits is not None:
            # fine-tuning learns the channel weights; pre-training trains each channel on its
            # own, so the weights stay at their start (the mean) and get no gradient
            encoder.readout.channel_logits.requires_grad_(False)
        self.index = {name: i for i, name in enumerate(channels)}
        dim = encoder.config.hidden_dim
        atom_dims = encoder.config.atom_dims
        self.register_buffer("mask_values", torch.tensor(atom_dims) - 1, persistent=False)
        self.context_heads = torch.nn.ModuleList()
        self.fragment_head: torch.nn.Module | None = None
        if "context" in channels:
            self.context_heads.extend(
                mlp(dim, dim, atom_dims[c]) for c in self.config.context_columns
            )
            self.fragment_head = mlp(dim, dim, n_fragments)
        self.fingerprint_head = (
            mlp(dim, dim, self.config.fingerprint_bits) if self.config.aux_weight > 0 else None
        )

    def loss(self, batch: MultiViewBatch) -> tuple[torch.Tensor, dict[str, float]]:
        config, g = self.config, batch.graph
        encoder = self.encoder
        nodes = encoder.node_embeddings(g.x, g.edge_index, g.edge_attr)
        channels = encoder.readout.channels(nodes, g.batch, g.num_graphs)  # [b, C, d]
        total = channels.sum() * 0.0
        logs: dict[str, float] = {}
        fingerprints = batch.views[FINGERPRINT_VIEW].float()
        has_fingerprint = batch.present[FINGERPRINT_VIEW]
        masked_nodes = masked = None
        if "molecule" in self.index or "context" in self.index:
            x, masked = mask_atoms(g.x, config.mask_rate, self.mask_values)
            masked_nodes = encoder.node_embeddings(x, g.edge_index, g.edge_attr)
        if "molecule" in self.index and int(has_fingerprint.sum()) >= config.min_rows:
            assert masked_nodes is not None
            i = self.index["molecule"]
            positive = encoder.readout.channels(masked_nodes, g.batch, g.num_graphs)[:, i]
            rows = has_fingerprint
            fp = fingerprints[rows]
            term = self._triplets(channels[rows, i], positive[rows], 1 - tanimoto(fp, fp))
            total = total + config.molecule_weight * term
            logs["molecule"] = float(term.detach())
        if "scaffold" in self.index:
            term_or_none = self._scaffold_term(batch, channels[:, self.index["scaffold"]])
            if term_or_none is not None:
                total = total + config.scaffold_weight * term_or_none
                logs["scaffold"] = float(term_or_none.detach())
        if "context" in self.index:
            assert masked_nodes is not None and masked is not None
            term, context_logs = self._context_term(
                batch, masked_nodes[masked], g.x[masked], channels[:, self.index["context"]]
            )
            total = total + config.context_weight * term
            logs |= context_logs
        if self.fingerprint_head is not None and bool(has_fingerprint.any()):
            logits = self.fingerprint_head(channels.mean(1)[has_fingerprint]).float()
            term = F.binary_cross_entropy_with_logits(logits, fingerprints[has_fingerprint])
            total = total + config.aux_weight * term
            logs["aux"] = float(term.detach())
        return total, logs

    def _scaffold_term(self, batch: MultiViewBatch, anchors: torch.Tensor) -> torch.Tensor | None:
        """The scaffold channel's triplet term, or `None` when too few molecules of the batch
        have a scaffold."""
        config, g = self.config, batch.graph
        view = batch.views[SCAFFOLD_VIEW]
        flags = view[:, config.scaffold_bits :] * batch.present[SCAFFOLD_VIEW].unsqueeze(1)
        (x, edge_index, edge_attr, sub_batch), has = scaffold_subgraphs(
            g.x, g.edge_index, g.edge_attr, g.batch, flags
        )
        n = int(has.sum())
        if n < config.min_rows:
            return None
        scaffolds = self.encoder.channel_embeddings(x, edge_index, edge_attr, sub_batch, n)
        fp = view[has, : config.scaffold_bits].float()
        return self._triplets(
            anchors[has], scaffolds[:, self.index["scaffold"]], 1 - tanimoto(fp, fp)
        )

    def _triplets(
        self, anchors: torch.Tensor, positives: torch.Tensor, distance: torch.Tensor
    ) -> torch.Tensor:
        """A channel's triplet term: its positives against the batch, margins from the
        fingerprint `distance` (1 - Tanimoto), plus the ranked triplets among the anchors."""
        config = self.config
        term = batch_margin_triplet(anchors, positives, config.margin * distance)
        if config.adaptive_weight > 0:
            ranked = ranked_triplet(anchors, distance, config.margin, config.adaptive_threshold)
            term = term + config.adaptive_weight * ranked
        return term

    def _context_term(
        self,
        batch: MultiViewBatch,
        masked_states: torch.Tensor,
        masked_x: torch.Tensor,
        context: torch.Tensor,
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Masked atoms' context (one cross-entropy per column, averaged) plus the fragment
        counts' smooth L1 from the context channel."""
        terms, logs = [], {}
        correct = []
        for head, column in zip(self.context_heads, self.config.context_columns, strict=True):
            logits = head(masked_states).float()
            target = masked_x[:, column]
            terms.append(F.cross_entropy(logits, target))
            correct.append(logits.argmax(1) == target)
        atoms = torch.stack(terms).mean()
        logs["context_atoms"] = float(atoms.detach())
        logs["context_accuracy"] = float(torch.stack(correct).all(0).float().mean())
        term = atoms
        present = batch.present[FRAGMENT_VIEW]
        if bool(present.any()):
            assert self.fragment_head is not None
            target = torch.log1p(batch.views[FRAGMENT_VIEW][present].float().clamp_min(0))
            fragments = F.smooth_l1_loss(self.fragment_head(context[present]).float(), target)
            logs["context_fragments"] = float(fragments.detach())
            term = (atoms + fragments) / 2
        return term, logs
