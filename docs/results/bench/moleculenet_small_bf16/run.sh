#!/usr/bin/env bash
# MoleculeNet small-set suite (BBBP, BACE, ClinTox, SIDER, ESOL, FreeSolv, Lipophilicity; 3 seeds)
# with the GIN in bf16-mixed beside both ECFP baselines, timed for issue 3's acceptance 5 (under
# 60 min). The same protocol as bench/moleculenet_small (fp32), 100 epochs everywhere. Run in
# parts with --resume when a session ends; run.log has a line for each start and stop, with its
# commit, and the wall time is the sum of the parts.
set -euo pipefail
molbridge benchmark moleculenet --models gin ecfp-rf ecfp-svm \
    --datasets bbbp bace clintox sider esol freesolv lipo --seeds 3 \
    --precision bf16-mixed --jobs 2 --resume --no-progress -v --out runs/bench/moleculenet_small_bf16
