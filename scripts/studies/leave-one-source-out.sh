#!/usr/bin/env bash
# Leave one source out: a model trained on one source alone, scored on every slice of the
# other, for each input framing (whole image; body box with percentile stretch). The SARS-CoV-2 CT
# models use the recipe of runs/models/ctnet-sars (the transfer study's base); ucsd-covid-ct-dev, ten
# times smaller, sees each slice 8 times per epoch instead of 2. Each run keeps its own split's
# validation/test figures in its report; the cross-source figure is an `evaluate` of all the other
# source's slices. The third pass repeats the whole-image runs with ctnet/3's network (224×224 input
# pooled to 112 in the graph, scripts/specs/ctnet-pool2.json). Resumable: finished models and
# evaluations are skipped.
#   scripts/studies/leave-one-source-out.sh > runs/loso.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/../.."
SARS="${1:-../shared/data/sarscov2-ct}"
UCSD="${2:-../shared/data/ucsd-covid-ct-dev}"
source scripts/lib/study-app.sh
study_app loso
resume() { [[ -f "$1/state.json" ]] && echo --resume || true; }

for pass in "preset whole" "preset body" "pool2 whole"; do
  read -r network framing <<< "$pass"
  for source in sars ucsd; do
    if [[ $source == sars ]]; then data=$SARS; other=$UCSD; copies=2; else data=$UCSD; other=$SARS; copies=8; fi
    if [[ $network == preset ]]; then name=loso-$source-$framing; net=(--preset ctnet)
    else name=loso-pool2-$source-$framing; net=(--spec scripts/specs/ctnet-pool2.json); fi
    if [[ ! -d runs/models/$name/1 ]]; then
      ctnet train --data "$data" "${net[@]}" --name "$name" --framing $framing --epochs 12 --patience 4 \
        --batch-size 32 --lr 0.0005 --schedule cosine --warmup-epochs 1 --augment source-shift \
        --augment-copies $copies --label-smoothing 0.1 --seed 1 --split-seed 42 --models runs/models \
        --run-dir runs/$name $(resume runs/$name)
    fi
    [[ -f runs/$name-other/metrics.json ]] || ctnet evaluate --model runs/models/$name/1 --data "$other" \
      --out runs/$name-other
  done
done
