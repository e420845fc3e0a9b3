#!/usr/bin/env bash
# MoleculeACE, all 30 sets: the GIN without pre-training beside both ECFP baselines (issue 3).
# Run at commit 8e7cfa3 on the 2-core machine; 2 h 02 min wall. Output of `time -v` in run.log.
set -euo pipefail
/usr/bin/time -v molbridge benchmark moleculeace --models gin ecfp-rf ecfp-svm \
    --precision bf16-mixed --jobs 2 --no-progress -v --out runs/full/moleculeace
