#!/usr/bin/env bash
# The panel of ../shared/EVALUATION.md for strategy 1's student (issue 21, acceptance 1), run
# from the repository root after `molbridge pretrain --config docs/results/reaction_distill/
# config.yaml` has written runs/rd/main/encoder.ckpt. Each block resumes where it stopped.
set -euo pipefail
RD=runs/rd/main/encoder.ckpt
MB="${MOLBRIDGE:-.venv/bin/molbridge}"
PY="${PYTHON:-.venv/bin/python}"

# P1: the probe on all 63 sets, timed, then beside the controls' runs (runs/p1/runs/*)
$PY benchmarks/probe_time.py --out runs/p1_rd --init reaction-distill=$RD --resume

# P2: fine-tuning, 8 MoleculeNet classification sets, 3 seeds, the controls' protocol
$MB benchmark moleculenet --datasets bbbp bace clintox sider tox21 toxcast hiv muv \
  --models gin+reaction-distill --init reaction-distill=$RD \
  --epochs 15 --epochs-for hiv=3 --epochs-for muv=1 --precision bf16-mixed \
  --resume --no-progress -v --out runs/p2_rd/moleculenet

# P3: boosted trees with each encoder's embedding appended, TDC 22 x 5 (the gbm cells and the
# first gbm+attr-masking / gbm+context-pred cells are already in runs/p3/admet: this one run
# also finishes issue 20's acceptance 2), and P4's boosted half on MoleculeACE
$MB benchmark admet --models gbm gbm+ --seeds 5 \
  --init attr-masking=models/attr-masking-moses-1epoch/encoder.ckpt \
  --init context-pred=models/context-pred-moses-1epoch/encoder.ckpt \
  --init reaction-distill=$RD \
  --resume --no-progress -v --out runs/p3/admet
$MB benchmark moleculeace --models gbm+ --init reaction-distill=$RD \
  --resume --no-progress -v --out runs/p3/moleculeace
