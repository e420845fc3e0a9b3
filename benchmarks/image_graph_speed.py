"""Image–graph pre-training throughput by image size and CNN width: what the CPU budget buys.

Times full training steps (forward, backward, Adam) of `ImageGraphPretraining` — the GIN
5 x 300 and the image encoder together, all three terms on — on real MOSES molecules with their
depictions drawn beforehand (as the stored view serves them), and the drawing itself, which is
paid once per molecule. One row per setting; molecules/s of training and of drawing.

Usage:  .venv/bin/python benchmarks/image_graph_speed.py [--steps 6] [--batch 64]
            [--out docs/results/image_graph/speed.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from molbridge.data.batch import MultiViewBatch
from molbridge.data.corpus import MOSES, read_smiles
from molbridge.data.table import featurize_smiles
from molbridge.encoders import GraphEncoder, GraphEncoderConfig
from molbridge.encoders.image import ImageEncoder, ImageEncoderConfig
from molbridge.featurize import GraphFeaturizer, ImageFeaturizer
from molbridge.tasks.pretrain.image_graph import IMAGE_VIEW, ImageGraphPretraining

SETTINGS = {  # name: (image size, widths, blocks)
    "resnet18-128": (128, (64, 128, 256, 512), (2, 2, 2, 2)),
    "resnet18-64": (64, (64, 128, 256, 512), (2, 2, 2, 2)),
    "small-96": (96, (32, 64, 128, 256), (1, 1, 1, 1)),
    "small-64": (64, (32, 64, 128, 256), (1, 1, 1, 1)),
    "tiny-64": (64, (16, 32, 64, 128), (1, 1, 1, 1)),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    smiles = read_smiles(MOSES, max_molecules=args.batch)
    graph_featurizer = GraphFeaturizer()
    graphs = featurize_smiles(smiles, graph_featurizer, scaffolds=False, progress=False).graphs
    g = graphs.collate(np.arange(len(smiles)))
    rows = []
    for name in args.settings:
        size, widths, blocks = SETTINGS[name]
        featurizer = ImageFeaturizer(size=size, canonical=True)
        started = time.perf_counter()
        images = torch.from_numpy(featurizer.many(smiles))
        draw_rate = len(smiles) / (time.perf_counter() - started)
        torch.manual_seed(0)
        dims = graph_featurizer.atom_dims, graph_featurizer.bond_dims
        task = ImageGraphPretraining(
            GraphEncoder(GraphEncoderConfig(*dims, 5, 300)),
            ImageEncoder(ImageEncoderConfig(widths=widths, blocks=blocks)),
        )
        optimizer = torch.optim.Adam(task.parameters(), 1e-3)
        present = torch.ones(len(smiles), dtype=torch.bool)
        batch = MultiViewBatch(g, {IMAGE_VIEW: images}, {IMAGE_VIEW: present})
        times = []
        for _ in range(args.steps + 1):  # the first step warms up
            started = time.perf_counter()
            loss, _ = task.loss(batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            times.append(time.perf_counter() - started)
        step = float(np.median(times[1:]))
        params = sum(p.numel() for p in task.image_encoder.parameters())
        row = {
            "setting": name,
            "size": size,
            "widths": list(widths),
            "blocks": list(blocks),
            "image_params": params,
            "train_molecules_per_s": args.batch / step,
            "draw_molecules_per_s": draw_rate,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    result = {"threads": torch.get_num_threads(), "batch": args.batch, "rows": rows}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
