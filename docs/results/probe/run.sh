#!/usr/bin/env bash
# Panel P1 (issue 20 acceptance 4): each encoder's linear probe on all 63 sets, one timed
# `molbridge benchmark probe` run per encoder, then combined into one panel (probe.md).
set -euo pipefail
python benchmarks/probe_time.py --out runs/p1 --init random \
    --init attr-masking=models/attr-masking-moses-1epoch/encoder.ckpt \
    --init context-pred=models/context-pred-moses-1epoch/encoder.ckpt
