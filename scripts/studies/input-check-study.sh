#!/usr/bin/env bash
# The input checks measured: how many slices the input checks flag per shared source, per window of the
# real scanner slices (rendered by scripts/studies/window-robustness.sh), and whether the flag separates where
# the model is wrong: ROC-AUC and specificity at the locked threshold among unflagged and flagged slices.
#   scripts/studies/input-check-study.sh MODEL_DIR WINDOWS_DIR OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL="$1"; WINDOWS="$2"; OUT="$3"
DATA="${DATA:-../shared/data}"
source scripts/lib/study-app.sh
study_app input-check-study
mkdir -p "$OUT"
ctnet predict --model "$MODEL" --input "$DATA/sarscov2-ct" --output "$OUT/sarscov2-ct.csv" > /dev/null
ctnet predict --model "$MODEL" --input "$DATA/ucsd-covid-ct-dev" --output "$OUT/ucsd-covid-ct-dev.csv" > /dev/null
ctnet predict --model "$MODEL" --input "$DATA/covid-ct-md-dicom-dev" --output "$OUT/scanner-dicom.csv" > /dev/null
for w in lung mediastinal bone; do
  [[ -d "$WINDOWS/png/$w" ]] && ctnet predict --model "$MODEL" --input "$WINDOWS/png/$w" --output "$OUT/scanner-png-$w.csv" > /dev/null
done
python3 - "$OUT" <<'PY' | tee "$OUT/summary.txt"
import csv, glob, os, sys
sys.path.insert(0, os.path.join(os.getcwd(), "scripts", "lib"))
from flag_metrics import truth, auc, specificity as spec
out = sys.argv[1]
print(f"{'set':22} {'slices':>6} {'flagged':>8} | {'unflagged: AUC':>15} {'spec.':>6} | {'flagged: AUC':>13} {'spec.':>6}")
for path in sorted(glob.glob(os.path.join(out, "*.csv"))):
    rows = list(csv.DictReader(open(path)))
    if not rows or "input_check" not in rows[0]: continue
    prob = [k for k in rows[0] if k.startswith("probability_")][0]
    positive = prob[len("probability_"):]
    scored = [{"p": float(r[prob]), "y": truth(r["path"]), "called": r["label"] == positive,
               "flagged": r["input_check"] != "ok"} for r in rows if r[prob]]
    scored = [s for s in scored if s["y"] is not None]
    ok = [s for s in scored if not s["flagged"]]; bad = [s for s in scored if s["flagged"]]
    name = os.path.basename(path)[:-4]
    print(f"{name:22} {len(scored):6d} {len(bad) / len(scored):8.1%} | {auc(ok):15.3f} {spec(ok):6.2f} | {auc(bad):13.3f} {spec(bad):6.2f}")
PY
