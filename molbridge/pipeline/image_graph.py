"""Strategy 3 on the strategy contract: `molbridge pretrain --strategy image-graph`.

The graph encoder and an image encoder (`ImageEncoder`, a small ResNet by default) train
together on the corpus stream (`tasks/pretrain/image_graph.py`). Every corpus molecule's
depiction is drawn once and kept as a stored corpus view, so an epoch reads images, never
draws them. `encoder.ckpt` carries, beside the graph encoder, the image encoder as the part
`image` (with its featurizer, so `molbridge embed --modality image` uses it) and the two
projections into the shared space as `image_graph` and `image_modality` (the names the
cross-modal retrieval benchmark reads).

Options (YAML `options:`): `image` (`ImageFeaturizer`: `size`, `grayscale`), `image_encoder`
(`ImageEncoderConfig`: `widths`, `blocks`), and the mapping `contrast:` (`ImageGraphConfig`).
Defaults and the measurements behind them: docs/strategies/image_graph.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from molbridge.data.corpus_views import stored_image_view
from molbridge.encoders.image import ImageEncoder, ImageEncoderConfig
from molbridge.featurize import ImageFeaturizer
from molbridge.pipeline.strategy import (
    CorpusData,
    Strategy,
    StrategyInputs,
    options_of,
    register_strategy,
)
from molbridge.tasks.pretrain.image_graph import IMAGE_VIEW, ImageGraphConfig, ImageGraphPretraining

log = logging.getLogger(__name__)

NAME = "image-graph"
IMAGE_PART = "image"
# the projections into the shared space, named as ACML names a modality's two heads
GRAPH_HEAD_PART, IMAGE_HEAD_PART = "image_graph", "image_modality"


@dataclass
class ImageGraphOptions:
    """The strategy's options (YAML `options:`); see the module docstring."""

    image: dict[str, Any] = field(default_factory=lambda: {"size": 64, "canonical": True})
    image_encoder: dict[str, Any] = field(
        default_factory=lambda: {"widths": [32, 64, 128, 256], "blocks": [1, 1, 1, 1]}
    )
    contrast: dict[str, Any] = field(default_factory=dict)

    def featurizer(self) -> ImageFeaturizer:
        return options_of(ImageFeaturizer, self.image, f"{NAME} image")  # type: ignore[no-any-return]

    def encoder_config(self) -> ImageEncoderConfig:
        channels = self.featurizer().channels
        return options_of(  # type: ignore[no-any-return]
            ImageEncoderConfig, self.image_encoder, f"{NAME} image_encoder", in_channels=channels
        )

    def contrast_config(self, lr: float) -> ImageGraphConfig:
        return options_of(ImageGraphConfig, self.contrast, f"{NAME} contrast", lr=lr)  # type: ignore[no-any-return]


@register_strategy(NAME)
def image_graph(inputs: StrategyInputs) -> Strategy:
    options = options_of(ImageGraphOptions, inputs.options, NAME)
    featurizer = options.featurizer()
    image_encoder = ImageEncoder(options.encoder_config())
    config = options.contrast_config(inputs.config.lr)
    view = stored_image_view(
        inputs.corpus,
        featurizer,
        workers=inputs.config.featurize_workers,
        progress=inputs.config.progress,
    )
    drawn = int(view.present.sum())
    if drawn < config.min_rows:
        raise ValueError(f"{NAME}: only {drawn} corpus molecules could be drawn")
    log.info("%s: %d molecules drawn at %d px", NAME, drawn, featurizer.size)
    task = ImageGraphPretraining(inputs.encoder, image_encoder, config)
    data = CorpusData(
        inputs.corpus, inputs.config.batch_size, inputs.config.seed, {IMAGE_VIEW: view}
    )
    return Strategy(
        task,
        data,
        parts={
            IMAGE_PART: image_encoder,
            GRAPH_HEAD_PART: task.graph_projection,
            IMAGE_HEAD_PART: task.image_projection,
        },
        part_featurizers={IMAGE_PART: featurizer.to_config()},
    )
