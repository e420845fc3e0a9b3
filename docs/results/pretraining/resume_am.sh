#!/usr/bin/env bash
# the same command after a crash (kill -9 at about step 2,300), with --resume
cd "$(dirname "$0")/../../.."  # the repository root
.venv/bin/python benchmarks/peak_memory.py --out runs/pt_moses/attr-masking_resume_rss.json -- \
  .venv/bin/molbridge pretrain --strategy attr-masking --corpus moses --epochs 1 \
  --batch-size 256 --precision bf16-mixed --checkpoint-every 1000 \
  --out runs/pt_moses/attr-masking --no-progress -v --resume
