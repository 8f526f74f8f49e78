#!/usr/bin/env bash
# Does the lesion head (and the classifier seeing its evidence) cost
# classification? A cross-validation of the lesion pipeline (scripts/specs/ctnet-lesion.json, the
# pseudo-mask patients as lesion supervision, 4 of them held out in every fold as in training) with the
# recipe and folds of docs/studies/cv-guided-pool2's plain arm (ctnet/3's network, 5 folds by group over
# both sources, split seed 42, seed 1, 5 epochs), then `ctnet compare` of the out-of-fold scores, paired
# by slice, overall and per source. Resumable: run it again after a cut. ~40 min on 2 cores.
# SPEC=scripts/specs/ctnet-lesion-multitask.json RUN=runs/cv-lesion-multitask cross-validates the other design:
# the lesion head as a second task only, the classifier without its evidence.
#   scripts/studies/cross-validate-lesion.sh > runs/cv-lesion.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${DATA:-../shared/data}"
RECIPE=(--folds 5 --epochs 5 --patience 2 --batch-size 32 --lr 0.0005 --augment-copies 1 --seed 1 --split-seed 42)
LESION=(--lesion-masks "$DATA/covid19-ct-seg-pseudo" --lesion-mix 0.3 --lesion-weight 1 --pseudo-mask-weight 0.5
  --negative-lesion-weight 0.3 --lesion-holdout 0.2)
source scripts/lib/study-app.sh
study_app cv-lesion
resume() { [[ -f "$1/folds.csv" ]] && echo --resume || true; }

SPEC="${SPEC:-scripts/specs/ctnet-lesion.json}"
RUN="${RUN:-runs/cv-lesion}"
ctnet cross-validate --data "$DATA/sarscov2-ct" --data "$DATA/ucsd-covid-ct-dev" --spec "$SPEC" \
  --name ctnet-lesion "${RECIPE[@]}" "${LESION[@]}" --run-dir "$RUN" $(resume "$RUN")
ctnet compare docs/studies/cv-guided-pool2/plain-out-of-fold.csv "$RUN/out-of-fold.csv" --out "$RUN"
