#!/usr/bin/env bash
# Issue 24's runs, in order, each resumable across sessions (the machine does not persist:
# the encoder is copied into models/ by the step that makes it, benchmark cells into
# multichannel/cells/ by `save`). Run from the repository root:
#   docs/results/multichannel/campaign.sh [STEP ...]      (no STEP: all, in order)
#   docs/results/multichannel/campaign.sh save            (before the session ends; commit)
# Sizes: the comments in config.yaml.
set -uo pipefail
source benchmarks/campaign_lib.sh
STORE=docs/results/multichannel/cells
DIR=docs/results/multichannel
MC=models/multichannel-moses500k/encoder.ckpt
ABLATIONS=(base no_molecule no_scaffold no_context no_aux)
# five MoleculeACE sets for the ablations, spread over size (molecules; cliff compounds): the
# smallest (615; 60), the largest share of cliffs (682; 355), two middle (955; 456 and
# 1456; 572) and the largest (3657; 1604)
ACE5=(CHEMBL2835_Ki CHEMBL4616_EC50 CHEMBL237_EC50 CHEMBL2147_Ki CHEMBL234_Ki)
RUNS=(p1_mc ace_mc ace_mc_fp32 p2_mc p3_mc p4_mc)
for a in "${ABLATIONS[@]}"; do RUNS+=("p1_mc_$a" "p2_mc_$a" "ace_mc_$a"); done


main() {  # MOSES 500k x 1 epoch, about an hour on 2 cores
  [ -f $MC ] || { $MB pretrain --config $DIR/config.yaml --resume --no-progress && \
    ship runs/mc/main multichannel-moses500k; }
}
p1() {  # the probe, all 63 sets, beside the controls and the strategies kept before
  $PY benchmarks/probe_time.py --out runs/p1_mc --init multichannel=$MC --resume \
    --keep random=docs/results/probe --keep attr-masking=docs/results/probe \
    --keep context-pred=docs/results/probe --keep reaction-distill=docs/results/reaction_distill/p1
}
bf16_cpu() {  # bf16 steps run only where the CPU has bf16 instructions: emulated (AVX2), a
  # fine-tuning epoch took 17 times as long as in fp32 (multichannel.md, "Precision")
  $PY -c "from molbridge.pipeline.precision import bf16_is_fast as f; raise SystemExit(not f())" \
    && return 0
  echo "skipped: this CPU has no bf16 instructions (multichannel.md, \"Precision\")"; return 1
}
ace() {  # acceptance 1: fine-tuned on MoleculeACE's 30 sets, the protocol of the GIN row in
  # docs/results/benchmarks.md section 4 (100 epochs, batch 32, bf16-mixed, seed 0; ~2 h).
  # Superseded by `ace_fp32`, which measured all 30 sets (multichannel.md, "Acceptance 1");
  # `ace`'s five bf16 cells stay kept
  if [ -d "$STORE/ace_mc_fp32" ]; then
    echo "skipped: acceptance 1 is measured in fp32 by \`ace_fp32\` (all 30 sets kept)"; return 0
  fi
  bf16_cpu || return 0
  $MB benchmark moleculeace --models gin+multichannel --init multichannel=$MC \
    --precision bf16-mixed --jobs 2 --resume --no-progress -v --out runs/ace_mc
}
ace_fp32() {  # acceptance 1 where `ace` cannot run: all 30 sets in fp32 with the plain GIN
  # beside, also in fp32 (the bf16 GIN row is not a like-for-like base); otherwise as `ace`.
  # 7.6 h for both models on the 2-core AVX2 machine (457 cell-minutes, all 30 sets). On a bf16
  # CPU it runs only once begun (its kept cells), so one precision holds across the 30 sets.
  if bf16_cpu >/dev/null && [ ! -d "$STORE/ace_mc_fp32" ]; then
    echo "skipped: this CPU has bf16 instructions, \`ace\` is the step here"; return 0
  fi
  # --jobs 1: two 1-thread cells side by side ran 2.5x slower each than one 2-thread cell
  # (multichannel.md, "Precision")
  $MB benchmark moleculeace --models gin gin+multichannel --init multichannel=$MC \
    --precision 32 --jobs 1 --resume --no-progress -v --out runs/ace_mc_fp32
}
p2() {  # fine-tuning, 8 MoleculeNet sets, 3 seeds, the plain GIN beside (its cells from
  # strategy 1's P2 run, benchmarks/campaign_lib.sh); the
  # channel weights of every set land in runs/p2_mc/channel_weights.png (acceptance 4)
  p2_finetune p2_mc multichannel=$MC gin gin+multichannel
}
p3() {  # boosted trees + the embedding, TDC 22 x 5 (gbm alone, the same
  # recipe: boosted/cells/admet_gbm, boosted.md section 1)
  $MB benchmark admet --models gbm+ --seeds 5 --init multichannel=$MC --jobs 2 \
    --resume --no-progress -v --out runs/p3_mc
}
p4() {  # activity cliffs, boosted half (the probe half is in P1; gbm alone:
  # boosted/campaign.sh ace_gbm)
  $MB benchmark moleculeace --models gbm+ --init multichannel=$MC \
    --resume --no-progress -v --out runs/p4_mc
}
ablations() {  # acceptance 3: five encoders on MOSES 100k x 1 epoch; P1, P2, 5 ACE sets each
  for a in "${ABLATIONS[@]}"; do
    make_and_probe "runs/mc/ablation_$a" "multichannel-ablations/$a" "mc-$a" "p1_mc_$a" \
      --config "$DIR/ablation_$a.yaml"
  done
  ablation_p1_report
  # the five encoders' ACE sets first (38 min each), then their P2 (about 110 min each), so
  # the cheaper comparison is whole before the long one begins
  for a in "${ABLATIONS[@]}"; do
    # fp32 on every CPU, as `ace_fp32` (the ablations compare with each other and with the
    # fp32 GIN of `ace_fp32`, so no bf16 row need match; multichannel.md, "Precision")
    $MB benchmark moleculeace --datasets "${ACE5[@]}" --models "gin+mc-$a" \
      --init "mc-$a=models/multichannel-ablations/$a/encoder.ckpt" --precision 32 \
      --jobs 1 --resume --no-progress -v --out "runs/ace_mc_$a"
  done
  ablation_ace_report
  for a in "${ABLATIONS[@]}"; do
    p2_finetune "p2_mc_$a" "mc-$a=models/multichannel-ablations/$a/encoder.ckpt" gin "gin+mc-$a"
  done
  ablation_p2_report
}

ablation_ace_report() {  # the five encoders' ACE sets beside the fp32 GIN and main encoder of
  # `ace_fp32` on the same five sets, into multichannel/ablations/ace (per-set tables; the
  # paired change against the GIN in vs_gin.txt, and of each ablation against `base` in
  # vs_base.txt: what dropping the channel costs)
  # the cells as kept in the repository (saved first), so the report names them; ECFP + SVM
  # from benchmarks.md section 4
  keep save >/dev/null
  local a sources=("$STORE/ace_mc_fp32" docs/results/bench/moleculeace_ecfp_svm/results.json)
  for a in "${ABLATIONS[@]}"; do
    [ -d "$STORE/ace_mc_$a" ] && sources+=("$STORE/ace_mc_$a")
  done
  $PY benchmarks/merge_results.py --suite moleculeace --out "$DIR/ablations/ace" \
    "${sources[@]}" --datasets "${ACE5[@]}" >/dev/null &&
    $PY benchmarks/ace_vs_base.py "${sources[@]}" --base gin --datasets "${ACE5[@]}" \
      | tee "$DIR/ablations/ace/vs_gin.txt" &&
    $PY benchmarks/ace_vs_base.py "${sources[@]}" --base gin+mc-base --datasets "${ACE5[@]}" \
      | tee "$DIR/ablations/ace/vs_base.txt"
}

ablation_p2_report() {  # each ablation's P2 beside the GIN (multichannel/ablations/p2_<name>),
  # and the seed-paired change of the 8-set average against the GIN and `base`
  keep save >/dev/null  # the cells as kept in the repository, so the report names them
  local a specs=()
  for a in "${ABLATIONS[@]}"; do
    [ -d "$STORE/p2_mc_$a" ] || continue
    $PY benchmarks/merge_results.py --suite moleculenet --out "$DIR/ablations/p2_$a" \
      "$STORE/p2_mc_$a" >/dev/null && specs+=("$DIR/ablations/p2_$a/results.json:gin+mc-$a")
  done
  [ ${#specs[@]} -gt 0 ] || return 0
  $PY benchmarks/p2_over_seeds.py "${specs[0]%:*}:gin" "${specs[@]}" \
    | tee "$DIR/ablations/p2_over_seeds.txt"
}

ablation_p1_report() {  # the five probes in one panel, beside random init and the main
  # encoder (500k x 1 epoch), into multichannel/ablations/p1 (TDC ranks among these seven)
  local a probes=()
  for a in "${ABLATIONS[@]}"; do
    [ -d "runs/p1_mc_$a" ] && probes+=("mc-$a=runs/p1_mc_$a")
  done
  combine_p1 "$DIR/ablations/p1" random=docs/results/probe multichannel="$DIR/p1" "${probes[@]}"
}

DEFAULT_STEPS=(main p1 ace p2 p4 ace_fp32 p3 ablations)  # ace: bf16 CPUs only; ace_fp32:
# the others (multichannel.md, "Precision")
run_steps "$@"
