#!/usr/bin/env bash
# Study labels end to end on covid-ct-md-dicom-dev (a smoke test): its 3 real scanner studies
# (COVID, CAP, normal) labelled per study (CAP and normal are non-covid), fine-tuned from a copy of the
# shipped ctnet-lesion/1 with `ctnet fine-tune --studies --labels` (2 train, 1 validation study: the
# locked scan threshold falls back and says so), exported as version 2, served, and one study sent as a
# zip to the scan API: the answer carries the scan threshold the fine-tune locked. ~2 min.
#   scripts/studies/study-labels-smoke.sh > runs/study-labels-smoke.log 2>&1
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=../shared/data/covid-ct-md-dicom-dev
OUT="${OUT:-runs/study-labels-smoke}"
PORT="${PORT:-18531}"
rm -rf "$OUT"; mkdir -p "$OUT/models/ctnet-lesion"
cp -r saved_models/ctnet-lesion/1 "$OUT/models/ctnet-lesion/"
printf 'study,label\nP001,covid\ncap001,non-covid\nnormal001,non-covid\n' > "$OUT/labels.csv"
./dev ctnet fine-tune --model "$OUT/models/ctnet-lesion/1" --studies "$DATA" --labels "$OUT/labels.csv" \
  --validation-fraction 0.34 --test-fraction 0 --epochs 2 --bootstrap 100 --run-dir "$OUT/run"
echo "== exported scan decision"; cat "$OUT/models/ctnet-lesion/2/assets.extra/scan_decision.json"; echo
(cd "$DATA" && python3 -c "import zipfile,glob; z=zipfile.ZipFile('/tmp/ctnet-smoke-P001.zip','w'); [z.write(f) for f in sorted(glob.glob('P001/*.dcm'))]")
./dev serve --port "$PORT" --grpc-port 0 --model-base-path "$OUT/models" > "$OUT/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "localhost:$PORT/v1/models/ctnet-lesion" > /dev/null && break; sleep 1; done
echo "== served: a COVID study (P001) as a zip"
curl -sf -X POST --data-binary @/tmp/ctnet-smoke-P001.zip -H 'Content-Type: application/zip' \
  "localhost:$PORT/api/models/ctnet-lesion/scan" | python3 -c "
import json,sys
d=json.load(sys.stdin)
for s in d['scans']:
    print(s['scan'], 'P=%.4f' % s['probability'], s['label'], 'decision', json.dumps(s['decision']))"
