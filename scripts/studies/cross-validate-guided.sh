#!/usr/bin/env bash
# Does the lesion loss cost classification? Two cross-validations
# of the same pipeline (scripts/specs/ctnet-pool2.json, saved_models/ctnet/3's network; 5 folds by
# group over both sources, same folds and seeds, 5 epochs), one plain and one guided by the
# pseudo-mask patients at weight 2, then `ctnet compare` of their out-of-fold scores (paired
# group-bootstrap interval of the ROC-AUC difference, overall and per source). Resumable: run it
# again after a cut. ~35 min on 2 cores.
#   scripts/studies/cross-validate-guided.sh > runs/cv-guided.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=../shared/data
SPEC=scripts/specs/ctnet-pool2.json
RECIPE=(--folds 5 --epochs 5 --patience 2 --batch-size 32 --lr 0.0005 --augment-copies 1 --seed 1 --split-seed 42)
source scripts/lib/study-app.sh
study_app cv-guided
resume() { [[ -f "$1/folds.csv" ]] && echo --resume || true; }

ctnet cross-validate --data $DATA/sarscov2-ct --data $DATA/ucsd-covid-ct-dev --spec $SPEC --name ctnet "${RECIPE[@]}" \
  --run-dir runs/cv-pool2-plain $(resume runs/cv-pool2-plain)
ctnet cross-validate --data $DATA/sarscov2-ct --data $DATA/ucsd-covid-ct-dev --spec $SPEC --name ctnet-guided \
  "${RECIPE[@]}" --lesion-masks $DATA/covid19-ct-seg-pseudo --lesion-weight 2 \
  --run-dir runs/cv-pool2-guided $(resume runs/cv-pool2-guided)
ctnet compare runs/cv-pool2-plain/out-of-fold.csv runs/cv-pool2-guided/out-of-fold.csv --out runs/cv-pool2-guided
