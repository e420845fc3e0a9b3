"""The template strategy: graph and fingerprint views of each molecule, a frozen fingerprint
encoder, InfoNCE pulling the graph embedding towards it. Written with the shared mechanisms
only (registry, multi-view data, frozen modules, parts, losses); a real strategy is this file
under tasks/pretrain/ plus its builder."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch

from molbridge.data.batch import MultiViewBatch
from molbridge.data.corpus_views import fingerprint_view
from molbridge.encoders import FingerprintEncoder, FingerprintEncoderConfig, GraphEncoder
from molbridge.featurize import ECFPFeaturizer
from molbridge.nn.losses import info_nce
from molbridge.nn.projection import ProjectionHead, ProjectionHeadConfig
from molbridge.pipeline.modality import load_modality_encoder
from molbridge.pipeline.strategy import (
    CorpusData,
    Strategy,
    StrategyInputs,
    options_of,
    register_strategy,
)
from molbridge.tasks.pretrain import PretrainTask

NAME = "example-fingerprint-infonce"


@dataclass
class FingerprintAlignmentConfig:
    n_bits: int = 256
    temperature: float = 0.1
    lr: float = 1e-3

    def to_config(self) -> dict[str, Any]:
        return {"name": NAME, **asdict(self)}


class FingerprintAlignment(PretrainTask):
    def __init__(self, encoder: GraphEncoder, fingerprint: FingerprintEncoder, config: Any) -> None:
        super().__init__(encoder, lr=config.lr, frozen={"fingerprint": fingerprint})
        self.config = config
        self.projection = ProjectionHead(ProjectionHeadConfig(encoder.out_dim, fingerprint.out_dim))

    def loss(self, batch: MultiViewBatch) -> tuple[torch.Tensor, dict[str, float]]:
        g, has = batch.graph, batch.present["fingerprint"]
        graph = self.projection(self.encoder(g.x, g.edge_index, g.edge_attr, g.batch, g.num_graphs))
        target = self.frozen["fingerprint"](batch.views["fingerprint"])
        return info_nce(graph[has], target[has], self.config.temperature), {}


@register_strategy(NAME)
def build(inputs: StrategyInputs) -> Strategy:
    config = options_of(FingerprintAlignmentConfig, inputs.options, NAME, lr=inputs.config.lr)
    if "fingerprint" in inputs.inputs:  # a pre-trained encoder (pretrain-modality fingerprint)
        _, fingerprint = load_modality_encoder(inputs.inputs["fingerprint"])
    else:  # else a fixed random projection of the bits, seeded by the run
        fingerprint = FingerprintEncoder(FingerprintEncoderConfig(config.n_bits, (), 64))
    view = fingerprint_view(inputs.corpus, ECFPFeaturizer(2, config.n_bits))
    task = FingerprintAlignment(inputs.encoder, fingerprint, config)  # type: ignore[arg-type]
    data = CorpusData(
        inputs.corpus, inputs.config.batch_size, inputs.config.seed, {"fingerprint": view}
    )
    return Strategy(task, data, parts={"projection": task.projection})
