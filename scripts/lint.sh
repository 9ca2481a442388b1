#!/usr/bin/env bash
# Static checks on the dev build's compile_commands.json: clang-tidy (checks in .clang-tidy)
# and cppcheck. Exit status is non-zero when either reports a finding.
set -uo pipefail
cd "$(dirname "$0")/.."
db=build/dev/compile_commands.json
[ -f "$db" ] || { echo "lint: $db missing; run make build"; exit 1; }
jobs=${LINT_JOBS:-2}
rc=0
mapfile -t files < <(git ls-files 'src/*.c')
echo "=== clang-tidy (${#files[@]} files, $jobs at once)"
printf '%s\0' "${files[@]}" |
  xargs -0 -n4 -P"$jobs" clang-tidy -p build/dev --quiet 2>/dev/null |
  grep -E 'warning:|error:' && rc=1
echo "=== cppcheck"
# cppcheck 2.10's --file-filter finds nothing in a --project, so the project is filtered here:
# only src/, not the tests, benches or tools.
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
jq --arg root "$PWD/src/" '[.[] | select(.file | startswith($root))]' "$db" >"$tmp/cc.json"
# alloc.h marks hu_bug noreturn only for GNU compilers: say we are one, so that cppcheck
# knows BUG_ON stops.
cppcheck --project="$tmp/cc.json" -D__GNUC__ --enable=warning,performance,portability \
  --inline-suppr --suppress=missingIncludeSystem --error-exitcode=1 -q -j"$jobs" || rc=1
exit $rc
