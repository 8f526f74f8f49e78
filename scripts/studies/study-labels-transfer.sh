#!/usr/bin/env bash
# Study labels against slice labels when fine-tuning: the SARS-CoV-2-only
# base (saved_models/ctnet/1) fine-tuned on ucsd-covid-ct-dev with the fine-tune command's defaults
# (rehearsing SARS-CoV-2 CT), its patients playing studies. The same patient draws, seeds and fixed
# test part (40% of the patients) in every arm; 3 repeats at the full budget; study labels pooled by
# top-k-mean and by log-sum-exp over up to 32 and up to 8 slices (the default). Then
# `ctnet compare --by-scan` pairs each repeat's test scans (study-label arm B against slice-label
# arm A). Resumable. ~15 min on 2 cores.
#   scripts/studies/study-labels-transfer.sh > runs/study-labels-transfer.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=../shared/data
OUT="${OUT:-runs/study-labels-transfer}"
source scripts/lib/study-app.sh
study_app study-labels-transfer
arm() { # name, extra options...
  local run="$OUT/$1"; shift
  local resume=(); [[ -f $run/study.json ]] && resume=(--resume)
  echo "== $run"
  ctnet transfer-study --model saved_models/ctnet/1 --data $DATA/ucsd-covid-ct-dev --reference $DATA/sarscov2-ct \
    --budgets 0,all --repeats 3 --run-dir "$run" "${resume[@]}" "$@"
}
arm slice-labels
arm study-labels --study-labels --study-pooling top-k-mean
arm study-labels-lse-32 --study-labels --study-pooling lse --slices-per-study 32 --pooling-sharpness 1
arm study-labels-lse-8 --study-labels --study-pooling lse --slices-per-study 8 --pooling-sharpness 1
for candidate in study-labels study-labels-lse-32 study-labels-lse-8; do
  for repeat in 1 2 3; do
    a=$(ls -d "$OUT"/slice-labels/budget-*-repeat-$repeat); b=$(ls -d "$OUT/$candidate"/budget-*-repeat-$repeat)
    echo "== repeat $repeat, per scan: slice labels (A) against $candidate (B)"
    ctnet compare --by-scan "$a/test-scores.csv" "$b/test-scores.csv" --out "$OUT/compare-$candidate-repeat-$repeat"
  done
done
