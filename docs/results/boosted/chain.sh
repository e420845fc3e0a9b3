#!/bin/bash
# issue 20 acceptance 3 then 2, from a worktree at 6a10604
cd /tmp/runA
PY="env PYTHONPATH=/tmp/runA /work/main/.venv/bin/python -m molbridge.cli.main"
date -u +"start ace %FT%TZ"
$PY benchmark moleculeace --models gbm gbm+ \
    --init attr-masking=models/attr-masking-moses-1epoch/encoder.ckpt \
    --resume --no-progress -v --out /work/main/runs/p3/moleculeace
date -u +"end ace %FT%TZ"
$PY benchmark admet --models gbm gbm+ --seeds 5 \
   --init attr-masking=models/attr-masking-moses-1epoch/encoder.ckpt \
   --init context-pred=models/context-pred-moses-1epoch/encoder.ckpt \
   --resume --no-progress -v --out /work/main/runs/p3/admet
date -u +"end admet %FT%TZ"
