"""The shared graph encoder: GIN with edge features (Hu et al. 2020, OGB variant)."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import torch
from torch import nn
from torch.nn.utils import fuse_linear_bn_eval

from molbridge.nn import CategoricalEmbedding, FastDropout, GINEConv, mlp
from molbridge.nn.readout import READOUTS, Readout


@dataclass
class GraphEncoderConfig:
    """Hyper-parameters of `GraphEncoder`.

    Attributes:
        atom_dims: categories per atom feature column (from the featurizer).
        bond_dims: categories per bond feature column (from the featurizer).
        num_layers: message-passing layers (Hu et al.: 5).
        hidden_dim: width of every layer (Hu et al.: 300).
        dropout: dropout after each layer (Hu et al. fine-tuning: 0.5).
        pooling: graph readout, `mean`, `sum`, `max` or `attention` (learned queries).
        pooling_queries: learned queries (prompts) of `attention`; the embedding is their
            outputs concatenated, `hidden_dim * pooling_queries` wide.
        pooling_heads: attention heads of `attention`.
        pooling_combine: `concat` (the queries' outputs side by side) or `softmax` (mixed by
            learned channel weights, `hidden_dim` wide; how a multi-channel encoder fine-tunes).
        channel_temperature: temperature of the `softmax` channel weights.
        channel_names: what each query's channel is (`molecule`, `scaffold`, ...), for the
            channel weights a fine-tuned model reports; empty: `channel0`, `channel1`, ...
    """

    atom_dims: tuple[int, ...] = field(default_factory=tuple)
    bond_dims: tuple[int, ...] = field(default_factory=tuple)
    num_layers: int = 5
    hidden_dim: int = 300
    dropout: float = 0.5
    pooling: str = "mean"
    pooling_queries: int = 1
    pooling_heads: int = 4
    pooling_combine: str = "concat"
    channel_temperature: float = 1.0
    channel_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.atom_dims = tuple(int(d) for d in self.atom_dims)
        self.bond_dims = tuple(int(d) for d in self.bond_dims)
        self.channel_names = tuple(str(n) for n in self.channel_names)
        if self.pooling not in READOUTS:
            raise ValueError(f"unknown pooling {self.pooling!r}; valid: {', '.join(READOUTS)}")
        if self.num_layers < 1:
            raise ValueError("num_layers must be at least 1")
        queries = self.pooling_queries if self.pooling == "attention" else 1
        if self.channel_names and len(self.channel_names) != queries:
            raise ValueError(
                f"{len(self.channel_names)} channel names for {queries} pooling queries"
            )

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels' names, one per pooling query."""
        if self.channel_names:
            return self.channel_names
        queries = self.pooling_queries if self.pooling == "attention" else 1
        return tuple(f"channel{i}" for i in range(queries))

    def to_config(self) -> dict[str, Any]:
        config = {
            "name": "gin",
            **asdict(self),
            "atom_dims": list(self.atom_dims),
            "bond_dims": list(self.bond_dims),
            "channel_names": list(self.channel_names),
        }
        # left out at their defaults, so configs (and the caches keyed on them) written before
        # these settings existed stay the same
        for key, default in (
            ("pooling_combine", "concat"),
            ("channel_temperature", 1.0),
            ("channel_names", []),
        ):
            if config[key] == default:
                del config[key]
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> GraphEncoderConfig:
        config = {k: v for k, v in config.items() if k != "name"}
        return cls(**config)


READOUT_SETTINGS = {
    "pooling",
    "pooling_queries",
    "pooling_heads",
    "pooling_combine",
    "channel_temperature",
    "channel_names",
}


def _readout(config: GraphEncoderConfig) -> Readout:
    return Readout(
        config.pooling,
        config.hidden_dim,
        config.pooling_queries,
        config.pooling_heads,
        config.pooling_combine,
        config.channel_temperature,
    )


class GraphEncoder(nn.Module):
    """GIN encoder: categorical embeddings, `num_layers` GINE layers with batch norm, readout.

    Each layer is `h' = BN(MLP((1 + eps) h_i + sum_j ReLU(h_j + e_ij)))` (GINE, Hu et al. 2020
    eq. 1 with edge embeddings), followed by ReLU (except the last layer) and dropout; the last
    layer's node states are pooled (JK = last).
    """

    def __init__(self, config: GraphEncoderConfig) -> None:
        super().__init__()
        if not config.atom_dims or not config.bond_dims:
            raise ValueError(
                "GraphEncoderConfig needs atom_dims and bond_dims (from the featurizer)"
            )
        self.config = config
        hidden = config.hidden_dim
        self.atom_embedding = CategoricalEmbedding(config.atom_dims, hidden)
        self.bond_embeddings = nn.ModuleList(
            CategoricalEmbedding(config.bond_dims, hidden) for _ in range(config.num_layers)
        )
        self.convs = nn.ModuleList(
            GINEConv(mlp(hidden, 2 * hidden, hidden, batch_norm=True))
            for _ in range(config.num_layers)
        )
        self.norms = nn.ModuleList(nn.BatchNorm1d(hidden) for _ in range(config.num_layers))
        self.dropout = FastDropout(config.dropout)
        self.readout = _readout(config)
        # dtype the node states are cast to after the atom embedding (set by `for_inference`)
        self.activation_dtype: torch.dtype | None = None

    @property
    def out_dim(self) -> int:
        return self.readout.out_dim

    def set_readout(self, **changes: Any) -> None:
        """Replace the readout (and its settings in `config`) by one built from `changes` to
        the pooling settings (`pooling`, `pooling_queries`, `pooling_heads`,
        `pooling_combine`, `channel_temperature`, `channel_names`): how a strategy gives the
        shared encoder learned prompts, which are then saved with it."""
        unknown = sorted(set(changes) - READOUT_SETTINGS)
        if unknown:
            raise ValueError(f"not readout settings: {unknown}")
        self.config = GraphEncoderConfig.from_config({**self.config.to_config(), **changes})
        self.readout = _readout(self.config)

    def channel_embeddings(
        self,
        x: torch.Tensor,
        edge_index: torch.Tensor,
        edge_attr: torch.Tensor,
        batch: torch.Tensor,
        num_graphs: int,
    ) -> torch.Tensor:
        """One embedding per channel (pooling query), `[num_graphs, queries, hidden_dim]`."""
        return self.readout.channels(
            self.node_embeddings(x, edge_index, edge_attr), batch, num_graphs
        )

    def node_embeddings(
        self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor
    ) -> torch.Tensor:
        """`[n_atoms, n_atom_features]` categories -> `[n_atoms, hidden_dim]` node states."""
        return self.propagate(self.atom_embedding(x), edge_index, edge_attr)

    def propagate(
        self, atoms: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor
    ) -> torch.Tensor:
        """Embedded atoms `[n_atoms, hidden_dim]` (the atom embedding's output) -> node states:
        the message-passing layers alone, so that attributions can start from the continuous
        atom embeddings (integrated gradients need a path from a baseline)."""
        dtype = self._activation_dtype()
        h = atoms.to(dtype)
        first = cast(CategoricalEmbedding, self.bond_embeddings[0])
        codes = first.codes(edge_attr) if first.by_combination else None  # shared by all layers
        last = len(self.convs) - 1
        for i, (conv, norm, bond_embedding) in enumerate(
            zip(self.convs, self.norms, self.bond_embeddings, strict=True)
        ):
            h = norm(conv(h, edge_index, bond_embedding(edge_attr, codes, dtype)))
            if i < last:
                h = torch.relu(h)
            h = self.dropout(h)
        return h

    def _activation_dtype(self) -> torch.dtype:
        """The node states' dtype: the inference copy's, else autocast's (so gathers, scatters
        and element-wise ops run in bf16 under bf16 autocast, not only the matrix products),
        else the embedding table's."""
        if self.activation_dtype is not None:
            return self.activation_dtype
        if torch.is_autocast_enabled("cpu"):
            return torch.get_autocast_dtype("cpu")
        return self.atom_embedding.table.weight.dtype

    @torch.no_grad()
    def for_inference(self, dtype: torch.dtype = torch.float32) -> GraphEncoder:
        """An eval-mode copy for prediction: each batch norm folded into the linear layer before
        it, weights and node states in `dtype`.

        With `torch.bfloat16` every matrix product and every gather/scatter runs in bf16 (about
        3x the fp32 speed here); the atom embedding table stays fp32 (its fused gather-and-sum
        has no fast bf16 kernel) and is cast once per batch. `self` is left unchanged.
        """
        fast = copy.deepcopy(self).eval()
        for conv, norm in zip(fast.convs, fast.norms, strict=True):
            layers = list(cast(nn.Sequential, conv.nn))
            folded: list[nn.Module] = []
            for layer in layers:
                if isinstance(layer, nn.BatchNorm1d) and isinstance(folded[-1], nn.Linear):
                    folded[-1] = fuse_linear_bn_eval(folded[-1], layer)
                else:
                    folded.append(layer)
            last = folded[-1]
            if not isinstance(last, nn.Linear):
                raise TypeError(f"cannot fold the layer norm into a {type(last).__name__}")
            folded[-1] = fuse_linear_bn_eval(last, cast(nn.BatchNorm1d, norm))
            conv.nn = nn.Sequential(*folded)
        fast.norms = nn.ModuleList(nn.Identity() for _ in fast.convs)
        fast = fast.to(dtype)
        fast.atom_embedding.float()
        fast.activation_dtype = dtype
        return fast

    def forward(
        self,
        x: torch.Tensor,
        edge_index: torch.Tensor,
        edge_attr: torch.Tensor,
        batch: torch.Tensor,
        num_graphs: int,
    ) -> torch.Tensor:
        """Graph embeddings `[num_graphs, out_dim]`."""
        h = self.node_embeddings(x, edge_index, edge_attr)
        return self.readout(h, batch, num_graphs)
