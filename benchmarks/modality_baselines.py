"""Trivial predictors on a modality encoder's held-out inputs, beside its sanity number.

`molbridge pretrain-modality` scores the trained and the untrained task on the inputs it held
out (`summary.json`, `held_out`). An untrained network is a weak bar; this script adds the
predictor that knows only the training inputs' marginals, on the same held-out rows (the split
is re-made from the run's `config.yaml` with the pipeline's own `prepare_modality`):

- smiles: masked-token accuracy of always guessing the training tokens' most frequent token,
  and the cross-entropy of the training unigram distribution (the masked positions are a
  uniform draw of the real tokens, so both are their expected values);
- fingerprint: binary cross-entropy of each bit's training frequency, and its on-bit recall
  (bits with frequency above 1/2 predicted on);
- spectrum: MSE of the mean training target (each spectrum scaled to peak 1, as the task does);
- image: SimCLR top-1 by chance, 1 / (2 × batch − 1).

Usage: .venv/bin/python benchmarks/modality_baselines.py RUN_DIR ... [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
import yaml

from molbridge.pipeline.modality import ModalityConfig, prepare_modality


def _stack(rows: torch.utils.data.Dataset) -> torch.Tensor:
    items = [rows[i] for i in range(len(rows))]  # type: ignore[arg-type]
    return torch.stack([x[0] if isinstance(x, tuple | list) else x for x in items])


def _smiles(task: Any, train: torch.Tensor, held: torch.Tensor) -> dict[str, float]:
    special = torch.tensor([task.pad_index, task.cls_index, task.eos_index])
    vocab = int(task.head[-1].out_features)

    def counts(ids: torch.Tensor) -> torch.Tensor:
        real = ids[~torch.isin(ids, special)]
        return torch.bincount(real, minlength=vocab).double()

    train_counts, held_counts = counts(train), counts(held)
    p = (train_counts + 1) / (train_counts + 1).sum()  # add-one: a token unseen in training
    majority = int(train_counts.argmax())
    return {
        "majority_token_accuracy": float(held_counts[majority] / held_counts.sum()),
        "unigram_cross_entropy": float(-(held_counts * p.log()).sum() / held_counts.sum()),
    }


def _fingerprint(train: torch.Tensor, held: torch.Tensor) -> dict[str, float]:
    frequency = train.float().mean(0).clamp(1e-6, 1 - 1e-6)
    target = held.float()
    on = target > 0.5
    predicted_on = (frequency > 0.5).expand_as(target)
    return {
        "bit_frequency_bce": float(F.binary_cross_entropy(frequency.expand_as(target), target)),
        "bit_frequency_on_bit_recall": float((predicted_on & on).sum() / on.sum()),
    }


def _spectrum(train: torch.Tensor, held: torch.Tensor) -> dict[str, float]:
    def scaled(x: torch.Tensor) -> torch.Tensor:
        x = x.float()
        return x / x.amax(1, keepdim=True).clamp(min=1e-12)

    mean = scaled(train).mean(0)
    return {"mean_spectrum_mse": float(F.mse_loss(mean.expand_as(held), scaled(held)))}


def baselines(run: Path) -> dict[str, Any]:
    settings = yaml.safe_load((run / "config.yaml").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        settings.update(out=tmp, resume=False, overwrite=True, progress=False)
        config = ModalityConfig(**settings)
        if config.modality == "image":
            return {"chance_top1": 1 / (2 * config.batch_size - 1), "batch": config.batch_size}
        prepared, train_rows, held_rows = prepare_modality(config, Path(tmp))
        train, held = _stack(train_rows), _stack(held_rows)
    result: dict[str, Any] = {"held_out": len(held), "trained_on": len(train)}
    if config.modality == "smiles":
        result |= _smiles(prepared.task, train, held)
    elif config.modality == "fingerprint":
        result |= _fingerprint(train, held)
    elif config.modality == "spectrum":
        result |= _spectrum(train, held)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="pretrain-modality run folders")
    parser.add_argument("--out", type=Path, help="write the results here as JSON")
    args = parser.parse_args()
    results = {str(run): baselines(run) for run in args.runs}
    print(json.dumps(results, indent=1))
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
