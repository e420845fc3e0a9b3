"""Throughput of the featurize -> train -> predict path for the 5 x 300 GIN.

Measures, on a bundled dataset (default BBBP, 2,039 molecules):
  - featurization mol/s: cold (RDKit parse + features + scaffolds) and from the on-disk cache;
  - training mol/s through Lightning (the same Trainer setup `molbridge train` uses), per epoch,
    the first epoch dropped as warm-up; median over epochs;
  - inference mol/s through `predict_packed` (what `molbridge predict` runs: collate, the
    encoder's inference copy, head), median over repeats;
  - peak resident memory of the process.

Usage:  .venv/bin/python benchmarks/throughput.py [--dataset bbbp] [--batch-size 256]
        [--epochs 6] [--precision 32 bf16-mixed] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader

from molbridge.data.registry import get_dataset
from molbridge.data.table import load_table
from molbridge.encoders import GraphEncoder, GraphEncoderConfig
from molbridge.featurize import GraphFeaturizer
from molbridge.pipeline.predict import predict_packed
from molbridge.tasks import PropertyTask, PropertyTaskConfig


class _EpochTimer(L.Callback):
    def __init__(self) -> None:
        self.seconds: list[float] = []

    def on_train_epoch_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._start = time.perf_counter()

    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self.seconds.append(time.perf_counter() - self._start)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="bbbp")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--precision", nargs="+", default=["32"])
    parser.add_argument("--inference-repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    spec = get_dataset(args.dataset)
    featurizer = GraphFeaturizer()
    results: dict[str, object] = {
        "dataset": args.dataset,
        "batch_size": args.batch_size,
        "cpu": _cpu_name(),
        "cores": torch.get_num_threads(),
        "torch": torch.__version__,
    }
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        table = load_table(
            spec.train_path, spec.smiles_column, spec.target_columns, featurizer,
            on_invalid="skip", cache_dir=Path(cache),
        )  # fmt: skip
        cold = time.perf_counter() - start
        start = time.perf_counter()
        load_table(
            spec.train_path, spec.smiles_column, spec.target_columns, featurizer,
            on_invalid="skip", cache_dir=Path(cache),
        )  # fmt: skip
        cached = time.perf_counter() - start
    n = len(table)
    results["molecules"] = n
    results["featurize_cold_mol_per_s"] = n / cold
    results["featurize_cached_mol_per_s"] = n / cached

    graphs, y = table.graphs, np.nan_to_num(table.y)
    for precision in args.precision:
        torch.manual_seed(0)
        encoder = GraphEncoder(GraphEncoderConfig(featurizer.atom_dims, featurizer.bond_dims))
        task = PropertyTask(encoder, PropertyTaskConfig("classification", table.target_columns))
        loader = DataLoader(
            range(n),
            batch_size=args.batch_size,
            shuffle=True,
            collate_fn=lambda idx: graphs.collate(idx, y),
        )
        timer = _EpochTimer()
        trainer = L.Trainer(
            max_epochs=args.epochs, accelerator="cpu", devices=1, precision=precision,
            logger=False, enable_checkpointing=False, enable_progress_bar=False,
            enable_model_summary=False, callbacks=[timer], limit_val_batches=0,
        )  # fmt: skip
        trainer.fit(task, train_dataloaders=loader)
        epoch_rates = [n / s for s in timer.seconds[1:]]
        rates = []
        for _ in range(args.inference_repeats):
            start = time.perf_counter()
            predict_packed([task], graphs, args.batch_size, precision)
            rates.append(n / (time.perf_counter() - start))
        results[f"train_mol_per_s[{precision}]"] = statistics.median(epoch_rates)
        results[f"train_epoch_rates[{precision}]"] = epoch_rates
        results[f"inference_mol_per_s[{precision}]"] = statistics.median(rates)
    results["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for key, value in results.items():
        shown = f"{value:,.0f}" if isinstance(value, float) else value
        print(f"{key:>34}: {shown}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
