#!/usr/bin/env bash
# The whole test suite on the sanitizer build (DESIGN.md section 7). Every stage that fails
# makes the run fail; the summary line at the end counts stages.
set -uo pipefail
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0; failed=0; failed_names=()
stage() {
  local name=$1; shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failed_names+=("$name"); fi
}

cmake --preset dev >/dev/null && cmake --build build/dev -j"$(nproc)" || { echo "build failed"; exit 1; }
if [ -f package-lock.json ]; then
  [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error || exit 1
fi

[ -x build/dev/unit_tests ] && stage "unit (Criterion)" build/dev/unit_tests --jobs 2
[ -x scripts/test-store.sh ] && stage "store (SQLite and PostgreSQL)" scripts/test-store.sh
if compgen -G "tests/integration/*.test.js" >/dev/null; then
  stage "integration (node --test)" node --test --test-concurrency=1 tests/integration/
fi
if compgen -G "tests/interop/*.test.js" >/dev/null; then
  stage "interop (@wazo/sdk via nginx)" node --test --test-concurrency=1 tests/interop/
fi
[ -x scripts/fuzz-replay.sh ] && stage "fuzz corpora replay" scripts/fuzz-replay.sh

echo "stages: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ] || { echo "failed: ${failed_names[*]}"; exit 1; }
