#!/usr/bin/env bash
# Memory pressure at a 512 MiB heap: the server (shipped models, default decode budget) on a spare port,
# then 24 clients at once sending large PNG slices (SIDE², default 7000×7000: 49 MP, just under the 50 MP limit)
# for N rounds, beside a client polling health. Every answer must be 200 (served), 503 (decode budget:
# wait, then shed) or 413 (too large): never 500, never a dead process (the JVM exits on
# OutOfMemoryError, so an OOM shows as a refused connection). Prints the status counts, health p99 and the
# server's RSS before and after.   scripts/checks/memory-pressure.sh [ROUNDS [SIDE]] > runs/memory-pressure.log
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${1:-4}"
SIDE="${2:-7000}"
PORT="${PORT:-18541}"
OUT=runs/memory-pressure; mkdir -p "$OUT"
CTNET_HEAP=512m ./dev serve --port "$PORT" --grpc-port 0 > "$OUT/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "localhost:$PORT/v2/health/ready" > /dev/null && break; sleep 1; done
java_pid=$(pgrep -P $server java || echo $server)
rss() { awk '/VmRSS/ {print $2 / 1024 " MB"}' /proc/"$java_pid"/status; }
echo "server RSS after start: $(rss)"
python3 - "$PORT" "$ROUNDS" "$SIDE" <<'PY'
import concurrent.futures, struct, sys, threading, time, urllib.request, urllib.error, zlib, collections
port, rounds, SIDE = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def png(side, seed):
    rows = b''.join(b'\x00' + bytes(((x * 7 + y * 3 + seed) % 251) for x in range(side)) for y in range(side))
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', side, side, 8, 0, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(rows, 6)) + chunk(b'IEND', b''))
image = png(SIDE, 1)
print(f"PNG {len(image) / 1e6:.1f} MB, {SIDE}x{SIDE}")
statuses = collections.Counter()
def send(_):
    req = urllib.request.Request(f"http://localhost:{port}/api/models/ctnet/classify", data=image,
                                 headers={"Content-Type": "image/png"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception as e:
        return type(e).__name__
health, stop = [], threading.Event()
def poll():
    while not stop.is_set():
        t = time.perf_counter()
        try:
            urllib.request.urlopen(f"http://localhost:{port}/v2/health/live", timeout=10).read()
            health.append((time.perf_counter() - t) * 1000)
        except Exception as e:
            health.append(float('inf'))
        time.sleep(0.05)
poller = threading.Thread(target=poll); poller.start()
started = time.perf_counter()
with concurrent.futures.ThreadPoolExecutor(24) as pool:
    for _ in range(rounds):
        statuses.update(pool.map(send, range(24)))
stop.set(); poller.join()
health.sort()
p99 = health[int(0.99 * (len(health) - 1))] if health else float('nan')
print(f"{sum(statuses.values())} requests in {time.perf_counter() - started:.0f} s: {dict(statuses)}")
print(f"health: {len(health)} polls, p99 {p99:.1f} ms, failures {sum(1 for h in health if h == float('inf'))}")
bad = {k: v for k, v in statuses.items() if k not in (200, 503, 413)}
print("PASS: only 200/503/413" if not bad else f"FAIL: {bad}")
PY
if kill -0 "$java_pid" 2>/dev/null; then echo "server alive, RSS after: $(rss)"; else echo "FAIL: the server died"; exit 1; fi
grep -c "OutOfMemoryError" "$OUT/server.log" | sed 's/^/OutOfMemoryError lines in the log: /' || true
