#!/usr/bin/env bash
# saved_models/ctnet/3 and the cross-validation that chose it: ctnet/2's network at half
# resolution behind the same 224×224 interface (scripts/specs/ctnet-pool2.json: the stem averages
# 2×2 blocks in the graph), trained on SARS-CoV-2 CT and ucsd-covid-ct-dev together with the longer
# recipe that half resolution pays for (12 epochs, patience 4, each slice twice per epoch).
# 1. cross-validation of exactly that pipeline (5 folds by group, runs/cv-pool2; compare with
#    docs/studies/cv-multi, ctnet/2's recipe); 2. the model on the standard split (runs/ctnet-3);
# 3. export to saved_models/ctnet/3, explaining stage3/unit1 (7×7; its Grad-CAM++ faithfulness gap was
# positive there and negative at stage2/unit1, see the model card). Resumable: run it again after a cut.
# ~70 min on 2 cores.
#   scripts/recipes/train-ctnet-3.sh [sarscov2-ct] [ucsd-covid-ct-dev] > runs/ctnet-3.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
SARS="${1:-../shared/data/sarscov2-ct}"
UCSD="${2:-../shared/data/ucsd-covid-ct-dev}"
SPEC=scripts/specs/ctnet-pool2.json
RECIPE=(--epochs 12 --patience 4 --batch-size 32 --lr 0.0005 --augment-copies 2 --seed 1 --split-seed 42)
source scripts/lib/study-app.sh
study_app ctnet-3
resume() { [[ -f "$1/state.json" || -f "$1/folds.csv" ]] && echo --resume || true; }

ctnet cross-validate --data "$SARS" --data "$UCSD" --spec $SPEC --name ctnet --folds 5 "${RECIPE[@]}" \
  --run-dir runs/cv-pool2 $(resume runs/cv-pool2)
ctnet train --data "$SARS" --data "$UCSD" --spec $SPEC --name ctnet --models runs/models --model-version 3 \
  --run-dir runs/ctnet-3 "${RECIPE[@]}" $(resume runs/ctnet-3)
[[ -d saved_models/ctnet/3 ]] || ctnet export --model runs/models/ctnet/3 --to saved_models/ctnet --model-version 3 \
  --cam-layer stage3/unit1
