#!/usr/bin/env bash
# The lesion-guidance study of the README ("Lesion-guided training and lung-restricted maps"): ctnet/2's
# recipe (same split and seed) plus guidance from the pseudo-mask patients, then the maps of the shipped
# ctnet/2 and of the guided model on medseg-masks-dev (radiologist masks, stored upright) and on the
# pseudo-mask patients the training held out. Resumable: run it again after a cut. ~1 h 15 min on 2 cores.
#   scripts/studies/lesion-guidance.sh > runs/lesion-guidance.log 2>&1 &
# With LAYER=stage2/unit1 the guidance and the maps are at 28x28 (version 4), and ctnet/2 is compared
# re-exported to explain that layer (runs/lesion-guidance-28):
#   LAYER=stage2/unit1 scripts/studies/lesion-guidance.sh > runs/lesion-guidance-28.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=../shared/data
source scripts/lib/study-app.sh
study_app lesion
LAYER="${LAYER:-stage3/unit1}"
if [[ $LAYER == stage3/unit1 ]]; then
  RUN=runs/lesion-guidance; MODELS=runs/models-lesion; VERSION=3; BASE=saved_models/ctnet/2
elif [[ $LAYER == stage2/unit1 ]]; then
  RUN=runs/lesion-guidance-28; MODELS=runs/models-lesion28; VERSION=4; BASE=$MODELS/base28/1
  [[ -d $BASE ]] || ctnet export --model saved_models/ctnet/2 --cam-layer $LAYER --to $MODELS/base28 --model-version 1
else
  echo "LAYER must be stage3/unit1 or stage2/unit1" >&2; exit 2
fi
resume() { [[ -f "$RUN/state.json" ]] && echo --resume || true; }

[[ -d $MODELS/ctnet/$VERSION ]] || ctnet train --data $DATA/sarscov2-ct --data $DATA/ucsd-covid-ct-dev \
  --preset ctnet --cam-layer $LAYER --name ctnet --models $MODELS --model-version $VERSION \
  --run-dir $RUN --epochs 8 --patience 3 --batch-size 32 --lr 0.0005 --augment-copies 2 --seed 1 --split-seed 42 \
  --lesion-masks $DATA/covid19-ct-seg-pseudo --lesion-weight 2 $(resume)

for model in $BASE $MODELS/ctnet/$VERSION; do
  tag=v$(basename $model)
  [[ -f $RUN/eval/$tag-medseg/explain-metrics.json ]] || ctnet explain-eval --model $model --data $DATA/medseg-masks-dev \
    --no-orientation-fix --lungs --fuse-layers stage2/unit1,stage3/unit1 --out $RUN/eval/$tag-medseg
  [[ -f $RUN/eval/$tag-pseudo/explain-metrics.json ]] || ctnet explain-eval --model $model --data $DATA/covid19-ct-seg-pseudo \
    --groups $RUN/lesion-holdout-groups.txt --lungs --out $RUN/eval/$tag-pseudo
done
