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
