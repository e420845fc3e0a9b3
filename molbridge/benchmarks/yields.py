"""`molbridge benchmark yields`: reaction yield prediction under the Yield-BERT protocol.

Buchwald–Hartwig: the 10 random 70/30 splits (`FullCV_01`..`10`) and the out-of-sample splits
`Test1`..`Test4` (additive-based, Ahneman et al.); Suzuki–Miyaura: the 10 random 70/30 splits.
Split orderings are bundled (`molbridge.data.reactions.yield_bert_split`). Per split, R² (and
RMSE, MAE in yield %) on the test part, for:

- `drfp-gbm`: DRFP fingerprints (2048 bits, radius 3, rings) into CatBoost regression (1000
  rounds), fitted on the whole train part (the published DRFP recipe, with CatBoost for XGBoost);
- `reaction-gin`: the reaction encoder (GIN 5 x 300 over the component molecules, sides pooled,
  `[h_r, h_p, h_p - h_r]`) with a linear head, from random weights, fine-tuned on 90 % of the
  train part, the epoch chosen on the other 10 % (valid RMSE), test reported at that epoch;
- `reaction-gin+LABEL`: the same from a reaction teacher's weights (`--init LABEL=teacher.ckpt`).
  A teacher whose pre-training read this set's yields is refused: they include every split's
  test reactions.

Layout of `out`: `cells/<set>/<split>/<model>/result.json` (a finished cell; `resume=True` skips
it), `features/<set>-drfp.npz` (fingerprints, computed once), `results.json`, `results.md`,
`results.png`, `benchmark.yaml`.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import lightning as L
import numpy as np
import torch
import yaml
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sklearn.metrics import mean_absolute_error, r2_score
from torch.utils.data import DataLoader

from molbridge import __version__
from molbridge.data.reaction_stream import ReactionCorpus, reaction_corpus
from molbridge.data.reactions import ReactionTable, load_reactions, yield_bert_split
from molbridge.data.sampling import index_loader
from molbridge.encoders import GraphEncoderConfig, ReactionEncoder, ReactionEncoderConfig
from molbridge.estimators import GBMConfig, fit_gbm
from molbridge.featurize import GraphFeaturizer
from molbridge.featurize.reaction import DrfpFeaturizer, ReactionFeaturizer
from molbridge.io import load_bundle
from molbridge.io.outputs import RunFolder
from molbridge.pipeline.reaction_distill import load_teacher
from molbridge.pipeline.train import fit_best_valid
from molbridge.tasks import PropertyTaskConfig
from molbridge.tasks.property import ReactionPropertyTask

log = logging.getLogger(__name__)

SPLITS: dict[str, tuple[str, ...]] = {
    "buchwald_hartwig": (
        *(f"FullCV_{k:02d}" for k in range(1, 11)),
        "Test1",
        "Test2",
        "Test3",
        "Test4",
    ),
    "suzuki_miyaura": tuple(f"random_split_{k}" for k in range(10)),
}
RANDOM_GROUP = "random 70/30"
MODELS = ("drfp-gbm", "reaction-gin")
# published R² beside ours (../shared/ANCHORS.md; "recalled" = not checked against the paper)
ANCHORS: dict[tuple[str, str], list[tuple[str, float, float | None, str]]] = {
    ("buchwald_hartwig", RANDOM_GROUP): [
        ("Yield-BERT", 0.951, 0.005, "recalled"),
        ("DRFP + XGBoost", 0.95, None, "recalled, about"),
    ],
    ("suzuki_miyaura", RANDOM_GROUP): [("Yield-BERT", 0.81, None, "recalled, about")],
}


def split_group(split: str) -> str:
    """The row a split is reported in: the random splits together, each out-of-sample alone."""
    return split if split.startswith("Test") else RANDOM_GROUP


@dataclass
class YieldsOptions:
    """Attributes:
    out: output folder.
    datasets: reaction sets (`None`: both).
    models: `drfp-gbm`, `reaction-gin`, `reaction-gin+LABEL` (default: the first two and one
        per `init`).
    init: LABEL -> reaction teacher `teacher.ckpt`.
    splits: only these split names (default: all of each set).
    epochs, batch_size, lr, dropout: fine-tuning of the reaction GINs (a batch's distinct
        component molecules are encoded once, so a step costs about the same for 32 reactions
        as for 128 on these sets: 128 trains an epoch about 4x faster).
    num_layers, hidden_dim: the from-scratch reaction GIN (a teacher brings its own).
    valid_fraction: share of the train part held out to choose the epoch.
    gbm_iterations: CatBoost rounds of `drfp-gbm`.
    subsample: the first N train and test reactions of each split only (smoke tests).
    seed: weights, data order and the valid draw.
    """

    out: str
    datasets: list[str] | None = None
    models: list[str] | None = None
    init: dict[str, str] = field(default_factory=dict)
    splits: list[str] | None = None
    epochs: int = 40
    batch_size: int = 128
    lr: float = 1e-3
    dropout: float = 0.1
    num_layers: int = 5
    hidden_dim: int = 300
    valid_fraction: float = 0.1
    gbm_iterations: int = 1000
    subsample: int | None = None
    seed: int = 0
    precision: str = "32"
    resume: bool = False
    overwrite: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        if self.datasets is None:
            self.datasets = list(SPLITS)
        unknown = sorted(set(self.datasets) - set(SPLITS))
        if unknown or not self.datasets:
            raise ValueError(f"yields: unknown sets {unknown}; valid: {', '.join(SPLITS)}")
        if self.models is None:
            self.models = [*MODELS, *(f"reaction-gin+{label}" for label in self.init)]
        for model in self.models:
            base, _, label = model.partition("+")
            if model not in MODELS and not (base == "reaction-gin" and label in self.init):
                raise ValueError(
                    f"yields: unknown model {model!r}; valid: {', '.join(MODELS)}, and "
                    "reaction-gin+LABEL for each --init LABEL=teacher.ckpt"
                )
        known = {s for d in self.sets for s in SPLITS[d]}
        bad = sorted(set(self.splits or []) - known)
        if bad:
            raise ValueError(f"yields: unknown splits {bad}; valid: {sorted(known)}")
        if not 0 < self.valid_fraction < 0.5:
            raise ValueError(f"valid_fraction must be in (0, 0.5), got {self.valid_fraction}")

    @property
    def sets(self) -> list[str]:
        return list(self.datasets or SPLITS)

    def cells(self) -> list[tuple[str, str, str]]:
        return [
            (dataset, split, model)
            for dataset in self.sets
            for split in SPLITS[dataset]
            if self.splits is None or split in self.splits
            for model in cast(list[str], self.models)
        ]


# -- data ----------------------------------------------------------------------------------


@functools.cache
def _corpus(dataset: str) -> ReactionCorpus:
    corpus = reaction_corpus([dataset], ReactionFeaturizer(GraphFeaturizer()))
    if corpus.skipped:  # the bundled sets all featurize; a changed file must not shift rows
        raise ValueError(f"{dataset}: {len(corpus.skipped)} reactions could not be featurized")
    return corpus


def _parts(
    dataset: str, split: str, options: YieldsOptions
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows (into the set's file) of fit, valid and test; fit + valid = the train part."""
    train, test = yield_bert_split(dataset, split)
    if options.subsample:
        train, test = train[: options.subsample], test[: options.subsample]
    rng = np.random.default_rng(options.seed)
    order = rng.permutation(len(train))
    n_valid = max(1, round(options.valid_fraction * len(train)))
    return train[order[n_valid:]], train[order[:n_valid]], test


@functools.cache
def _table(dataset: str) -> ReactionTable:
    return load_reactions(dataset)


def _yields(dataset: str) -> np.ndarray:
    values = _table(dataset).yield_frac
    assert values is not None  # both yield sets have yields
    return values


def _drfp(dataset: str, rows: np.ndarray, features: Path) -> np.ndarray:
    """DRFP rows of the set's reactions, computed once per reaction and kept in `features`."""
    featurizer = DrfpFeaturizer()
    path = features / f"{dataset}-drfp.npz"
    table = _table(dataset).rxn
    stored = np.zeros((len(table), featurizer.n_bits), np.uint8)
    done = np.zeros(len(table), bool)
    if path.exists():
        saved = np.load(path)
        if saved["config"].item() == json.dumps(featurizer.to_config()):
            stored[saved["rows"]] = saved["fps"]
            done[saved["rows"]] = True
    missing = np.setdiff1d(rows, np.flatnonzero(done))
    if len(missing):
        stored[missing] = featurizer.many([table[i] for i in missing])
        done[missing] = True
        features.mkdir(parents=True, exist_ok=True)
        kept = np.flatnonzero(done)
        np.savez(path, rows=kept, fps=stored[kept], config=json.dumps(featurizer.to_config()))
    return stored[rows]


# -- cells ---------------------------------------------------------------------------------


def _scores(true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    return {
        "r2": float(r2_score(true, pred)),
        "rmse": float(np.sqrt(np.mean((true - pred) ** 2)) * 100),
        "mae": float(mean_absolute_error(true, pred) * 100),
    }


def _drfp_gbm_cell(dataset: str, split: str, options: YieldsOptions, out: Path) -> dict[str, Any]:
    fit, valid, test = _parts(dataset, split, options)
    train = np.concatenate([fit, valid])  # nothing is chosen on validation here
    y = _yields(dataset)
    features = out / "features"
    model = fit_gbm(
        _drfp(dataset, train, features).astype(np.float32),
        y[train, None],
        "regression",
        options.seed,
        # squared error and CatBoost's own split randomness, as the DRFP recipe's XGBoost has
        # (not the TDC entry's MAE and random_strength 2, which `gbm` follows)
        GBMConfig(iterations=options.gbm_iterations, random_strength=1.0, regression_loss="RMSE"),
    )
    pred = model.predict(_drfp(dataset, test, features).astype(np.float32))[:, 0]
    return {**_scores(y[test], pred), "n_train": len(train), "n_test": len(test)}


def _loader(
    corpus: ReactionCorpus, rows: np.ndarray, y: np.ndarray, batch_size: int, seed: int, train: bool
) -> DataLoader:
    part = corpus.reactions.subset(rows)
    targets = y[rows, None].astype(np.float32)
    # a lone trailing training reaction is dropped (batch norm needs two rows)
    return index_loader(
        len(rows),
        lambda idx: part.collate(idx, targets),
        batch_size,
        seed,
        shuffle=train,
        drop_lone_tail=train,
    )


def _reaction_encoder(model: str, options: YieldsOptions) -> ReactionEncoder:
    """The model's encoder: fresh, or the teacher's reaction encoder with fine-tuning dropout."""
    _, _, label = model.partition("+")
    featurizer = GraphFeaturizer()
    if not label:
        graph = GraphEncoderConfig(
            featurizer.atom_dims,
            featurizer.bond_dims,
            options.num_layers,
            options.hidden_dim,
            options.dropout,
        )
        return ReactionEncoder(ReactionEncoderConfig(graph))
    _, teacher = load_teacher(options.init[label])
    config = teacher.config.reaction
    graph = GraphEncoderConfig(**{**asdict(config.graph), "dropout": options.dropout})
    encoder = ReactionEncoder(ReactionEncoderConfig(graph, config.combine, config.projection_dim))
    encoder.load_state_dict(teacher.reaction.state_dict())
    return encoder


def check_teacher(label: str, path: str, datasets: list[str]) -> None:
    """Refuse a teacher whose pre-training read the yields of a set benchmarked here."""
    pretraining = load_bundle(path).extra.get("pretraining", {})
    seen = sorted(set(pretraining.get("reactions", [])) & set(datasets))
    if seen:
        raise ValueError(
            f"--init {label}={path}: its pre-training read the yields of {', '.join(seen)}, "
            "which include every split's test reactions; benchmark it on other sets, or "
            "pre-train a teacher without them (options: reactions: [uspto_50k])"
        )


def _gin_cell(
    dataset: str, split: str, model: str, options: YieldsOptions, cell: Path
) -> dict[str, Any]:
    fit, valid, test = _parts(dataset, split, options)
    corpus, y = _corpus(dataset), _yields(dataset)
    L.seed_everything(options.seed, verbose=False)
    encoder = _reaction_encoder(model, options)
    task = ReactionPropertyTask(
        encoder,
        PropertyTaskConfig(
            "regression",
            ("yield",),
            metric="rmse",
            lr=options.lr,
            target_mean=(float(y[fit].mean()),),
            target_std=(float(y[fit].std()) or 1.0,),
        ),
    )
    state, best_epoch = fit_best_valid(
        task,
        _loader(corpus, fit, y, options.batch_size, options.seed, True),
        _loader(corpus, valid, y, 256, options.seed, False),
        cell / "checkpoints",
        options.epochs,
        options.precision,
        resume=options.resume,
    )
    task.load_state_dict(state)
    task.eval()
    with torch.inference_mode():
        pred = np.concatenate(
            [
                task.predict_values(b).numpy()[:, 0]
                for b in _loader(corpus, test, y, 256, options.seed, False)
            ]
        )
    for stale in (cell / "checkpoints").glob("*.ckpt"):  # the result is what is kept
        stale.unlink()
    return {
        **_scores(y[test], pred),
        "best_epoch": best_epoch,
        "n_train": len(fit),
        "n_valid": len(valid),
        "n_test": len(test),
        "history": task.history,
    }


def run_yields(options: YieldsOptions) -> dict[str, Any]:
    """Run every cell not yet done; write and return the summary."""
    for label, path in options.init.items():
        check_teacher(label, path, options.sets)
    run = RunFolder.claim(
        options.out, "benchmark-yields", resume=options.resume, overwrite=options.overwrite
    )
    out = run.path
    for name in ("cells", "features", "results.json", "results.md", "results.png"):
        run.file(name)
    (run.file("benchmark.yaml")).write_text(
        yaml.safe_dump(asdict(options) | {"molbridge_version": __version__}, sort_keys=False)
    )
    cells = options.cells()
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, disable=not options.progress) as bar:
        task_id = bar.add_task("yield cells", total=len(cells))
        for dataset, split, model in cells:
            cell = out / "cells" / dataset / split / model
            done = cell / "result.json"
            if not done.exists():
                bar.update(task_id, description=f"{dataset} {split} {model}")
                started = time.perf_counter()
                runner: Callable[[], dict[str, Any]]
                if model == "drfp-gbm":
                    runner = functools.partial(_drfp_gbm_cell, dataset, split, options, out)
                else:
                    runner = functools.partial(_gin_cell, dataset, split, model, options, cell)
                result = runner()
                result["seconds"] = time.perf_counter() - started
                cell.mkdir(parents=True, exist_ok=True)
                done.write_text(json.dumps(result, indent=1))
                log.info(
                    "%s %s %s: test R2 %.3f in %.0f s",
                    dataset,
                    split,
                    model,
                    result["r2"],
                    result["seconds"],
                )
                summary = summarize(options, out)
                write_report(summary, out)
            bar.advance(task_id)
    summary = summarize(options, out)
    write_report(summary, out)
    return summary


# -- report --------------------------------------------------------------------------------


def summarize(options: YieldsOptions, out: Path) -> dict[str, Any]:
    """Finished cells -> per set, per row (random splits together, out-of-sample alone), per
    model: mean ± std of R², RMSE and MAE over the splits, and how many."""
    rows: dict[tuple[str, str], dict[str, list[dict[str, float]]]] = {}
    for dataset, split, model in options.cells():
        done = out / "cells" / dataset / split / model / "result.json"
        if done.exists():
            result = json.loads(done.read_text())
            rows.setdefault((dataset, split_group(split)), {}).setdefault(model, []).append(result)
    table = []
    for (dataset, group), by_model in rows.items():
        entry: dict[str, Any] = {"dataset": dataset, "group": group, "results": {}}
        for model, results in by_model.items():
            entry["results"][model] = {
                metric: {
                    "mean": float(np.mean([r[metric] for r in results])),
                    "std": float(np.std([r[metric] for r in results])),
                    "n": len(results),
                }
                for metric in ("r2", "rmse", "mae")
            }
        entry["anchors"] = [
            {"name": n, "r2": v, "std": s, "source": src}
            for n, v, s, src in ANCHORS.get((dataset, group), [])
        ]
        table.append(entry)
    return {"models": list(cast(list[str], options.models)), "rows": table}


def write_report(summary: dict[str, Any], out: Path) -> None:
    (out / "results.json").write_text(json.dumps(summary, indent=1))
    models = summary["models"]
    lines = [
        "# Reaction yields: test R² (mean ± std over splits; n = splits)",
        "",
        "| set | splits | " + " | ".join(models) + " | published |",
        "|---|---|" + "---|" * (len(models) + 1),
    ]
    for row in summary["rows"]:
        cells = []
        for model in models:
            entry = row["results"].get(model)
            cells.append(
                "—"
                if entry is None
                else f"{entry['r2']['mean']:.3f} ± {entry['r2']['std']:.3f} (n={entry['r2']['n']})"
            )
        anchors = "; ".join(
            f"{a['name']} {a['r2']:.3f}"
            + (f" ± {a['std']:.3f}" if a["std"] else "")
            + f" ({a['source']})"
            for a in row["anchors"]
        )
        lines.append(
            f"| {row['dataset']} | {row['group']} | " + " | ".join(cells) + f" | {anchors or '—'} |"
        )
    lines += [
        "",
        "RMSE and MAE (yield %) per row are in results.json; the protocol is in the docstring "
        "of `molbridge.benchmarks.yields`.",
    ]
    (out / "results.md").write_text("\n".join(lines) + "\n")
    _plot(summary, out / "results.png")


def _plot(summary: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, models = summary["rows"], summary["models"]
    if not rows:
        return
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(rows)), 4))
    width = 0.8 / len(models)
    for k, model in enumerate(models):
        means = [r["results"].get(model, {}).get("r2", {}).get("mean", np.nan) for r in rows]
        stds = [r["results"].get(model, {}).get("r2", {}).get("std", 0.0) for r in rows]
        xs = np.arange(len(rows)) + k * width
        ax.bar(xs, means, width, yerr=stds, label=model, capsize=2)
    for i, row in enumerate(rows):
        for anchor in row["anchors"]:
            ax.hlines(anchor["r2"], i - 0.1, i + 0.9, colors="k", linestyles="dashed", lw=1)
    ax.set_xticks(np.arange(len(rows)) + 0.4 - width / 2)
    ax.set_xticklabels([f"{r['dataset']}\n{r['group']}" for r in rows], fontsize=8)
    ax.set_ylabel("test R²")
    ax.set_ylim(min(0.0, ax.get_ylim()[0]), 1.0)
    ax.legend(fontsize=8)
    ax.set_title("Reaction yields (dashed: published)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
