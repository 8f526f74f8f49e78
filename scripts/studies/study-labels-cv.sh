#!/usr/bin/env bash
# Study labels against slice labels, cross-validated on SARS-CoV-2 CT: its
# pseudo-scan groups play studies. Three 5-fold cross-validations on the same folds, seeds and recipe
# (the 112² network, 8 epochs, patience 3, lr 5e-4, batches of 32 images): slice labels (×2 copies);
# study labels by multiple-instance learning with top-k-mean pooling (a study carries its top 20%
# slices, ~4, so ×10 copies give about as many images per epoch as the slice arm's ~3,000) and with
# log-sum-exp pooling (8 slices a study, ×6 copies; and 32, nearly every slice of a study, ×2 copies).
# The study-label runs never see a slice label. Then `ctnet compare --by-scan` pairs each study-label run
# with the slice-label run scan by scan (paired group bootstrap). Resumable: run it again after a cut.
# ~75 min on 2 cores.   scripts/studies/study-labels-cv.sh > runs/study-labels-cv.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=../shared/data
OUT="${OUT:-runs/study-labels-cv}"
source scripts/lib/study-app.sh
study_app study-labels-cv
common=(--data $DATA/sarscov2-ct --spec scripts/specs/ctnet-112.json --name ctnet-112 --folds 5 --epochs "${EPOCHS:-8}"
  --patience "${PATIENCE:-3}" --batch-size 32 --lr 0.0005 --seed 1 --split-seed 42)
arm() { # name, extra options...
  local run="$OUT/$1"; shift
  local resume=(); [[ -f $run/folds.csv ]] && resume=(--resume)
  echo "== $run"
  ctnet cross-validate "${common[@]}" --run-dir "$run" "${resume[@]}" "$@"
}
arm study-top-k-mean --augment-copies 10 --study-labels --study-pooling top-k-mean
arm slice-labels --augment-copies 2
arm study-lse --augment-copies 6 --study-labels --study-pooling lse --slices-per-study 8 --pooling-sharpness 1
arm study-lse-32 --augment-copies 2 --study-labels --study-pooling lse --slices-per-study 32 --pooling-sharpness 1
for candidate in study-top-k-mean study-lse study-lse-32; do
  echo "== scan level: slice labels (A) against $candidate (B)"
  ctnet compare --by-scan "$OUT/slice-labels/out-of-fold.csv" "$OUT/$candidate/out-of-fold.csv" --out "$OUT/compare-$candidate"
done
