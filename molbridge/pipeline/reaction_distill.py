"""Strategy 1 on the strategy contract: `molbridge pretrain --strategy reaction-distill`.

Two stages in one run folder, one config file:
1. **teacher** (`OUT/teacher/`): a `ReactionTeacher` trained on the bundled reactions
   (`ReactionTeacherPretraining`) in this one process, a checkpoint per epoch; it ends in
   `OUT/teacher/teacher.ckpt` (an `encoder` bundle of the `reaction-teacher` module, with the
   reaction featurizer) and `OUT/teacher/encoder.ckpt` (its molecule graph encoder alone, a
   `gin` bundle for `--init`). A finished teacher is never retrained: `--resume` and DDP's further
   processes find it and go on. `inputs: {teacher: PATH}` uses a teacher trained before (the
   ablations that change only the student share one).
2. **student**: the shared graph encoder on the corpus stream (DDP with `--devices`), matching
   the teacher's representation of each molecule, computed once per molecule and stored as a
   corpus view. The stream reads `OUT/corpus.csv`: the run's `--corpus` (its first
   `--max-molecules`) followed by the reaction sets' own molecules not already in it.

Options (YAML `options:`): `reactions` (sets), `reaction_limit` (first N reactions of each, for
small runs), `teacher_epochs`, `teacher_batch_size`, `reaction_molecules` (add them to the
student corpus), and the mappings `teacher:` (`TeacherTrainingConfig`) and `student:`
(`ReactionDistillConfig`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightning as L
import pandas as pd
import yaml

from molbridge import __version__
from molbridge.data.corpus_views import embedding_view
from molbridge.data.reaction_stream import ReactionData, reaction_corpus, reaction_molecules
from molbridge.data.reactions import REACTION_DATASETS
from molbridge.encoders import (
    GraphEncoderConfig,
    ReactionEncoderConfig,
    ReactionTeacher,
    ReactionTeacherConfig,
)
from molbridge.encoders.registry import build_encoder
from molbridge.featurize import GraphFeaturizer
from molbridge.featurize.reaction import ReactionFeaturizer
from molbridge.io import Bundle, CheckpointError, load_bundle, load_weights, save_bundle
from molbridge.io.outputs import RunFolder, write_csv
from molbridge.pipeline.embeddings import state_digest
from molbridge.pipeline.epochs import fit_epochs
from molbridge.pipeline.strategy import (
    CorpusData,
    Strategy,
    StrategyInputs,
    extend_corpus,
    options_of,
    register_strategy,
)
from molbridge.report.curves import plot_pretraining_curve
from molbridge.tasks.pretrain.reaction_distill import (
    TEACHER_VIEW,
    ReactionDistillation,
    ReactionDistillConfig,
    ReactionTeacherPretraining,
    TeacherTrainingConfig,
)

if TYPE_CHECKING:
    from molbridge.pipeline.pretrain import PretrainConfig

log = logging.getLogger(__name__)

NAME = "reaction-distill"
TEACHER_DIR = "teacher"
TEACHER_FILE = "teacher.ckpt"
TEACHER_GRAPH_FILE = "encoder.ckpt"


@dataclass
class ReactionDistillOptions:
    """The strategy's options (YAML `options:`); see the module docstring."""

    reactions: list[str] = field(default_factory=lambda: list(REACTION_DATASETS))
    reaction_limit: int | None = None
    teacher_epochs: int = 10
    teacher_batch_size: int = 128
    reaction_molecules: bool = True
    teacher: dict[str, Any] = field(default_factory=dict)
    student: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.reactions) - set(REACTION_DATASETS))
        if unknown or not self.reactions:
            raise ValueError(
                f"reactions must name bundled sets ({', '.join(REACTION_DATASETS)}), "
                f"got {self.reactions}"
            )
        for name in ("teacher_epochs", "teacher_batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.reaction_limit is not None and self.reaction_limit < 2:
            raise ValueError(f"reaction_limit must be at least 2, got {self.reaction_limit}")

    def teacher_config(self) -> TeacherTrainingConfig:
        return options_of(TeacherTrainingConfig, self.teacher, f"{NAME} teacher")

    def student_config(self, lr: float) -> ReactionDistillConfig:
        return options_of(ReactionDistillConfig, self.student, f"{NAME} student", lr=lr)


def _options(config: PretrainConfig) -> ReactionDistillOptions:
    options = options_of(ReactionDistillOptions, config.options, NAME)
    options.teacher_config()  # a bad teacher or student option fails now, not after stage 1
    options.student_config(config.lr)
    return options


def teacher_stage(config: PretrainConfig, run: RunFolder) -> PretrainConfig:
    """Stage 1 (see the module docstring): the settings of stage 2, with `inputs.teacher` and
    the assembled corpus."""
    options = _options(config)
    run.file(TEACHER_DIR)
    if "teacher" in config.inputs:
        teacher_path = Path(config.inputs["teacher"])
        load_teacher(teacher_path)  # a wrong file fails here, before the corpus is read
    else:
        teacher_path = run.path / TEACHER_DIR / TEACHER_FILE
        if not teacher_path.exists():
            if not run.primary:
                raise RuntimeError(f"{teacher_path} is missing: stage 1 runs in the first process")
            train_teacher(config, options, teacher_path.parent)
    config = replace(config, inputs={**config.inputs, "teacher": str(teacher_path)})
    if not options.reaction_molecules:
        return config
    return extend_corpus(
        config,
        run,
        lambda: reaction_molecules(options.reactions, options.reaction_limit),
        "reaction molecules",
    )


def train_teacher(config: PretrainConfig, options: ReactionDistillOptions, out: Path) -> Path:
    """Train the teacher on the bundled reactions; writes `out/teacher.ckpt` (last, so that its
    presence means the stage is done), `history.json`, `summary.json`, `loss_curve.png`,
    `skipped.csv` and `checkpoints/`."""
    out.mkdir(parents=True, exist_ok=True)
    featurizer = ReactionFeaturizer(GraphFeaturizer())
    corpus = reaction_corpus(
        options.reactions, featurizer, limit=options.reaction_limit, show=config.progress
    )
    write_csv(pd.DataFrame(corpus.skipped, columns=["set", "row", "reason"]), out / "skipped.csv")
    L.seed_everything(config.seed, verbose=False)
    graph = GraphEncoderConfig(
        featurizer.atom_dims,
        featurizer.bond_dims,
        config.num_layers,
        config.hidden_dim,
        config.dropout,
    )
    teacher = ReactionTeacher(ReactionTeacherConfig(ReactionEncoderConfig(graph)))
    training = options.teacher_config()
    task = ReactionTeacherPretraining(teacher, training)
    data = ReactionData(corpus, options.teacher_batch_size, config.seed)
    fitted = fit_epochs(
        task,
        data,
        out / "checkpoints",
        options.teacher_epochs,
        config.precision,
        resume=config.resume,
        progress=config.progress,
        fast_dev_run=config.fast_dev_run,
    )
    summary = {
        "reactions": options.reactions,
        "reactions_used": len(corpus),
        "reactions_skipped": len(corpus.skipped),
        "epochs": options.teacher_epochs,
        "batch_size": options.teacher_batch_size,
        "steps": fitted.steps,
        "train_seconds": fitted.seconds,
        "resumed_from": fitted.resumed_from,
        "molbridge_version": __version__,
    }
    (out / "history.json").write_text(json.dumps(task.history, indent=1))
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    (out / "config.yaml").write_text(yaml.safe_dump(asdict(options), sort_keys=False))
    if task.history:
        plot_pretraining_curve(task.history, out / "loss_curve.png", "reaction teacher")
    path = out / TEACHER_FILE
    teacher_bundle = Bundle(
        kind="encoder",
        featurizer=featurizer.to_config(),
        encoder=teacher.config.to_config(),
        members=[{k: v.detach().contiguous() for k, v in teacher.state_dict().items()}],
        extra={"pretraining": summary, "task": training.to_config()},
    )
    save_bundle(teacher_graph_bundle(teacher_bundle, str(path)), out / TEACHER_GRAPH_FILE)
    save_bundle(teacher_bundle, path)
    return path


def teacher_graph_bundle(teacher: Bundle, source: str) -> Bundle:
    """The teacher's molecule graph encoder alone, as a `gin` `encoder` bundle: `--init` from
    reaction pre-training without distillation, and the teacher's own row in the panel.

    It pools atom states as the teacher pools a reaction side, so for one molecule its embedding
    is what the teacher's projection reads.
    """
    config = ReactionTeacherConfig.from_config(teacher.encoder)
    featurizer = ReactionFeaturizer.from_config(teacher.featurizer)
    prefix = "reaction.graph."
    state = {
        k.removeprefix(prefix): v for k, v in teacher.members[0].items() if k.startswith(prefix)
    }
    return Bundle(
        kind="encoder",
        featurizer=featurizer.graph.to_config(),
        encoder=config.reaction.graph.to_config(),
        members=[state],
        extra={"pretraining": teacher.extra.get("pretraining", {}), "teacher": source},
    )


def export_teacher_graph(teacher_path: Path | str, out: Path | str) -> Path:
    """Write the graph encoder of the teacher at `teacher_path` to `out` (`teacher_graph_bundle`).

    Raises:
        CheckpointError: `teacher_path` is not a reaction teacher.
    """
    load_teacher(teacher_path)  # checks the kind and that the weights fit
    return save_bundle(teacher_graph_bundle(load_bundle(teacher_path), str(teacher_path)), out)


def load_teacher(path: Path | str) -> tuple[ReactionFeaturizer, ReactionTeacher]:
    """(featurizer, teacher with its weights) from a `teacher.ckpt`.

    Raises:
        CheckpointError: not an encoder bundle holding a `reaction-teacher`.
    """
    bundle = load_bundle(path)
    if bundle.kind != "encoder" or bundle.encoder.get("name") != "reaction-teacher":
        raise CheckpointError(
            f"{path} is not a reaction teacher (kind {bundle.kind!r}, encoder "
            f"{bundle.encoder.get('name')!r}); a teacher is OUT/teacher/teacher.ckpt of "
            f"`molbridge pretrain --strategy {NAME}`"
        )
    teacher = build_encoder(bundle.encoder)
    load_weights(teacher, bundle.members[0], str(path))
    assert isinstance(teacher, ReactionTeacher)
    return ReactionFeaturizer.from_config(bundle.featurizer), teacher


@register_strategy(NAME, before=teacher_stage)
def reaction_distill(inputs: StrategyInputs) -> Strategy:
    """Stage 2: the student distils the teacher named in `inputs.teacher`."""
    options = _options(inputs.config)
    config = options.student_config(inputs.config.lr)
    path = inputs.inputs["teacher"]
    featurizer, teacher = load_teacher(path)
    if featurizer.graph.to_config() != inputs.featurizer.to_config():
        raise CheckpointError(
            f"{path} was trained on molecule features {featurizer.graph.to_config()}, but this "
            f"run uses {inputs.featurizer.to_config()}"
        )
    molecule = teacher.molecule_encoder()
    identity = {"teacher": teacher.config.to_config(), "weights": state_digest(teacher)}
    view = embedding_view(inputs.corpus, molecule, identity, name=TEACHER_VIEW)
    task = ReactionDistillation(inputs.encoder, teacher.out_dim, config)
    data = CorpusData(
        inputs.corpus, inputs.config.batch_size, inputs.config.seed, {TEACHER_VIEW: view}
    )
    teacher_input = {"path": str(path), "weights": identity["weights"]}
    return Strategy(
        task, data, parts={"projection": task.projection}, inputs={"teacher": teacher_input}
    )
