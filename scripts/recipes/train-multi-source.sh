#!/usr/bin/env bash
# The shipped saved_models/ctnet/2 and the cross-validation of its recipe: SARS-CoV-2 CT and
# ucsd-covid-ct-dev trained together (the smaller source repeated, source-shift augmentation, label
# smoothing, calibrated), then re-exported explaining stage3/unit1. Resumable: run it again after a cut.
#   scripts/recipes/train-multi-source.sh [sarscov2-ct] [ucsd-covid-ct-dev] > runs/multi-source.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
SARS="${1:-../shared/data/sarscov2-ct}"
UCSD="${2:-../shared/data/ucsd-covid-ct-dev}"
source scripts/lib/study-app.sh
study_app multi
resume() { [[ -f "$1/state.json" || -f "$1/folds.csv" ]] && echo --resume || true; }

ctnet train --data "$SARS" --data "$UCSD" --preset ctnet --name ctnet --models runs/models --model-version 2 \
  --run-dir runs/ctnet-2 --epochs 8 --patience 3 --batch-size 32 --lr 0.0005 --augment-copies 2 --seed 1 \
  --split-seed 42 $(resume runs/ctnet-2)
[[ -d saved_models/ctnet/2 ]] || ctnet export --model runs/models/ctnet/2 --to saved_models/ctnet --model-version 2 \
  --cam-layer stage3/unit1

# The recipe shortened (5 epochs, each slice once per epoch) so the five trainings fit in about an hour.
ctnet cross-validate --data "$SARS" --data "$UCSD" --preset ctnet --name ctnet --folds 5 --epochs 5 --patience 2 \
  --batch-size 32 --lr 0.0005 --augment-copies 1 --seed 1 --split-seed 42 --run-dir runs/cv-multi $(resume runs/cv-multi)
