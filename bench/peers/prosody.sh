#!/usr/bin/env bash
# Starts and stops a private Prosody 0.12 (Debian package) for the benchmarks, on loopback
# only, from a temp dir. Configuration: ../../shared/bench-peers.md 3.2.
#
#   bench/peers/prosody.sh start DIR USERS   registers u0..u(USERS-1) (password "pw") with
#                                            prosodyctl's admin shell, writes DIR/env
#   bench/peers/prosody.sh stop DIR          stops that instance by PID
#
# Rooms are created by their first member's join. Room locking (status 201 until the owner
# submits the form) is turned off in the config, so no client has to unlock them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start DIR USERS | stop DIR" >&2; exit 2; }

if [ "$cmd" = stop ]; then
  [ -f "$dir/env" ] || exit 0
  . "$dir/env"
  peer_stop_pid "$PID" 15
  rm -f "$dir/env"
  exit 0
fi

[ "$cmd" = start ] || { echo "usage: $0 start DIR USERS | stop DIR" >&2; exit 2; }
users=${3:?users}
command -v prosody >/dev/null || { echo "prosody not installed (scripts/deps.sh bench)" >&2; exit 1; }
mkdir -p "$dir/data" "$dir/certs"
port=$(peer_free_port); c2s=$(peer_free_port)
cfg="$dir/prosody.cfg.lua"
cat > "$cfg" <<CFG
pidfile = "$dir/prosody.pid"
data_path = "$dir/data"
certificates = "$dir/certs"
log = { warn = "$dir/prosody.log" }
network_backend = "epoll"
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { $c2s }
c2s_interfaces = { "127.0.0.1" }
http_ports = { $port }
http_interfaces = { "127.0.0.1" }
https_ports = { }
s2s_ports = { }
admin_socket = "$dir/data/prosody.sock"
-- no "limits" module: its rate limits would throttle the load (bench-peers.md 3.2)
modules_enabled = { "roster", "saslauth", "disco", "ping", "websocket", "admin_shell" }
modules_disabled = { "s2s", "tls", "offline" }
allow_registration = false
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
consider_websocket_secure = true
authentication = "internal_hashed"
VirtualHost "localhost"
Component "conference.localhost" "muc"
  restrict_room_creation = false
  muc_room_locking = false
  muc_room_default_history_length = 0
  muc_room_cache_size = 20000
  -- Joins broadcast every occupant's presence to all (O(N^2) join work, 26 s for 500 in
  -- bench-peers.md 2.3). Only moderators' presence is broadcast so that large rooms can be
  -- set up; the measured message fan-out is unaffected.
  muc_room_default_presence_broadcast = { moderator = true }
CFG
chown -R prosody: "$dir"
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"   # EMFILE at 1,000 sessions otherwise
# setpriv rather than runuser/su: those go through PAM (pam_limits), which puts the open-file
# limit back to 1024 and caps the server near 1,000 sessions (bench-peers.md 2.3).
(cd "$dir" && exec setpriv --reuid=prosody --regid=prosody --init-groups env HOME=/var/lib/prosody \
  prosody --config "$cfg" -F) >"$dir/stdout.log" 2>&1 </dev/null &
peer_wait_port "$port" 30 || { tail -20 "$dir/stdout.log" "$dir/prosody.log" >&2 || true; exit 1; }
for ((i = 0; i < 100; i++)); do [ -s "$dir/prosody.pid" ] && break; sleep 0.1; done
pid=$(cat "$dir/prosody.pid")
cat > "$dir/env" <<ENV
PID=$pid
PORT=$port
WSPATH=/xmpp-websocket
DOMAIN=localhost
MUC=conference.localhost
ENV
peer_check_loopback "$pid"

# Register the users through Prosody's admin shell (prosodyctl shell, one connection for all
# of them rather than one prosodyctl process per user).
t0=$(date +%s.%N)
for ((i = 0; i < 200; i++)); do [ -S "$dir/data/prosody.sock" ] && break; sleep 0.1; done
out=$(timeout 600 runuser -u prosody -- prosodyctl --config "$cfg" shell \
  "local n = 0; for i = 0, $((users - 1)) do if user:create('u'..i..'@localhost', 'pw') then n = n + 1 end end; return n")
echo "$out" | tail -1
if ! timeout 30 runuser -u prosody -- prosodyctl --config "$cfg" shell "user:list('localhost', 'u$((users - 1))')" | grep -q "u$((users - 1))@localhost"; then
  echo "prosody: registration of u$((users - 1)) not visible" >&2; exit 1
fi
echo "prosody: pid $pid, ws://127.0.0.1:$port/xmpp-websocket, $users users registered in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s" >&2
