#!/usr/bin/env bash
# A lesion model measured against ctnet/3, on data it was not trained on:
#   1. lesion maps vs radiologist masks (medseg-masks-dev: all 50, and, for a model trained on part of it,
#      the held-out fifth alone) and vs the pseudo
#      masks of the held-out covid19-ct-seg-pseudo patients: ctnet segment-eval (Dice, IoU, AUROC,
#      pointing game, energy, share error, lesion-vs-random faithfulness; patient bootstrap);
#      explain-eval of the lesion map beside Grad-CAM++ and the baselines on medseg;
#   2. the real scanner series of covid-ct-md-dicom-dev (not trained on): scan verdicts, involvement and
#      severity (predict --scans), slice ROC-AUC of the probability (evaluate) and of the involvement;
#   3. classification on the standard test split of SARS-CoV-2 CT + ucsd-covid-ct-dev, paired with
#      ctnet/3 on the same slices (ctnet compare).
#   scripts/studies/evaluate-lesion-model.sh MODEL_DIR HOLDOUT_GROUPS OUT_DIR [BASELINE_MODEL]
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL="$1"; HOLDOUT="$2"; OUT="$3"; BASE="${4:-saved_models/ctnet/3}"
DATA="${DATA:-../shared/data}"
source scripts/lib/study-app.sh
study_app evaluate-lesion
mkdir -p "$OUT"

ctnet segment-eval --model "$MODEL" --data "$DATA/medseg-masks-dev" --out "$OUT/medseg" | tee "$OUT/medseg.txt"
# A model trained on part of MedSeg (scripts/recipes/train-ctnet-4.sh): its held-out slices alone are the honest check.
if [[ -f runs/lesion-sets/medseg-by-slice/manifest.csv ]] && grep -q '^slice-' "$HOLDOUT"; then
  ctnet segment-eval --model "$MODEL" --data runs/lesion-sets/medseg-by-slice --groups "$HOLDOUT" --out "$OUT/medseg-holdout" \
    | tee "$OUT/medseg-holdout.txt"
fi
ctnet segment-eval --model "$MODEL" --data "$DATA/covid19-ct-seg-pseudo" --groups "$HOLDOUT" --out "$OUT/pseudo-holdout" \
  | tee "$OUT/pseudo-holdout.txt"
ctnet explain-eval --model "$MODEL" --data "$DATA/medseg-masks-dev" --out "$OUT/explain-medseg" | tail -12 \
  | tee "$OUT/explain-medseg.txt"

for m in "$MODEL" "$BASE"; do
  tag=$(basename "$(dirname "$m")")-$(basename "$m")
  ctnet predict --model "$m" --input "$DATA/covid-ct-md-dicom-dev" --scans --output "$OUT/dicom-slices-$tag.csv" \
    --scan-output "$OUT/dicom-scans-$tag.csv" | tee "$OUT/dicom-scans-$tag.txt"
  ctnet evaluate --model "$m" --data "$DATA/covid-ct-md-dicom-dev" --out "$OUT/dicom-eval-$tag" --bootstrap 1000 \
    | tail -3 | tee "$OUT/dicom-eval-$tag.txt"
  ctnet evaluate --model "$m" --data "$DATA/sarscov2-ct" --data "$DATA/ucsd-covid-ct-dev" --subset test \
    --out "$OUT/test-$tag" | tail -4 | tee "$OUT/test-$tag.txt"
done
ctnet compare "$OUT/test-$(basename "$(dirname "$BASE")")-$(basename "$BASE")/scores.csv" \
  "$OUT/test-$(basename "$(dirname "$MODEL")")-$(basename "$MODEL")/scores.csv" --out "$OUT/compare-test" \
  | tee "$OUT/compare-test.txt"
# Slice ROC-AUC of the lung involvement on the scanner series (COVID = P001), by pair counting.
python3 - "$OUT/dicom-slices-$(basename "$(dirname "$MODEL")")-$(basename "$MODEL").csv" <<'PY' | tee "$OUT/dicom-involvement-auc.txt"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["lung_involvement"]]
pos = [float(r["lung_involvement"]) for r in rows if r["path"].startswith("P001")]
neg = [float(r["lung_involvement"]) for r in rows if not r["path"].startswith("P001")]
pairs = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
print(f"slice ROC-AUC of lung involvement, COVID P001 vs CAP + normal: {pairs / (len(pos) * len(neg)):.3f} "
      f"({len(pos)} COVID, {len(neg)} other slices)")
PY
