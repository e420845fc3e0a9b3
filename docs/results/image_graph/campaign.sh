#!/usr/bin/env bash
# Issue 23's runs, in order, each resumable across sessions (the machine does not persist:
# finished models are copied into models/ by the step that makes them, benchmark cells into
# image_graph/cells/ by `save`). Run from the repository root:
#   docs/results/image_graph/campaign.sh [STEP ...]      (no STEP: all, in order)
#   docs/results/image_graph/campaign.sh save            (before the session ends; commit)
# Sizes: docs/results/image_graph/speed.json and the comments in config.yaml.
set -uo pipefail
source benchmarks/campaign_lib.sh
STORE=docs/results/image_graph/cells
DIR=docs/results/image_graph
IG=models/image-graph-moses200k/encoder.ckpt
ABLATIONS=(base contrastive_only tiny_cnn)
RUNS=(p1_ig p2_ig p3_ig p4_ig)
for a in "${ABLATIONS[@]}"; do RUNS+=("p1_ig_$a" "p2_ig_$a"); done


main() {  # both encoders, MOSES 200k x 1 epoch (about 55 min + 13 min of drawing, 2 cores;
  # config.yaml says why one epoch, not the four planned)
  [ -f $IG ] || { $MB pretrain --config $DIR/config.yaml --resume --no-progress && \
    ship runs/ig/main image-graph-moses200k; }
}
retrieval() {  # acceptance 3: image <-> graph on 2,000 held-out MOSES test molecules
  $MB benchmark retrieval --init image-graph=$IG --overwrite --out $DIR/retrieval
}
p1() {  # the probe, all 63 sets, beside the controls and the strategies kept before
  $PY benchmarks/probe_time.py --out runs/p1_ig --init image-graph=$IG --resume \
    --keep random=docs/results/probe --keep attr-masking=docs/results/probe \
    --keep context-pred=docs/results/probe --keep reaction-distill=docs/results/reaction_distill/p1 \
    --keep acml=docs/results/acml/p1 --keep multichannel=docs/results/multichannel/p1
}
p2() {  # fine-tuning, 8 MoleculeNet sets, 3 seeds, the plain GIN beside (its cells from
  # strategy 1's P2 run, benchmarks/campaign_lib.sh)
  p2_finetune p2_ig image-graph=$IG gin gin+image-graph
}
p3() {  # boosted trees + the embedding, TDC 22 x 5 (gbm alone, the same
  # recipe: boosted/cells/admet_gbm, boosted.md section 1)
  $MB benchmark admet --models gbm+ --seeds 5 --init image-graph=$IG --jobs 2 \
    --resume --no-progress -v --out runs/p3_ig
}
p4() {  # activity cliffs, boosted half (the probe half is in P1; gbm alone:
  # boosted/campaign.sh ace_gbm)
  $MB benchmark moleculeace --models gbm+ --init image-graph=$IG \
    --resume --no-progress -v --out runs/p4_ig
}
ablations() {  # acceptance 2: three runs on MOSES 100k x 2 epochs, P1 and P2 each
  for a in "${ABLATIONS[@]}"; do
    make_and_probe "runs/ig/ablation_$a" "image-graph-ablations/$a" "ig-$a" "p1_ig_$a" \
      --config "$DIR/ablation_$a.yaml"
  done
  ablation_p1_report
  for a in "${ABLATIONS[@]}"; do
    p2_finetune "p2_ig_$a" "ig-$a=models/image-graph-ablations/$a/encoder.ckpt" gin "gin+ig-$a"
  done
}
ablation_p1_report() {  # the three probes in one panel, beside random init and the main
  # encoder (200k x 1 epoch), into image_graph/ablations/p1 (TDC ranks among these five)
  local a probes=()
  for a in "${ABLATIONS[@]}"; do probes+=("ig-$a=runs/p1_ig_$a"); done
  combine_p1 "$DIR/ablations/p1" random=docs/results/probe image-graph="$DIR/p1" "${probes[@]}"
}

DEFAULT_STEPS=(main retrieval p1 p2 ablations p4 p3)
run_steps "$@"
