#!/usr/bin/env bash
# The out-of-distribution scores compared: fits the flag on a copy of MODEL_DIR (ctnet ood-fit on
# the validation split of its training sources, 2%), renders the scanner slices in other windows
# (scripts/studies/window-robustness.sh), scores every shared set with ctnet predict (which writes each score),
# and prints per set and score: the share flagged, and among unflagged and flagged slices the ROC-AUC and
# the specificity at the locked threshold; for the scanner's healthy patient, the share of slices called
# COVID and not flagged (the target: <= 5%).
#   scripts/studies/ood-study.sh MODEL_DIR OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL="$1"; OUT="$2"
DATA="${DATA:-../shared/data}"
mkdir -p "$OUT"
NAME=$(basename "$(dirname "$MODEL")"); VERSION=$(basename "$MODEL")
rm -rf "$OUT/model" && mkdir -p "$OUT/model/$NAME" && cp -r "$MODEL" "$OUT/model/$NAME/$VERSION"
FITTED="$OUT/model/$NAME/$VERSION"
[[ -d "$OUT/windows/png" ]] || bash scripts/studies/window-robustness.sh "$MODEL" "$OUT/windows" > "$OUT/windows.log"
source scripts/lib/study-app.sh
study_app ood-study
ctnet ood-fit --model "$FITTED" --data "$DATA/sarscov2-ct" --data "$DATA/ucsd-covid-ct-dev" | tee "$OUT/fit.txt"
ctnet predict --model "$FITTED" --input "$DATA/sarscov2-ct" --output "$OUT/sarscov2-ct.csv" > /dev/null
ctnet predict --model "$FITTED" --input "$DATA/ucsd-covid-ct-dev" --output "$OUT/ucsd-covid-ct-dev.csv" > /dev/null
ctnet predict --model "$FITTED" --input "$DATA/covid-ct-md-dicom-dev" --output "$OUT/scanner-dicom.csv" > /dev/null
for w in lung mediastinal bone; do
  ctnet predict --model "$FITTED" --input "$OUT/windows/png/$w" --output "$OUT/scanner-png-$w.csv" > /dev/null
done
python3 - "$OUT" "$FITTED/assets.extra/ood.json" <<'PY' | tee "$OUT/summary.txt"
import csv, glob, json, os, sys
sys.path.insert(0, os.path.join(os.getcwd(), "scripts", "lib"))
from flag_metrics import truth, auc, specificity as spec
out, fit = sys.argv[1], json.load(open(sys.argv[2]))
print(f"chosen: {fit['score']} > {fit['threshold']:.4f} (fitted on {fit['slices']} validation slices, {100*fit['share']:.1f}% flagged)")
print(f"{'set':20} {'score':20} {'n':>5} {'flagged':>8} | {'unflagged AUC':>13} {'spec':>5} | {'flagged AUC':>11} {'spec':>5} | {'healthy called COVID, unflagged':>31}")
for path in sorted(glob.glob(os.path.join(out, "*.csv"))):
    rows = list(csv.DictReader(open(path)))
    if not rows or "ood_energy" not in rows[0]: continue
    prob = [k for k in rows[0] if k.startswith("probability_")][0]
    positive = prob[len("probability_"):]
    data = []
    for r in rows:
        if not r[prob] or truth(r["path"]) is None: continue
        data.append({"p": float(r[prob]), "y": truth(r["path"]), "called": r["label"] == positive, "r": r,
                     "healthy": "/normal001" in r["path"].replace("\\", "/")})
    name = os.path.basename(path)[:-4]
    for score, threshold in fit["thresholds"].items():
        col = "ood_" + score
        for d in data: d["f"] = d["r"][col] != "" and float(d["r"][col]) > threshold
        ok = [d for d in data if not d["f"]]; bad = [d for d in data if d["f"]]
        healthy = [d for d in data if d["healthy"]]
        hc = f"{sum(d['called'] and not d['f'] for d in healthy) / len(healthy):.1%} of {len(healthy)}" if healthy else "-"
        print(f"{name:20} {score:20} {len(data):5d} {len(bad)/len(data):8.1%} | {auc(ok):13.3f} {spec(ok):5.2f} | {auc(bad):11.3f} {spec(bad):5.2f} | {hc:>31}")
PY
