#!/usr/bin/env bash
# Issue 20's runs with the boosted-tree recipe as the leaderboard entry's code sets it (MAE loss
# for regression, random_strength 2, log10(1 + value); docs/design.md, "Fixed-feature models"),
# resumable across sessions (the machine does not persist: finished cells are kept in
# boosted/cells/ by `save`). Run from the repository root:
#   docs/results/boosted/campaign.sh [STEP ...]      (no STEP: all, in order)
#   docs/results/boosted/campaign.sh save            (before the session ends; commit)
# Two cells at a time with one CatBoost thread each (two threads on one cell keep ~1.3 cores
# busy). The earlier runs with CatBoost's defaults are boosted/admet/ and boosted/moleculeace/.
set -uo pipefail
source benchmarks/campaign_lib.sh
STORE=docs/results/boosted/cells
RUNS=(admet_gbm admet_plus ace_gbm_mae ace_gbm p1_peer admet_peer)
AM=models/attr-masking-moses-1epoch/encoder.ckpt
CP=models/context-pred-moses-1epoch/encoder.ckpt

admet_gbm() {  # acceptance 1: TDC 22 x 5 (about 40 min)
  $MB benchmark admet --models gbm --seeds 5 --jobs 2 --resume --no-progress -v \
    --out runs/admet_gbm
}
admet_plus() {  # acceptance 2: the two shipped encoders' embeddings appended, TDC 22 x 5 (about
  # 80 min each); context-pred first (the nearest to the published "+GNN" entry's encoder)
  $MB benchmark admet --models gbm+ --seeds 5 --init context-pred=$CP --jobs 2 \
    --resume --no-progress -v --out runs/admet_plus && \
  $MB benchmark admet --models gbm+ --seeds 5 --init attr-masking=$AM --init context-pred=$CP \
    --jobs 2 --resume --no-progress -v --out runs/admet_plus
}
report() {  # gbm, gbm+ and the earlier GIN / RF / SVM rows (bench/admet), one mean-rank table
  $PY benchmarks/merge_results.py --suite admet --out docs/results/boosted/admet_mae \
    runs/admet_gbm runs/admet_plus docs/results/bench/admet/results.json
}
# ace_gbm_mae: the same step with the entry's MAE loss on MoleculeACE too (at `d5c0807`..`2195044`,
# stopped at 21 of 30 sets when it showed the loss cost ~0.035 RMSE; kept as the record)
ace_gbm() {  # acceptance 3: MoleculeACE 30 sets, gbm and gbm+attr-masking (the regression loss
  # chosen on valid, Suite.gbm_loss), beside the GIN / RF / SVM of bench/moleculeace_full
  $MB benchmark moleculeace --models gbm gbm+ --init attr-masking=$AM --jobs 2 --resume \
    --no-progress -v --out runs/ace_gbm && \
  $PY benchmarks/merge_results.py --suite moleculeace --out docs/results/boosted/moleculeace_auto \
    runs/ace_gbm docs/results/bench/moleculeace_full/results.json
}
probe_peer() {  # acceptance 4's peer row: MiniMol (`pip install -e '.[peer]'`) through the probe
  # on all 63 sets, ranked with the three controls of probe/ (not re-run). Its own featurization
  # costs ~11 ms a molecule: about an hour, once (the embedding cache keeps each finished set)
  $PY benchmarks/probe_time.py --out runs/p1_peer --init minimol --keep random=docs/results/probe \
    --keep attr-masking=docs/results/probe --keep context-pred=docs/results/probe --resume
}
admet_peer() {  # acceptance 4's peer in P3: gbm+minimol, TDC 22 x 5 (about 2 h; reads the
  # embeddings probe_peer cached)
  $MB benchmark admet --models gbm+ --seeds 5 --init minimol --jobs 2 --resume --no-progress -v \
    --out runs/admet_peer
}

DEFAULT_STEPS=(admet_gbm admet_plus report ace_gbm probe_peer admet_peer)
run_steps "$@"
