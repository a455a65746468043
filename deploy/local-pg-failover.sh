#!/usr/bin/env bash
# A PostgreSQL primary with a synchronous streaming standby on loopback, for the fault suite: the same
# binaries as deploy/local-infra.sh (the highest /usr/lib/postgresql/*/bin), two data dirs of their own,
# never the shared test server on 55432. Every start is a fresh pair: initdb of the primary, then
# pg_basebackup -R of the standby from it, the primary waiting for the standby on every commit
# (synchronous_standby_names, synchronous_commit = on; local-infra's test server turns it off).
#
# Usage: deploy/local-pg-failover.sh <command>
#   start         stop what is left of a previous pair, wipe it, start the primary and the standby, and
#                 wait until the standby streams synchronously
#   stop          stop both servers (whatever of them still runs)
#   kill-primary  SIGKILL the primary's postmaster and its backends at once (the machine died)
#   promote       pg_ctl promote the standby, and wait until it accepts writes
#   env           print COMMSHUB_TEST_POSTGRES_FAILOVER (a multi-host connection string listing both,
#                 Target Session Attributes=primary), and ..._1 and ..._2 (each server alone)
#   status        each server's role (primary / standby) and the standby's replication state
#
# Ports (127.0.0.1): 55442 the first primary, 55443 its standby. Login commshub/commshub (superuser).
# Environment: COMMSHUB_INFRA_PG_FAILOVER_DIR (default <repo>/.local/infra-pg-failover),
#              COMMSHUB_INFRA_TIMEOUT (seconds to wait for any state, default 90).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
PAIR_DIR="${COMMSHUB_INFRA_PG_FAILOVER_DIR:-$REPO_DIR/.local/infra-pg-failover}"
TIMEOUT="${COMMSHUB_INFRA_TIMEOUT:-90}"

PORTS=(0 55442 55443)   # node 1 = the first primary, node 2 = its standby
PG_USER=commshub
PG_PASSWORD=commshub
STANDBY_NAME=commshub_standby

log() { echo "[local-pg-failover] $*" >&2; }
die() { echo "[local-pg-failover] ERROR: $*" >&2; exit 1; }

PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
[[ -n "$PG_BIN" && -x "$PG_BIN/initdb" ]] || die "PostgreSQL is not installed (run: deploy/local-infra.sh start postgres)"

# PostgreSQL refuses to run as root: as root it runs as `postgres`, which must reach the data dirs. If a
# parent of the pair dir is closed to others, a private dir in /var/tmp (as deploy/local-infra.sh does).
BASE="$PAIR_DIR"
if [[ "$(id -u)" == 0 ]]; then
    id -u postgres >/dev/null 2>&1 || die "no postgres user (run: deploy/local-infra.sh start postgres)"
    mkdir -p "$PAIR_DIR"
    if ! runuser -u postgres -- test -x "$PAIR_DIR" 2>/dev/null; then
        BASE="/var/tmp/commshub-pg-failover-$(printf '%s' "$PAIR_DIR" | md5sum | cut -c1-12)"
    fi
fi

as_pg() { if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

data() { echo "$BASE/node$1/data"; }
sock() { echo "$BASE/node$1/run"; }
logf() { echo "$BASE/node$1/postgres.log"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() {
    [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
    local state
    state="$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null || true)"
    [[ "$state" != Z ]]
}

any_alive() {
    local p
    for p in "$@"; do pid_alive "$p" && return 0; done
    return 1
}

# PID of the postmaster running on node $1's data dir, if any.
our_pid() {
    local pid d
    d="$(data "$1")"
    [[ -f "$d/postmaster.pid" ]] || return 1
    pid="$(head -n1 "$d/postmaster.pid" 2>/dev/null || true)"
    pid_alive "$pid" && [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -F -- "$d" >/dev/null && echo "$pid"
}

show_log_tail() {
    if [[ -f "$1" ]]; then
        echo "----- last 40 lines of $1 -----" >&2
        tail -n 40 "$1" >&2 || true
        echo "-----" >&2
    fi
}

# psql as postgres through node $1's private socket; prints the unaligned result.
sql() {
    as_pg timeout "$TIMEOUT" "$PG_BIN/psql" -X -q -w -h "$(sock "$1")" -p "${PORTS[$1]}" -U postgres -d postgres -v ON_ERROR_STOP=1 -tAc "$2" 2>/dev/null
}

# Polls `$2...` until it succeeds, for at most TIMEOUT s; on timeout shows node $1's log and dies with $what.
wait_for() {
    local node="$1" what="$2"
    shift 2
    local deadline=$((SECONDS + TIMEOUT))
    until "$@"; do
        if ((SECONDS >= deadline)); then
            show_log_tail "$(logf "$node")"
            die "$what: not reached after ${TIMEOUT}s"
        fi
        sleep 0.2
    done
}

ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "${PORTS[$1]}" -t 2 >/dev/null 2>&1; }
is_primary() { [[ "$(sql "$1" 'select pg_is_in_recovery()')" == f ]]; }
streams_sync() { [[ "$(sql 1 "select sync_state from pg_stat_replication where application_name = '$STANDBY_NAME'")" == sync ]]; }

# Settings of node $1, rewritten on every start. $2 = primary|synchronous-primary|standby. Only the primary
# waits for a synchronous standby, once it has one (a commit before would wait for ever): the promoted standby has none, and would otherwise wait for ever on every commit.
write_config() {
    local n="$1" role="$2" d
    d="$(data "$n")"
    cat >"$d/commshub.conf" <<EOF
# Written by deploy/local-pg-failover.sh on every start. Test-only settings.
listen_addresses = '127.0.0.1'
port = ${PORTS[$n]}
unix_socket_directories = '$(sock "$n")'
max_connections = 300
# The OS survives a killed postmaster, so its page cache holds whatever was written: fsync buys
# nothing here. full_page_writes stays on (a base backup needs it).
fsync = off
synchronous_commit = on
wal_level = replica
max_wal_senders = 5
wal_keep_size = '512MB'
hot_standby = on
logging_collector = off
log_min_messages = warning
log_line_prefix = '%m [%p] %u@%d '
EOF
    if [[ "$role" == synchronous-primary ]]; then
        echo "synchronous_standby_names = '$STANDBY_NAME'" >>"$d/commshub.conf"
    else
        echo "synchronous_standby_names = ''" >>"$d/commshub.conf"
    fi
    cat >"$d/pg_hba.conf" <<'EOF'
# Written by deploy/local-pg-failover.sh. The unix sockets live in private dirs under the pair dir.
local   all           all                  trust
local   replication   all                  trust
host    all           all   127.0.0.1/32   scram-sha-256
host    replication   all   127.0.0.1/32   scram-sha-256
EOF
    grep -q "^include_if_exists = 'commshub.conf'" "$d/postgresql.conf" ||
        echo "include_if_exists = 'commshub.conf'" >>"$d/postgresql.conf"
    [[ "$(id -u)" == 0 ]] && chown postgres: "$d/commshub.conf" "$d/pg_hba.conf" "$d/postgresql.conf"
    return 0
}

launch() {
    local n="$1"
    if ! as_pg "$PG_BIN/pg_ctl" -D "$(data "$n")" -l "$(logf "$n")" -w -t "$TIMEOUT" start >/dev/null 2>&1; then
        show_log_tail "$(logf "$n")"
        die "pg_ctl start of node $n (port ${PORTS[$n]}) failed"
    fi
    wait_for "$n" "node $n ready on 127.0.0.1:${PORTS[$n]}" ready "$n"
}

stop_node() {
    local n="$1" pid
    if pid="$(our_pid "$n")"; then
        if ! as_pg "$PG_BIN/pg_ctl" -D "$(data "$n")" -m immediate -w -t "$TIMEOUT" stop >/dev/null 2>&1 && pid_alive "$pid"; then
            show_log_tail "$(logf "$n")"
            die "pg_ctl stop of node $n failed"
        fi
    fi
    return 0
}

cmd_stop() { stop_node 2; stop_node 1; }

cmd_start() {
    local t0=$SECONDS n
    for n in 1 2; do
        if ! our_pid "$n" >/dev/null && port_open "${PORTS[$n]}"; then
            die "port ${PORTS[$n]} is taken by something that is not this pair's PostgreSQL"
        fi
    done
    cmd_stop
    rm -rf "$BASE/node1" "$BASE/node2"
    for n in 1 2; do
        mkdir -p "$BASE/node$n" "$(sock "$n")"
        [[ "$(id -u)" == 0 ]] && chown postgres: "$BASE" "$BASE/node$n" "$(sock "$n")"
    done

    as_pg "$PG_BIN/initdb" -D "$(data 1)" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C --no-sync >"$BASE/node1/initdb.log" 2>&1 ||
        { show_log_tail "$BASE/node1/initdb.log"; die "initdb failed"; }
    write_config 1 primary
    launch 1
    sql 1 "CREATE ROLE $PG_USER LOGIN SUPERUSER CREATEDB CREATEROLE PASSWORD '$PG_PASSWORD'" >/dev/null ||
        die "could not create the role $PG_USER on node 1"

    # -R writes primary_conninfo (with our application_name, the name the primary waits for) and
    # standby.signal; the slot keeps the WAL the standby has not received yet.
    as_pg "$PG_BIN/pg_basebackup" -D "$(data 2)" -d "host=$(sock 1) port=${PORTS[1]} user=postgres application_name=$STANDBY_NAME" \
        -R -C -S commshub_standby -X stream --checkpoint=fast --no-sync >"$BASE/node2/basebackup.log" 2>&1 ||
        { show_log_tail "$BASE/node2/basebackup.log"; die "pg_basebackup of the standby failed"; }
    write_config 2 standby
    launch 2
    write_config 1 synchronous-primary
    as_pg "$PG_BIN/pg_ctl" -D "$(data 1)" reload >/dev/null 2>&1 || die "pg_ctl reload of node 1 failed"
    wait_for 1 "the standby streaming synchronously" streams_sync
    log "primary 127.0.0.1:${PORTS[1]}, synchronous standby 127.0.0.1:${PORTS[2]} ready in $((SECONDS - t0)) s"
}

cmd_kill_primary() {
    local pid children
    pid="$(our_pid 1)" || die "the primary (node 1) is not running"
    # The backends go with their postmaster, as on a machine that died: left alone, an orphaned backend
    # could still answer its client for a moment.
    children="$(pgrep -P "$pid" | tr '\n' ' ' || true)"
    # shellcheck disable=SC2086
    kill -9 "$pid" $children 2>/dev/null || true
    local deadline=$((SECONDS + TIMEOUT))
    # shellcheck disable=SC2086
    while any_alive "$pid" $children; do
        ((SECONDS < deadline)) || die "the primary (pid $pid) still alive after SIGKILL"
        sleep 0.1
    done
    log "primary killed (postmaster $pid and $(wc -w <<<"$children") children, SIGKILL)"
}

cmd_promote() {
    our_pid 2 >/dev/null || die "the standby (node 2) is not running"
    if ! is_primary 2; then
        as_pg "$PG_BIN/pg_ctl" -D "$(data 2)" -w -t "$TIMEOUT" promote >/dev/null 2>&1 ||
            { show_log_tail "$(logf 2)"; die "pg_ctl promote failed"; }
    fi
    wait_for 2 "node 2 accepting writes" is_primary 2
    log "standby promoted: 127.0.0.1:${PORTS[2]} is the primary"
}

cmd_env() {
    cat <<EOF
export COMMSHUB_TEST_POSTGRES_FAILOVER="Host=127.0.0.1:${PORTS[1]},127.0.0.1:${PORTS[2]};Target Session Attributes=primary;Username=$PG_USER;Password=$PG_PASSWORD;Database=postgres"
export COMMSHUB_TEST_POSTGRES_FAILOVER_1="Host=127.0.0.1;Port=${PORTS[1]};Username=$PG_USER;Password=$PG_PASSWORD;Database=postgres"
export COMMSHUB_TEST_POSTGRES_FAILOVER_2="Host=127.0.0.1;Port=${PORTS[2]};Username=$PG_USER;Password=$PG_PASSWORD;Database=postgres"
EOF
}

cmd_status() {
    local n role rc=0
    for n in 1 2; do
        if ! our_pid "$n" >/dev/null; then
            echo "node $n (127.0.0.1:${PORTS[$n]}): down"; rc=1; continue
        fi
        role="$(sql "$n" 'select case when pg_is_in_recovery() then $$standby$$ else $$primary$$ end' || echo "not answering")"
        echo "node $n (127.0.0.1:${PORTS[$n]}): $role$([[ "$role" == primary ]] && sql "$n" 'select string_agg($$ (standby $$ || application_name || $$: $$ || state || $$, $$ || sync_state || $$)$$, $$$$) from pg_stat_replication')"
    done
    return $rc
}

# Our ports lie in Linux's ephemeral range: where we may (root), tell the kernel never to hand them out
# as the local port of an outgoing connection (see deploy/local-infra.sh).
reserve_ports() {
    local file=/proc/sys/net/ipv4/ip_local_reserved_ports ours="${PORTS[1]},${PORTS[2]}" current
    [[ -w "$file" ]] || return 0
    current="$(tr -d ' \n' <"$file")"
    echo "${current:+$current,}$ours" >"$file" 2>/dev/null || log "warning: could not reserve ports $ours"
}

main() {
    local cmd="${1:-}"
    case "$cmd" in
        start) reserve_ports; cmd_start ;;
        stop) cmd_stop ;;
        kill-primary) cmd_kill_primary ;;
        promote) cmd_promote ;;
        env) cmd_env ;;
        status) cmd_status ;;
        *) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
}

main "$@"
