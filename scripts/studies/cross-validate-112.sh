#!/usr/bin/env bash
# Input resolution: ctnet/2's cross-validation (scripts/recipes/train-multi-source.sh: 5 folds by
# group over both sources, 5 epochs, same seeds) with the network fed 112×112 instead of 224×224
# (scripts/specs/ctnet-112.json: the ctnet preset, input halved; the transfer probe's plain CNN ran
# at 112²). Compare the pooled and per-source out-of-fold ROC-AUC with docs/studies/cv-multi.
# A 112² epoch costs a quarter of a 224² one, so longer recipes fit: EPOCHS, PATIENCE, COPIES and RUN
# override the defaults (RUN=runs/cv-112-long EPOCHS=12 PATIENCE=4 COPIES=2: the SARS-only base's
# recipe). Resumable: run it again after a cut. ~10 min on 2 cores (the long recipe ~45 min).
#   scripts/studies/cross-validate-112.sh > runs/cv-112.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=../shared/data
RUN="${RUN:-runs/cv-112}"
source scripts/lib/study-app.sh
study_app "cv-$(basename "$RUN")"
RESUME=()
[[ -f $RUN/folds.csv ]] && RESUME=(--resume)
ctnet cross-validate --data $DATA/sarscov2-ct --data $DATA/ucsd-covid-ct-dev --spec scripts/specs/ctnet-112.json \
  --name ctnet-112 --folds 5 --epochs "${EPOCHS:-5}" --patience "${PATIENCE:-2}" --batch-size 32 --lr 0.0005 \
  --augment-copies "${COPIES:-1}" --seed 1 --split-seed 42 --run-dir "$RUN" "${RESUME[@]}"
