#!/usr/bin/env bash
# Runs each libFuzzer target for a bounded time (FUZZ_SECONDS, default 60) on its corpus.
# New interesting inputs are added to fuzz/corpus/<target>/; crashers land in
# fuzz/crashes/ — copy a fixed one into the corpus so `make test` replays it for ever.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
mkdir -p fuzz/crashes
for src in fuzz/*.c; do
  name=$(basename "$src" .c)
  echo "=== fuzz $name (${secs}s)"
  build/fuzz/fuzz_$name -max_total_time="$secs" -artifact_prefix=fuzz/crashes/"$name"- \
    fuzz/corpus/"$name"
done
