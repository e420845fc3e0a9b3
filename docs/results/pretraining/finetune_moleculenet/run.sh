#!/usr/bin/env bash
# Fine-tune both shipped pre-trained encoders beside the plain GIN on the 8 MoleculeNet
# classification sets (the gin cells of this run were computed first with --models gin).
set -euo pipefail
cd "$(dirname "$0")/../../../.."
source .venv/bin/activate
molbridge benchmark moleculenet \
  --datasets bbbp bace clintox sider tox21 toxcast hiv muv \
  --models gin gin+attr-masking gin+context-pred \
  --init attr-masking=models/attr-masking-moses-1epoch/encoder.ckpt \
  --init context-pred=models/context-pred-moses-1epoch/encoder.ckpt \
  --epochs 15 --epochs-for hiv=3 --epochs-for muv=1 --precision bf16-mixed --jobs 2 \
  --resume --no-progress -v --out runs/pt_finetune/moleculenet
