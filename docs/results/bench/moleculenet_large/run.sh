#!/usr/bin/env bash
# MoleculeNet's four large sets: the GIN without pre-training beside both ECFP baselines (issue 3).
# Started 2026-11-22 (the RF cells of Tox21, HIV and MUV ran that morning, at about fec841f) and
# continued with --resume, stopped and resumed several times: the GIN cells from 8e7cfa3 on, the
# rest from 49f3366 on (the SVM runs on HIV and MUV since 4bd166a); the last cells (HIV SVM, ToxCast
# RF and SVM) ran at cc0fed7 and the run finished there. run.log has the runner's log.
# HIV and MUV train the GIN for 20 and 10 epochs, cut for this machine.
set -euo pipefail
molbridge benchmark moleculenet --models gin ecfp-rf ecfp-svm \
    --datasets tox21 toxcast hiv muv --epochs-for hiv=20 --epochs-for muv=10 \
    --precision bf16-mixed --jobs 2 --resume --no-progress -v --out runs/full/moleculenet
