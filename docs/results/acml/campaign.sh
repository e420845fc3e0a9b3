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
ACML=models/acml-moses100k/encoder.ckpt
MODALITIES=(smiles image fingerprint spectrum)
RUNS=(p1_acml p2_acml p3_acml p4_acml)
for m in "${MODALITIES[@]}"; do RUNS+=("p1_acml_$m" "p2_acml_$m"); done


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
  $MB benchmark retrieval --init acml=$ACML --overwrite \
    --out docs/results/acml/retrieval
  $MB benchmark isomers --init acml=$ACML --overwrite \
    --out docs/results/acml/isomers
  for m in spectrum smiles; do $PY benchmarks/acml_atoms.py \
    --init $ACML --modality $m --n 6 \
    --out docs/results/acml/atoms_$m.png; done
}
p1() {  # the probe, all 63 sets, beside the controls and the strategies kept before
  $PY benchmarks/probe_time.py --out runs/p1_acml --init acml=$ACML --resume \
    --keep random=docs/results/probe --keep attr-masking=docs/results/probe \
    --keep context-pred=docs/results/probe --keep reaction-distill=docs/results/reaction_distill/p1
}
p2() {  # fine-tuning, 8 MoleculeNet sets, 3 seeds, the plain GIN beside (its cells from
  # strategy 1's P2 run, benchmarks/campaign_lib.sh)
  p2_finetune p2_acml acml=$ACML gin gin+acml
}
p4() {  # activity cliffs, boosted half (the probe half is in P1; gbm alone:
  # boosted/campaign.sh ace_gbm)
  $MB benchmark moleculeace --models gbm+ --init acml=$ACML --resume --no-progress -v \
    --out runs/p4_acml
}
p3() {  # boosted trees + the embedding, TDC 22 x 5 (gbm alone, the same recipe:
  # boosted/cells/admet_gbm, boosted.md section 1)
  $MB benchmark admet --models gbm+ --seeds 5 --init acml=$ACML --jobs 2 --resume \
    --no-progress -v --out runs/p3_acml
}
singles() {  # acceptance 2's second half: one graph encoder per modality, the all-modality
  # run's settings otherwise; P1 each as soon as it is made (each kept in models/ first)
  for m in "${MODALITIES[@]}"; do
    make_and_probe "runs/acml/$m" "acml-single/$m" "acml-$m" "p1_acml_$m" --strategy acml \
      --corpus moses --max-molecules 100000 --epochs 5 --batch-size 256 --modalities "$m" \
      --out "runs/acml/$m"
  done
}
singles_p2() {  # and P2 of each single-modality encoder: which modality teaches the most
  for m in "${MODALITIES[@]}"; do
    p2_finetune "p2_acml_$m" "acml-$m=models/acml-single/$m/encoder.ckpt" gin "gin+acml-$m"
  done
}

DEFAULT_STEPS=(encoders acml aligned p1 p2 p4 p3 singles singles_p2)
run_steps "$@"
