#!/usr/bin/env bash
# attr-masking on all of MOSES, one epoch, bf16; peak memory of the whole process tree recorded
cd "$(dirname "$0")/../../.."  # the repository root
.venv/bin/python benchmarks/peak_memory.py --out runs/pt_moses/attr-masking_rss.json -- \
  .venv/bin/molbridge pretrain --strategy attr-masking --corpus moses --epochs 1 \
  --batch-size 256 --precision bf16-mixed --checkpoint-every 1000 \
  --out runs/pt_moses/attr-masking --no-progress -v
