#!/usr/bin/env bash
# Issue 25's results (docs/results/using_models.md), from the repository root:
#   docs/results/using_models/run.sh
# Ensembles of 5 on BBBP (classification) and ESOL (regression), each member's own test score
# in metrics.json beside the ensemble's (member 0 is the seed-0 single model: same seed, same
# data order), with their calibration plots; explanation grids of 6 test molecules of each.
set -euo pipefail
MB=${MOLBRIDGE:-.venv/bin/molbridge}
OUT=docs/results/using_models
EPOCHS=20
for data in bbbp esol; do
  $MB train --data $data --epochs $EPOCHS --ensemble 5 --seed 0 --no-progress \
    --overwrite --out runs/um/$data-x5
  cp runs/um/$data-x5/calibration.png $OUT/calibration_$data.png
  cp runs/um/$data-x5/metrics.json $OUT/metrics_${data}_x5.json
  # six test molecules of the scaffold split, explained by the ensemble
  head -7 runs/um/$data-x5/test_predictions.csv > runs/um/$data-six.csv
  $MB explain --model runs/um/$data-x5/model.ckpt --data runs/um/$data-six.csv \
    --out $OUT/explained_$data.png
done
$MB predict --model runs/um/esol-x5/model.ckpt --data tests/data/messy.csv \
  --out $OUT/messy_predictions_esol_x5.csv
