"""Resident memory while a pre-training stream joins per-molecule views over all of MOSES.

Builds (once; later runs find them) the MOSES graph corpus, a fingerprint view (ECFP4, 1,024
bits, stored packed) and a 300-d embedding view (a frozen fingerprint MLP's embedding of every
molecule, float16: the per-molecule embedding cache a contrastive strategy uses), then streams
one epoch of `MultiViewBatch`es exactly as `CorpusData` feeds a strategy, recording resident
memory every `--every` batches and the peak. What grows with the corpus is the data path
measured here; a training step adds a constant (the model, its activations and optimiser).

Usage:  .venv/bin/python benchmarks/views_memory.py [--corpus moses] [--batch-size 256]
        [--max-batches N] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import psutil
import torch

from molbridge.data.corpus import ShardStream, build_corpus
from molbridge.data.corpus_views import embedding_view, fingerprint_view
from molbridge.data.views import ViewJoin
from molbridge.encoders import FingerprintEncoder, FingerprintEncoderConfig
from molbridge.featurize import ECFPFeaturizer


def _rss_mib() -> dict[str, float]:
    """Resident memory, and its anonymous (heap) and file-backed (mapped files) parts."""
    status = Path("/proc/self/status").read_text().splitlines()
    parts = {
        line.split(":")[0]: int(line.split()[1]) / 1024
        for line in status
        if line.startswith(("RssAnon", "RssFile"))
    }
    return {
        "rss_mib": round(psutil.Process().memory_info().rss / 2**20, 1),
        "anon_mib": round(parts.get("RssAnon", float("nan")), 1),
        "file_mib": round(parts.get("RssFile", float("nan")), 1),
    }


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _size_mib(root: Path) -> float:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="moses")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--max-batches", type=int)
    parser.add_argument("--every", type=int, default=500)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report: dict[str, object] = {"corpus": args.corpus, "batch_size": args.batch_size}

    started = time.perf_counter()
    corpus = build_corpus(args.corpus, workers=2, progress=False)
    report |= {"molecules": len(corpus), "corpus_seconds": round(time.perf_counter() - started)}

    started = time.perf_counter()
    fingerprints = fingerprint_view(corpus, ECFPFeaturizer(2, 1024))
    report["fingerprint_view"] = {
        "seconds": round(time.perf_counter() - started),
        "disk_mib": round(_size_mib(fingerprints.root), 1),
    }
    torch.manual_seed(0)
    mlp = FingerprintEncoder(FingerprintEncoderConfig(1024, (512,), 300, dropout=0.0))
    started = time.perf_counter()
    embeddings = embedding_view(
        corpus, mlp, {**mlp.config.to_config(), "weights": "random, seed 0"}, source=fingerprints
    )
    report["embedding_view"] = {
        "seconds": round(time.perf_counter() - started),
        "disk_mib": round(_size_mib(embeddings.root), 1),
        "dim": 300,
        "dtype": "float16",
    }
    report["peak_rss_mib_after_building"] = round(_peak_mib(), 1)
    print(json.dumps(report), flush=True)

    join = ViewJoin({"fingerprint": fingerprints, "embedding": embeddings})
    stream = ShardStream(corpus, args.batch_size, seed=0, views=join)
    samples = []
    molecules = 0
    started = time.perf_counter()
    for i, batch in enumerate(stream):
        molecules += batch.num_graphs
        if i % args.every == 0:
            samples.append({"batch": i, **_rss_mib()})
            print(json.dumps(samples[-1]), flush=True)
        if args.max_batches is not None and i + 1 >= args.max_batches:
            break
    seconds = time.perf_counter() - started
    report["stream"] = {
        "batches": i + 1,
        "molecules": molecules,
        "seconds": round(seconds, 1),
        "molecules_per_second": round(molecules / seconds),
        "rss_samples": samples,
        "rss_mib_first_sample": samples[0]["rss_mib"],
        "rss_mib_max_sample": max(s["rss_mib"] for s in samples),
    }
    report["peak_rss_mib"] = round(_peak_mib(), 1)
    print(json.dumps({k: v for k, v in report.items() if k != "stream"}), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
