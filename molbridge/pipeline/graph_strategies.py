"""The graph-only strategies of Hu et al. 2020 on the strategy contract: each is its task file
(`molbridge.tasks.pretrain`) plus the corpus stream."""

from __future__ import annotations

from molbridge.encoders import GraphEncoderConfig
from molbridge.pipeline.models import graph_encoder
from molbridge.pipeline.strategy import (
    CorpusData,
    Strategy,
    StrategyInputs,
    options_of,
    register_strategy,
)
from molbridge.tasks.pretrain import AttrMasking, AttrMaskingConfig, ContextPred, ContextPredConfig


def _stream(inputs: StrategyInputs) -> CorpusData:
    return CorpusData(inputs.corpus, inputs.config.batch_size, inputs.config.seed)


@register_strategy("attr-masking")
def attr_masking(inputs: StrategyInputs) -> Strategy:
    config = options_of(AttrMaskingConfig, inputs.options, "attr-masking", lr=inputs.config.lr)
    return Strategy(AttrMasking(inputs.encoder, config), _stream(inputs))


@register_strategy("context-pred")
def context_pred(inputs: StrategyInputs) -> Strategy:
    config = options_of(ContextPredConfig, inputs.options, "context-pred", lr=inputs.config.lr)
    encoder = inputs.encoder
    # the context encoder is a shallower GIN over the context ring (r1..r2 hops)
    context = graph_encoder(
        GraphEncoderConfig(
            encoder.config.atom_dims,
            encoder.config.bond_dims,
            num_layers=config.r2 - config.r1,
            hidden_dim=encoder.config.hidden_dim,
            dropout=encoder.config.dropout,
        )
    )
    return Strategy(ContextPred(encoder, context, config), _stream(inputs))
