#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server on loopback in a temp folder (DESIGN.md section 7).
#
#   scripts/pg.sh start            prints shell assignments: HUARD_PG_DIR, HUARD_PG_PORT,
#                                  HUARD_PG_URL (eval them); the server is ready when it returns
#   scripts/pg.sh stop DIR         fast shutdown by PID (SIGINT), bounded wait, folder removed
#   scripts/pg.sh crash DIR        kill -9 of the postmaster and its children, by PID
#   scripts/pg.sh restart DIR      starts the server of DIR again on its port (after crash)
#
# initdb and postgres refuse to run as root: as root they run as the `postgres` user of the
# Debian package (runuser), in a folder that user owns. The port is a free loopback port.
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start_server() {
  local dir=$1 port=$2
  as_pg "$PGBIN/pg_ctl" start -w -t 60 -D "$dir/data" -l "$dir/server.log" \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=on -c synchronous_commit=on \
        -c max_connections=100 -c shared_buffers=32MB" >/dev/null 2>>"$dir/pg_ctl.err"
}

postmaster_pid() {
  head -n 1 "$1/data/postmaster.pid" 2>/dev/null || true
}

cmd=${1:-}
case "$cmd" in
  start)
    dir=$(mktemp -d /tmp/huard-pg.XXXXXX)
    chmod 700 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C \
      --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # A port can look free and still be taken when the server binds it (another helper's
    # process racing for it): try a few.
    port=
    for _ in $(seq 1 10); do
      p=$((20000 + RANDOM % 40000))
      port_free "$p" || continue
      echo "$p" >"$dir/port"
      if start_server "$dir" "$p"; then port=$p; break; fi
      grep -q "Address already in use" "$dir/server.log" || { cat "$dir/server.log" >&2; exit 1; }
    done
    [ -n "$port" ] || { echo "pg.sh: could not start on a free port" >&2; exit 1; }
    echo "HUARD_PG_DIR=$dir"
    echo "HUARD_PG_PORT=$port"
    echo "HUARD_PG_URL=postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    dir=${2:?usage: pg.sh stop DIR}
    pid=$(postmaster_pid "$dir")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -INT "$pid"
      for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    case "$dir" in /tmp/huard-pg.*) rm -rf "$dir" ;; esac
    ;;
  crash)
    dir=${2:?usage: pg.sh crash DIR}
    pid=$(postmaster_pid "$dir")
    [ -n "$pid" ] || { echo "pg.sh: no server in $dir" >&2; exit 1; }
    children=$(ps -o pid= --ppid "$pid" || true)
    kill -KILL "$pid" $children 2>/dev/null || true
    for p in "$pid" $children; do
      for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    done
    ;;
  restart)
    dir=${2:?usage: pg.sh restart DIR}
    start_server "$dir" "$(cat "$dir/port")" || { tail -20 "$dir/server.log" >&2; exit 1; }
    ;;
  *)
    echo "usage: $0 start | stop DIR | crash DIR | restart DIR" >&2
    exit 2
    ;;
esac
