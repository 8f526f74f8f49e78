#!/usr/bin/env bash
# The transfer study of docs/transfer.md: a base model trained on
# SARS-CoV-2 CT only, fine-tuned on growing numbers of ucsd-covid-ct-dev patients (the "new
# hospital"), scored on a fixed 40% of its patients; then the earlier recipe at the full budget for
# comparison. Resumable: run the same command again after an interruption.
#   scripts/studies/transfer-study.sh BASE_MODEL_DIR [new-source] [reference] > runs/transfer-study.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE="${1:?base model version folder, e.g. runs/models/ctnet-sars/1}"
NEW="${2:-../shared/data/ucsd-covid-ct-dev}"
REF="${3:-../shared/data/sarscov2-ct}"
source scripts/lib/study-app.sh
study_app study
resume() { [[ -f "$1/study.json" ]] && echo --resume || true; }

# The recommended recipe: the fine-tune command's defaults.
ctnet transfer-study --model "$BASE" --data "$NEW" --reference "$REF" \
  --budgets 0,all,10,25,50 --repeats 2 --run-dir runs/study-recommended $(resume runs/study-recommended)

# The recipe the README recommended before the study, at the full budget.
ctnet transfer-study --model "$BASE" --data "$NEW" --reference "$REF" --budgets all --repeats 2 \
  --freeze stem,stage1 --batch-norm train --reference-mix 0 --lr 0.0001 --epochs 5 --augment paper \
  --augment-copies 4 --label-smoothing 0 --run-dir runs/study-previous $(resume runs/study-previous)
