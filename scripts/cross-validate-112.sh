#!/usr/bin/env bash
# Issue 10, input resolution: ctnet/2's cross-validation (scripts/train-multi-source.sh: 5 folds by
# group over both sources, 5 epochs, same seeds) with the network fed 112×112 instead of 224×224
# (scripts/specs/ctnet-112.json: the ctnet preset, input halved; the transfer probe's plain CNN ran
# at 112²). Compare the pooled and per-source out-of-fold ROC-AUC with docs/studies/cv-multi.
# Resumable: run it again after a cut. ~1 h on 2 cores.
#   scripts/cross-validate-112.sh > runs/cv-112.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=../shared/data
./dev build
APP=runs/app-cv-112
mkdir -p "$APP" && rm -rf "$APP"/* && cp -r trainer/target/trainer.jar trainer/target/lib "$APP"/
ctnet() { ./dev java -jar "$APP/trainer.jar" "$@"; }
RUN=runs/cv-112
RESUME=()
[[ -f $RUN/folds.csv ]] && RESUME=(--resume)
ctnet cross-validate --data $DATA/sarscov2-ct --data $DATA/ucsd-covid-ct-dev --spec scripts/specs/ctnet-112.json \
  --name ctnet-112 --folds 5 --epochs 5 --patience 2 --batch-size 32 --lr 0.0005 --augment-copies 1 --seed 1 \
  --split-seed 42 --run-dir $RUN "${RESUME[@]}"
