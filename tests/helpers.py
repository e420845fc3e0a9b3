"""Small builders shared by tests."""

from __future__ import annotations

from molbridge.encoders import GraphEncoder, GraphEncoderConfig
from molbridge.featurize import GraphFeaturizer
from molbridge.tasks import PropertyTask, PropertyTaskConfig


def small_encoder(
    featurizer: GraphFeaturizer | None = None,
    hidden_dim: int = 32,
    num_layers: int = 2,
    dropout: float = 0.0,
) -> GraphEncoder:
    featurizer = featurizer or GraphFeaturizer()
    return GraphEncoder(
        GraphEncoderConfig(
            featurizer.atom_dims, featurizer.bond_dims, num_layers, hidden_dim, dropout
        )
    )


def small_task(task_type: str = "classification", n_tasks: int = 1, **config) -> PropertyTask:  # type: ignore[no-untyped-def]
    names = tuple(f"t{i}" for i in range(n_tasks))
    return PropertyTask(small_encoder(), PropertyTaskConfig(task_type, names, **config))
