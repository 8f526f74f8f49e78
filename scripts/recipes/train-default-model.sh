#!/usr/bin/env bash
# Trains the shipped default model (saved_models/ctnet/1) on the SARS-CoV-2 CT dataset.
# Runs for CPU hours: start it in the background; it checkpoints every epoch, and running the
# same command again resumes after the last completed epoch.
#   scripts/recipes/train-default-model.sh [path/to/sarscov2-ct] > runs/ctnet.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${1:-../shared/data/sarscov2-ct}"
RUN=runs/ctnet
RESUME=()
[[ -f $RUN/state.json ]] && RESUME=(--resume)
# Run from a private copy of the jars so rebuilding the project cannot disturb the running job.
./dev build
APP=$RUN/app
mkdir -p "$APP" && rm -rf "$APP"/* && cp -r trainer/target/trainer.jar trainer/target/lib "$APP"/
exec ./dev java -jar "$APP/trainer.jar" train --data "$DATA" --preset ctnet --name ctnet --models saved_models --model-version 1 \
  --run-dir "$RUN" --epochs 14 --patience 5 --batch-size 32 --optimizer adam --lr 0.0005 --schedule cosine \
  --warmup-epochs 1 --augment-copies 4 --seed 1 --split-seed 42 --target-sensitivity 0.95 "${RESUME[@]}"
