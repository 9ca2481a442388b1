#!/usr/bin/env bash
# Static checks on the dev build's compile_commands.json: clang-tidy (checks in .clang-tidy)
# and cppcheck. Exit status is non-zero when either reports a finding.
set -uo pipefail
cd "$(dirname "$0")/.."
db=build/dev/compile_commands.json
[ -f "$db" ] || { echo "lint: $db missing; run make build"; exit 1; }
rc=0
mapfile -t files < <(git ls-files 'src/*.c')
echo "=== clang-tidy (${#files[@]} files)"
clang-tidy -p build/dev --quiet "${files[@]}" 2>/dev/null | grep -E 'warning:|error:' && rc=1
echo "=== cppcheck"
cppcheck --project="$db" --enable=warning,performance,portability --inline-suppr \
  --suppress=missingIncludeSystem --error-exitcode=1 -q --file-filter='*/src/*' || rc=1
exit $rc
