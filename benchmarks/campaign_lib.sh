# Shared by the issues' campaign scripts (docs/results/*/campaign.sh), sourced after they set
# STORE (where finished cells are kept in the repository), RUNS (their run folders under runs/)
# and DEFAULT_STEPS, and define one shell function per step.
MB="${MOLBRIDGE:-.venv/bin/molbridge}"
PY="${PYTHON:-.venv/bin/python}"

keep() {  # keep save|restore: the finished cells of every run, into or out of the repository
  for run in "${RUNS[@]}"; do $PY benchmarks/keep_cells.py "$1" "runs/$run" "$STORE/$run"; done
}

run_steps() {  # run_steps [save|restore|STEP ...]: the steps in order (none: DEFAULT_STEPS)
  case "${1:-}" in
    save | restore) keep "$1"; return 0 ;;
  esac
  keep restore
  local steps=("$@")
  [ ${#steps[@]} -eq 0 ] && steps=("${DEFAULT_STEPS[@]}")
  for step in "${steps[@]}"; do
    echo "== $step $(date -u +%H:%M:%S)"
    "$step" || echo "== $step failed ($?)"
    keep save
  done
  echo "== done $(date -u +%H:%M:%S)"
}

ship() {  # ship RUN MODEL: a finished pre-training run's encoder and curve into models/MODEL,
  # with its summary, config and history where it wrote them
  mkdir -p "models/$2" && cp "$1/encoder.ckpt" "$1/loss_curve.png" "models/$2/" && \
    cp "$1/summary.json" "$1/config.yaml" "$1/history.json" "models/$2/" 2>/dev/null; true
}

# An ablation's or variant's encoder: pre-trained into RUN unless models/MODEL already holds it,
# shipped there at once (a session may end before its probe), then probed (panel P1) into
# runs/PROBE_RUN.
#   make_and_probe RUN MODEL LABEL PROBE_RUN PRETRAIN_ARG ...
make_and_probe() {
  local run=$1 model=$2 label=$3 probe=$4
  shift 4
  [ -f "models/$model/encoder.ckpt" ] || { $MB pretrain "$@" --resume --no-progress && \
    ship "$run" "$model"; }
  $MB benchmark probe --init "$label=models/$model/encoder.ckpt" --resume --no-progress \
    --out "runs/$probe"
}

# Several encoders' P1 runs (or earlier panels) in one panel, their TDC ranks among themselves
# (molbridge.benchmarks.probe.combine_panels):   combine_p1 OUT LABEL=FOLDER ...
combine_p1() {
  $PY -c "import sys
from pathlib import Path
from molbridge.benchmarks.probe import combine_panels
pairs = (a.split('=', 1) for a in sys.argv[2:])
combine_panels({label: Path(folder) for label, folder in pairs}, Path(sys.argv[1]))" "$@"
}

# P2 of ../shared/EVALUATION.md as every strategy runs it: fine-tuning on the 8 MoleculeNet
# classification sets, 3 seeds, 15 epochs (HIV 3, MUV 1), fp32 on this machine.
# The plain GIN's cells come from strategy 1's run (share_plain_gin, below) when it has them.
#   p2_finetune RUN NAME=ENCODER MODEL ...   e.g. p2_finetune p2_acml acml=$ACML gin gin+acml
p2_finetune() {
  local run=$1 init=$2
  shift 2
  share_plain_gin "$run"
  $MB benchmark moleculenet --datasets bbbp bace clintox sider tox21 toxcast hiv muv \
    --models "$@" --init "$init" --epochs 15 --epochs-for hiv=3 --epochs-for muv=1 --jobs 2 \
    --resume --no-progress -v --out "runs/$run"
}

# The plain GIN's P2 cells do not depend on the strategy (same command, seeds and machine kind),
# so they are trained once, in strategy 1's P2 run, and copied into a later strategy's run folder
# before it starts: the runner skips a cell that has its result.json, and the table still shows
# the GIN beside the strategy. Halves each later P2 (about 30 of 60 min on 2 cores).
PLAIN_GIN_P2=docs/results/reaction_distill/cells/p2_rd
share_plain_gin() {  # share_plain_gin RUN
  local kept target
  for kept in "$PLAIN_GIN_P2"/cells/*/gin/seed*/result.json; do
    [ -f "$kept" ] || continue
    target="runs/$1/${kept#"$PLAIN_GIN_P2"/}"
    mkdir -p "$(dirname "$target")" && cp -n "$kept" "$target"
  done
}
