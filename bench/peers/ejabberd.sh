#!/usr/bin/env bash
# Starts and stops a private ejabberd 23.01 (Debian package) for the benchmarks, on loopback
# only, from a temp dir. Configuration and traps: ../../shared/bench-peers.md 3.3.
#
#   bench/peers/ejabberd.sh start DIR USERS   registers u0..u(USERS-1) (password "pw") and
#                                             writes DIR/env (PID, PORT, PATH, DOMAIN, MUC)
#   bench/peers/ejabberd.sh stop DIR          stops that instance and its epmd, by PID
#
# Rooms are created by their first member's join (ejabberd makes instant rooms unlocked; it
# must NOT get an owner-config submit, pitfall 6); default_room_options size them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start DIR USERS | stop DIR" >&2; exit 2; }

# Run ejabberdctl as the ejabberd user ourselves, through setpriv rather than su: su goes
# through PAM (pam_limits), which puts the open-file limit back to 1024, and the VM then
# refuses connections past ~1,000 sessions (bench-peers.md 2.3).
ctl_raw() { setpriv --reuid=ejabberd --regid=ejabberd --init-groups env HOME=/var/lib/ejabberd \
  ejabberdctl --ctl-config "$dir/ejabberdctl.cfg" --config "$dir/ejabberd.yml" \
  --spool "$dir/db" --logs "$dir/logs" --node "$NODE" "$@"; }
# Commands are bounded in time; the server itself (ctl_raw foreground) is not: under
# `timeout` it was killed 120 s after its start, in the middle of the full-size runs.
# (timeout needs a program: it runs the function in a child bash, dir and NODE exported.)
ctl() { timeout "${CTL_TIMEOUT:-120}" bash -c "$(declare -f ctl_raw); ctl_raw \"\$@\"" ctl "$@"; }
export dir NODE

epmd_listener() { ss -Htlnp "sport = :4369" | grep -o '"epmd",pid=[0-9]*' | head -1 | grep -o '[0-9]*$' || true; }

if [ "$cmd" = stop ]; then
  [ -f "$dir/env" ] || exit 0
  . "$dir/env"
  CTL_TIMEOUT=30 ctl stop >/dev/null 2>&1 || true
  # A start that failed half-way wrote only NODE: find its beam by the pid file.
  [ -z "${PID:-}" ] && [ -f "$dir/ejabberd.pid" ] && PID=$(cat "$dir/ejabberd.pid")
  peer_stop_pid "${PID:-}" 15
  # The ctl nodes of ejabberdctl start an epmd when none runs; stop the one listening now
  # unless it was there before this instance started (then it is not ours).
  [ -n "${EPMD_PID:-}" ] && peer_stop_pid "$EPMD_PID" 5
  now=$(epmd_listener)
  [ -n "$now" ] && [ "$now" != "${EPMD_BEFORE:-}" ] && peer_stop_pid "$now" 5
  rm -f "$dir/env"
  exit 0
fi

[ "$cmd" = start ] || { echo "usage: $0 start DIR USERS | stop DIR" >&2; exit 2; }
users=${3:?users}
command -v ejabberdctl >/dev/null || { echo "ejabberd not installed (scripts/deps.sh bench)" >&2; exit 1; }
max=$(( users > 200 ? users + 10 : 210 ))   # pitfall 4: rooms refuse member #201 by default
mkdir -p "$dir/db" "$dir/logs"
port=$(peer_free_port); c2s=$(peer_free_port)
NODE="huardbench$$@localhost"
epmd_before=$(epmd_listener)

# Pitfall 1: Debian's /etc/ejabberd/ejabberdctl.cfg sets EJABBERD_CONFIG_PATH and is sourced
# after --config, so a private ctl config must name our yml and keep epmd and the
# distribution port on loopback.
cat > "$dir/ejabberdctl.cfg" <<CFG
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"
EJABBERD_PID_PATH=$dir/ejabberd.pid
EJABBERD_CONFIG_PATH=$dir/ejabberd.yml
ERL_EPMD_ADDRESS=127.0.0.1
INET_DIST_INTERFACE=127.0.0.1
ERL_MAX_PORTS=65536
CFG

cat > "$dir/ejabberd.yml" <<YML
hosts: [localhost]
loglevel: warning
certfiles: []
listen:
  # pitfall 2: the default backlog is 5
  - {port: $c2s, ip: "127.0.0.1", module: ejabberd_c2s, backlog: 1024, shaper: c2s_shaper}
  - port: $port
    ip: "127.0.0.1"
    module: ejabberd_http
    backlog: 1024
    request_handlers: {/ws: ejabberd_http_ws, /api: mod_http_api}
acl:
  local: {user_regexp: ""}
  loopback: {ip: [127.0.0.0/8]}
access_rules:
  c2s: {allow: all}
  register: {allow: all}
  muc_create: {allow: local}
# pitfall 3: Debian's default "normal" shaper caps a client at 3000 B/s
shaper_rules:
  c2s_shaper: none
# user registration through ejabberd's own admin API, from loopback only
api_permissions:
  "bench registration":
    from: [mod_http_api]
    who: {acl: loopback}
    what: [register]
modules:
  mod_disco: {}
  mod_ping: {}
  mod_roster: {}
  mod_http_api: {}
  mod_register: {access: register, ip_access: all}
  # pitfall 5: no mod_stream_mgmt for benchmarks
  mod_muc:
    access: all
    access_create: muc_create
    history_size: 0
    max_users: $max
    max_users_presence: $max
    default_room_options:
      persistent: true
      mam: false
      max_users: $max
      # Joins broadcast every occupant's presence to all (O(N^2) join work, 7.5 s for 500 in
      # bench-peers.md 2.3). Only moderators' presence is broadcast so that large rooms can
      # be set up; the measured message fan-out is unaffected.
      presence_broadcast: [moderator]
YML

chown -R ejabberd: "$dir"
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"   # inherited through setpriv
(cd "$dir" && ctl_raw foreground) >"$dir/stdout.log" 2>&1 </dev/null &
printf "NODE='%s'\nEPMD_BEFORE=%s\n" "$NODE" "$epmd_before" > "$dir/env"
if ! ctl started; then
  echo "ejabberd did not start; see $dir/logs and $dir/stdout.log" >&2
  tail -20 "$dir/stdout.log" >&2 || true; exit 1
fi
pid=$(cat "$dir/ejabberd.pid")
epmd_pid=$(epmd_listener)
[ "$epmd_pid" = "$epmd_before" ] && epmd_pid=""   # not ours: leave it running
cat > "$dir/env" <<ENV
NODE='$NODE'
PID=$pid
EPMD_PID=$epmd_pid
EPMD_BEFORE=$epmd_before
PORT=$port
WSPATH=/ws
DOMAIN=localhost
MUC=conference.localhost
ENV
peer_wait_port "$port" 30
peer_check_loopback "$pid"

# Register the users with ejabberd's admin API (the command set of ejabberdctl register,
# without starting one Erlang node per user): one curl process, keep-alive, sequential.
t0=$(date +%s.%N)
cfg="$dir/register.curl"; : > "$cfg"
for ((i = 0; i < users; i++)); do
  [ $i -gt 0 ] && echo "next" >> "$cfg"
  printf 'url = "http://127.0.0.1:%s/api/register"\ndata = "{\\"user\\":\\"u%d\\",\\"host\\":\\"localhost\\",\\"password\\":\\"pw\\"}"\nsilent\noutput = /dev/null\nwrite-out = "%%{http_code}\\n"\n' "$port" "$i" >> "$cfg"
done
codes=$(curl -K "$cfg")
bad=$(echo "$codes" | grep -vc '^200$' || true)
if [ "$bad" != 0 ]; then echo "ejabberd: $bad of $users registrations failed" >&2; exit 1; fi
echo "ejabberd: pid $pid, ws://127.0.0.1:$port/ws, $users users registered in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s" >&2
