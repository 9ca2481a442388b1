#!/usr/bin/env bash
# The store stage of `make test` (DESIGN.md section 7): the one conformance suite on SQLite and
# on a throwaway PostgreSQL 15 (scripts/pg.sh), then the crash test on both backends:
# acknowledged appends (message + event per transaction) under load, kill -9 mid-way, reopen,
# every acknowledged append is there and nothing is half-written. On PostgreSQL the server is
# killed -9 as well and restarted (crash recovery).
set -uo pipefail
cd "$(dirname "$0")/.."
B=${HUARD_BUILD_DIR:-build/dev}
if [ ! -x "$B/store_tests" ] || [ ! -x "$B/store_crash" ]; then
  cmake --preset dev >/dev/null && cmake --build "$B" -j2 >/dev/null || { echo "build failed"; exit 1; }
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export LSAN_OPTIONS="suppressions=$PWD/tests/store/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

tmp=$(mktemp -d /tmp/huard-store-stage.XXXXXX)
pgdir=
cleanup() {
  [ -n "$pgdir" ] && scripts/pg.sh stop "$pgdir"
  rm -rf "$tmp"
}
trap cleanup EXIT
failed=()

# crash_test LABEL DB [pg]: appender in the background, kill -9 once it acknowledged enough.
crash_test() {
  local label=$1 db=$2 pg=${3:-}
  local acks="$tmp/acks-$label"
  "$B/store_crash" append "$db" 8 1000000 >"$acks" 2>"$acks.err" &
  local pid=$!
  local n=0
  for _ in $(seq 1 600); do # bounded: at most 60 s
    n=$(wc -l <"$acks")
    [ "$n" -ge 300 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$pg" ] && scripts/pg.sh crash "$pgdir"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if [ "$n" -lt 300 ]; then
    echo "crash test $label: appender acknowledged only $n appends"; cat "$acks.err"; return 1
  fi
  if [ -n "$pg" ]; then scripts/pg.sh restart "$pgdir" || return 1; fi
  "$B/store_crash" check "$db" "$acks"
}

echo "--- store suite: SQLite"
env -u HUARD_TEST_DATABASE "$B/store_tests" --jobs 2 || failed+=("suite-sqlite")

echo "--- crash test: SQLite"
crash_test sqlite "$tmp/crash.db" || failed+=("crash-sqlite")

echo "--- starting PostgreSQL 15"
if pgenv=$(scripts/pg.sh start); then
  eval "$pgenv"
  pgdir=$HUARD_PG_DIR
  echo "--- store suite: PostgreSQL"
  HUARD_TEST_DATABASE=$HUARD_PG_URL "$B/store_tests" --jobs 2 || failed+=("suite-postgresql")
  echo "--- crash test: PostgreSQL"
  if psql -q "$HUARD_PG_URL" -c "CREATE DATABASE crash" >/dev/null; then
    crash_test postgresql "${HUARD_PG_URL%/*}/crash" pg || failed+=("crash-postgresql")
  else
    failed+=("crash-postgresql")
  fi
else
  failed+=("postgresql-start")
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "store stage failed: ${failed[*]}"
  exit 1
fi
echo "store stage passed"
