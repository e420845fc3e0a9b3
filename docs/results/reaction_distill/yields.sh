#!/usr/bin/env bash
# Acceptance 4: yield R² on both sets' published splits, DRFP + CatBoost and the reaction GIN
# from scratch beside the GIN from the USPTO-only teacher (teacher_uspto.yaml).
set -euo pipefail
MB="${MOLBRIDGE:-.venv/bin/molbridge}"
$MB pretrain --config docs/results/reaction_distill/teacher_uspto.yaml --resume --no-progress
$MB benchmark yields --init uspto=runs/rd/teacher_uspto/teacher/teacher.ckpt \
  --resume --no-progress -v --out runs/yields
