#!/usr/bin/env bash
# The paper's optimiser study on the same group split: Adam lr 0.001, SGD (momentum 0.9) lr 0.01,
# RMSProp lr 0.001, and binary cross-entropy on one sigmoid logit with SGD lr 0.01. Shorter than the
# default model's run (EPOCHS, each image seen COPIES times per epoch); results go to runs/study-*/
# and are tabulated by scripts/studies/study-table.sh. Resumable: re-running skips finished configurations.
#   scripts/studies/optimizer-study.sh [path/to/sarscov2-ct] > runs/study.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${1:-../shared/data/sarscov2-ct}"
EPOCHS="${EPOCHS:-6}"
COPIES="${COPIES:-2}"
./dev build
APP=runs/study-app
mkdir -p "$APP" && rm -rf "$APP"/* && cp -r trainer/target/trainer.jar trainer/target/lib "$APP"/
run() {
  local name=$1; shift
  local dir=runs/study-$name
  [[ -f $dir/report/metrics.json ]] && { echo "skip $name (done)"; return; }
  local resume=(); [[ -f $dir/state.json ]] && resume=(--resume)
  ./dev java -jar "$APP/trainer.jar" train --data "$DATA" --preset ctnet --name "study-$name" --run-dir "$dir" \
    --epochs "$EPOCHS" --augment-copies "$COPIES" --patience 0 --schedule cosine --warmup-epochs 1 --seed 1 \
    --split-seed 42 --no-export --bootstrap 500 "$@" "${resume[@]}"
}
run adam-lr0.001 --optimizer adam --lr 0.001
run sgd-lr0.01 --optimizer sgd --lr 0.01
run rmsprop-lr0.001 --optimizer rmsprop --lr 0.001
run bce-sgd-lr0.01 --head sigmoid --optimizer sgd --lr 0.01
