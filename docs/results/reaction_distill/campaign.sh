#!/usr/bin/env bash
# Issue 21's measurements, in order of what they decide, each resumable across sessions: a
# session's machine does not persist, so every finished cell is copied into the repository
# (reaction_distill/cells/, benchmarks/keep_cells.py) and brought back before its step runs.
# Run from the repository root:  docs/results/reaction_distill/campaign.sh [STEP ...]
# (no STEP: all, in order), then  docs/results/reaction_distill/campaign.sh save  before the
# session ends, and commit reaction_distill/cells/.
set -uo pipefail
source benchmarks/campaign_lib.sh
STORE=docs/results/reaction_distill/cells
RD=models/reaction-distill-moses-1epoch/encoder.ckpt
AM=models/attr-masking-moses-1epoch/encoder.ckpt
CP=models/context-pred-moses-1epoch/encoder.ckpt
TEACHER=models/reaction-teacher/teacher.ckpt
ABLATIONS=(base no_relational no_yield_weighting)
RUNS=(p1_rd p1_teacher p2_rd tox21 p4_rd p3 yields)
for a in "${ABLATIONS[@]}"; do RUNS+=("p1_ablation_$a" "p2_ablation_$a"); done

p1() {  # the probe, all 63 sets (beside the controls' panel: docs/results/probe/)
  $PY benchmarks/probe_time.py --out runs/p1_rd --init reaction-distill=$RD --resume \
    --keep random=docs/results/probe --keep attr-masking=docs/results/probe \
    --keep context-pred=docs/results/probe
}
teacher() {  # the teacher's molecule GIN through the probe: what reactions alone taught it,
  # before distillation (its graph encoder exported from the shipped teacher)
  [ -f runs/teacher_gin/encoder.ckpt ] || $PY -c "import sys
from molbridge.pipeline.reaction_distill import export_teacher_graph
export_teacher_graph(sys.argv[1], sys.argv[2])" $TEACHER runs/teacher_gin/encoder.ckpt
  $PY benchmarks/probe_time.py --out runs/p1_teacher \
    --init reaction-teacher=runs/teacher_gin/encoder.ckpt --resume \
    --keep random=docs/results/probe --keep attr-masking=docs/results/probe \
    --keep context-pred=docs/results/probe --keep reaction-distill=docs/results/reaction_distill/p1
}
similarity() {  # student vs no pre-training and attr-masking, 1,000 MOSES test molecules
  $PY benchmarks/similarity.py --out docs/results/reaction_distill/similarity --n 1000 \
    --init random --init attr-masking=$AM --init reaction-distill=$RD
}
p2() {  # fine-tuning, 8 MoleculeNet classification sets, 3 seeds, the controls' protocol; the
  # plain GIN again in the same run (these cells run in fp32 on this AVX2 machine, the
  # controls' in bf16 on an AMX one); its cells are the later strategies' (share_plain_gin)
  p2_finetune p2_rd reaction-distill=$RD gin gin+reaction-distill
}
tox21() {  # acceptance 2: the full protocol, 100 epochs, 3 seeds, beside the plain GIN
  $MB benchmark moleculenet --datasets tox21 --models gin gin+reaction-distill \
    --init reaction-distill=$RD --epochs 100 --jobs 2 --resume --no-progress -v --out runs/tox21
}
p4() {  # activity cliffs, boosted half (the probe half is in P1; gbm alone:
  # boosted/campaign.sh ace_gbm)
  $MB benchmark moleculeace --models gbm+ --init reaction-distill=$RD \
    --resume --no-progress -v --out runs/p4_rd
}
p3() {  # boosted trees + the student's embedding, TDC 22 x 5 (gbm alone, the same recipe:
  # boosted/cells/admet_gbm; the controls' gbm+: boosted/cells/admet_plus, boosted.md section 2)
  $MB benchmark admet --models gbm+ --seeds 5 --init reaction-distill=$RD --jobs 2 \
    --resume --no-progress -v --out runs/p3
}
ablations() {  # acceptance 3: three students on 300k MOSES + reaction molecules, P1 and P2
  # each; each student is kept in models/ as soon as it is made (a session may end before its
  # probe); P2 after all three probes (the probes are the cheaper reading)
  ablation_students
  ablation_p2
}
ablation_students() {  # make (unless kept in models/) and probe the three, P1 in one panel
  for name in "${ABLATIONS[@]}"; do
    make_and_probe "runs/rd/ablation_$name" "reaction-distill-ablations/$name" "rd-$name" \
      "p1_ablation_$name" --config "docs/results/reaction_distill/ablation_$name.yaml"
  done
  ablation_p1_report
}
ablation_p2() {  # fine-tuning of the three (cells kept; a step of its own so a resumed
  # session need not re-run the probes, which are not kept)
  for name in "${ABLATIONS[@]}"; do
    p2_finetune "p2_ablation_$name" \
      "rd-$name=models/reaction-distill-ablations/$name/encoder.ckpt" gin "gin+rd-$name"
  done
}
ablation_p1_report() {  # the three students' probes in one panel, beside random init and the
  # main student (1.68M molecules), into reaction_distill/ablations/p1
  local name students=()
  for name in "${ABLATIONS[@]}"; do students+=("rd-$name=runs/p1_ablation_$name"); done
  combine_p1 docs/results/reaction_distill/ablations/p1 random=docs/results/probe \
    reaction-distill=docs/results/reaction_distill/p1 "${students[@]}"
}
yields() {  # acceptance 4: the reaction GIN from scratch and from the USPTO-only teacher; the
  # teacher is kept in models/ once made, so a resumed session's cells read the same teacher
  local T=models/reaction-teacher-uspto S=runs/rd/teacher_uspto/teacher
  [ -f $T/teacher.ckpt ] || { $MB pretrain --config docs/results/reaction_distill/teacher_uspto.yaml \
    --resume --no-progress && mkdir -p $T && cp $S/teacher.ckpt $S/loss_curve.png $S/summary.json \
    $S/history.json $S/config.yaml $T/; }
  $MB benchmark yields --init uspto=$T/teacher.ckpt --resume --no-progress -v --out runs/yields
}

DEFAULT_STEPS=(p1 teacher similarity p2 tox21 p4 p3 ablations yields)
run_steps "$@"
