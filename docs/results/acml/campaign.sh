#!/usr/bin/env bash
# Issue 22's runs, in order, each resumable across sessions (the machine does not persist:
# finished models are copied into models/ by the step that makes them, benchmark cells into
# acml/cells/ by `save`). Run from the repository root:
#   docs/results/acml/campaign.sh [STEP ...]      (no STEP: all, in order)
#   docs/results/acml/campaign.sh save            (before the session ends; commit the result)
# Sizes are set by the CPU budget (2 cores), measured first: the SMILES Transformer at
# d_model 128 x 3 layers trains about 180 molecules/s on one core (the default 256 x 4 at
# length 128: 14/s); ResNet-18 SimCLR at 64 px about 43 images/s on one core.
set -uo pipefail
source benchmarks/campaign_lib.sh
STORE=docs/results/acml/cells
RUNS=(p1_acml p2_acml)

ship() {  # ship ENCODER_RUN MODEL_NAME: the encoder and its curve into models/
  mkdir -p "models/$2" && cp "$1/encoder.ckpt" "$1/loss_curve.png" "models/$2/" && \
    cp "$1/summary.json" "$1/config.yaml" "models/$2/" 2>/dev/null; true
}

encoders() {  # the four frozen modality encoders (each skipped once shipped)
  [ -f models/smiles-encoder/encoder.ckpt ] || { $MB pretrain-modality smiles --corpus moses \
    --max-molecules 100000 --epochs 3 --batch-size 128 --encoder d_model=128 \
    --encoder num_layers=3 --encoder num_heads=4 --encoder ff_dim=512 --encoder max_length=64 \
    --resume --no-progress --out runs/enc/smiles && ship runs/enc/smiles smiles-encoder; }
  [ -f models/fingerprint-encoder/encoder.ckpt ] || { $MB pretrain-modality fingerprint \
    --corpus moses --max-molecules 200000 --epochs 5 --batch-size 256 --resume --no-progress \
    --out runs/enc/fingerprint && ship runs/enc/fingerprint fingerprint-encoder; }
  [ -f models/spectrum-encoder/encoder.ckpt ] || { $MB pretrain-modality spectrum --nucleus 13C \
    --max-molecules 100000 --epochs 30 --batch-size 64 --resume --no-progress \
    --out runs/enc/spectrum && ship runs/enc/spectrum spectrum-encoder; }
  [ -f models/image-encoder/encoder.ckpt ] || { $MB pretrain-modality image --corpus moses \
    --max-molecules 20000 --image-size 64 --epochs 3 --batch-size 128 --resume --no-progress \
    --out runs/enc/image && ship runs/enc/image image-encoder; }
}
acml() {  # the graph encoder against all four (MOSES 100k + the spectra's training molecules)
  [ -f models/acml-moses100k/encoder.ckpt ] || { $MB pretrain --strategy acml --corpus moses \
    --max-molecules 100000 --epochs 5 --batch-size 256 \
    --modalities smiles --modalities image --modalities fingerprint --modalities spectrum \
    --resume --no-progress --out runs/acml/all && ship runs/acml/all acml-moses100k; }
}
aligned() {  # acceptance 1: retrieval and isomers, all modalities; atoms on a few molecules
  $MB benchmark retrieval --init acml=models/acml-moses100k/encoder.ckpt --overwrite \
    --out docs/results/acml/retrieval
  $MB benchmark isomers --init acml=models/acml-moses100k/encoder.ckpt --overwrite \
    --out docs/results/acml/isomers
  for m in spectrum smiles; do $PY benchmarks/acml_atoms.py \
    --init models/acml-moses100k/encoder.ckpt --modality $m --n 6 \
    --out docs/results/acml/atoms_$m.png; done
}
p1() {
  $MB benchmark probe --init acml=models/acml-moses100k/encoder.ckpt --resume --no-progress \
    --out runs/p1_acml
}
p2() {  # fine-tuning, 8 MoleculeNet sets, 3 seeds, the plain GIN beside (its cells from
  # strategy 1's P2 run, benchmarks/campaign_lib.sh)
  p2_finetune p2_acml acml=models/acml-moses100k/encoder.ckpt gin gin+acml
}

DEFAULT_STEPS=(encoders acml aligned p1 p2)
run_steps "$@"
