"""Pre-train a unimodal encoder on its own modality, for strategies that use it frozen.

Pre-trained chemistry weights cannot be downloaded here, so molbridge makes its own:
`pretrain_modality(ModalityConfig(...))` (the `molbridge pretrain-modality` command) featurizes
a corpus for one modality, trains that modality's encoder with its self-supervised task and
writes `encoder.ckpt` (an `encoder` bundle: featurizer config, encoder config, weights) that
`load_modality_encoder` turns back into (featurizer, encoder).

| modality | corpus | featurizer | encoder | self-supervised task |
|---|---|---|---|---|
| smiles | SMILES corpus | canonical SMILES tokens | Transformer | masked tokens (BERT) |
| image | SMILES corpus | RDKit depiction, cached | ResNet-18 | SimCLR (NT-Xent) |
| fingerprint | SMILES corpus | ECFP4, 2048 bits | MLP | denoising autoencoder |
| descriptors | SMILES corpus | RDKit 2D descriptors, normalised | MLP | denoising autoencoder |
| spectrum | bundled NMRShiftDB2 (13C or 1H) | binned peak list | 1-D CNN | denoising autoencoder |

The corpora of these encoders fit in memory (a few hundred thousand molecules at most here);
invalid SMILES are skipped and listed in `skipped.csv`, as for the graph corpus.
Outputs in `config.out`: `encoder.ckpt`, `config.yaml`, `history.json`, `summary.json`,
`loss_curve.png`, `skipped.csv`, `checkpoints/` (every epoch; `resume=True` continues from
the newest).

The sanity number of a shipped encoder: the last `held_out` inputs (at most a tenth of them) are
never trained on; after training, the task's own loss and metric (masked-token accuracy, SimCLR
top-1, on-bit recall, reconstruction error) on them, for the trained task and for the same task
untrained (its initial weights, the same seed), go to `summary.json` under `held_out`.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import pandas as pd
import torch
import yaml
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset

from molbridge import __version__
from molbridge.chem import parse_many
from molbridge.data.corpus import read_smiles
from molbridge.data.image_cache import ImageCache
from molbridge.data.sampling import epoch_shuffler
from molbridge.data.spectra import held_out_keys, load_nmr_spectra, record_keys
from molbridge.encoders import (
    FingerprintEncoder,
    FingerprintEncoderConfig,
    ImageEncoder,
    ImageEncoderConfig,
    SmilesEncoder,
    SmilesEncoderConfig,
    SpectrumEncoder,
    SpectrumEncoderConfig,
)
from molbridge.encoders.registry import build_encoder
from molbridge.featurize import (
    DescriptorFeaturizer,
    ECFPFeaturizer,
    ImageFeaturizer,
    SmilesFeaturizer,
    SmilesVocabulary,
    SpectrumFeaturizer,
    tokenize,
)
from molbridge.io import Bundle, CheckpointError, load_bundle, load_weights, save_bundle
from molbridge.io.outputs import RunFolder, write_csv
from molbridge.pipeline.checks import check_settings
from molbridge.pipeline.epochs import PRETRAIN_OUTPUTS, PretrainResult, fit_epochs
from molbridge.report.curves import plot_pretraining_curve
from molbridge.tasks.pretrain import (
    FingerprintAutoencoderConfig,
    FingerprintAutoencoderPretraining,
    ImageContrastiveConfig,
    ImageContrastivePretraining,
    MaskedTokenPretraining,
    MaskedTokensConfig,
    PretrainTask,
    SpectrumAutoencoderConfig,
    SpectrumAutoencoderPretraining,
)

log = logging.getLogger(__name__)

MODALITIES = ("smiles", "image", "fingerprint", "descriptors", "spectrum")
# the encoder registry's names of the unimodal encoders (build_encoder builds them)
MODALITY_ENCODERS = ("smiles-transformer", "resnet", "fingerprint-mlp", "spectrum-cnn")

# config names -> classes, resolved here at the config edge only (STYLE rule 4)
FEATURIZERS: dict[str, Any] = {
    "smiles": SmilesFeaturizer,
    "image": ImageFeaturizer,
    "ecfp": ECFPFeaturizer,
    "rdkit-descriptors": DescriptorFeaturizer,
    "nmr-spectrum": SpectrumFeaturizer,
}


@dataclass
class ModalityConfig:
    """Everything `molbridge pretrain-modality` needs; written to `config.yaml`.

    `corpus` is `moses` or a CSV / `.smi` file (not used by `spectrum`, which reads the bundled
    NMRShiftDB2 spectra of `nucleus`); `max_molecules` takes the first N of it. `lr=None`
    keeps the task's own default. `encoder` overrides settings of the modality's encoder
    config (e.g. `{"d_model": 128, "num_layers": 3}` for a smaller SMILES Transformer); for
    `smiles`, `max_length` there sets the token length (default: the corpus's longest SMILES,
    at least 128).
    """

    modality: str
    out: str
    corpus: str = "moses"
    smiles_column: str | None = None
    max_molecules: int | None = 50_000
    nucleus: str = "13C"
    image_size: int = 128
    epochs: int = 5
    batch_size: int = 128
    lr: float | None = None
    seed: int = 0
    precision: str = "32"
    resume: bool = False
    overwrite: bool = False
    cache_dir: str | None = None
    progress: bool = True
    fast_dev_run: bool = False
    encoder: dict[str, Any] = field(default_factory=dict)
    held_out: int = 1000

    def __post_init__(self) -> None:
        check_modality(self.modality)
        check_settings(
            self, ("epochs", "batch_size", "max_molecules", "image_size"), positive=("lr",)
        )
        if self.held_out < 0:
            raise ValueError(f"held_out must be >= 0, got {self.held_out}")


def check_modality(name: str) -> None:
    if name not in MODALITIES:
        raise ValueError(f"unknown modality {name!r}; valid: {', '.join(MODALITIES)}")


@dataclass
class _Prepared:
    """A modality's inputs, featurizer and task, ready to train."""

    inputs: TensorDataset | _Rows
    featurizer: dict[str, Any]
    encoder: SmilesEncoder | ImageEncoder | FingerprintEncoder | SpectrumEncoder
    task: PretrainTask
    n_inputs: int
    n_used: int


class _Rows(Dataset):
    """Rows of an array (e.g. a memory-mapped image cache) as tensors, copied per item."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, i: int) -> torch.Tensor:
        return torch.from_numpy(np.array(self.array[i]))


def _encoder_config(config_class: Any, overrides: dict[str, Any], **fixed: Any) -> Any:
    """`config_class(**fixed, **overrides)`; an override of a fixed or unknown setting is
    refused by name."""
    fields = set(getattr(config_class, "__dataclass_fields__", {}))
    bad = sorted(set(overrides) - (fields - set(fixed)))
    if bad:
        raise ValueError(
            f"encoder settings {bad} cannot be set; valid: {sorted(fields - set(fixed))}"
        )
    return config_class(**fixed, **overrides)


def _with_lr(task_config: Any, lr: float | None) -> Any:
    """The task's config with `lr` if given, else its own default."""
    return task_config if lr is None else replace(task_config, lr=lr)


def _valid_molecules(config: ModalityConfig, out: Path) -> tuple[list[str], list[Any], int]:
    """The corpus's SMILES and molecules, invalid ones skipped and listed in `skipped.csv`."""
    smiles = read_smiles(config.corpus, config.smiles_column, config.max_molecules)
    kept, mols, skipped = [], [], []
    for row, mol, error in parse_many(smiles):
        if mol is None:
            skipped.append((row, smiles[row], error))
        else:
            kept.append(smiles[row])
            mols.append(mol)
    write_csv(pd.DataFrame(skipped, columns=["row", "smiles", "reason"]), out / "skipped.csv")
    if skipped:
        log.warning("%d invalid SMILES skipped, listed in %s", len(skipped), out / "skipped.csv")
    if not mols:
        raise ValueError(f"corpus {config.corpus!r} has no valid molecule")
    return kept, mols, len(smiles)


def _prepare_smiles(config: ModalityConfig, out: Path) -> _Prepared:
    _, mols, n_inputs = _valid_molecules(config, out)
    # the vocabulary is built from the canonical SMILES the featurizer writes
    canonical = SmilesFeaturizer(SmilesVocabulary.build([]))
    texts = [canonical.smiles(mol) for mol in mols]
    vocabulary = SmilesVocabulary.build(texts)
    longest = max(len(tokenize(text)) for text in texts)
    settings = dict(config.encoder)
    max_length = int(settings.pop("max_length", max(128, longest + 2)))
    if max_length < longest + 2:
        raise ValueError(
            f"max_length {max_length} is too short for the corpus's longest SMILES "
            f"({longest} tokens + <cls> and <eos>)"
        )
    featurizer = SmilesFeaturizer(vocabulary, max_length=max_length)
    ids = np.stack([featurizer(mol) for mol in mols])
    encoder = SmilesEncoder(
        _encoder_config(
            SmilesEncoderConfig,
            settings,
            vocab_size=len(vocabulary),
            max_length=max_length,
            pad_index=vocabulary.pad_index,
        )
    )
    task = MaskedTokenPretraining(
        encoder,
        mask_index=vocabulary.mask_index,
        pad_index=vocabulary.pad_index,
        cls_index=vocabulary.cls_index,
        eos_index=vocabulary.eos_index,
        vocab_size=len(vocabulary),
        config=_with_lr(MaskedTokensConfig(), config.lr),
        random_exclude=(vocabulary.unk_index,),
    )
    inputs = TensorDataset(torch.from_numpy(ids))
    return _Prepared(inputs, featurizer.to_config(), encoder, task, n_inputs, len(mols))


def _prepare_image(config: ModalityConfig, out: Path) -> _Prepared:
    smiles, _, n_inputs = _valid_molecules(config, out)
    featurizer = ImageFeaturizer(size=config.image_size)
    root = Path(config.cache_dir) if config.cache_dir else out / "image_cache"
    images = ImageCache(root, featurizer, progress=config.progress).load(smiles)
    encoder = ImageEncoder(
        _encoder_config(ImageEncoderConfig, config.encoder, in_channels=featurizer.channels)
    )
    task = ImageContrastivePretraining(encoder, _with_lr(ImageContrastiveConfig(), config.lr))
    return _Prepared(_Rows(images), featurizer.to_config(), encoder, task, n_inputs, len(smiles))


def _prepare_fingerprint(config: ModalityConfig, out: Path) -> _Prepared:
    _, mols, n_inputs = _valid_molecules(config, out)
    featurizer = ECFPFeaturizer()
    bits = featurizer.many_mols(mols)
    encoder = FingerprintEncoder(
        _encoder_config(FingerprintEncoderConfig, config.encoder, in_dim=featurizer.n_bits)
    )
    task_config = _with_lr(FingerprintAutoencoderConfig(target="fingerprint"), config.lr)
    task = FingerprintAutoencoderPretraining(encoder, task_config)
    inputs = TensorDataset(torch.from_numpy(bits))
    return _Prepared(inputs, featurizer.to_config(), encoder, task, n_inputs, len(mols))


def _prepare_descriptors(config: ModalityConfig, out: Path) -> _Prepared:
    _, mols, n_inputs = _valid_molecules(config, out)
    raw = DescriptorFeaturizer().many_mols(mols)
    featurizer = DescriptorFeaturizer().fit(raw)  # statistics of this corpus, kept in the bundle
    values = featurizer.transform(raw)
    encoder = FingerprintEncoder(
        _encoder_config(FingerprintEncoderConfig, config.encoder, in_dim=featurizer.n_descriptors)
    )
    task_config = _with_lr(FingerprintAutoencoderConfig(target="descriptors"), config.lr)
    task = FingerprintAutoencoderPretraining(encoder, task_config)
    inputs = TensorDataset(torch.from_numpy(values))
    return _Prepared(inputs, featurizer.to_config(), encoder, task, n_inputs, len(mols))


def _prepare_spectrum(config: ModalityConfig, out: Path) -> _Prepared:
    spectra = load_nmr_spectra(config.nucleus, on_invalid="skip")  # type: ignore[arg-type]
    write_csv(pd.DataFrame(spectra.skipped), out / "skipped.csv")
    # the held-out molecules' spectra are never trained with (retrieval, isomers use them)
    keys = record_keys(spectra)
    held = held_out_keys(keys)
    peaks = [p for key, p in zip(keys, spectra.peaks, strict=True) if key not in held]
    log.info("spectrum: %d records of held-out molecules left out", len(spectra.peaks) - len(peaks))
    peaks = peaks[: config.max_molecules] if config.max_molecules else peaks
    featurizer = SpectrumFeaturizer(config.nucleus)  # type: ignore[arg-type]
    binned = featurizer.many(peaks)
    encoder = SpectrumEncoder(
        _encoder_config(SpectrumEncoderConfig, config.encoder, n_bins=featurizer.n_bins)
    )
    task = SpectrumAutoencoderPretraining(encoder, _with_lr(SpectrumAutoencoderConfig(), config.lr))
    n_inputs = len(spectra.peaks) + len(spectra.skipped)
    return _Prepared(
        TensorDataset(torch.from_numpy(binned)),
        featurizer.to_config(),
        encoder,
        task,
        n_inputs,
        len(peaks),
    )


_PREPARE: dict[str, Callable[[ModalityConfig, Path], _Prepared]] = {
    "smiles": _prepare_smiles,
    "image": _prepare_image,
    "fingerprint": _prepare_fingerprint,
    "descriptors": _prepare_descriptors,
    "spectrum": _prepare_spectrum,
}


# what a run writes in its folder: a graph pre-training's outputs and the skipped inputs (an
# image cache there is kept: it is keyed, and reusable)
OUTPUTS = (*PRETRAIN_OUTPUTS, "skipped.csv")


def held_out_count(n_inputs: int, requested: int) -> int:
    """How many of `n_inputs` are held out: `requested`, at most a tenth, none below 2 (the
    contrastive task needs 2 per batch)."""
    n = min(requested, n_inputs // 10)
    return n if n >= 2 else 0


def prepare_modality(config: ModalityConfig, out: Path) -> tuple[_Prepared, Subset, Subset]:
    """The modality's inputs, featurizer and untrained task (skipped inputs listed in
    `out/skipped.csv`), and its inputs split into the rows trained on and the held-out rows."""
    prepared = _PREPARE[config.modality](config, out)
    n_rows = len(prepared.inputs)
    n_held = held_out_count(n_rows, config.held_out)
    return (
        prepared,
        Subset(prepared.inputs, range(n_rows - n_held)),
        Subset(prepared.inputs, range(n_rows - n_held, n_rows)),
    )


@torch.no_grad()
def evaluate_task(
    task: PretrainTask, rows: Dataset, batch_size: int, seed: int
) -> dict[str, float]:
    """The task's loss and metrics on `rows`, in eval mode, averaged over inputs; the random
    corruption (masks, noise, augmentations) drawn from `seed`, so two tasks see the same."""
    was_training = task.training
    task.eval()
    totals: dict[str, float] = {}
    count = 0
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for batch in DataLoader(rows, batch_size=batch_size):
            size = len(batch[0] if isinstance(batch, tuple | list) else batch)
            if size < 2:  # a lone last input: the contrastive task cannot score it
                continue
            loss, metrics = task.loss(batch)
            for name, value in {"loss": float(loss), **metrics}.items():
                totals[name] = totals.get(name, 0.0) + value * size
            count += size
    task.train(was_training)
    return {name: total / count for name, total in totals.items()} | {"inputs": count}


def pretrain_modality(config: ModalityConfig) -> PretrainResult:
    """Run a modality pre-training job; see the module docstring for its outputs."""
    run = RunFolder.claim(
        config.out, "pretrain-modality", resume=config.resume, overwrite=config.overwrite
    )
    out = run.path
    for name in OUTPUTS:
        run.file(name)
    L.seed_everything(config.seed, verbose=False)
    prepared, train_rows, held_rows = prepare_modality(config, out)
    untrained = copy.deepcopy(prepared.task) if len(held_rows) else None
    loader = DataLoader(
        train_rows,
        batch_size=config.batch_size,
        sampler=epoch_shuffler(len(train_rows), config.seed),  # exact on resume
        drop_last=len(train_rows) > config.batch_size,  # batch norm needs 2+ rows
        generator=torch.Generator().manual_seed(config.seed),
    )
    fitted = fit_epochs(
        prepared.task,
        loader,
        out / "checkpoints",
        config.epochs,
        config.precision,
        resume=config.resume,
        progress=config.progress,
        fast_dev_run=config.fast_dev_run,
    )
    resume_from, seconds, steps = fitted.resumed_from, fitted.seconds, fitted.steps
    summary = {
        "modality": config.modality,
        "corpus": "nmrshiftdb2 (bundled)" if config.modality == "spectrum" else config.corpus,
        "inputs_read": prepared.n_inputs,
        "inputs_used": prepared.n_used,
        "epochs": config.epochs,
        "steps": steps,
        "train_seconds": seconds,
        "inputs_per_second": steps * config.batch_size / seconds if seconds > 0 else 0.0,
        "final_loss": prepared.task.history[-1]["loss"] if prepared.task.history else None,
        "resumed_from": resume_from,
        "molbridge_version": __version__,
    }
    if untrained is not None:
        summary["held_out"] = {
            name: evaluate_task(task, held_rows, config.batch_size, config.seed)
            for name, task in (("trained", prepared.task), ("untrained", untrained))
        }
        log.info("held-out %s", summary["held_out"])
    encoder_config = prepared.encoder.config
    encoder_path = save_bundle(
        Bundle(
            kind="encoder",
            featurizer=prepared.featurizer,
            encoder=encoder_config.to_config(),
            members=[
                {k: v.detach().contiguous() for k, v in prepared.encoder.state_dict().items()}
            ],
            extra={"pretraining": summary, "task": prepared.task.config.to_config()},
        ),
        out / "encoder.ckpt",
    )
    (out / "config.yaml").write_text(yaml.safe_dump(asdict(config), sort_keys=False))
    (out / "history.json").write_text(json.dumps(prepared.task.history, indent=1))
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    if prepared.task.history:
        plot_pretraining_curve(
            prepared.task.history, out / "loss_curve.png", f"{config.modality} encoder"
        )
    return PretrainResult(encoder_path, prepared.task.history, summary)


def load_modality_encoder(path: Path | str) -> tuple[Any, nn.Module]:
    """(featurizer, encoder with its pre-trained weights) from a modality `encoder.ckpt`.

    Raises:
        CheckpointError: the bundle is not an encoder bundle, or holds an encoder or featurizer
            this version does not know (the graph encoder loads with `--init` instead).
    """
    bundle = load_bundle(path)
    if bundle.kind != "encoder":
        raise CheckpointError(f"{path} is a {bundle.kind} bundle, not an encoder")
    name = bundle.encoder.get("name")
    if name not in MODALITY_ENCODERS:
        hint = " (the graph encoder: use --init)" if name == "gin" else ""
        raise CheckpointError(
            f"{path} holds encoder {name!r}{hint}; modality encoders: "
            f"{', '.join(MODALITY_ENCODERS)}"
        )
    featurizer_name = bundle.featurizer.get("name")
    if featurizer_name not in FEATURIZERS:
        raise CheckpointError(
            f"{path} holds featurizer {featurizer_name!r}; known: {', '.join(FEATURIZERS)}"
        )
    try:
        encoder = build_encoder(bundle.encoder)
    except (TypeError, ValueError, KeyError) as err:
        raise CheckpointError(f"{path}: its encoder configuration is not valid: {err}") from err
    load_weights(encoder, bundle.members[0], str(path))
    return FEATURIZERS[featurizer_name].from_config(bundle.featurizer), encoder
