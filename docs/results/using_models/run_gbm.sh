#!/usr/bin/env bash
# Issue 25's boosted-model results (docs/results/using_models.md), from the repository root:
#   docs/results/using_models/run_gbm.sh
# On BBBP and ESOL (Hu scaffold split, seed 0): the plain gbm (issue 20's model) and the same
# trees with a posterior-sampled spread model beside them, read as 10 virtual ensembles
# (--ensemble 10), with their calibration plots; the plain model explains the six test
# molecules the GIN ensemble explained (run.sh), by its trees' SHAP values.
set -euo pipefail
MB=${MOLBRIDGE:-.venv/bin/molbridge}
OUT=docs/results/using_models
for data in bbbp esol; do
  $MB train --model gbm --data $data --seed 0 --no-progress --overwrite --out runs/um/$data-gbm
  $MB train --model gbm --data $data --seed 0 --ensemble 10 --no-progress --overwrite \
    --out runs/um/$data-gbm-x10
  cp runs/um/$data-gbm/metrics.json $OUT/metrics_${data}_gbm.json
  cp runs/um/$data-gbm-x10/metrics.json $OUT/metrics_${data}_gbm_x10.json
  cp runs/um/$data-gbm-x10/calibration.png $OUT/calibration_${data}_gbm_x10.png
  head -7 runs/um/$data-gbm/test_predictions.csv > runs/um/$data-gbm-six.csv
  $MB explain --model runs/um/$data-gbm/model.ckpt --data runs/um/$data-gbm-six.csv \
    --out $OUT/explained_${data}_gbm.png
done
cp runs/um/bbbp-gbm/calibration.png $OUT/calibration_bbbp_gbm.png
$MB predict --model runs/um/esol-gbm-x10/model.ckpt --data tests/data/messy.csv \
  --out $OUT/messy_predictions_esol_gbm_x10.csv
