#!/bin/bash
cd /tmp/runY
date -u +"start %FT%TZ"
PYTHONPATH=/tmp/runY /work/main/.venv/bin/python -m molbridge.cli.main benchmark yields \
  --models drfp-gbm --resume --no-progress -v --out /work/main/runs/yields
date -u +"end %FT%TZ"
