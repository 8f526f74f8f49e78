#!/usr/bin/env bash
# saved_models/ctnet/4 candidate: ctnet/3's network and recipe with a dense lesion head
# (scripts/specs/ctnet-lesion.json: a decoder from stage 2 down to the 112×112 image the stem sees,
# lesion + lung-field logits; the classifier sees the lesion evidence), trained on SARS-CoV-2 CT and
# ucsd-covid-ct-dev for the class, and for the lesions on: the pseudo masks of covid19-ct-seg-pseudo
# (weight 0.5), the radiologist masks of medseg-masks-dev (weight 1), the normal real-scanner patient of
# covid-ct-md-dicom-dev with empty masks (weight 1), and the class sources' non-COVID slices with empty
# masks (weight 0.3). A seeded fifth of each masked set's groups is held out and listed in the run folder
# (4 pseudo-mask patients, 10 MedSeg slices): the honest checks (scripts/studies/evaluate-lesion-model.sh).
# Masked folders are drawn with odds by the square root of their size. scripts/recipes/lesion-sets.sh builds
# the MedSeg-by-slice and scanner-normal manifests.
#   1. the model on the standard split (runs/ctnet-4); 2. export to runs/models/ctnet/4.
# Resumable: run it again after a cut.
#   scripts/recipes/train-ctnet-4.sh > runs/ctnet-4.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${DATA:-../shared/data}"
SPEC=scripts/specs/ctnet-lesion.json
RECIPE=(--epochs "${EPOCHS:-12}" --patience 4 --batch-size 32 --lr 0.0005 --augment-copies 2 --seed 1 --split-seed 42)
scripts/recipes/lesion-sets.sh "$DATA"
LESION=(--lesion-masks "$DATA/covid19-ct-seg-pseudo" --lesion-masks runs/lesion-sets/medseg-by-slice
  --lesion-masks runs/lesion-sets/scanner-normal --lesion-mix 0.3 --lesion-weight 1 --pseudo-mask-weight 0.5
  --negative-lesion-weight 0.3 --lesion-holdout 0.2)
source scripts/lib/study-app.sh
study_app ctnet-4
resume() { [[ -f "$1/state.json" || -f "$1/folds.csv" ]] && echo --resume || true; }

ctnet train --data "$DATA/sarscov2-ct" --data "$DATA/ucsd-covid-ct-dev" --spec $SPEC --name ctnet \
  --models runs/models --model-version 4 --run-dir runs/ctnet-4 "${RECIPE[@]}" "${LESION[@]}" $(resume runs/ctnet-4)
