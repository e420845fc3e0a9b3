"""Strategy 4 on the strategy contract: `molbridge pretrain --strategy multichannel`.

The shared graph encoder gets an attention readout with one learned prompt per channel
(molecule, scaffold, context; `GraphEncoder.set_readout`), saved inside `encoder.ckpt` with
softmax channel weights that `train --init` learns per task. The corpus stream carries three
stored views, each computed once per corpus: Morgan radius-2 512-bit fingerprints (the molecule
channel's margins), the scaffold view (`ScaffoldFeaturizer`: the scaffold's fingerprint and its
atoms) and RDKit's fragment counts (`fr_*`). The task: `tasks/pretrain/multichannel.py`.

Options (YAML `options:`): those of `MultichannelConfig` (`channels`, `margin`, `mask_rate`,
the terms' weights, ...) and `prompt_heads` (attention heads of each prompt; 4 as the
reference). Design and reasons: docs/strategies/multichannel.md.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import numpy as np

from molbridge.data.corpus_views import featurized_view, fingerprint_view
from molbridge.featurize import ECFPFeaturizer, FragmentCountFeaturizer, ScaffoldFeaturizer
from molbridge.pipeline.strategy import (
    CorpusData,
    Strategy,
    StrategyInputs,
    options_of,
    register_strategy,
)
from molbridge.tasks.pretrain.multichannel import (
    FINGERPRINT_VIEW,
    FRAGMENT_VIEW,
    SCAFFOLD_VIEW,
    MultichannelConfig,
    MultichannelPretraining,
)

log = logging.getLogger(__name__)

NAME = "multichannel"
# the atom columns whose masked values the context channel predicts: the atom and its bonding
CONTEXT_FEATURES = ("atomic_num", "degree", "num_hs")
PROMPT_HEADS = 4  # attention heads of each prompt, as the reference


def parse_options(options: dict[str, Any], lr: float) -> tuple[int, MultichannelConfig]:
    """`(prompt_heads, task config)` from the YAML options."""
    options = dict(options)
    heads = int(options.pop("prompt_heads", PROMPT_HEADS))
    for fixed in ("fragment_names", "context_columns"):
        if fixed in options:
            raise ValueError(f"{NAME}: option {fixed!r} is set by the run, not the config")
    return heads, options_of(MultichannelConfig, options, NAME, lr=lr)


@register_strategy(NAME)
def multichannel(inputs: StrategyInputs) -> Strategy:
    heads, config = parse_options(inputs.options, inputs.config.lr)
    names = list(inputs.featurizer.atom_features)
    missing = [n for n in CONTEXT_FEATURES if n not in names]
    if "context" in config.channels and missing:
        raise ValueError(f"{NAME}: the context channel needs the atom features {missing}")
    fragments = FragmentCountFeaturizer()
    config = replace(
        config,
        context_columns=tuple(names.index(n) for n in CONTEXT_FEATURES if n in names),
        fragment_names=fragments.names,
    )
    scaffold = ScaffoldFeaturizer(n_bits=config.scaffold_bits)
    views = {
        FINGERPRINT_VIEW: fingerprint_view(
            inputs.corpus, ECFPFeaturizer(radius=2, n_bits=config.fingerprint_bits)
        ),
        SCAFFOLD_VIEW: featurized_view(
            inputs.corpus,
            "scaffold",
            scaffold,
            {"featurizer": scaffold.to_config()},
            (scaffold.width,),
            np.uint8,
            pack_bits=scaffold.width,
        ),
        FRAGMENT_VIEW: featurized_view(
            inputs.corpus,
            "fragments",
            fragments,
            {"featurizer": fragments.to_config()},
            (fragments.n_fragments,),
            np.float32,
        ),
    }
    for name, view in views.items():
        log.info("%s: view %s present for %d molecules", NAME, name, int(view.present.sum()))
    inputs.encoder.set_readout(
        pooling="attention",
        pooling_queries=len(config.channels),
        pooling_heads=heads,
        pooling_combine="softmax",
        channel_names=list(config.channels),
    )
    task = MultichannelPretraining(inputs.encoder, fragments.n_fragments, config)
    data = CorpusData(inputs.corpus, inputs.config.batch_size, inputs.config.seed, views)
    return Strategy(task, data)
