#!/usr/bin/env bash
# Panel P3, TDC ADMET group 22 sets x seeds 1-5: gbm (CatBoost defaults on ECFP4 + Avalon counts,
# ErG, RDKit descriptors), issue 20 acceptance 1. Run from a worktree at the commit named in
# admet/README or results.md, on 2 cores, one cell at a time (2 CatBoost threads).
set -euo pipefail
molbridge benchmark admet --models gbm --seeds 5 --resume --no-progress -v --out runs/p3/admet
# then the same folder, adding the two shipped encoders' embeddings (acceptance 2):
# molbridge benchmark admet --models gbm gbm+ --seeds 5 \
#   --init attr-masking=models/attr-masking-moses-1epoch/encoder.ckpt \
#   --init context-pred=models/context-pred-moses-1epoch/encoder.ckpt \
#   --resume --no-progress -v --out runs/p3/admet
# and one report beside the earlier GIN / RF / SVM rows (docs/results/bench/admet):
# python benchmarks/merge_results.py --suite admet --out docs/results/boosted/admet \
#   docs/results/bench/admet/results.json runs/p3/admet
