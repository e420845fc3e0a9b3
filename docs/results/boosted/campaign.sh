#!/usr/bin/env bash
# Issue 20's remaining run, resumable across sessions (the machine does not persist: finished
# cells are kept in boosted/cells/ by `save`). Run from the repository root:
#   docs/results/boosted/campaign.sh [STEP ...]      (no STEP: all, in order)
#   docs/results/boosted/campaign.sh save            (before the session ends; commit)
set -uo pipefail
source benchmarks/campaign_lib.sh
STORE=docs/results/boosted/cells
RUNS=(admet_plus)
AM=models/attr-masking-moses-1epoch/encoder.ckpt
CP=models/context-pred-moses-1epoch/encoder.ckpt

admet_plus() {  # acceptance 2: the two shipped encoders' embeddings appended, TDC 22 x 5
  # (about two hours on 2 cores; `gbm` alone is boosted/admet/, run at 3b81e78 — the trees'
  # code and features are unchanged since, so it is not run again)
  # context-pred first (the nearest to the published "+GNN" entry's encoder), then both; two
  # cells at a time with one CatBoost thread each (two threads on one cell keep ~1.3 cores busy)
  $MB benchmark admet --models gbm+ --seeds 5 --init context-pred=$CP --jobs 2 \
    --resume --no-progress -v --out runs/admet_plus && \
  $MB benchmark admet --models gbm+ --seeds 5 --init attr-masking=$AM --init context-pred=$CP \
    --jobs 2 --resume --no-progress -v --out runs/admet_plus
}
report() {  # gbm+ beside gbm and the earlier GIN / RF / SVM rows, one mean-rank table
  $PY benchmarks/merge_results.py --suite admet --out docs/results/boosted/admet_plus \
    docs/results/boosted/admet/results.json runs/admet_plus
}

DEFAULT_STEPS=(admet_plus report)
run_steps "$@"
