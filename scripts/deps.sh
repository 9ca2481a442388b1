#!/usr/bin/env bash
# Installs the Debian packages Huard needs to build, run and test, if any is missing.
# Idempotent: when everything is present it only asks dpkg and exits.
# Usage: scripts/deps.sh [build|test|bench]   (default: test, which includes build)
set -euo pipefail
want=${1:-test}

build_pkgs=(build-essential cmake pkg-config clang libclang-rt-14-dev
  libmicrohttpd-dev libwslay-dev libjansson-dev libsqlite3-dev libpq-dev
  libcmark-gfm-dev libcmark-gfm-extensions-dev libutf8proc-dev libsodium-dev libssl-dev
  uuid-dev libcurl4-openssl-dev libexpat1-dev)
test_pkgs=(jq clang-tidy cppcheck libcriterion-dev postgresql-15 sqlite3 nginx openssl nodejs npm curl procps)
bench_pkgs=(wrk ejabberd prosody linux-perf)

pkgs=("${build_pkgs[@]}")
case "$want" in
  build) ;;
  test) pkgs+=("${test_pkgs[@]}") ;;
  bench) pkgs+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  # node may come from outside Debian's packages on some machines: a working node/npm is enough.
  if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages: ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# ejabberd and prosody start system services on install; Huard's benches run their own
# instances, so keep the packaged ones from starting (policy-rc.d 101 = action forbidden).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}"
