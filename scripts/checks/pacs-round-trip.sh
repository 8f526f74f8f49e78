#!/usr/bin/env bash
# A PACS round trip on this machine, with figures: a real Orthanc (loopback, its own config and
# storage under runs/pacs-round-trip), a folder of DICOM uploaded to it, then either
#   MODE=pull   `ctnet pacs` pulls every CT study and stores the results back (default), or
#   MODE=stow   the server (STOW-RS on) receives the studies from Orthanc's own DICOMweb client and
#               answers them into Orthanc;
# prints the time from the last instance sent to the results stored, validates every object written
# with dciodvfy, and renders the Secondary Captures to PNG for a look.
#   scripts/checks/pacs-round-trip.sh [DICOM_FOLDER]   (default ../shared/data/covid-ct-md-dicom-dev)
#   MODEL=saved_models/ctnet-lesion  SYNTHETIC=300 (a synthetic 300-slice 512x512 study instead of a folder)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/install-test-tools.sh
INPUT="${1:-../shared/data/covid-ct-md-dicom-dev}"
MODEL="${MODEL:-saved_models/ctnet-lesion}"
MODE="${MODE:-pull}"
OUT=runs/pacs-round-trip
rm -rf "$OUT"; mkdir -p "$OUT/storage" "$OUT/results" "$OUT/spool"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ORTHANC_PORT=$(free_port); SERVER_PORT=$(free_port)
PLUGIN=$(ls /usr/share/orthanc/plugins/libOrthancDicomWeb.so /usr/lib/orthanc/plugins/libOrthancDicomWeb.so 2>/dev/null | head -1 || true)
cat > "$OUT/orthanc.json" <<JSON
{ "Name": "round-trip", "StorageDirectory": "$PWD/$OUT/storage", "IndexDirectory": "$PWD/$OUT/storage",
  "HttpPort": $ORTHANC_PORT, "HttpBindAddress": "127.0.0.1", "DicomServerEnabled": false,
  "RemoteAccessAllowed": false, "AuthenticationEnabled": false, "Plugins": ["$PLUGIN"],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/",
                "Servers": { "ctnet": ["http://127.0.0.1:$SERVER_PORT/dicomweb/"] } } }
JSON
Orthanc "$OUT/orthanc.json" > "$OUT/orthanc.log" 2>&1 &
ORTHANC_PID=$!
SERVER_PID=""
trap 'kill $ORTHANC_PID $SERVER_PID 2>/dev/null || true' EXIT
PACS="http://127.0.0.1:$ORTHANC_PORT"
for _ in $(seq 100); do curl -sf "$PACS/system" >/dev/null && break; sleep 0.1; done
./dev build
if [[ -n "${SYNTHETIC:-}" ]]; then
  ./dev java -cp "dicom/target/test-classes:dicom/target/classes:$(ls ~/.m2/repository/com/fasterxml/jackson/core/jackson-databind/2.18.2/*.jar | head -1)" \
    org.ctnet.dicom.testing.SyntheticCtFolder "$OUT/input" "$SYNTHETIC" 512
  INPUT="$OUT/input"
fi
echo "uploading $(find "$INPUT" -name '*.dcm' | wc -l) instances from $INPUT"
find "$INPUT" -name '*.dcm' -print0 | xargs -0 -P 4 -I{} curl -sf -o /dev/null -X POST "$PACS/instances" \
  -H 'Content-Type: application/dicom' --data-binary @{}
if [[ "$MODE" == stow ]]; then
  ./dev serve --port "$SERVER_PORT" --grpc-port -1 --poll-seconds 0 --pacs-url "$PACS/dicom-web" \
    --pacs-spool "$OUT/spool" --pacs-quiet-millis 1000 --pacs-model "$(basename "$MODEL")" > "$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$SERVER_PORT/health/ready" >/dev/null && break; sleep 0.2; done
  rss() { awk '/VmRSS/ {print int($2/1024)}' /proc/$SERVER_PID/status; }
  rss_ready=$(rss)
  start=$(date +%s.%N)
  for study in $(curl -sf "$PACS/studies" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)))'); do
    curl -sf -X POST "$PACS/dicom-web/servers/ctnet/stow" -d "{\"Resources\":[\"$study\"]}" >/dev/null
  done
  sent=$(date +%s.%N)
  studies=$(curl -sf "$PACS/studies" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  while (( $(curl -sf "http://127.0.0.1:$SERVER_PORT/api/pacs/studies" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["answered"]))') < studies )); do sleep 0.2; done
  done_at=$(date +%s.%N)
  python3 -c "print(f'STOW-RS: last instance sent -> results stored: {$done_at-$sent:.1f} s (of which the quiet period 1.0 s); whole round trip {$done_at-$start:.1f} s')"
  echo "server RSS: $rss_ready MB when ready, $(rss) MB after the study (heap ${CTNET_HEAP:-1g}, pre-touched)"
  grep -E "answered" "$OUT/server.log" || true
else
  start=$(date +%s.%N)
  ./dev ctnet pacs --model "$MODEL" --pacs "$PACS/dicom-web" --since 19000101 | tee "$OUT/pull.log"
  done_at=$(date +%s.%N)
  python3 -c "print(f'pull: query -> results stored: {$done_at-$start:.1f} s (JVM start and model load included)')"
fi
# Every object written: back out of Orthanc, validated, captures rendered.
n=0; errors=0
for series in $(curl -sf "$PACS/series" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)))'); do
  modality=$(curl -sf "$PACS/series/$series" | python3 -c 'import json,sys; print(json.load(sys.stdin)["MainDicomTags"].get("Modality",""))')
  [[ "$modality" == SR || "$modality" == OT || "$modality" == SEG ]] || continue
  for instance in $(curl -sf "$PACS/series/$series/instances" | python3 -c 'import json,sys; print(" ".join(i["ID"] for i in json.load(sys.stdin)))'); do
    f="$OUT/results/$modality-$instance.dcm"
    curl -sf "$PACS/instances/$instance/file" -o "$f"
    e=$(dciodvfy -new "$f" 2>&1 | grep -c '^Error' || true)
    errors=$((errors + e)); n=$((n + 1))
    [[ "$modality" == OT ]] && dcmj2pnm +on -il "$f" "${f%.dcm}.png" 2>/dev/null || true
    [[ "$modality" == SR ]] && dsrdump +Pl "$f" > "${f%.dcm}.txt" || true
  done
done
echo "objects written: $n, dciodvfy errors: $errors (results in $OUT/results)"
