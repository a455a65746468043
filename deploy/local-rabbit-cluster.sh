#!/usr/bin/env bash
# A three-node RabbitMQ cluster on loopback for the fault suite: three nodes of the Debian package
# run by deploy/local-infra.sh, each with its own node name, ports and data dir, sharing one epmd
# and one Erlang cookie, joined with rabbitmqctl join_cluster. Every start is a fresh cluster.
#
# Usage: deploy/local-rabbit-cluster.sh <command>
#   start        stop what is left of a previous cluster, wipe it, start three nodes and join them
#   stop         stop the three nodes (whatever of them still runs)
#   kill <1|2|3> SIGKILL one node's Erlang VM (a crash)
#   env          print COMMSHUB_TEST_RABBITMQ_CLUSTER (an AMQP URI listing the three nodes) and
#                COMMSHUB_TEST_RABBITMQ_CLUSTER_MANAGEMENT_1..3 (management HTTP of each node)
#   status       rabbitmqctl cluster_status, seen from the first live node
#
# Ports (127.0.0.1): node n (1..3) has the ports of deploy/local-infra.sh offset by 180+20n:
#   AMQP 55872, 55892, 55912; management 55873, 55893, 55913; distribution 55874, 55894, 55914;
#   one epmd on 55875 for the three.
# Environment: COMMSHUB_INFRA_CLUSTER_DIR (default <repo>/.local/infra-cluster), COMMSHUB_INFRA_TIMEOUT.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
CLUSTER_DIR="${COMMSHUB_INFRA_CLUSTER_DIR:-$REPO_DIR/.local/infra-cluster}"
INFRA="$SCRIPT_DIR/local-infra.sh"
EPMD_PORT=55875

log() { echo "[local-rabbit-cluster] $*" >&2; }

offset() { echo $((180 + 20 * $1)); }
node_name() { echo "commshub$(offset "$1")@localhost"; }

# local-infra.sh for node $1.
node() {
    local n="$1"
    shift
    COMMSHUB_INFRA_DIR="$CLUSTER_DIR/node$n" COMMSHUB_INFRA_PORT_OFFSET="$(offset "$n")" \
        COMMSHUB_INFRA_EPMD_PORT="$EPMD_PORT" COMMSHUB_INFRA_RABBIT_COOKIE="$(cookie)" "$INFRA" "$@"
}

cookie() {
    mkdir -p "$CLUSTER_DIR"
    [[ -s "$CLUSTER_DIR/cookie" ]] || (umask 077 && head -c 32 /dev/urandom | md5sum | cut -c1-20 | tr -d '\n' >"$CLUSTER_DIR/cookie")
    cat "$CLUSTER_DIR/cookie"
}

cmd_stop() {
    # The first node started the shared epmd: it goes last.
    local n
    for n in 3 2 1; do node "$n" stop rabbitmq || true; done
}

cmd_start() {
    local t0=$SECONDS n
    cmd_stop 2>/dev/null
    rm -rf "$CLUSTER_DIR/node1" "$CLUSTER_DIR/node2" "$CLUSTER_DIR/node3"
    for n in 1 2 3; do node "$n" start rabbitmq; done
    for n in 2 3; do node "$n" rabbit-join "$(node_name 1)"; done
    log "cluster of $(node_name 1), $(node_name 2), $(node_name 3) ready in $((SECONDS - t0)) s"
}

cmd_env() {
    local o1 o2 o3
    o1=$(offset 1); o2=$(offset 2); o3=$(offset 3)
    cat <<EOT
export COMMSHUB_TEST_RABBITMQ_CLUSTER="amqp://guest:guest@127.0.0.1:$((55672 + o1)),127.0.0.1:$((55672 + o2)),127.0.0.1:$((55672 + o3))/"
export COMMSHUB_TEST_RABBITMQ_CLUSTER_MANAGEMENT_1="http://127.0.0.1:$((55673 + o1))"
export COMMSHUB_TEST_RABBITMQ_CLUSTER_MANAGEMENT_2="http://127.0.0.1:$((55673 + o2))"
export COMMSHUB_TEST_RABBITMQ_CLUSTER_MANAGEMENT_3="http://127.0.0.1:$((55673 + o3))"
EOT
}

main() {
    local cmd="${1:-}"
    (($# > 0)) && shift
    case "$cmd" in
        start) cmd_start ;;
        stop) cmd_stop ;;
        kill)
            [[ "${1:-}" =~ ^[123]$ ]] || { log "kill needs a node number 1, 2 or 3"; exit 2; }
            node "$1" rabbit-kill ;;
        env) cmd_env ;;
        status)
            local n
            for n in 1 2 3; do
                if (COMMSHUB_INFRA_DIR="$CLUSTER_DIR/node$n" COMMSHUB_INFRA_PORT_OFFSET="$(offset "$n")" "$INFRA" status 2>/dev/null | grep "rabbitmq: ready" >/dev/null); then
                    echo "node $n ($(node_name "$n")): up"
                else
                    echo "node $n ($(node_name "$n")): down"
                fi
            done ;;
        *) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
}

main "$@"
