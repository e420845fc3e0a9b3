#!/usr/bin/env bash
# context-pred on all of MOSES (corpus already featurized), one epoch, bf16, oneDNN cache capped
cd "$(dirname "$0")/../../.."  # the repository root
.venv/bin/python benchmarks/peak_memory.py --out runs/pt_moses/context-pred_rss.json -- \
  .venv/bin/molbridge pretrain --strategy context-pred --corpus moses --epochs 1 \
  --batch-size 256 --precision bf16-mixed --checkpoint-every 1000 \
  --out runs/pt_moses/context-pred --no-progress -v
