#!/usr/bin/env bash
# 5-fold cross-validation by scan group on the SARS-CoV-2 CT dataset with the shipped model's recipe,
# shortened (8 epochs, ×2 augmentation) so the five trainings fit in about half an hour on 2 cores.
# Checkpoints every epoch; running the same command again keeps finished folds and resumes.
#   scripts/studies/cross-validate.sh [path/to/sarscov2-ct] > runs/cv-ctnet.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${1:-../shared/data/sarscov2-ct}"
RUN=runs/cv-ctnet
RESUME=()
[[ -f $RUN/folds.csv ]] && RESUME=(--resume)
# Run from a private copy of the jars so rebuilding the project cannot disturb the running job.
./dev build
APP=$RUN/app
mkdir -p "$APP" && rm -rf "$APP"/* && cp -r trainer/target/trainer.jar trainer/target/lib "$APP"/
exec ./dev java -jar "$APP/trainer.jar" cross-validate --data "$DATA" --preset ctnet --name ctnet --folds 5 \
  --run-dir "$RUN" --epochs 8 --patience 3 --batch-size 32 --optimizer adam --lr 0.0005 --schedule cosine \
  --warmup-epochs 1 --augment-copies 2 --seed 1 --split-seed 42 --target-sensitivity 0.95 "${RESUME[@]}"
