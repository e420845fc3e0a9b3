"""Run a suite: every (dataset, model, seed) cell, resumable; then results.json/.md, a chart
and the report page.

Layout of `out`:
  `cells/<dataset>/<model>/seed<k>/result.json`  one finished cell (its test metrics, time)
  `cells/<dataset>/gin*/seed<k>/`                 the `molbridge train` outputs of a GIN cell
                                                  (`model.ckpt` kept for the first set's first
                                                  seed only, unless `keep_models`: the report
                                                  explains that model)
  `results.json`, `results.md`, `results.png`     the summary, rewritten after every cell
  `channel_weights.png`                           multi-channel encoders' weights, by set
  `report.html`, `report_files/`                  one self-contained page (benchmarks/report.py)
  `benchmark.yaml`                                the resolved options of the run
A cell counts as done when its `result.json` exists; `resume=True` skips done cells and lets an
interrupted GIN cell continue from its last epoch.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
import multiprocessing
import os
import re
import shutil
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import yaml
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from molbridge import __version__
from molbridge.benchmarks import baselines, frozen
from molbridge.benchmarks.suites import BenchmarkDataset, Suite, get_suite
from molbridge.data.registry import get_dataset
from molbridge.featurize import ECFPFeaturizer
from molbridge.io.outputs import RunFolder
from molbridge.metrics import TASK_METRICS, get_metric
from molbridge.pipeline.data_prep import PreparedData, prepare_data
from molbridge.pipeline.train import TrainConfig, train

log = logging.getLogger(__name__)

MODELS = ("gin", "ecfp-rf", "ecfp-svm")
EXTRA_MODELS = ("gbm",)  # run when asked for (--models), not by default
INIT_MODEL = "gin-init"  # the GIN fine-tuned from one unnamed --init checkpoint
INIT_LABEL = "init"  # its label in the frozen-encoder models: gbm+init, probe+init
# `--init` values that name no file: a randomly initialised GIN, the MiniMol peer
NAMED_ENCODERS = ("random", "minimol")
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def init_models(specs: Sequence[str]) -> dict[str, str]:
    """`--init` values -> {model name: checkpoint}: `PATH` is `gin-init`, `LABEL=PATH` `gin+LABEL`.

    Several pre-trained encoders can so be fine-tuned in one run, beside the same plain GIN.
    A bare `random` or `minimol` (no such file) is labelled by its own name.
    """
    models: dict[str, str] = {}
    for spec in specs:
        label, sep, path = spec.partition("=")
        if sep and _LABEL.fullmatch(label):
            name = f"gin+{label}"
        elif spec in NAMED_ENCODERS and not Path(spec).exists():
            name, path = f"gin+{spec}", spec
        elif len(specs) > 1:
            raise ValueError(f"--init {spec!r}: with several --init, name each as LABEL=PATH")
        else:
            name, path = INIT_MODEL, spec
        if name in models:
            raise ValueError(f"--init: the label of {spec!r} is used twice")
        models[name] = path
    return models


@dataclass
class BenchmarkOptions:
    """What `molbridge benchmark` was asked for (written to `benchmark.yaml`)."""

    suite: str
    out: str
    datasets: list[str] | None = None
    seeds: int | None = None
    models: list[str] | None = None
    init: dict[str, str] = field(default_factory=dict)  # model name -> encoder.ckpt
    epochs: int = 100
    batch_size: int = 32
    precision: str = "32"
    resume: bool = False
    overwrite: bool = False
    keep_models: bool = False
    cache_dir: str | None = None
    progress: bool = True
    epochs_by_dataset: dict[str, int] = field(default_factory=dict)
    jobs: int = 1
    fit_on_train_and_valid: bool = False  # set from the suite: see Suite.train_file_is_train
    gbm_loss: str = "auto"  # set from the suite: see Suite.gbm_loss
    # the cells whose fine-tuned GIN the report explains keep their model (set by the run)
    report_dataset: str | None = None
    report_seed: int | None = None

    def epochs_for(self, dataset: str) -> int:
        """The GIN's epochs on `dataset`: its `--epochs-for` entry (any case), else `--epochs`."""
        by_name = {name.lower(): n for name, n in self.epochs_by_dataset.items()}
        return by_name.get(dataset.lower(), self.epochs)


def encoder_labels(init: dict[str, str]) -> dict[str, str]:
    """{label: checkpoint} of the `--init` encoders: `gin+LABEL` -> LABEL, `gin-init` -> init."""
    return {
        INIT_LABEL if model == INIT_MODEL else model.removeprefix("gin+"): path
        for model, path in init.items()
    }


def _models(options: BenchmarkOptions) -> list[str]:
    labels = list(encoder_labels(options.init))
    frozen_models = [f"{kind}+{label}" for kind in frozen.KINDS for label in labels]
    valid = (*MODELS, *EXTRA_MODELS, *options.init, *frozen_models)
    shorthands = {  # `gbm+` and `probe`: that model for every --init encoder
        "gbm+": [f"gbm+{label}" for label in labels],
        "probe": [f"probe+{label}" for label in labels],
    }
    models: list[str] = []
    for model in options.models or (*options.init, *MODELS):
        for name in shorthands.get(model, [model]):
            if name not in models:
                models.append(name)
    unknown = [m for m in models if m not in valid]
    if unknown or (options.models and not models):
        raise ValueError(
            f"unknown model(s) {unknown or options.models}; valid: {', '.join(valid)}, gbm+, "
            f"probe ({INIT_MODEL}, gin+LABEL, gbm+LABEL and probe+LABEL come from --init CKPT "
            "and --init LABEL=CKPT; gbm+ and probe mean that model for every --init encoder)"
        )
    return models


def _train_config(
    dataset: BenchmarkDataset, seed: int, out: Path, options: BenchmarkOptions, init: str | None
) -> TrainConfig:
    return TrainConfig(
        data=dataset.data,
        test=dataset.test,
        out=str(out),
        split=dataset.split,
        task=dataset.task,
        metric=dataset.metric,
        target_columns=list(dataset.target_columns) if dataset.target_columns else None,
        smiles_column=dataset.smiles_column,
        seed=seed,
        epochs=options.epochs_for(dataset.name),
        batch_size=options.batch_size,
        precision=options.precision,
        init=init,
        resume=options.resume,
        cache_dir=options.cache_dir,
        progress=False,
    )


def score(dataset: BenchmarkDataset, y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Every test metric of the dataset's task, plus its extra ones (`rmse_cliff`)."""
    metrics = {name: get_metric(name)[0](y, pred) for name in TASK_METRICS[dataset.task]}
    if "rmse_cliff" in dataset.extra_metrics:
        assert dataset.cliff_file is not None
        cliff = pd.read_csv(dataset.cliff_file)["cliff_mol"].to_numpy() == 1
        if len(cliff) != len(y):
            raise ValueError(
                f"{dataset.name}: {len(y)} test predictions for {len(cliff)} test rows; "
                "an invalid SMILES in a MoleculeACE test file?"
            )
        metrics["rmse_cliff"] = get_metric("rmse")[0](y[cliff], pred[cliff])
    return {k: float(v) for k, v in metrics.items()}


class _Fingerprints:
    """ECFP of each SMILES, computed once per run."""

    def __init__(self, featurizer: ECFPFeaturizer) -> None:
        self.featurizer = featurizer
        self._cache: dict[str, np.ndarray] = {}

    def __call__(self, smiles: np.ndarray) -> np.ndarray:
        new = [s for s in dict.fromkeys(smiles.tolist()) if s not in self._cache]
        if new:
            for s, fp in zip(new, self.featurizer.many(new), strict=True):
                self._cache[s] = fp
        return np.stack([self._cache[s] for s in smiles.tolist()])


def _baseline(
    model: str,
    dataset: BenchmarkDataset,
    data: PreparedData,
    seed: int,
    fingerprints: Callable[[np.ndarray], np.ndarray],
) -> baselines.BaselineResult:
    splits = data.splits
    assert splits.test is not None
    inputs = baselines.BaselineData(
        fingerprints(splits.train.smiles),
        splits.train.y,
        fingerprints(splits.valid.smiles),
        splits.valid.y,
        fingerprints(splits.test.smiles),
        dataset.task,
        dataset.metric,
    )
    if dataset.baseline_params:
        # the published per-dataset settings (MoleculeACE), fitted on train + valid = its train
        whole = baselines.BaselineData(
            np.concatenate([inputs.x_train, inputs.x_valid]),
            np.concatenate([inputs.y_train, inputs.y_valid]),
            inputs.x_valid[:0],
            inputs.y_valid[:0],
            inputs.x_test,
            dataset.task,
            dataset.metric,
        )
        if model == "ecfp-svm":
            return baselines.configured_svr(whole, dict(dataset.baseline_params["SVM"]))
        return baselines.configured_rf(
            whole, dict(dataset.baseline_params["RF"]), seed, n_jobs=torch.get_num_threads()
        )
    if model == "ecfp-svm":
        return baselines.tanimoto_svm(inputs, seed)
    n_tasks = inputs.y_train.shape[1]
    return baselines.random_forest(
        inputs, seed, n_estimators=500 if n_tasks <= 20 else 100, n_jobs=torch.get_num_threads()
    )


def _run_cell(
    dataset: BenchmarkDataset,
    model: str,
    seed: int,
    cell: Path,
    options: BenchmarkOptions,
    fingerprints: dict[str, _Fingerprints],
) -> dict[str, Any]:
    started = time.perf_counter()
    earlier = 0.0  # a resumed GIN cell's training before the interruption
    record: dict[str, Any] = {"dataset": dataset.name, "model": model, "seed": seed}
    if model.startswith("gin"):
        init = options.init.get(model)
        result = train(_train_config(dataset, seed, cell, options, init))
        predictions = pd.read_csv(cell / "test_predictions.csv")
        resolved = yaml.safe_load((cell / "config.yaml").read_text())
        targets = list(resolved["task_resolved"]["target_names"])
        y = predictions[targets].to_numpy(dtype=float)
        pred = predictions[[f"{t}_pred" for t in targets]].to_numpy(dtype=float)
        record |= {
            "valid": result.valid,
            "best_epochs": [m["best_epoch"] for m in result.summary["members"]],
            "epochs": result.summary["epochs"],
            "split_sizes": result.summary["split_sizes"],
        }
        if "channel_weights" in result.summary:  # a multi-channel encoder's, per member
            record["channel_weights"] = result.summary["channel_weights"]
        earlier = result.summary["earlier_seconds"]
        for_report = (dataset.name, seed) == (options.report_dataset, options.report_seed)
        if not options.keep_models and not for_report:
            (cell / "model.ckpt").unlink(missing_ok=True)
            for member in cell.glob("member*"):
                shutil.rmtree(member / "checkpoints", ignore_errors=True)
                (member / "best.safetensors").unlink(missing_ok=True)
    elif frozen.is_frozen(model):
        data = prepare_data(_train_config(dataset, seed, cell, options, None))
        assert data.splits.test is not None
        fitted_cell = frozen.fit_cell(
            model,
            dataset,
            data,
            seed,
            encoder_labels(options.init),
            fit_on_train_and_valid=options.fit_on_train_and_valid,
            cache_dir=Path(options.cache_dir) if options.cache_dir else None,
            gbm_loss=options.gbm_loss,
        )
        y, pred = data.splits.test.y, fitted_cell.test_pred
        record |= fitted_cell.record | {"split_sizes": data.splits.sizes}
        cell.mkdir(parents=True, exist_ok=True)
    else:
        data = prepare_data(_train_config(dataset, seed, cell, options, None))
        assert data.splits.test is not None
        ecfp = ECFPFeaturizer(2, 1024) if dataset.baseline_params else ECFPFeaturizer(2, 2048)
        key = json.dumps(ecfp.to_config())
        fingerprints.setdefault(key, _Fingerprints(ecfp))
        try:
            fitted = _baseline(model, dataset, data, seed, fingerprints[key])
        except ValueError as err:  # e.g. the kernel SVM on HIV/MUV
            record |= {"skipped": str(err)}
            return record
        y, pred = data.splits.test.y, fitted.test_pred
        record |= {
            "chosen": fitted.chosen,
            "split_sizes": data.splits.sizes,
            "fingerprint": ecfp.to_config(),
        }
        cell.mkdir(parents=True, exist_ok=True)
    record["test"] = score(dataset, y, pred)
    record["seconds"] = time.perf_counter() - started + earlier
    return record


@functools.cache
def _rows(path: Path) -> int:
    """Lines in a (gzipped) CSV; read once per file, however many cells share it."""
    with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as lines:
        return sum(1 for _ in lines)


def _expected_cost(
    dataset: BenchmarkDataset, model: str, options: BenchmarkOptions
) -> tuple[bool, int]:
    """Sort key for scheduling: GIN cells before baselines, then by rows (times epochs for a GIN).

    Rows, not the file's size: a compressed file (HIV, 41,127 rows) is smaller than Tox21's plain
    CSV (7,831 rows).
    """
    path = Path(dataset.data)
    rows = _rows(path if path.exists() else get_dataset(dataset.data).train_path)
    if not model.startswith("gin"):
        return False, rows
    return True, rows * options.epochs_for(dataset.name)


_FINGERPRINTS: dict[str, _Fingerprints] = {}  # per process: each worker keeps its own


def _init_worker(threads: int, parent: int) -> None:
    torch.set_num_threads(threads)
    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    warnings.filterwarnings("ignore", ".*LeafSpec.*")
    logging.getLogger("molbridge").setLevel(logging.WARNING)
    for noisy in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # a killed parent runs no cleanup (SIGKILL, a crash): without this its workers run on, orphaned
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


@contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """SIGTERM raises SystemExit, so the cleanup below runs (its default kills on the spot)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_in_pool(
    jobs: list[tuple[BenchmarkDataset, str, int, Path]],
    options: BenchmarkOptions,
    threads: int,
    on_result: Callable[[dict[str, Any]], None],
) -> None:
    """Run cells in `options.jobs` processes; if this one is stopped, its workers stop too."""
    ours_before = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(
        options.jobs,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(threads, os.getpid()),
    )
    with _sigterm_as_exit():
        try:
            futures = [pool.submit(_run_and_save, *job, options) for job in jobs]
            for future in as_completed(futures):
                on_result(future.result())
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            # SIGKILL: Lightning catches SIGTERM, ends the cell and the worker takes the next one
            for worker in set(multiprocessing.active_children()) - ours_before:
                worker.kill()
            log.warning(
                "stopped: finished cells are kept; run again with --resume to go on (an "
                "interrupted GIN cell continues from its last epoch)"
            )
            raise
    pool.shutdown()


def _run_and_save(
    dataset: BenchmarkDataset, model: str, seed: int, cell: Path, options: BenchmarkOptions
) -> dict[str, Any]:
    """Run one cell and write its `result.json` (in the worker, so no finished cell is lost)."""
    record = _run_cell(dataset, model, seed, cell, options, _FINGERPRINTS)
    cell.mkdir(parents=True, exist_ok=True)
    (cell / "result.json").write_text(json.dumps(record, indent=1))
    return record


# what a run writes in its folder: the cells (each a train run), the suite's data, the reports
OUTPUTS = (
    "benchmark.yaml",
    "cells",
    "data",
    "results.json",
    "results.md",
    "results.png",
    "channel_weights.png",
    "report.html",
    "report_files",
)


def run_benchmark(options: BenchmarkOptions) -> dict[str, Any]:
    """Run (or resume) the suite; returns the summary also written to `results.json`."""
    from molbridge.benchmarks.report import write_report
    from molbridge.report.benchmark import plot_results, summarize_cells, write_markdown
    from molbridge.report.channels import plot_channel_weights_by_set

    out = Path(options.out)
    done_before = list((out / "cells").glob("*/*/seed*/result.json"))
    if done_before and not options.resume:
        raise FileExistsError(
            f"{out} already holds {len(done_before)} finished cells; add --resume to continue "
            "that run, or choose another --out"
        )
    if options.jobs < 1:
        raise ValueError("--jobs must be at least 1")
    if any(n < 1 for n in (options.epochs, *options.epochs_by_dataset.values())):
        raise ValueError("--epochs and --epochs-for must be at least 1")
    # before any work: a bad --out fails now, and nothing the run did not write is deleted
    created = not out.exists()
    run = RunFolder.claim(out, "benchmark", resume=options.resume, overwrite=options.overwrite)
    for name in OUTPUTS:
        run.file(name)
    try:
        suite: Suite = get_suite(options.suite, out)  # MoleculeACE writes its parts in `out`
        datasets = suite.select(options.datasets)
        seeds = suite.seeds(options.seeds)
        models = _models(options)
        try:  # a misspelt name would otherwise train that set for --epochs, silently
            suite.select(list(options.epochs_by_dataset))
        except ValueError as err:
            raise ValueError(f"--epochs-for: {err}") from None
        options.fit_on_train_and_valid = suite.train_file_is_train
        options.gbm_loss = suite.gbm_loss
        for model, path in options.init.items():
            if not Path(path).exists() and path not in NAMED_ENCODERS:
                raise FileNotFoundError(f"--init {path} ({model}): no such file")
    except (ValueError, FileNotFoundError):
        if created:  # the folder this call made holds nothing but what it just wrote
            shutil.rmtree(out, ignore_errors=True)
        raise
    cells_dir = out / "cells"
    options.report_dataset, options.report_seed = datasets[0].name, seeds[0]
    (out / "benchmark.yaml").write_text(
        yaml.safe_dump(
            asdict(options)
            | {"models": models, "seed_values": seeds, "molbridge_version": __version__},
            sort_keys=False,
        )
    )
    cells = [(d, m, s) for d in datasets for m in models for s in seeds]
    records: list[dict[str, Any]] = []
    pending = []
    for dataset, model, seed in cells:
        cell = cells_dir / dataset.name / model / f"seed{seed}"
        if (cell / "result.json").exists():
            records.append(json.loads((cell / "result.json").read_text()))
        else:
            pending.append((dataset, model, seed, cell))

    def finished(record: dict[str, Any]) -> None:
        records.append(record)
        dataset = next(d for d in datasets if d.name == record["dataset"])
        headline = record.get("test", {}).get(dataset.metric)
        log.info(
            "%s · %s · seed %d: %s in %.0f s",
            record["dataset"],
            record["model"],
            record["seed"],
            record.get("skipped") or f"test {dataset.metric} {headline:.4f}",
            record.get("seconds", 0.0),
        )
        summary = summarize_cells(suite, datasets, models, records)
        (out / "results.json").write_text(json.dumps(summary, indent=1))

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, disable=not options.progress) as progress:
        bar = progress.add_task(suite.name, total=len(cells), completed=len(records))
        if options.jobs <= 1:
            for dataset, model, seed, cell in pending:
                progress.update(bar, description=f"{dataset.name} · {model} · seed {seed}")
                finished(_run_and_save(dataset, model, seed, cell, options))
                progress.advance(bar)
        else:
            # independent cells in parallel processes, the cores shared out between them;
            # the longest first, so no worker is left alone with a long cell at the end
            pending.sort(key=lambda job: _expected_cost(job[0], job[1], options), reverse=True)
            threads = max(1, torch.get_num_threads() // options.jobs)
            progress.update(bar, description=f"{suite.name} ({options.jobs} jobs)")

            def on_result(record: dict[str, Any]) -> None:
                finished(record)
                progress.advance(bar)

            _run_in_pool(pending, options, threads, on_result)
    summary = summarize_cells(suite, datasets, models, records)
    (out / "results.json").write_text(json.dumps(summary, indent=1))
    write_markdown(summary, out / "results.md")
    plot_results(summary, out / "results.png")
    plot_channel_weights_by_set(records, out / "channel_weights.png")
    report = write_report(out, summary, options.init)
    log.info("wrote %s", report)
    return summary
