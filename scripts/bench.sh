#!/usr/bin/env bash
# `make bench` (issue 6): builds the release binaries, then runs the same scenarios against
# Huard, ejabberd, Prosody and bench/limit on this machine, one target at a time, and prints
# one table. Quick sizes by default; BENCH=full for the sizes of issue 6 (long: tens of
# minutes). BENCH_RECORD=1 appends the table with date, commit and machine to BENCHMARKS.md.
#
#   BENCH=quick|full         sizes (quick)
#   BENCH_TARGETS="huard ejabberd prosody limit"   subset to run
#   BENCH_PERF=1             after Huard's scenarios, one extra 1,000-member full-speed fan-out
#                            under `perf record` (its figures are not in the table: perf costs
#                            CPU); the flat profile goes to bench/results/perf-huard-fanout-1000.txt
#   BENCH_KEEP=1             keep the temp dir (bench.log, the peers' logs) after the run
#   BENCH_HUARD=mock         developer check of the Huard column against bench/peers/wazo-mock.mjs
#                            (a protocol double, never recorded)
#
# Every server is started by this script on 127.0.0.1 from a temp dir and stopped by PID.
# Speed is never asserted: a failed or missing target shows in its cell, the run goes on.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mode=${BENCH:-quick}
targets=${BENCH_TARGETS:-huard ejabberd prosody limit}
huard_mode=${BENCH_HUARD:-real}
if [ "${BENCH_RECORD:-0}" = 1 ] && [ "$huard_mode" = mock ]; then
  echo "bench: BENCH_HUARD=mock is a developer check and is never recorded" >&2; exit 2
fi

case "$mode" in
  quick)
    fan_sizes="100"; fan_msgs=100; fan_rate=50; api_msgs=1000
    rooms_users=200; rooms_n=20; rooms_msgs=200
    idle_n=500; wrk_secs=5; drain=30 ;;
  full)
    fan_sizes="100 1000 5000"; fan_msgs=1000; fan_rate=10; api_msgs=5000
    rooms_users=10000; rooms_n=1000; rooms_msgs=10000
    idle_n=10000; wrk_secs=30; drain=120 ;;
  *) echo "bench: BENCH must be quick or full" >&2; exit 2 ;;
esac
max_users=$idle_n
for n in $fan_sizes $rooms_users; do [ "$n" -gt "$max_users" ] && max_users=$n; done

ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
tmp=$(mktemp -d /tmp/huard-bench.XXXXXX)
chmod 755 "$tmp"
log="$tmp/bench.log"
started=()   # "kind dir-or-pid" to stop on exit
cleanup() {
  for s in "${started[@]}"; do
    set -- $s
    case $1 in
      ejabberd) bench/peers/ejabberd.sh stop "$2" ;;
      prosody) bench/peers/prosody.sh stop "$2" ;;
      pid) kill "$2" 2>/dev/null; wait "$2" 2>/dev/null ;;
    esac
  done
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $tmp (logs, servers' data)" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "bench: building release (cmake --preset release)" >&2
if ! { cmake --preset release >/dev/null && cmake --build build/release -j2 >/dev/null; }; then
  # The load generator and limit relay are enough for the peers; Huard may not build yet.
  cmake --build build/release -j2 --target bench_loadgen bench_limit >/dev/null || {
    echo "bench: cannot build bench_loadgen" >&2; exit 1; }
fi
LG=build/release/bench_loadgen
LIMIT=build/release/bench_limit
HUARD=build/release/huard
PROV=build/release/bench_provision

declare -A res   # "row|target" -> RESULT line or a note
profile_out=""   # set by huard_profile
coalesce=""      # Huard's frames per send() over its whole run
rows=()
add_row() { case " ${rows[*]} " in *" $1 "*) ;; *) rows+=("$1") ;; esac; }

# run_lg ROW TARGET ARGS...: one load generator run; stores its RESULT line.
run_lg() {
  local row=$1 target=$2; shift 2
  add_row "$row"
  echo "bench: $row on $target" >&2
  local out
  out=$("$LG" "$@" 2>>"$log" | tee -a "$log" | grep '^RESULT' | tail -1)
  res["$row|$target"]=${out:-"RESULT status=no_result"}
}

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }

# wait_listen PORT SECONDS
wait_listen() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    ss -Htln "sport = :$1" | grep -q . && return 0; sleep 0.1
  done
  return 1
}


# scenarios TARGET PORT PID PROTO-ARGS...: the same runs for every target
scenarios() {
  local target=$1 port=$2 pid=$3; shift 3
  # A slow server gets time to drain its queues after the last send (then INCOMPLETE).
  local common=(--port "$port" --server-pid "$pid" --label "$target" --drain-timeout "$drain" "$@")
  local n first=1 sess=()
  # Idle first, on the fresh server: RSS only grows back to a high-water mark, so after the
  # rooms scenario (as many sessions) the idle delta read 0 kB per session.
  run_lg idle "$target" --scenario idle --members "$idle_n" --idle-hold 3 --max-time 1200 \
    --setup-timeout 900 "${common[@]}"
  for n in $fan_sizes; do
    sess=()
    [ "$first" = 1 ] && [ "$target" = huard ] && sess=(--session-out "$tmp/huard.session")
    first=0
    run_lg "fanout-$n-rate" "$target" --scenario fanout --members "$n" --messages "$fan_msgs" \
      --rate "$fan_rate" --max-time 900 --setup-timeout 600 "${sess[@]}" "${common[@]}"
    if [ "$(field "${res["fanout-$n-rate|$target"]}" status)" = setup_failed ]; then
      # The same members joining the same room again would fail the same way (Prosody's
      # joins slow down with the room's size): say so instead of spending the setup timeout.
      add_row "fanout-$n-full"
      res["fanout-$n-full|$target"]="n/a (setup failed at this size in the run above)"
      continue
    fi
    run_lg "fanout-$n-full" "$target" --scenario fanout --members "$n" --messages "$fan_msgs" \
      --rate 0 --inflight 8 --max-time 900 --setup-timeout 600 "${common[@]}"
  done
  run_lg rooms "$target" --scenario rooms --members "$rooms_users" --rooms "$rooms_n" \
    --messages "$rooms_msgs" --rate 0 --inflight 16 --max-time 1200 --setup-timeout 900 "${common[@]}"
}

# Issue 5's figure: acknowledged posts/s through the REST API with 100 connected WebSocket
# clients in the room, and POST-to-delivery latency seen by those clients (Huard only).
wazo_api() {
  local port=$1 pid=$2
  run_lg wazo-api huard --scenario fanout --members 100 --messages "$api_msgs" --rate 0 \
    --inflight 16 --max-time 900 --setup-timeout 600 --port "$port" --server-pid "$pid" \
    --label huard --drain-timeout "$drain" --proto huard --tokens "$tmp/huard.tokens"
}

history_wrk() {
  local port=$1 target=$2
  add_row history
  if [ ! -s "$tmp/huard.session" ] || ! command -v wrk >/dev/null; then
    res["history|$target"]="RESULT status=no_session"; return
  fi
  . "$tmp/huard.session"
  local out rps non2xx
  out=$(wrk -t1 -c8 -d"${wrk_secs}s" -H "X-Auth-Token: $token" \
    "http://127.0.0.1:$port/api/chatd/1.0/users/me/rooms/$room/messages?limit=50" 2>&1)
  echo "$out" >> "$log"
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/{print $5}')
  res["history|$target"]="RESULT history_rps=${rps:-0} non2xx=${non2xx:-0} load=$(cut -d' ' -f1 /proc/loadavg) status=$([ -z "$non2xx" ] && [ -n "$rps" ] && echo ok || echo errors)"
}

# BENCH_PERF=1: what limits the fan-out (issue 6). One extra run of Huard's largest fan-out up
# to 1,000 members at full speed under `perf record` (software clock: this VM has no hardware
# counters); perf costs CPU, so the run's figures stay out of the table.
huard_profile() {
  local port=$1 pid=$2 n=0 m
  for m in $fan_sizes; do [ "$m" -le 1000 ] && n=$m; done
  [ "$n" -gt 0 ] && command -v perf >/dev/null || { echo "bench: no perf profile (perf missing)" >&2; return; }
  mkdir -p bench/results
  local out="bench/results/perf-huard-fanout-$n.txt" data="$tmp/perf-huard.data"
  perf record -F 999 -g -p "$pid" -o "$data" >/dev/null 2>&1 &
  local perf_pid=$!
  sleep 1   # perf has no readiness signal
  local line
  line=$("$LG" --proto huard --tokens "$tmp/huard.tokens" --scenario fanout --members "$n" \
    --messages "$fan_msgs" --rate 0 --inflight 8 --max-time 900 --setup-timeout 600 \
    --port "$port" --server-pid "$pid" --label huard-perf --drain-timeout "$drain" 2>>"$log" | grep '^RESULT' | tail -1)
  kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null
  {
    echo "# Huard fan-out profile: $n members, $fan_msgs messages of 200 bytes at full speed"
    echo "# $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null), BENCH=$mode"
    echo "# perf record -F 999 -g -p PID (cpu-clock); the run under perf (not in the table):"
    echo "# $line"
    echo
    echo "## by object"
    perf report -i "$data" --stdio --no-children -g none --sort dso 2>/dev/null | grep -v '^#' | grep -v '^$'
    echo
    echo "## by symbol (>= 0.3 %)"
    perf report -i "$data" --stdio --no-children -g none --percent-limit 0.3 --sort dso,symbol 2>/dev/null \
      | grep -v '^#' | grep -v '^$'
  } > "$out"
  echo "bench: profile in $out" >&2
  profile_out=$out
}

for target in $targets; do
  case $target in
  limit)
    (exec "$LIMIT" --port 0 --max-time 7200 > "$tmp/limit.out" 2>&1) &
    lpid=$!; started+=("pid $lpid")
    for ((i = 0; i < 50; i++)); do grep -q listening "$tmp/limit.out" && break; sleep 0.1; done
    lport=$(awk -F: '/listening/{print $2}' "$tmp/limit.out")
    scenarios limit "$lport" "$lpid" --proto limit
    kill "$lpid"; wait "$lpid" 2>/dev/null
    ;;
  ejabberd|prosody)
    d="$tmp/$target"; mkdir -p "$d"
    # One retry: a peer's start has failed now and then on this shared machine (ejabberd once
    # found its randomly picked port taken by the time it bound it: eaddrinuse); its logs go
    # to the bench log either way.
    ok=0
    for attempt in 1 2; do
      if bench/peers/$target.sh start "$d" "$max_users" 2>>"$log"; then ok=1; break; fi
      echo "bench: $target did not start (attempt $attempt)" >&2
      tail -20 "$d"/stdout.log "$d"/logs/*.log >>"$log" 2>/dev/null
      bench/peers/$target.sh stop "$d"
      rm -rf "$d"; mkdir -p "$d"
    done
    if [ "$ok" != 1 ]; then
      add_row "fanout-${fan_sizes%% *}-rate"; res["fanout-${fan_sizes%% *}-rate|$target"]="n/a (did not start)"
      continue
    fi
    started+=("$target $d")
    . "$d/env"
    scenarios "$target" "$PORT" "$PID" --proto xmpp --path "$WSPATH" --domain "$DOMAIN" --muc "$MUC"
    bench/peers/$target.sh stop "$d"
    ;;
  huard)
    if [ "$huard_mode" = mock ]; then
      (exec node bench/peers/wazo-mock.mjs --max-time 7200 > "$tmp/mock.out" 2>&1) &
      hpid=$!; started+=("pid $hpid")
      for ((i = 0; i < 100; i++)); do grep -q listening "$tmp/mock.out" && break; sleep 0.1; done
      hport=$(awk -F: '/listening/{print $2}' "$tmp/mock.out")
    else
      hd="$tmp/huard-data"; mkdir -p "$hd"
      # Users and one token each are written straight into the store by bench_provision
      # (one argon2id hash in all, a few transactions), and the load generator uses those
      # tokens instead of logging in: `huard user add` and POST /token cost one argon2id
      # each (about an hour for 10,000 users on 2 cores), and login is not what these
      # scenarios measure.
      t0=$(date +%s)
      if ! "$PROV" --database "$hd/huard.db" --users "$max_users" --out "$tmp/huard.tokens" \
          >>"$log" 2>&1; then
        echo "bench: bench_provision failed: Huard column n/a" >&2
        res["fanout-${fan_sizes%% *}-rate|huard"]="n/a (provisioning failed)"; continue
      fi
      echo "bench: provisioned $max_users Huard users with tokens in $(( $(date +%s) - t0 )) s" >&2
      # Port 0: the server picks a free port and logs it (msg=listening addr=..., at info
      # level, which logs nothing per message or delivery). Rooms are created with all members
      # in one POST: --max_body fits 10,000 members.
      (exec "$HUARD" serve --listen 127.0.0.1:0 --data "$hd" --log_level info \
        --admin_password "bench-$RANDOM$RANDOM" --max_room_members "$((max_users + 10))" \
        --connection_limit 20000 --max_body 1m > "$tmp/huard.log" 2>&1) &
      hpid=$!; started+=("pid $hpid")
      hport=""
      for ((i = 0; i < 300; i++)); do
        hport=$(grep -o 'msg=listening addr=http://127.0.0.1:[0-9]*' "$tmp/huard.log" | grep -o '[0-9]*$' || true)
        [ -n "$hport" ] && break
        kill -0 "$hpid" 2>/dev/null || break
        sleep 0.1
      done
      if [ -z "$hport" ]; then
        echo "bench: huard serve did not start: Huard column n/a" >&2
        tail -5 "$tmp/huard.log" >&2
        res["fanout-${fan_sizes%% *}-rate|huard"]="n/a (server did not start)"; continue
      fi
    fi
    if [ "$huard_mode" = mock ]; then
      scenarios huard "$hport" "$hpid" --proto huard
    else
      scenarios huard "$hport" "$hpid" --proto huard --tokens "$tmp/huard.tokens"
      wazo_api "$hport" "$hpid"
    fi
    history_wrk "$hport" huard
    if [ "${BENCH_PERF:-0}" = 1 ] && [ "$huard_mode" = real ]; then huard_profile "$hport" "$hpid"; fi
    kill "$hpid"; wait "$hpid" 2>/dev/null
    # How well bursts coalesced: the server logs its framed messages and send() calls at exit.
    coalesce=$(grep -o 'msg=ws_stats frames=[0-9]* sends=[0-9]*' "$tmp/huard.log" 2>/dev/null | tail -1 |
      awk -F'[= ]' '{ if ($6 > 0) printf "%d frames in %d send() calls, %.2f frames per call", $4, $6, $4 / $6 }')
    ;;
  *) echo "bench: unknown target $target" >&2 ;;
  esac
done

# ---- the table ----
cell() {
  local row=$1 r=${res["$1|$2"]:-}
  [ -z "$r" ] && { echo "-"; return; }
  case $r in RESULT*) ;; *) echo "$r"; return ;; esac
  local st; st=$(field "$r" status)
  local retried; retried=$(field "$r" setup_retries)
  if [ -n "$retried" ] && [ "$retried" != 0 ]; then
    echo "$(cell_body "$row" "$r" "$st") ($retried member setups retried)"; return
  fi
  cell_body "$row" "$r" "$st"
}

cell_body() {
  local row=$1 r=$2 st=$3
  case $row in
  idle) [ "$st" = ok ] && printf '%s kB/session (load %s)' "$(field "$r" rss_per_session_kb)" "$(field "$r" load)" || echo "$st" ;;
  history) [ "$st" = ok ] && printf '%s req/s (load %s)' "$(field "$r" history_rps)" "$(field "$r" load)" || echo "$st" ;;
  wazo-api)
    [ "$st" = ok ] || { echo "$st"; return; }
    printf '%s acked posts/s, POST->delivery p50/p99 %s/%s ms (last member p99 %s ms), %s us/dlv (load %s)' \
      "$(field "$r" sends_s)" "$(field "$r" dlv_p50_ms)" "$(field "$r" dlv_p99_ms)" \
      "$(field "$r" p99_ms)" "$(field "$r" cpu_us)" "$(field "$r" load)" ;;
  *)
    [ "$st" = ok ] || [ "$st" = incomplete ] || { echo "$st"; return; }
    local mark=""; [ "$st" = incomplete ] && mark=" (INCOMPLETE $(field "$r" deliveries)/$(field "$r" expected))"
    if [ "$row" = rooms ]; then
      # Huard counts acknowledged POSTs (201); XMPP and limit sends are not acknowledged.
      local what="sent/s"; [ "$(field "$r" proto)" = huard ] && what="acked posts/s"
      printf '%s us/dlv, %s %s, dlv p99 %s ms (load %s)%s' "$(field "$r" cpu_us)" "$(field "$r" sends_s)" \
        "$what" "$(field "$r" dlv_p99_ms)" "$(field "$r" load)" "$mark"
    else
      printf '%s us/dlv, %s dlv/s, p50/p99/max %s/%s/%s ms (load %s)%s' "$(field "$r" cpu_us)" "$(field "$r" dps)" \
        "$(field "$r" p50_ms)" "$(field "$r" p99_ms)" "$(field "$r" max_ms)" "$(field "$r" load)" "$mark"
    fi ;;
  esac
}

ratio() {
  # ratio ROW A B FIELD: A/B of one numeric field, "-" if either is missing
  local a=${res["$1|$2"]:-} b=${res["$1|$3"]:-}
  case "$a$b" in *status=ok*status=ok*) ;; *) echo "-"; return ;; esac
  awk -v x="$(field "$a" "$4")" -v y="$(field "$b" "$4")" 'BEGIN{ if (y > 0 && x > 0) printf "%.1fx", x / y; else print "-" }'
}

ratios() {
  local row=$1
  case $row in
  idle|history|wazo-api) echo "-" ;;
  *) printf 'CPU/dlv ejabberd:Huard %s, Prosody:Huard %s; dlv/s Huard:limit %s; CPU/dlv ejabberd:limit %s' \
       "$(ratio "$row" ejabberd huard cpu_us)" "$(ratio "$row" prosody huard cpu_us)" \
       "$(ratio "$row" huard limit dps)" "$(ratio "$row" ejabberd limit cpu_us)" ;;
  esac
}

describe() {
  case $1 in
  fanout-*-rate) n=${1#fanout-}; n=${n%-rate}; echo "fan-out $n members, $fan_msgs msgs at $fan_rate/s" ;;
  fanout-*-full) n=${1#fanout-}; n=${n%-full}; echo "fan-out $n members, $fan_msgs msgs full speed" ;;
  rooms) echo "many rooms: $rooms_users users in $rooms_n rooms, $rooms_msgs posts full speed" ;;
  idle) echo "idle: $idle_n sessions, server RSS" ;;
  history) echo "history: wrk ${wrk_secs}s, 50-message page" ;;
  wazo-api) echo "Wazo API (issue 5): 100 WebSocket clients in the room, $api_msgs REST posts, 16 in flight" ;;
  esac
}

# Table order: fan-outs as run, then rooms, idle, the issue 5 row, history (idle runs first).
ordered=()
for row in "${rows[@]}"; do case $row in fanout-*) ordered+=("$row") ;; esac; done
for want in rooms idle wazo-api history; do
  for row in "${rows[@]}"; do [ "$row" = "$want" ] && ordered+=("$row"); done
done
table="$tmp/table.md"
{
  echo "| scenario | Huard$([ "$huard_mode" = mock ] && echo ' (MOCK, not Huard)') | ejabberd 23.01 | Prosody 0.12 | limit | ratios |"
  echo "|---|---|---|---|---|---|"
  for row in "${ordered[@]}"; do
    echo "| $(describe "$row") | $(cell "$row" huard) | $(cell "$row" ejabberd) | $(cell "$row" prosody) | $(cell "$row" limit) | $(ratios "$row") |"
  done
} > "$table"
echo
[ -n "$coalesce" ] && printf '\nHuard, all scenarios of this run (WebSocket frames per socket write): %s.\n' "$coalesce" >> "$table"
echo "Benchmarks ($mode size; server CPU per delivery from /proc/PID/stat; client and servers share $(nproc) cores)"
cat "$table"

if [ "${BENCH_RECORD:-0}" = 1 ]; then
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  cpu=$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)
  entry="$tmp/entry.md"
  {
    echo "### Run $(date -u +%Y-%m-%dT%H:%MZ), commit $commit, BENCH=$mode"
    echo
    echo "Machine: $(nproc) vCPU ($cpu), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r)."
    echo
    cat "$table"
    echo
    if [ -n "$profile_out" ] && [ -s "$profile_out" ]; then
      echo "Profile of Huard's fan-out in this run (BENCH_PERF=1, $profile_out; top of the flat profile):"
      echo
      echo '```'
      head -4 "$profile_out"
      sed -n '/^## by object/,/^$/p' "$profile_out"
      sed -n '/^## by symbol/,$p' "$profile_out" | head -26
      echo '```'
      echo
    fi
  } > "$entry"
  # Newest run first, inside this issue's section of BENCHMARKS.md (other sections untouched).
  begin='<!-- bench-issue6-runs -->'
  if [ ! -f BENCHMARKS.md ] || ! grep -qF "$begin" BENCHMARKS.md; then
    printf '\n## Benchmarks (issue 6)\n\n%s\n' "$begin" >> BENCHMARKS.md
  fi
  awk -v m="$begin" -v f="$entry" '{print} $0 == m {print ""; while ((getline l < f) > 0) print l}' \
    BENCHMARKS.md > "$tmp/B.md" && cp "$tmp/B.md" BENCHMARKS.md
  echo "bench: recorded in BENCHMARKS.md" >&2
fi
