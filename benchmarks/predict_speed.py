"""Rows per second and peak memory of `molbridge predict` on 20,000 MOSES molecules.

Writes a property-model bundle of the standard GIN (5 x 300, random weights: speed does not
depend on their values), takes the first N SMILES of MOSES's test file (molsets package, read
as a file), and runs the real command in a fresh process for each setting, timing the whole
command and reading the child's peak resident memory. Also times featurization as training
does it (with scaffolds; predict leaves them out), which no thread count or precision changes.

Usage:  .venv/bin/python benchmarks/predict_speed.py [--rows 20000]
        [--settings auto 32 bf16-mixed] [--threads 0 1 2] [--json OUT.json]
(`--threads 0` leaves the thread count to molbridge.)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

from molbridge.data.table import featurize_smiles
from molbridge.encoders import GraphEncoder, GraphEncoderConfig
from molbridge.featurize import GraphFeaturizer
from molbridge.io import Bundle, save_bundle
from molbridge.tasks import PropertyTask, PropertyTaskConfig


def _moses_smiles(n: int) -> list[str]:
    spec = importlib.util.find_spec("moses")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("needs the molsets package (pip install --no-deps molsets==0.3.1)")
    path = Path(spec.submodule_search_locations[0]) / "dataset" / "data" / "test.csv.gz"
    return pd.read_csv(path, nrows=n)["SMILES"].tolist()


def _model(path: Path) -> None:
    featurizer = GraphFeaturizer()
    encoder = GraphEncoder(GraphEncoderConfig(featurizer.atom_dims, featurizer.bond_dims))
    task = PropertyTask(encoder, PropertyTaskConfig("classification", ("y",)))
    save_bundle(
        Bundle(
            kind="property-model",
            featurizer=featurizer.to_config(),
            encoder=encoder.config.to_config(),
            task=task.config.to_config(),
            members=[task.state_dict()],
        ),
        path,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--settings", nargs="+", default=["auto", "32", "bf16-mixed"])
    parser.add_argument("--threads", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="predict-speed-"))
    smiles = _moses_smiles(args.rows)
    data = work / "in.csv"
    pd.DataFrame({"smiles": smiles}).to_csv(data, index=False)
    model = work / "model.ckpt"
    _model(model)

    started = time.perf_counter()
    featurize_smiles(smiles, GraphFeaturizer(), progress=False)
    featurize_seconds = time.perf_counter() - started
    print(
        "featurization with scaffolds (as for training): "
        f"{args.rows / featurize_seconds:,.0f} rows/s",
        flush=True,
    )

    results = []
    for precision in args.settings:
        for threads in args.threads:
            out = work / f"pred_{precision}_{threads}.csv"
            argv = [
                "molbridge", "predict", "--model", str(model), "--data", str(data),
                "--out", str(out), "--precision", precision,
            ]  # fmt: skip
            if threads:
                argv += ["--threads", str(threads)]
            rss_file = work / "rss.txt"
            # the command in a fresh process that reports its own peak resident memory
            child = (
                "import resource, sys\n"
                "from molbridge.cli.main import main\n"
                f"sys.argv = {argv!r}\n"
                "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
                f"open({str(rss_file)!r}, 'w').write("
                "str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
            )
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", child], check=True)
            seconds = time.perf_counter() - started
            peak = int(rss_file.read_text())
            row = {
                "precision": precision,
                "threads": threads or "auto",
                "seconds": round(seconds, 2),
                "rows_per_second": round(args.rows / seconds, 1),
                "peak_rss_mib": round(peak / 1024, 1),
            }
            results.append(row)
            print(json.dumps(row), flush=True)
    summary = {
        "rows": args.rows,
        "featurize_rows_per_second": round(args.rows / featurize_seconds, 1),
        "cpu": platform.processor() or platform.machine(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cores": os.cpu_count(),
        "results": results,
    }
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
