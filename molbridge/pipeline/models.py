"""Build models from configs and bundles: the one place a bundle becomes modules again."""

from __future__ import annotations

from pathlib import Path

import torch

from molbridge.encoders import GraphEncoder, GraphEncoderConfig
from molbridge.featurize import GraphFeaturizer
from molbridge.io import Bundle, CheckpointError, load_bundle
from molbridge.tasks import PropertyTask, PropertyTaskConfig


def encoder_state(task_state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The encoder's weights out of a task's state dict (keys under `encoder.`)."""
    return {
        k.removeprefix("encoder."): v for k, v in task_state.items() if k.startswith("encoder.")
    }


def load_init_encoder(
    path: Path | str, featurizer: GraphFeaturizer, dropout: float | None = None
) -> GraphEncoder:
    """A `GraphEncoder` with pre-trained weights from an `encoder` or `property-model` bundle.

    The bundle's featurizer must be the one used now, else its embeddings would mean other things.
    """
    bundle = load_bundle(path)
    if bundle.featurizer != featurizer.to_config():
        raise CheckpointError(
            f"{path} was trained with featurizer {bundle.featurizer}, "
            f"but this run uses {featurizer.to_config()}"
        )
    return encoder_from_bundle(bundle, dropout)


def encoder_from_bundle(bundle: Bundle, dropout: float | None = None) -> GraphEncoder:
    """The bundle's graph encoder with its weights (member 0), `dropout` overridden if given."""
    name = bundle.encoder.get("name")
    if name != "gin":
        raise CheckpointError(
            f"this bundle holds a {name!r} encoder, not the graph encoder that --init needs "
            "(modality encoders load with molbridge.pipeline.modality.load_modality_encoder)"
        )
    config = GraphEncoderConfig.from_config(bundle.encoder)
    if dropout is not None:
        config.dropout = dropout
    encoder = GraphEncoder(config)
    state = bundle.members[0]
    if bundle.kind == "property-model":
        state = encoder_state(state)
    encoder.load_state_dict(state)
    return encoder


def build_property_models(bundle: Bundle) -> tuple[GraphFeaturizer, list[PropertyTask]]:
    """The featurizer and one ready-to-predict task per ensemble member of a property bundle."""
    if bundle.kind != "property-model":
        raise CheckpointError(
            f"this is an {bundle.kind!r} bundle; predicting needs a fine-tuned model "
            "(molbridge train writes DIR/model.ckpt)"
        )
    featurizer = GraphFeaturizer.from_config(bundle.featurizer)
    task_config = PropertyTaskConfig.from_config(bundle.task)
    models = []
    for state in bundle.members:
        task = PropertyTask(
            GraphEncoder(GraphEncoderConfig.from_config(bundle.encoder)), task_config
        )
        task.load_state_dict(state)
        task.eval()
        models.append(task)
    return featurizer, models
