#!/usr/bin/env bash
# Store benchmark (issue 4): acknowledged message appends per second and the latency of one
# append, with 1 and 16 concurrent writers, on SQLite (synchronous=FULL, group commit) and on
# a throwaway PostgreSQL 15 (scripts/pg.sh; fsync=on, synchronous_commit=on). Each append is
# one transaction holding a message and its event, as a posted chat message is.
#
#   bench/store.sh [RUNS=3]
#
# Prints Markdown table rows (bench_store's columns); the machine's load average is printed
# before each configuration, since the 2 cores are shared.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
cmake --preset release >/dev/null
cmake --build build/release -j2 --target bench_store >/dev/null
B=build/release/bench_store
pgdir=
trap '[ -n "$pgdir" ] && scripts/pg.sh stop "$pgdir"' EXIT

echo "| backend | sync | writers | appends | appends/s | p50 ms | p99 ms | max ms |"
echo "|---|---|---|---|---|---|---|---|"
row() { # writers count [database]
  echo "<!-- load average: $(cut -d' ' -f1-3 /proc/loadavg) -->"
  for _ in $(seq 1 "$runs"); do
    if [ -n "${3:-}" ]; then
      psql -q "$HUARD_PG_URL" -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench" \
        >/dev/null 2>&1
      "$B" --writers "$1" --count "$2" --database "${HUARD_PG_URL%/*}/bench"
    else
      "$B" --writers "$1" --count "$2"
    fi
  done
}
row 1 1000
row 16 16000
row 64 32000
eval "$(scripts/pg.sh start)"
pgdir=$HUARD_PG_DIR
row 1 1000 pg
row 16 8000 pg
