#!/usr/bin/env bash
# Issue 16's classification clause: the lesion-guided recipe cross-validated exactly like ctnet/2's
# (scripts/train-multi-source.sh: 5 folds by group over both sources, 5 epochs, same seeds), plus
# guidance from the pseudo-mask patients at weight 2. Compare its pooled out-of-fold ROC-AUC with
# docs/studies/cv-multi. Resumable: run it again after a cut. ~4 h on 2 cores.
#   scripts/cross-validate-guided.sh > runs/cv-guided.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=../shared/data
./dev build
APP=runs/app-cv-guided
mkdir -p "$APP" && rm -rf "$APP"/* && cp -r trainer/target/trainer.jar trainer/target/lib "$APP"/
ctnet() { ./dev java -jar "$APP/trainer.jar" "$@"; }
RUN=runs/cv-guided
RESUME=()
[[ -f $RUN/folds.csv ]] && RESUME=(--resume)
ctnet cross-validate --data $DATA/sarscov2-ct --data $DATA/ucsd-covid-ct-dev --preset ctnet --name ctnet-guided \
  --folds 5 --epochs 5 --patience 2 --batch-size 32 --lr 0.0005 --augment-copies 1 --seed 1 --split-seed 42 \
  --run-dir $RUN --lesion-masks $DATA/covid19-ct-seg-pseudo --lesion-weight 2 "${RESUME[@]}"
