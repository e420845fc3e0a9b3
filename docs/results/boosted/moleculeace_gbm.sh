#!/usr/bin/env bash
# Panel P4 (boosted half), issue 20 acceptance 3: MoleculeACE's 30 sets, packaged split, gbm and
# gbm + the attr-masking encoder's frozen embedding, fitted on the whole train part; RMSE and
# RMSE on cliff molecules, beside ECFP + SVM (published 0.671 / 0.751, reproduced here).
set -euo pipefail
molbridge benchmark moleculeace --models gbm gbm+ \
    --init attr-masking=models/attr-masking-moses-1epoch/encoder.ckpt \
    --resume --no-progress -v --out runs/p3/moleculeace
