# Shared helpers for the peer scripts (sourced, not run). Loopback only, bounded waits.

# A free TCP port on 127.0.0.1 (random pick, checked against listening sockets).
peer_free_port() {
  local p i
  for i in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if ! ss -Htln "sport = :$p" | grep -q .; then echo "$p"; return 0; fi
  done
  echo "no free port" >&2; return 1
}

# peer_wait_port PORT SECONDS: poll until something listens on 127.0.0.1:PORT.
peer_wait_port() {
  local port=$1 limit=$(( $2 * 10 )) i
  for ((i = 0; i < limit; i++)); do
    ss -Htln "sport = :$port" | grep -q . && return 0
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$port after $2 s" >&2; return 1
}

# peer_stop_pid PID SECONDS: TERM, wait (bounded), then KILL. Only the PID we started.
peer_stop_pid() {
  local pid=$1 limit=$(( $2 * 10 )) i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < limit; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

# Every listening socket of PID must be on loopback; prints offenders and fails otherwise.
peer_check_loopback() {
  local pid=$1 bad
  bad=$(ss -Htlnp | grep "pid=$pid," | awk '{print $4}' | grep -vE '^(127\.[0-9.]+|\[::1\]):' || true)
  if [ -n "$bad" ]; then echo "pid $pid listens beyond loopback: $bad" >&2; return 1; fi
}
