#!/usr/bin/env bash
# Issue 25's results (docs/results/using_models.md), from the repository root:
#   docs/results/using_models/run.sh
# Ensembles of 5 beside the single model on BBBP (classification) and ESOL (regression), with
# their calibration plots; explanation grids of 6 test molecules of each; the report page of
# `make demo` screenshotted in headless Chromium. About 25 min on 2 cores.
set -euo pipefail
MB=${MOLBRIDGE:-.venv/bin/molbridge}
OUT=docs/results/using_models
EPOCHS=50
for data in bbbp esol; do
  for k in 1 5; do
    $MB train --data $data --epochs $EPOCHS --ensemble $k --seed 0 --no-progress \
      --overwrite --out runs/um/$data-x$k
  done
  cp runs/um/$data-x5/calibration.png $OUT/calibration_$data.png
  cp runs/um/$data-x5/metrics.json $OUT/metrics_${data}_x5.json
  cp runs/um/$data-x1/metrics.json $OUT/metrics_${data}_x1.json
  # six test molecules of the scaffold split, explained by the ensemble
  head -7 runs/um/$data-x5/test_predictions.csv | tail -6 | cut -d, -f1 > runs/um/$data-six.txt
  $MB explain --model runs/um/$data-x5/model.ckpt --smiles "$(tr '\n' ' ' < runs/um/$data-six.txt)" \
    --out $OUT/explained_$data.png
done
$MB predict --model runs/um/esol-x5/model.ckpt --data tests/data/messy.csv \
  --out $OUT/messy_predictions_esol_x5.csv
