#!/usr/bin/env bash
# featurization of all of MOSES into a fresh cache (2 workers, shards of 100,000), peak memory
# of the whole process tree recorded
cd "$(dirname "$0")/../../.."  # the repository root
rm -rf runs/pt_moses/fresh_cache
.venv/bin/python benchmarks/peak_memory.py --out runs/pt_moses/featurize_rss.json -- \
  .venv/bin/python -c "
from pathlib import Path
from molbridge.data.corpus import build_corpus
corpus = build_corpus('moses', cache_dir=Path('runs/pt_moses/fresh_cache'), shard_size=100_000,
                      workers=2, progress=False)
print(len(corpus), 'molecules in', len(corpus.counts), 'shards')
"
