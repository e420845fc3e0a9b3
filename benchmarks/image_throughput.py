"""Throughput of the image modality: depiction and ResNet-18 training.

Measures, on molecules of a bundled dataset (default BBBP):
  - depiction mol/s, cold (RDKit parse + 2D coordinates + Cairo drawing + PNG decode), at each
    image size;
  - training images/s of the default `ImageEncoder` (ResNet-18), at each image size and
    precision: one step is forward + backward + Adam on a batch of depictions. Two step kinds:
    `encoder` (the encoder with a linear head and cross-entropy on random labels: one pass per
    image) and `simclr` (an `ImageContrastivePretraining` step: two augmented views per image,
    so two encoder passes per image counted). `--warmup` steps are dropped, then `--steps` timed.

Prints one JSON line (and writes it to `--json` if given).

Usage:  .venv/bin/python benchmarks/image_throughput.py [--sizes 128 224] [--batch-size 32]
        [--steps 20] [--warmup 3] [--precision 32 bf16] [--molecules 256] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from molbridge.chem import InvalidMoleculeError, parse_smiles
from molbridge.data.registry import get_dataset
from molbridge.data.table import read_table
from molbridge.encoders.image import ImageEncoder, ImageEncoderConfig
from molbridge.featurize.image import ImageFeaturizer
from molbridge.tasks.pretrain.image_contrastive import (
    ImageContrastiveConfig,
    ImageContrastivePretraining,
)


def _valid_smiles(dataset: str, n: int) -> list[str]:
    spec = get_dataset(dataset)
    frame = read_table(spec.train_path)
    column = spec.smiles_column
    out: list[str] = []
    for text in frame[column]:
        with contextlib.suppress(InvalidMoleculeError):
            parse_smiles(text)
            out.append(text)
        if len(out) == n:
            break
    return out


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _time_steps(step: Callable[[], None], warmup: int, steps: int, device: torch.device) -> float:
    """Seconds for `steps` calls of `step` after `warmup` untimed ones."""
    for _ in range(warmup):
        step()
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    return time.perf_counter() - start


def _autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager[None]:
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _train_rate(
    images: torch.Tensor,
    kind: str,
    precision: str,
    warmup: int,
    steps: int,
    device: torch.device,
) -> float:
    """Training images/s for one step kind and precision."""
    torch.manual_seed(0)
    encoder = ImageEncoder(ImageEncoderConfig()).to(device)
    if kind == "simclr":
        task = ImageContrastivePretraining(encoder, ImageContrastiveConfig())
        module: nn.Module = task.to(device)

        def loss_fn() -> torch.Tensor:
            return task.loss(images)[0]

    else:
        head = nn.Linear(encoder.out_dim, 10).to(device)
        module = nn.ModuleDict({"encoder": encoder, "head": head})
        labels = torch.randint(0, 10, (images.shape[0],), device=device)

        def loss_fn() -> torch.Tensor:
            return F.cross_entropy(head(encoder(images)).float(), labels)

    module.train()
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)

    def step() -> None:
        with _autocast(device, precision):
            loss = loss_fn()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    seconds = _time_steps(step, warmup, steps, device)
    return steps * images.shape[0] / seconds


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
    parser.add_argument("--molecules", type=int, default=256, help="molecules depicted")
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 224])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20, help="timed training steps")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--precision", nargs="+", default=["32", "bf16"], choices=["32", "bf16"])
    parser.add_argument("--kinds", nargs="+", default=["encoder", "simclr"])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    device = torch.device(args.device)
    smiles = _valid_smiles(args.dataset, max(args.molecules, args.batch_size))
    results: dict[str, object] = {
        "dataset": args.dataset,
        "molecules": len(smiles),
        "batch_size": args.batch_size,
        "steps": args.steps,
        "warmup": args.warmup,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else _cpu_name(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }
    for size in args.sizes:
        featurizer = ImageFeaturizer(size=size)
        start = time.perf_counter()
        depictions = featurizer.many(smiles)
        results[f"depict_{size}px_mol_per_s"] = round(
            len(smiles) / (time.perf_counter() - start), 1
        )
        batch = torch.from_numpy(depictions[: args.batch_size]).to(device)
        for kind in args.kinds:
            for precision in args.precision:
                rate = _train_rate(batch, kind, precision, args.warmup, args.steps, device)
                results[f"train_{kind}_{size}px_{precision}_img_per_s"] = round(rate, 1)
    line = json.dumps(results)
    print(line)
    if args.json:
        args.json.write_text(line + "\n")


if __name__ == "__main__":
    main()
