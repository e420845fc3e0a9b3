#!/usr/bin/env bash
# TDC ADMET benchmark group, all 22 datasets x seeds 1-5: the GIN without pre-training beside both
# ECFP baselines (issue 3, acceptance 2). Started 2026-11-22 and continued with --resume across
# sessions; run.log has the runner's log, with a "resumed at ... on <commit>" line per start.
# The GIN trains for 100 epochs, except on the six sets over 7,000 molecules (AMES, the three CYP
# inhibition sets, LD50, solubility): 30 epochs there, cut for this 2-core machine.
set -euo pipefail
molbridge benchmark admet --models gin ecfp-rf ecfp-svm \
    --epochs-for ames=30 --epochs-for cyp2c9_veith=30 --epochs-for cyp2d6_veith=30 \
    --epochs-for cyp3a4_veith=30 --epochs-for ld50_zhu=30 --epochs-for solubility_aqsoldb=30 \
    --precision bf16-mixed --jobs 2 --resume --no-progress -v --out runs/full/admet
