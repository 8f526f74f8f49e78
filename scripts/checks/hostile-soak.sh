#!/usr/bin/env bash
# The reliability soak of the README: serves saved_models/ on a spare port, replays the hostile
# battery plus N random mutations (default 10,000) through HostileHarness, and prints the server's
# RSS before and after, then the same number of mutated gRPC messages against every TF Serving and
# KServe method (GrpcHostileHarness: no UNKNOWN/INTERNAL/DATA_LOSS/timeout, the server log's growth),
# then 20 hot swaps of a model version under load (0 failed requests expected).
#   scripts/checks/hostile-soak.sh [mutations] [port] [grpc-port] > runs/hostile-soak.log 2>&1
set -euo pipefail
cd "$(dirname "$0")/../.."
MUTATIONS="${1:-10000}"
PORT="${2:-8599}"
GRPC_PORT="${3:-8598}"
./dev build
SOAK=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$SOAK"' EXIT
cp -r saved_models/ctnet "$SOAK/"
CTNET_HEAP=1g ./dev serve --port "$PORT" --grpc-port "$GRPC_PORT" --model-base-path "$SOAK" --poll-seconds 1 > "$SOAK.server.log" 2>&1 &
SERVER=$!
for _ in $(seq 120); do curl -sf "http://localhost:$PORT/v2/health/ready" >/dev/null && break; sleep 1; done
JAVA_PID=$(pgrep -f "server.jar --port $PORT" | head -1)
rss() { awk '/VmRSS/ {print $2}' "/proc/$JAVA_PID/status"; }
# Warm: the first requests of each kind load code paths and TF kernels.
./dev java -cp benchmarks/target/benchmarks.jar org.ctnet.bench.server.HostileHarness "http://localhost:$PORT" ctnet 300 224 >/dev/null || true
BEFORE=$(rss)
START=$(date +%s)
./dev java -cp benchmarks/target/benchmarks.jar org.ctnet.bench.server.HostileHarness "http://localhost:$PORT" ctnet "$MUTATIONS" 224
AFTER=$(rss)
echo "hostile run: $(( $(date +%s) - START )) s; server RSS ${BEFORE} kB before, ${AFTER} kB after ($(awk -v a="$AFTER" -v b="$BEFORE" 'BEGIN {printf "%+.1f%%", 100 * (a - b) / b}'))"

LOG_BEFORE=$(stat -c %s "$SOAK.server.log")
./dev java -cp benchmarks/target/benchmarks.jar org.ctnet.bench.server.GrpcHostileHarness "localhost:$GRPC_PORT" ctnet 224 "$MUTATIONS"
echo "server log growth over the gRPC mutations: $(( $(stat -c %s "$SOAK.server.log") - LOG_BEFORE )) bytes"

# 20 hot swaps under load: a new version folder appears (copied in beside, then renamed in), the
# oldest goes; a client predicts throughout and counts failures.
PNG_B64=$(base64 -w0 < "$(ls ../shared/data/sarscov2-ct/*/*.png 2>/dev/null | head -1 || true)" 2>/dev/null || true)
BODY='{"signature_name":"serving_bytes","instances":[{"b64":"'"$PNG_B64"'"}]}'
[[ -n "$PNG_B64" ]] || BODY='{"instances":[['"$(python3 -c 'print(",".join("["+",".join("[0.5]" for _ in range(224))+"]" for _ in range(224)))')"']]}'
echo "$BODY" > "$SOAK.body.json"
FAILED=0; OK=0
( while [[ ! -f "$SOAK.stop" ]]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data @"$SOAK.body.json" \
      "http://localhost:$PORT/v1/models/ctnet:predict")
    echo "$code"
  done > "$SOAK.codes" ) &
CLIENT=$!
LATEST=$(ls "$SOAK/ctnet" | grep -E '^[0-9]+$' | sort -n | tail -1)
for i in $(seq 1 20); do
  NEXT=$((LATEST + i))
  cp -r "$SOAK/ctnet/$LATEST" "$SOAK/ctnet/.staging-$NEXT" && mv "$SOAK/ctnet/.staging-$NEXT" "$SOAK/ctnet/$NEXT"
  for _ in $(seq 60); do
    curl -s "http://localhost:$PORT/v1/models/ctnet/versions/$NEXT" | grep -q AVAILABLE && break; sleep 0.5
  done
  [[ $i -gt 1 ]] && rm -rf "$SOAK/ctnet/$((NEXT - 1))"
done
sleep 2; touch "$SOAK.stop"; wait "$CLIENT" || true
OK=$(grep -c '^200$' "$SOAK.codes" || true); FAILED=$(grep -vc '^200$' "$SOAK.codes" || true)
echo "20 hot swaps under load: $OK requests answered 200, $FAILED failed"
grep -c 'failed to load' "$SOAK.server.log" | sed 's/^/failed loads in the server log: /'
