#!/usr/bin/env bash
# Foundation benchmarks (BENCHMARKS.md "Foundation"): HTTP requests per second on the status
# route with wrk, and server RSS per idle WebSocket with 10,000 connected. Release build.
# BENCH_PIN=1 pins the server to CPU 0 and the load generator to CPU 1 (taskset), as
# mhd-notes.md did. On this 2-vCPU VM pinning measured far lower (19k vs 70k req/s the same
# minute): every request then crosses CPUs (wake-up IPIs are costly under the hypervisor), so
# the default leaves placement to the scheduler.
#
#   [BENCH_PIN=1] bench/foundation.sh [DURATION_S=5] [WS_COUNT=10000]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-5}
WS_COUNT=${2:-10000}

cmake --preset release >/dev/null
cmake --build build/release -j2 >/dev/null
[ -d node_modules/ws ] || npm ci --no-audit --no-fund --loglevel=error

PIN_SERVER=(); PIN_CLIENT=()
if [ "${BENCH_PIN:-0}" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  PIN_SERVER=(taskset -c 0); PIN_CLIENT=(taskset -c 1)
fi

data=$(mktemp -d /tmp/huard-bench-XXXXXX)
log=$data/server.log
"${PIN_SERVER[@]}" build/release/huard serve --listen 127.0.0.1:0 --data "$data" 2>"$log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
port=
for _ in $(seq 100); do
  port=$(sed -n 's/.*msg=listening addr=http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "server did not start:"; cat "$log"; exit 1; }

# Server CPU time (user+system clock ticks from /proc) around the run: CPU per request is a
# figure that other load on a shared machine disturbs less than requests per second.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
echo "== wrk -t1 -c64 -d${DURATION}s http://127.0.0.1:$port/api/chatd/1.0/status"
t0=$(cpu_ticks)
"${PIN_CLIENT[@]}" wrk -t1 -c64 -d"${DURATION}s" "http://127.0.0.1:$port/api/chatd/1.0/status" | tee "$data/wrk.txt"
t1=$(cpu_ticks)
reqs=$(awk '/requests in/ {print $1}' "$data/wrk.txt")
hz=$(getconf CLK_TCK)
awk -v t="$((t1 - t0))" -v n="$reqs" -v hz="$hz" 'BEGIN {
  us = t * 1e6 / hz / n
  printf "server CPU: %.1f us per request (one core would serve %.0f req/s)\n", us, 1e6 / us }'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
kill -TERM $pid; wait $pid || true
trap 'rm -rf "$data"' EXIT

echo "== node bench/idle_ws.js --count $WS_COUNT"
ulimit -n "$(ulimit -Hn)"
BENCH_PIN=${BENCH_PIN:-0} "${PIN_CLIENT[@]}" node bench/idle_ws.js --count "$WS_COUNT"
