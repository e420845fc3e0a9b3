"""Build models from configs and bundles: the one place a bundle becomes modules again."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from molbridge.encoders import GraphEncoder, GraphEncoderConfig
from molbridge.encoders.registry import build_encoder
from molbridge.featurize import GraphFeaturizer
from molbridge.io import Bundle, CheckpointError, load_bundle, load_weights
from molbridge.tasks import PropertyTask, PropertyTaskConfig

log = logging.getLogger(__name__)


def encoder_state(task_state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The encoder's weights out of a task's state dict (keys under `encoder.`)."""
    return {
        k.removeprefix("encoder."): v for k, v in task_state.items() if k.startswith("encoder.")
    }


def load_init_encoder(
    path: Path | str,
    featurizer: GraphFeaturizer,
    dropout: float | None = None,
    keep_parts: Iterable[str] = (),
) -> tuple[GraphEncoder, dict[str, nn.Module]]:
    """A `GraphEncoder` with pre-trained weights from an `encoder` or `property-model` bundle,
    and the bundle's parts named in `keep_parts` (built, weights loaded); the other parts are
    dropped, and logged as dropped.

    The bundle's featurizer must be the one used now, else its embeddings would mean other things.
    """
    bundle = _init_bundle(path)
    if bundle.featurizer != featurizer.to_config():
        raise CheckpointError(
            f"{path} was trained with featurizer {bundle.featurizer}, "
            f"but this run uses {featurizer.to_config()}"
        )
    encoder = encoder_from_bundle(bundle, dropout, str(path))
    keep = list(keep_parts)
    dropped = sorted(set(bundle.parts) - set(keep))
    if dropped:
        log.info("%s: parts %s are not used by this run and are dropped", path, dropped)
    return encoder, load_parts(bundle, keep, str(path))


def load_parts(bundle: Bundle, names: Iterable[str], source: str) -> dict[str, nn.Module]:
    """The bundle's parts `names`, each rebuilt from its config with its weights.

    Raises:
        CheckpointError: a named part is not in the bundle, or does not match its weights.
    """
    modules: dict[str, nn.Module] = {}
    for name in names:
        if name not in bundle.parts:
            raise CheckpointError(
                f"{source} has no part {name!r}; its parts: {sorted(bundle.parts) or 'none'}"
            )
        part = bundle.parts[name]
        module = checked_config(build_encoder, part.config, f"part {name!r}", source)
        load_weights(module, part.state, f"{source} (part {name!r})")
        modules[name] = module
    return modules


def init_encoder_config(path: Path | str) -> GraphEncoderConfig:
    """The graph-encoder config of a bundle meant for `--init`, checked as `load_init_encoder`
    checks it (a modality bundle or a damaged one is a `CheckpointError`)."""
    return _graph_parts(_init_bundle(path), str(path))[1]


def _init_bundle(path: Path | str) -> Bundle:
    """A bundle that can start a graph encoder: an `encoder` or a `property-model`."""
    bundle = load_bundle(path)
    if bundle.kind not in ("encoder", "property-model"):
        raise CheckpointError(f"{path} is a {bundle.kind!r} bundle, not a graph encoder")
    return bundle


def _graph_parts(bundle: Bundle, source: str) -> tuple[GraphFeaturizer, GraphEncoderConfig]:
    """The bundle's featurizer and graph-encoder config, checked against each other."""
    name = bundle.encoder.get("name")
    if name != "gin":
        raise CheckpointError(
            f"{source} holds a {name!r} encoder, not the graph encoder (gin) this needs "
            "(modality encoders load with molbridge.pipeline.modality.load_modality_encoder)"
        )
    featurizer = checked_config(
        GraphFeaturizer.from_config, bundle.featurizer, "featurizer", source
    )
    config = checked_config(GraphEncoderConfig.from_config, bundle.encoder, "encoder", source)
    if (config.atom_dims, config.bond_dims) != (featurizer.atom_dims, featurizer.bond_dims):
        raise CheckpointError(
            f"{source}: its encoder expects atom/bond feature sizes "
            f"{list(config.atom_dims)}/{list(config.bond_dims)} but its featurizer makes "
            f"{list(featurizer.atom_dims)}/{list(featurizer.bond_dims)}"
        )
    return featurizer, config


def checked_config(build: Any, config: dict[str, Any], what: str, source: str) -> Any:
    """`build(config)`, a damaged or unknown config reported as a bundle error."""
    try:
        return build(config)
    except (TypeError, ValueError, KeyError) as err:
        raise CheckpointError(f"{source}: its {what} configuration is not valid: {err}") from err


def encoder_from_bundle(
    bundle: Bundle, dropout: float | None = None, source: str = "the bundle"
) -> GraphEncoder:
    """The bundle's graph encoder with its weights (member 0), `dropout` overridden if given."""
    _, config = _graph_parts(bundle, source)
    if dropout is not None:
        config.dropout = dropout
    encoder = graph_encoder(config)
    state = bundle.members[0]
    if bundle.kind == "property-model":
        state = encoder_state(state)
    load_weights(encoder, state, source)
    return encoder


def build_property_models(
    bundle: Bundle, source: str = "the bundle"
) -> tuple[GraphFeaturizer, list[PropertyTask]]:
    """The featurizer and one ready-to-predict task per ensemble member of a property bundle."""
    if bundle.kind != "property-model":
        raise CheckpointError(
            f"{source} is an {bundle.kind!r} bundle; predicting needs a fine-tuned model "
            "(molbridge train writes DIR/model.ckpt)"
        )
    featurizer, encoder_config = _graph_parts(bundle, source)
    task_config = checked_config(PropertyTaskConfig.from_config, bundle.task, "task", source)
    models = []
    for state in bundle.members:
        task = PropertyTask(graph_encoder(encoder_config), task_config)
        load_weights(task, state, source)
        task.eval()
        models.append(task)
    return featurizer, models


def graph_encoder(config: GraphEncoderConfig) -> GraphEncoder:
    """The graph encoder of `config`, built through the one encoder registry."""
    encoder = build_encoder(config.to_config())
    assert isinstance(encoder, GraphEncoder)
    return encoder
