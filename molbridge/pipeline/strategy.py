"""The strategy contract: how a pre-training strategy plugs into `molbridge pretrain`.

A strategy is a registry entry, name -> builder. The pipeline featurizes the corpus, builds the
shared graph encoder, and calls the builder with a `StrategyInputs`; the builder returns a
`Strategy`: the Lightning task (from `molbridge.tasks.pretrain`), the data module that feeds it,
and the extra modules (`parts`) to save inside `encoder.ckpt` beside the encoder. The pipeline
runs the trainer (checkpoints, exact resume, DDP, precision) and writes the outputs. Strategy
options and input checkpoints come from the run's YAML config (`options:`, `inputs:`) and are
written back, resolved, in `config.yaml`. See docs/design.md, "The strategy contract".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import lightning as L
import pandas as pd
import torch
from torch import nn

from molbridge.data.corpus import CorpusShards, ShardStream, read_smiles
from molbridge.data.views import View, ViewJoin
from molbridge.encoders import GraphEncoder
from molbridge.featurize import GraphFeaturizer
from molbridge.io.outputs import RunFolder, write_csv
from molbridge.tasks.pretrain import PretrainTask

if TYPE_CHECKING:
    from molbridge.pipeline.pretrain import PretrainConfig


@dataclass
class StrategyInputs:
    """What a strategy's builder gets.

    Attributes:
        config: the run's settings (lr, batch size, seed, precision, ...).
        encoder: the shared graph encoder the strategy pre-trains.
        featurizer: the graph featurizer of the corpus.
        corpus: the featurized corpus (sharded, memory-mapped; `corpus_views` adds views).
    """

    config: PretrainConfig
    encoder: GraphEncoder
    featurizer: GraphFeaturizer
    corpus: CorpusShards

    @property
    def options(self) -> dict[str, Any]:
        """The strategy's own options (YAML `options:`), to validate in its config class."""
        return dict(self.config.options)

    @property
    def inputs(self) -> dict[str, str]:
        """Input checkpoints by name (YAML `inputs:`), e.g. frozen modality encoders."""
        return dict(self.config.inputs)


@dataclass
class Strategy:
    """What a builder returns.

    Attributes:
        task: the Lightning task that trains `StrategyInputs.encoder` (frozen modules inside
            it are not saved).
        data: the data module that feeds it (`CorpusData` for corpus streams).
        parts: modules saved in `encoder.ckpt` beside the encoder, by name (projection heads,
            prompts, a teacher); `train --init` loads them by name or drops them.
        sometimes_unused: some trainable parameters get no gradient in some steps (the heads of
            a modality that a batch lacks); DDP must then look for them each step.
        inputs: what each input checkpoint was (path, weights' digest), by name; saved in
            `encoder.ckpt`, so that a later command can find and check them.
        part_featurizers: for a part that is a modality encoder (an image encoder trained
            beside the graph one), the featurizer config of its input, by part name; saved in
            `encoder.ckpt`, so that `embed --modality NAME` can use the part.
    """

    task: PretrainTask
    data: L.LightningDataModule
    parts: dict[str, nn.Module] = field(default_factory=dict)
    sometimes_unused: bool = False
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    part_featurizers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.part_featurizers) - set(self.parts))
        if unknown:
            raise ValueError(f"featurizers given for parts that are not saved: {unknown}")


Builder = Callable[[StrategyInputs], Strategy]
# An earlier stage: (the run's settings, its folder) -> the settings the corpus stream runs
# with (e.g. a trained teacher added to `inputs`, a corpus assembled for the stream). It must
# skip work already done, so that `--resume` and DDP's further processes pass through quickly.
Stage = Callable[["PretrainConfig", RunFolder], "PretrainConfig"]
STRATEGIES: dict[str, Builder] = {}
STAGES: dict[str, Stage] = {}
log = logging.getLogger(__name__)
CORPUS_FILE = "corpus.csv"
# named in the CLI contract, not built yet
PLANNED: tuple[str, ...] = ()


def register_strategy(name: str, before: Stage | None = None) -> Callable[[Builder], Builder]:
    """Decorator: make `name` a strategy of `molbridge pretrain`; `before`, if given, runs
    first (in the first process only, before the corpus is read and DDP starts).

    Raises:
        ValueError: `name` is registered already.
    """

    def register(builder: Builder) -> Builder:
        if name in STRATEGIES:
            raise ValueError(f"strategy {name!r} is registered already")
        STRATEGIES[name] = builder
        if before is not None:
            STAGES[name] = before
        return builder

    return register


def get_strategy(name: str) -> Builder:
    """The builder of `name`.

    Raises:
        NotImplementedError: a planned strategy that is not built yet.
        ValueError: an unknown name (the valid ones are listed).
    """
    if name in STRATEGIES:
        return STRATEGIES[name]
    if name in PLANNED:
        raise NotImplementedError(f"strategy {name!r} is planned but not built yet")
    raise ValueError(f"unknown strategy {name!r}; valid: {', '.join(sorted(STRATEGIES))}")


def options_of(config_class: Any, options: Mapping[str, Any], strategy: str, **run: Any) -> Any:
    """`config_class(**options, **run)`, an unknown or bad option named in a `ValueError`."""
    unknown = sorted(set(options) - set(getattr(config_class, "__dataclass_fields__", {})))
    if unknown:
        valid = sorted(set(config_class.__dataclass_fields__) - set(run))
        raise ValueError(f"{strategy}: unknown options {unknown}; valid: {valid}")
    try:
        return config_class(**{**dict(options), **run})
    except (TypeError, ValueError) as err:
        raise ValueError(f"{strategy}: {err}") from err


class CorpusData(L.LightningDataModule):
    """The corpus stream for this rank (known only once the trainer has set up DDP), each batch
    a `GraphBatch` with molecule ids, or with `views` a `MultiViewBatch`.

    The pipeline tells `stream` the epoch and, on a resume, the batches to skip.
    """

    def __init__(
        self,
        corpus: CorpusShards,
        batch_size: int,
        seed: int,
        views: Mapping[str, View] | None = None,
    ) -> None:
        super().__init__()
        self.corpus, self.batch_size, self.seed = corpus, batch_size, seed
        self.views = ViewJoin(dict(views)) if views else None
        self.stream: ShardStream | None = None

    def train_dataloader(self) -> torch.utils.data.DataLoader:
        if self.trainer is None:
            raise RuntimeError("the corpus loader needs the Trainer it is attached to")
        self.stream = ShardStream(
            self.corpus,
            self.batch_size,
            self.seed,
            rank=self.trainer.global_rank,
            world_size=self.trainer.world_size,
            views=self.views,
        )
        # its own generator: creating each epoch's iterator draws a seed from the loader's
        # generator, and from the global one without it, which would shift every random draw
        # after an end-of-epoch checkpoint and break an exact resume from one
        generator = torch.Generator().manual_seed(self.seed)
        return torch.utils.data.DataLoader(self.stream, batch_size=None, generator=generator)


def extend_corpus(
    config: PretrainConfig, run: RunFolder, extra: Callable[[], Iterable[str]], what: str
) -> PretrainConfig:
    """The settings of a stream over the run's corpus (its first `max_molecules`) followed by
    `extra` SMILES not already in it (a strategy's own molecules: reactions', spectra's),
    written once to `OUT/corpus.csv` by the first process; for an earlier stage (`Stage`).

    Args:
        extra: gives the SMILES to add, in order (called in the first process only); a string
            already in the corpus, or repeated, is added once, as written (no
            canonicalisation: the corpus cache keys on the text).
        what: what the extra molecules are, for the log line.
    """
    path = run.path / CORPUS_FILE
    run.file(CORPUS_FILE)
    if run.primary:
        smiles = read_smiles(config.corpus, config.smiles_column, config.max_molecules)
        known = set(smiles)
        added = [s for s in dict.fromkeys(extra()) if s not in known]
        log.info("corpus: %d molecules of %s + %d %s", len(smiles), config.corpus, len(added), what)
        write_csv(pd.DataFrame({"smiles": smiles + added}), path)
    return replace(config, corpus=str(path), smiles_column="smiles", max_molecules=None)
