#!/usr/bin/env bash
# Local test infrastructure for CommsHub: a private PostgreSQL and a private
# RabbitMQ (with the management plugin), both on loopback and on non-default
# ports, with their data under $COMMSHUB_INFRA_DIR (default <repo>/.local/infra).
# Nothing here goes through systemd or /etc/init.d, and nothing touches the
# system-wide clusters or nodes those packages may have set up.
#
# Usage: deploy/local-infra.sh <command> [component...]
#   start [postgres|rabbitmq]  install if missing, start (or reuse) and wait until ready
#   stop  [postgres|rabbitmq]  stop what this script started (never a foreign server)
#   status                     say what is running
#   env                        print the export lines the tests read
#   rabbit-stop-app            rabbitmqctl stop_app  (broker down, Erlang node stays)
#   rabbit-start-app           rabbitmqctl start_app, then wait until ready
#   pg-stop-immediate          pg_ctl stop -m immediate (simulates a crash)
#   rabbit-kill                SIGKILL the broker's Erlang VM (a crash; `start rabbitmq` brings it back)
#   pg-start                   start PostgreSQL again and wait until ready
#   browser                    install Debian's chromium and the fonts the status page uses
#                              (for tests/CommsHub.BrowserTests) if missing; nothing to start or stop
#
# Ports (all 127.0.0.1):
#   55432 PostgreSQL      55672 AMQP             55673 RabbitMQ management (HTTP)
#   55674 Erlang distribution of the RabbitMQ node
#   55675 epmd (our own, so we never share or clash with a system epmd)
#   55680-55689 distribution ports of the rabbitmqctl/rabbitmq-diagnostics CLI nodes
#
# Environment:
#   COMMSHUB_INFRA_DIR            where data, logs and pid files live
#   COMMSHUB_INFRA_TIMEOUT        seconds to wait for readiness (default 90)
#   COMMSHUB_INFRA_STARTED_FILE   if set, `start` appends the name of each component
#                                 it really started (not reused) to this file; test.sh
#                                 uses it to stop only what it started.
#   COMMSHUB_INFRA_PORT_OFFSET    added to every port above (default 0); a non-zero offset
#                                 also gives the RabbitMQ node its own name. With its own
#                                 COMMSHUB_INFRA_DIR this runs a second, independent pair
#                                 (the fault suite breaks its own servers, nobody else's).
#   COMMSHUB_INFRA_EPMD_PORT      the epmd port, instead of 55675+offset: nodes of one cluster
#                                 must find each other through the same epmd
#   COMMSHUB_INFRA_RABBIT_COOKIE  the Erlang cookie of the node (nodes of one cluster share it)
#   COMMSHUB_INFRA_PG_PRELOAD     PostgreSQL's shared_preload_libraries at the next start (e.g.
#                                 pg_stat_statements, for bench/quick/run.sh --pg-stats)
#
# A cluster of three more nodes for the fault suite: deploy/local-rabbit-cluster.sh (uses
#   rabbit-join <node>             stop_app, reset, join_cluster <node>, start_app, wait until ready)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
INFRA_DIR="${COMMSHUB_INFRA_DIR:-$REPO_DIR/.local/infra}"
TIMEOUT="${COMMSHUB_INFRA_TIMEOUT:-90}"

PORT_OFFSET="${COMMSHUB_INFRA_PORT_OFFSET:-0}"
[[ "$PORT_OFFSET" =~ ^[0-9]+$ ]] || { echo "[local-infra] ERROR: COMMSHUB_INFRA_PORT_OFFSET must be a number" >&2; exit 2; }

PG_PORT=$((55432 + PORT_OFFSET))
PG_USER=commshub
PG_PASSWORD=commshub

RMQ_PORT=$((55672 + PORT_OFFSET))
RMQ_MGMT_PORT=$((55673 + PORT_OFFSET))
RMQ_DIST_PORT=$((55674 + PORT_OFFSET))
RMQ_EPMD_PORT="${COMMSHUB_INFRA_EPMD_PORT:-$((55675 + PORT_OFFSET))}"
RMQ_CTL_DIST_MIN=$((55680 + PORT_OFFSET))
RMQ_CTL_DIST_MAX=$((55689 + PORT_OFFSET))
# "localhost" always resolves; the machine's hostname may not.
if ((PORT_OFFSET == 0)); then RMQ_NODENAME=commshub@localhost; else RMQ_NODENAME="commshub$PORT_OFFSET@localhost"; fi
RMQ_LIB=/usr/lib/rabbitmq/bin     # the real scripts; /usr/sbin/* wrappers `su` to the rabbitmq user

log() { echo "[local-infra] $*" >&2; }
die() { echo "[local-infra] ERROR: $*" >&2; exit 1; }

# ---------------------------------------------------------------- installation

pg_bin_dir() {
    # Highest installed major version (bookworm ships 15).
    local d
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
    [[ -n "$d" && -x "$d/initdb" ]] && echo "$d"
}

ensure_installed() {
    local want=()
    [[ -n "$(pg_bin_dir)" ]] || want+=(postgresql)
    [[ -x "$RMQ_LIB/rabbitmq-server" ]] || want+=(rabbitmq-server)
    command -v curl >/dev/null || want+=(curl)
    command -v runuser >/dev/null || want+=(util-linux)
    ((${#want[@]} == 0)) && return 0

    [[ "$(id -u)" == 0 ]] || die "missing ${want[*]}; run as root (or apt-get install ${want[*]})"
    log "installing ${want[*]} (apt-get)..."
    local started=$SECONDS
    # Without systemd the packages' postinst would try to start the system-wide
    # services through invoke-rc.d (rabbitmq-server's can hang or fail). A
    # policy-rc.d that exits 101 tells invoke-rc.d "not allowed": we add one for
    # the duration of the install only if the machine has none.
    local own_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        own_policy=1
    fi
    # rabbitmq-server's postinst runs its CLI, which leaves a system epmd listening
    # on 0.0.0.0:4369; note which epmd processes exist now to end only that one.
    local epmd_before
    epmd_before=" $(pgrep -x epmd 2>/dev/null | tr '\n' ' ' || true) "
    local rc=0
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${want[@]}"
    } >&2 || rc=$?
    ((own_policy)) && rm -f /usr/sbin/policy-rc.d
    local pid
    for pid in $(pgrep -x epmd 2>/dev/null || true); do
        [[ "$epmd_before" == *" $pid "* ]] || kill "$pid" 2>/dev/null || true
    done
    ((rc == 0)) || die "apt-get install ${want[*]} failed (exit $rc)"
    log "installed ${want[*]} in $((SECONDS - started)) s"
    [[ -n "$(pg_bin_dir)" ]] || die "PostgreSQL binaries not found after install"
    [[ -x "$RMQ_LIB/rabbitmq-server" ]] || die "RabbitMQ not found after install"
}

# The browser tests drive Debian's chromium through Playwright: Playwright's own
# browser download cannot reach its servers from here (nor from CI). The fonts are
# what the status page asks for (Helvetica/Arial: Liberation Sans has their metrics)
# and its status icons (emoji): without them screenshots show empty boxes.
CHROMIUM=/usr/bin/chromium
BROWSER_PACKAGES=(chromium fonts-liberation fonts-noto-color-emoji)

apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >&2
}

browser_install() {
    local want=() p
    for p in "${BROWSER_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null || want+=("$p")
    done
    [[ -x "$CHROMIUM" ]] || [[ " ${want[*]} " == *" chromium "* ]] || want+=(chromium)
    if ((${#want[@]} == 0)); then
        log "chromium and its fonts are installed ($CHROMIUM)"
        return 0
    fi
    [[ "$(id -u)" == 0 ]] || die "missing ${want[*]}; run as root (or apt-get install ${want[*]})"
    log "installing ${want[*]} (apt-get)..."
    local started=$SECONDS
    # A fresh machine may have no package lists yet (or stale ones): update only then.
    if ! apt_install "${want[@]}"; then
        log "apt-get install failed: updating the package lists and trying again"
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
        apt_install "${want[@]}" || die "apt-get install ${want[*]} failed"
    fi
    [[ -x "$CHROMIUM" ]] || die "chromium was installed but $CHROMIUM is missing"
    log "installed ${want[*]} in $((SECONDS - started)) s"
}

# ------------------------------------------------------------------ utilities

# True if something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Alive and not a zombie (a dead child not yet reaped still answers kill -0).
pid_alive() {
    [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
    local state
    state="$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null || true)"
    [[ "$state" != Z ]]
}

# True if process $1 is alive and its command line contains $2.
pid_matches() {
    pid_alive "$1" && [[ -r "/proc/$1/cmdline" ]] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -F -- "$2" >/dev/null
}

record_started() {
    if [[ -n "${COMMSHUB_INFRA_STARTED_FILE:-}" ]]; then echo "$1" >>"$COMMSHUB_INFRA_STARTED_FILE"; fi
}

show_log_tail() {
    local f="$1"
    if [[ -f "$f" ]]; then
        echo "----- last 40 lines of $f -----" >&2
        tail -n 40 "$f" >&2 || true
        echo "-----" >&2
    fi
}

# ------------------------------------------------------------------ PostgreSQL

PG_BIN=""
PG_DIR=""      # <infra>/postgres, or a fallback the postgres user can reach
PG_DATA=""
PG_LOG=""
PG_SOCK=""

pg_init_paths() {
    PG_BIN="$(pg_bin_dir || true)"
    [[ -n "$PG_BIN" ]] || die "PostgreSQL is not installed (run: $0 start)"
    PG_DIR="$INFRA_DIR/postgres"
    # PostgreSQL refuses to run as root, so as root we run it as the `postgres`
    # user, which must be able to reach its data dir. If a parent of the infra dir
    # is closed to others (a repo under /root, say), use a private dir in /var/tmp.
    if [[ "$(id -u)" == 0 ]]; then
        pg_ensure_user
        mkdir -p "$INFRA_DIR"
        if ! runuser -u postgres -- test -x "$INFRA_DIR" 2>/dev/null; then
            PG_DIR="/var/tmp/commshub-infra-$(printf '%s' "$INFRA_DIR" | md5sum | cut -c1-12)/postgres"
        fi
    fi
    PG_DATA="$PG_DIR/data"
    PG_LOG="$PG_DIR/postgres.log"
    PG_SOCK="$PG_DIR/run"
}

pg_ensure_user() {
    id -u postgres >/dev/null 2>&1 && return 0
    log "creating system user postgres"
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash --user-group postgres
}

# Run a command as the PostgreSQL owner.
as_pg() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2 >/dev/null 2>&1; }

pg_login_ok() {
    PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -w -h 127.0.0.1 -p "$PG_PORT" \
        -U "$PG_USER" -d postgres -tAc 'select 1' >/dev/null 2>&1
}

# PID of the postmaster running on *our* data dir, if any.
pg_our_pid() {
    local pid
    [[ -f "$PG_DATA/postmaster.pid" ]] || return 1
    pid="$(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
    pid_matches "$pid" "$PG_DATA" && echo "$pid"
}

pg_write_config() {
    # Rewritten on every start so that changes to this script apply to old data dirs.
    cat >"$PG_DATA/commshub.conf" <<EOF
# Written by deploy/local-infra.sh on every start. Test-only settings.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
log_min_messages = warning
log_line_prefix = '%m [%p] %u@%d '
shared_preload_libraries = '${COMMSHUB_INFRA_PG_PRELOAD:-}'
EOF
    cat >"$PG_DATA/pg_hba.conf" <<'EOF'
# Written by deploy/local-infra.sh. Unix socket lives in a private dir under the infra dir.
local   all   all                  trust
host    all   all   127.0.0.1/32   scram-sha-256
EOF
    grep -q "^include_if_exists = 'commshub.conf'" "$PG_DATA/postgresql.conf" ||
        echo "include_if_exists = 'commshub.conf'" >>"$PG_DATA/postgresql.conf"
    chown postgres: "$PG_DATA/commshub.conf" "$PG_DATA/pg_hba.conf" 2>/dev/null || true
}

pg_initdb() {
    log "initialising PostgreSQL data dir $PG_DATA"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
        { show_log_tail "$PG_DIR/initdb.log"; die "initdb failed"; }
}

pg_wait_ready() {
    local deadline=$((SECONDS + TIMEOUT))
    until pg_ready; do
        if ((SECONDS >= deadline)); then
            show_log_tail "$PG_LOG"
            die "PostgreSQL not ready on 127.0.0.1:$PG_PORT after ${TIMEOUT}s"
        fi
        sleep 0.5
    done
}

# Superuser role commshub/commshub, created through our private unix socket.
pg_ensure_role() {
    as_pg "$PG_BIN/psql" -X -q -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 <<SQL >/dev/null
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN SUPERUSER CREATEDB CREATEROLE PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE $PG_USER LOGIN SUPERUSER CREATEDB CREATEROLE PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SQL
}

# Start the server on our data dir (initialising it if needed) and wait for it.
pg_launch() {
    mkdir -p "$PG_DIR" "$PG_SOCK"
    [[ "$(id -u)" == 0 ]] && chown postgres: "$PG_DIR" "$PG_SOCK"
    [[ -f "$PG_DATA/PG_VERSION" ]] || pg_initdb
    pg_write_config
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT (data $PG_DATA)"
    # pg_ctl daemonises the postmaster; its output goes to the log, not our stdout.
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$TIMEOUT" start >/dev/null 2>&1; then
        show_log_tail "$PG_LOG"
        die "pg_ctl start failed"
    fi
    pg_wait_ready
    pg_ensure_role
    local pid
    pid="$(pg_our_pid || true)"
    echo "$pid" >"$INFRA_DIR/postgres.pid"
    log "PostgreSQL ready (pid $pid)"
}

pg_start() {
    pg_init_paths
    if pg_our_pid >/dev/null; then
        # Ours: already up, or still starting / recovering after a crash.
        pg_wait_ready
        pg_ensure_role
        log "PostgreSQL already running on 127.0.0.1:$PG_PORT (ours, pid $(pg_our_pid)): reusing it"
        return 0
    fi
    if pg_ready; then
        pg_login_ok || die "something else is listening on 127.0.0.1:$PG_PORT and does not accept $PG_USER/$PG_PASSWORD"
        log "PostgreSQL already running on 127.0.0.1:$PG_PORT (not started by this script): reusing it"
        return 0
    fi
    if port_open "$PG_PORT"; then
        die "port $PG_PORT is taken by something that is not a ready PostgreSQL"
    fi
    pg_launch
    record_started postgres
}

pg_stop() {
    local mode="${1:-fast}"
    pg_init_paths
    local pid
    if pid="$(pg_our_pid)"; then
        log "stopping PostgreSQL (pid $pid, -m $mode)"
        if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m "$mode" -w -t "$TIMEOUT" stop >/dev/null 2>&1 &&
            pid_alive "$pid"; then
            show_log_tail "$PG_LOG"
            die "pg_ctl stop failed"
        fi
    else
        log "PostgreSQL: nothing of ours running"
    fi
    rm -f "$INFRA_DIR/postgres.pid"
}

# -------------------------------------------------------------------- RabbitMQ

RMQ_DIR="$INFRA_DIR/rabbitmq"

# Everything the rabbitmq scripts and the Erlang VM read, pointed into $RMQ_DIR.
# The CLI tools need the same node name, epmd port and cookie ($HOME) as the server.
rmq_env() {
    export HOME="$RMQ_DIR/home"                       # Erlang cookie: $HOME/.erlang.cookie
    export RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf"  # not /etc/rabbitmq/rabbitmq-env.conf
    export RABBITMQ_NODENAME="$RMQ_NODENAME"
    export RABBITMQ_USE_LONGNAME=false
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    export RABBITMQ_NODE_PORT="$RMQ_PORT"
    export RABBITMQ_DIST_PORT="$RMQ_DIST_PORT"        # default would be NODE_PORT+20000 = 75672: invalid
    export ERL_EPMD_PORT="$RMQ_EPMD_PORT"
    export ERL_EPMD_ADDRESS=127.0.0.1
    export RABBITMQ_CTL_DIST_PORT_MIN="$RMQ_CTL_DIST_MIN"
    export RABBITMQ_CTL_DIST_PORT_MAX="$RMQ_CTL_DIST_MAX"
    export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    export RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia"
    export RABBITMQ_LOG_BASE="$RMQ_DIR/log"
    export RABBITMQ_LOGS="$RMQ_DIR/log/rabbit.log"
    export RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf"
    export RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
    export RABBITMQ_PID_FILE="$RMQ_DIR/rabbitmq.pid"
    export RABBITMQ_PLUGINS_EXPAND_DIR="$RMQ_DIR/plugins-expand"
}

rmq_ctl() { (rmq_env && "$RMQ_LIB/rabbitmqctl" "$@"); }

rmq_write_config() {
    mkdir -p "$RMQ_DIR/home" "$RMQ_DIR/mnesia" "$RMQ_DIR/log"
    : >"$RMQ_DIR/rabbitmq-env.conf"
    if [[ -n "${COMMSHUB_INFRA_RABBIT_COOKIE:-}" ]]; then
        rm -f "$RMQ_DIR/home/.erlang.cookie"
        (umask 077 && printf '%s' "$COMMSHUB_INFRA_RABBIT_COOKIE" >"$RMQ_DIR/home/.erlang.cookie")
    elif [[ ! -s "$RMQ_DIR/home/.erlang.cookie" ]]; then
        # Erlang insists the cookie is readable by its owner only.
        (umask 077 && head -c 32 /dev/urandom | md5sum | cut -c1-20 | tr -d '\n' >"$RMQ_DIR/home/.erlang.cookie")
    fi
    chmod 400 "$RMQ_DIR/home/.erlang.cookie"
    echo '[rabbitmq_management].' >"$RMQ_DIR/enabled_plugins"
    cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
# Written by deploy/local-infra.sh on every start. Test-only broker.
listeners.tcp.default = 127.0.0.1:$RMQ_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RMQ_MGMT_PORT
# Never block publishers because the disk is fullish.
disk_free_limit.absolute = 50MB
# guest/guest (administrator) may log in from loopback, which is the default.
loopback_users.guest = true
log.console = false
log.file.level = info
EOF
    echo '[].' >"$RMQ_DIR/advanced.config"
}

# PID of the beam process of *our* node: the server writes RABBITMQ_PID_FILE, and
# we check the process really is the one started with our mnesia dir.
rmq_our_pid() {
    local pid
    [[ -f "$RMQ_DIR/rabbitmq.pid" ]] || return 1
    pid="$(tr -dc '0-9' <"$RMQ_DIR/rabbitmq.pid")"
    pid_alive "$pid" && [[ -r "/proc/$pid/environ" ]] &&
        tr '\0' '\n' <"/proc/$pid/environ" | grep -xF "RABBITMQ_MNESIA_BASE=$RMQ_DIR/mnesia" >/dev/null &&
        echo "$pid"
}

rmq_mgmt_ok() {
    curl -fsS -m 5 -u guest:guest "http://127.0.0.1:$RMQ_MGMT_PORT/api/overview" >/dev/null 2>&1
}

rmq_ready() { port_open "$RMQ_PORT" && rmq_mgmt_ok; }

# Wait until AMQP accepts connections and the management API answers.
# Returns 1 (after printing the logs) on timeout or if the launcher died.
rmq_wait_ready() {
    local deadline=$((SECONDS + TIMEOUT)) launcher="${1:-}" why=""
    until rmq_ready; do
        if [[ -n "$launcher" ]] && ! pid_alive "$launcher" && ! rmq_our_pid >/dev/null; then
            why="RabbitMQ exited during startup"
        elif ((SECONDS >= deadline)); then
            why="RabbitMQ not ready on 127.0.0.1:$RMQ_PORT / management :$RMQ_MGMT_PORT after ${TIMEOUT}s"
        fi
        if [[ -n "$why" ]]; then
            show_log_tail "$RMQ_DIR/log/startup.log"
            show_log_tail "$RMQ_DIR/log/rabbit.log"
            echo "[local-infra] ERROR: $why" >&2
            return 1
        fi
        sleep 1
    done
}

# Our own epmd on a private port and loopback. Started in the foreground (no
# -daemon) under setsid so that we know its pid.
rmq_epmd_start() {
    if port_open "$RMQ_EPMD_PORT"; then return 0; fi
    local epmd
    epmd="$(command -v epmd || ls /usr/lib/erlang/erts-*/bin/epmd 2>/dev/null | head -n1)"
    [[ -x "$epmd" ]] || die "epmd not found"
    setsid "$epmd" -port "$RMQ_EPMD_PORT" -address 127.0.0.1 </dev/null >>"$RMQ_DIR/log/epmd.log" 2>&1 &
    echo $! >"$INFRA_DIR/epmd.pid"
    for _ in $(seq 1 50); do port_open "$RMQ_EPMD_PORT" && return 0; sleep 0.1; done
    die "epmd did not start on 127.0.0.1:$RMQ_EPMD_PORT"
}

rmq_epmd_stop() {
    local pid
    pid="$(cat "$INFRA_DIR/epmd.pid" 2>/dev/null || true)"
    if pid_matches "$pid" "$RMQ_EPMD_PORT"; then
        kill "$pid" 2>/dev/null || true
    fi
    rm -f "$INFRA_DIR/epmd.pid"
}

rmq_launch() {
    rmq_write_config
    (rmq_env && rmq_epmd_start)
    log "starting RabbitMQ node $RMQ_NODENAME on 127.0.0.1:$RMQ_PORT (management :$RMQ_MGMT_PORT)"
    rm -f "$RMQ_DIR/rabbitmq.pid"
    # setsid + redirections: fully detached, holds none of our caller's pipes open.
    (
        rmq_env
        cd "$RMQ_DIR"
        exec setsid "$RMQ_LIB/rabbitmq-server" </dev/null >>"$RMQ_DIR/log/startup.log" 2>&1
    ) &
    local launcher=$!
    echo "$launcher" >"$INFRA_DIR/rabbitmq-launcher.pid"
    if ! rmq_wait_ready "$launcher"; then
        # Leave no half-started node behind. The launcher (the rabbitmq-server sh
        # script) turns SIGTERM into a TERM of its beam child.
        kill "$launcher" 2>/dev/null || true
        rmq_stop >/dev/null 2>&1 || true
        exit 1
    fi
    local pid
    pid="$(rmq_our_pid || true)"
    echo "$pid" >"$INFRA_DIR/rabbitmq.pid"
    log "RabbitMQ ready (beam pid $pid)"
}

rmq_start() {
    mkdir -p "$RMQ_DIR"
    if rmq_ready; then
        if rmq_our_pid >/dev/null; then
            log "RabbitMQ already running on 127.0.0.1:$RMQ_PORT (ours, pid $(rmq_our_pid)): reusing it"
        else
            log "RabbitMQ already running on 127.0.0.1:$RMQ_PORT (not started by this script): reusing it"
        fi
        return 0
    fi
    if rmq_our_pid >/dev/null; then
        # Our node is up but the broker is not (still booting, or after rabbit-stop-app).
        log "RabbitMQ node is running but not ready: start_app and wait"
        rmq_ctl -q start_app >/dev/null 2>&1 || true
        rmq_wait_ready || exit 1
        return 0
    fi
    for p in "$RMQ_PORT" "$RMQ_MGMT_PORT" "$RMQ_DIST_PORT"; do
        port_open "$p" && die "port $p is taken by something that is not our RabbitMQ"
    done
    rmq_launch
    record_started rabbitmq
}

rmq_stop() {
    local pid
    if pid="$(rmq_our_pid)"; then
        log "stopping RabbitMQ (beam pid $pid)"
        # rmq_env points the CLI at our node name + our epmd, so it can only reach ours.
        rmq_ctl -q stop >/dev/null 2>&1 || true
        for _ in $(seq 1 30); do pid_alive "$pid" || break; sleep 0.5; done
        if pid_alive "$pid"; then
            log "RabbitMQ still alive: SIGTERM, then SIGKILL"
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 20); do pid_alive "$pid" || break; sleep 0.5; done
            if pid_alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
        fi
    else
        log "RabbitMQ: nothing of ours running"
    fi
    rmq_epmd_stop
    rm -f "$INFRA_DIR/rabbitmq.pid" "$INFRA_DIR/rabbitmq-launcher.pid" "$RMQ_DIR/rabbitmq.pid"
}

# -------------------------------------------------------------------- commands

components() {
    if (($# == 0)); then printf "%s\n" postgres rabbitmq; return; fi
    local c
    for c in "$@"; do
        case "$c" in
            postgres|pg|postgresql) echo postgres ;;
            rabbitmq|rabbit|rmq) echo rabbitmq ;;
            *) die "unknown component '$c' (postgres|rabbitmq)" ;;
        esac
    done
}

cmd_start() {
    local t0=$SECONDS c
    mkdir -p "$INFRA_DIR"
    ensure_installed
    for c in $(components "$@"); do
        case "$c" in
            postgres) pg_start ;;
            rabbitmq) rmq_start ;;
        esac
    done
    log "infrastructure ready in $((SECONDS - t0)) s"
}

cmd_stop() {
    local c
    # Stop in reverse order of start.
    for c in $(components "$@" | tac); do
        case "$c" in
            postgres) if [[ -n "$(pg_bin_dir)" ]]; then pg_stop fast; fi ;;
            rabbitmq) rmq_stop ;;
        esac
    done
}

cmd_status() {
    local rc=0
    if pg_init_paths 2>/dev/null && pg_ready; then
        echo "postgres: ready on 127.0.0.1:$PG_PORT$(pg_our_pid >/dev/null && echo " (ours, pid $(pg_our_pid))")"
    else
        echo "postgres: down"; rc=1
    fi
    if rmq_ready; then
        echo "rabbitmq: ready on 127.0.0.1:$RMQ_PORT, management :$RMQ_MGMT_PORT$(rmq_our_pid >/dev/null && echo " (ours, pid $(rmq_our_pid))")"
    else
        echo "rabbitmq: down$(rmq_our_pid >/dev/null && echo " (node of ours alive, broker app not running)")"; rc=1
    fi
    return $rc
}

cmd_env() {
    cat <<EOF
export COMMSHUB_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=$PG_USER;Password=$PG_PASSWORD;Database=postgres"
export COMMSHUB_TEST_RABBITMQ="amqp://guest:guest@127.0.0.1:$RMQ_PORT/"
export COMMSHUB_TEST_RABBITMQ_MANAGEMENT="http://127.0.0.1:$RMQ_MGMT_PORT"
EOF
}

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

# Our ports lie in Linux's ephemeral range (32768-60999): an outgoing connection of any program
# may be given one as its local port, and a server started then cannot bind it (seen: RabbitMQ's
# distribution port taken while a build downloaded packages). Where we may (root), tell the kernel
# never to hand them out; the existing reservations are kept.
reserve_ports() {
    local file=/proc/sys/net/ipv4/ip_local_reserved_ports ours current
    [[ -w "$file" ]] || return 0
    ours="$PG_PORT,$RMQ_PORT,$RMQ_MGMT_PORT,$RMQ_DIST_PORT,$RMQ_EPMD_PORT,$RMQ_CTL_DIST_MIN-$RMQ_CTL_DIST_MAX"
    current="$(tr -d ' \n' < "$file")"
    echo "${current:+$current,}$ours" > "$file" 2>/dev/null || log "warning: could not reserve ports $ours (they stay in the ephemeral range)"
}

main() {
    local cmd="${1:-}"
    (($# > 0)) && shift
    case "$cmd" in
        start) reserve_ports; cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        status) cmd_status ;;
        env) cmd_env ;;
        rabbit-stop-app)
            rmq_our_pid >/dev/null || die "no RabbitMQ node of ours is running"
            rmq_ctl -q stop_app >/dev/null
            log "RabbitMQ app stopped (node still up; AMQP and management closed)" ;;
        rabbit-start-app)
            rmq_our_pid >/dev/null || die "no RabbitMQ node of ours is running (use: $0 start rabbitmq)"
            rmq_ctl -q start_app >/dev/null
            rmq_wait_ready || exit 1
            log "RabbitMQ app started" ;;
        rabbit-kill)
            pid="$(rmq_our_pid)" || die "no RabbitMQ node of ours is running"
            kill -9 "$pid"
            for _ in $(seq 1 40); do pid_alive "$pid" || break; sleep 0.25; done
            rm -f "$INFRA_DIR/rabbitmq.pid" "$INFRA_DIR/rabbitmq-launcher.pid" "$RMQ_DIR/rabbitmq.pid"
            log "RabbitMQ killed (beam pid $pid, SIGKILL)" ;;
        rabbit-join)
            [[ -n "${1:-}" ]] || die "rabbit-join needs the node to join, such as commshub200@localhost"
            rmq_our_pid >/dev/null || die "no RabbitMQ node of ours is running"
            # The CLI logs the membership change on stderr at length: only a failure is worth showing.
            rmq_ctl -q stop_app >/dev/null 2>&1
            rmq_ctl -q reset >/dev/null 2>&1
            rmq_ctl -q join_cluster "$1" >"$RMQ_DIR/log/join.log" 2>&1 || { show_log_tail "$RMQ_DIR/log/join.log"; die "join_cluster $1 failed"; }
            rmq_ctl -q start_app >/dev/null 2>&1
            rmq_wait_ready || exit 1
            log "RabbitMQ node $RMQ_NODENAME joined $1" ;;
        pg-stop-immediate) pg_stop immediate ;;
        pg-start) reserve_ports; ensure_installed; pg_start ;;
        browser) browser_install ;;
        -h|--help|help) usage ;;
        *) usage >&2; exit 2 ;;
    esac
}

main "$@"
