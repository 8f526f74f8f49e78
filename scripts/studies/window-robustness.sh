#!/usr/bin/env bash
# Does a model's lesion map (and its COVID probability) hold when the same real scanner slices are shown
# in another window? The slices of covid-ct-md-dicom-dev are rendered by DCMTK (dcmj2pnm, an independent
# DICOM renderer) in the lung window (W 1500 / L -600, what the project applies to DICOM), a mediastinal
# window (W 400 / L 40) and a bone window (W 2000 / L 500), saved as 8-bit PNG (as a hospital's export
# would be), and scored as PNG by `ctnet predict`. Prints, per window and patient, the mean probability,
# the share of slices called COVID, the mean lung involvement and the share of slices at CT-1 or worse.
#   scripts/studies/window-robustness.sh MODEL_DIR OUT_DIR        (needs dcmtk: apt-get install dcmtk)
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL="$1"; OUT="$2"
DATA="${DATA:-../shared/data}/covid-ct-md-dicom-dev"
command -v dcmj2pnm >/dev/null || { echo "dcmj2pnm not found: apt-get install dcmtk" >&2; exit 2; }
source scripts/lib/study-app.sh
study_app window-robustness
declare -A WINDOWS=([lung]="-600 1500" [mediastinal]="40 400" [bone]="500 2000")
for w in "${!WINDOWS[@]}"; do
  read -r centre width <<< "${WINDOWS[$w]}"
  for f in "$DATA"/*/*.dcm; do
    patient=$(basename "$(dirname "$f")")
    target="$OUT/png/$w/$patient/$(basename "$f" .dcm).png"
    [[ -f "$target" ]] && continue
    mkdir -p "$(dirname "$target")"
    dcmj2pnm +on +Ww "$centre" "$width" "$f" "$target"
  done
  ctnet predict --model "$MODEL" --input "$OUT/png/$w" --output "$OUT/predict-$w.csv" > /dev/null
done
python3 - "$OUT" <<'PY' | tee "$OUT/summary.txt"
import csv, glob, os, sys, statistics
out = sys.argv[1]
print(f"{'window':12} {'patient':10} {'slices':>6} {'mean P':>7} {'called':>7} {'involv.':>8} {'CT-1+':>6}")
for path in sorted(glob.glob(os.path.join(out, "predict-*.csv"))):
    window = os.path.basename(path)[len("predict-"):-4]
    rows = list(csv.DictReader(open(path)))
    prob = [k for k in rows[0] if k.startswith("probability_")][0]
    for patient in ("P001", "cap001", "normal001"):
        mine = [r for r in rows if f"/{patient}/" in r["path"] and r[prob]]
        if not mine:
            continue
        p = [float(r[prob]) for r in mine]
        called = sum(r["label"] == prob[len("probability_"):] for r in mine) / len(mine)
        inv = [float(r["lung_involvement"]) for r in mine if r["lung_involvement"]]
        ct1 = sum(r["severity"] not in ("", "CT-0") for r in mine) / len(mine)
        print(f"{window:12} {patient:10} {len(mine):6d} {statistics.mean(p):7.3f} {called:7.2f} "
              f"{(statistics.mean(inv) if inv else float('nan')):8.4f} {ct1:6.2f}")
PY
