#!/usr/bin/env bash
# The hostile soak over TLS: serves saved_models/ over HTTPS on a spare port (certificates from a fresh
# openssl CA, TLS 1.3), warms up with 300 requests, then replays the hostile battery plus N random
# mutations (default 100,000) through HostileHarness, every request its own TLS handshake. Prints the
# status counts, 5xx, hangs, connections closed without an answer, /v2/health/live p99 and the server's
# RSS before and after. The jars are copied to runs/app-tls-soak first, so a rebuild during the hours
# of the run does not change them.
#   scripts/checks/hostile-tls-soak.sh [mutations] [port] > runs/hostile-tls-soak.log 2>&1
set -euo pipefail
cd "$(dirname "$0")/../.."
MUTATIONS="${1:-100000}"
PORT="${2:-8597}"
./dev build
APP=runs/app-tls-soak
mkdir -p "$APP" && rm -rf "${APP:?}"/*
mkdir -p "$APP/server" "$APP/bench"
cp -r server/target/server.jar server/target/lib "$APP/server/"
cp -r benchmarks/target/benchmarks.jar benchmarks/target/lib "$APP/bench/"
SOAK=$(mktemp -d)
CERT_DIR=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$SOAK" "$CERT_DIR"' EXIT
cp -r saved_models/ctnet "$SOAK/"
harness() { ./dev java -cp "$APP/bench/benchmarks.jar" "$@"; }
CERTS=$(harness org.ctnet.bench.server.LoopbackCertificates "$CERT_DIR" server) # not under the model base path
CTNET_SERVER_JAR="$APP/server/server.jar" CTNET_HEAP=1g ./dev serve --port "$PORT" --grpc-port -1 \
  --model-base-path "$SOAK" --poll-seconds 1 --tls-cert "$CERTS/server.pem" --tls-key "$CERTS/server.key" \
  > "$SOAK.server.log" 2>&1 &
SERVER=$!
for _ in $(seq 120); do
  curl -sf --cacert "$CERTS/ca.pem" "https://127.0.0.1:$PORT/v2/health/ready" >/dev/null && break; sleep 1
done
JAVA_PID=$(pgrep -f "server.jar --port $PORT" | head -1)
rss() { awk '/VmRSS/ {print $2}' "/proc/$JAVA_PID/status"; }
echo "plain HTTP to the TLS port: $(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v2/health/live" || true) (000: refused, no hang)"
harness org.ctnet.bench.server.HostileHarness "https://127.0.0.1:$PORT" ctnet 300 224 "$CERTS/ca.pem" >/dev/null || true
BEFORE=$(rss)
START=$(date +%s)
STATUS=0
harness org.ctnet.bench.server.HostileHarness "https://127.0.0.1:$PORT" ctnet "$MUTATIONS" 224 "$CERTS/ca.pem" || STATUS=$?
AFTER=$(rss)
echo "hostile run over TLS: $(( $(date +%s) - START )) s; server RSS ${BEFORE} kB before, ${AFTER} kB after ($(awk -v a="$AFTER" -v b="$BEFORE" 'BEGIN {printf "%+.1f%%", 100 * (a - b) / b}'))"
echo "server log: $(stat -c %s "$SOAK.server.log") bytes, $(grep -c -E 'SEVERE|OutOfMemory' "$SOAK.server.log" || true) SEVERE/OOM lines"
exit "$STATUS"
