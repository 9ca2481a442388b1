#!/usr/bin/env bash
# Replays every fuzz corpus (fuzz/corpus/<target>/, past crashers included) through the
# sanitizer build of its target. Part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
rc=0
for src in fuzz/*.c; do
  name=$(basename "$src" .c)
  bin=build/dev/fuzz_replay_$name
  corpus=fuzz/corpus/$name
  [ -x "$bin" ] || { echo "fuzz-replay: $bin missing (build first)"; rc=1; continue; }
  [ -d "$corpus" ] || { echo "fuzz-replay: no corpus for $name"; rc=1; continue; }
  "$bin" "$corpus" || rc=1
done
exit $rc
