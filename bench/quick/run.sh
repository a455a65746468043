#!/usr/bin/env bash
# Quick benchmark of CommsHub in the production topology: PostgreSQL + RabbitMQ
# (deploy/local-infra.sh), the API and the Worker as two processes, SendGrid replaced by a
# loopback fake (bench/quick/sendgrid_fake.py) that the official SDK talks to over HTTP.
#
#   bench/quick/run.sh [--worktree] [--skip-test-sh] [--sizes 1000,10000] [--runs 3]
#                      [--fake-latency-ms 0] [--test-sh-runs 2] [--quiet-wait 60] [--trace-sql]
#                      [--history 1000000] [-- <more scenarios.py options, e.g. --warmup 300>]
#
#   --worktree          measure the working tree (copied) instead of the committed HEAD
#   --skip-test-sh      do not time ./test.sh
#   --sizes, --runs     fan-out audience sizes and runs per size
#   --fake-latency-ms   the fake waits this long before answering each mail/send
#   --test-sh-runs      how many times ./test.sh is timed (1st = clean build, then incremental)
#   --quiet-wait S      before each measurement wait up to S s for the machine to be < 25% busy
#                       (other builds on a shared machine distort the figures; each run reports
#                       the CPU that processes outside the benchmark used meanwhile)
#   --history N         then add N older 'sent' deliveries (as past updates leave) and repeat
#                       the largest fan-out; 0 skips it
#   --trace-sql         diagnostic: log every SQL command with its duration (EF Core at
#                       Information) in both processes; slows them, so not for the headline figures
#   --pg-stats          record PostgreSQL's statements (pg_stat_statements: calls, time, buffers)
#                       over each set of fan-out runs; PostgreSQL must run with the library
#                       loaded (stop the infrastructure first: this run then starts it so)
#
# What it does, each step bounded by a timeout:
#  1. copies the source (git archive HEAD, or the working tree with --worktree) to
#     $BENCH_DIR/src (default /tmp/commshub-bench) and publishes CommsHub.Api and CommsHub.Worker
#     (Release) from there, so the repo's bin/ and obj/ are never touched;
#  2. starts (or reuses) the local infrastructure, and leaves it running afterwards;
#  3. drops and recreates database commshub_bench and RabbitMQ vhost "bench";
#  4. starts the SendGrid fake, the API (Roles=api), and once the API is ready (it has migrated
#     the database) the Worker; waits until the worker consumes;
#  5. runs bench/quick/scenarios.py (publish latency, fan-out to 1,000 and 10,000, exactly-once,
#     then the 10,000 fan-out again with --history older deliveries in the table);
#  6. stops the API, the worker and the fake (only those, by pid), scans their logs;
#  7. times ./test.sh in the copied source, in a clean environment (infra already up, so it is
#     reused, not restarted), with bench/quick/timed.py: wall time, CPU of ./test.sh and its
#     children, and CPU the rest of the machine used meanwhile.
# Results: bench/results/<timestamp>/ (git-ignored): summary.md, results.json, logs, machine.txt.
set -euo pipefail
# The whole script is one function, parsed before it runs: editing this file while it runs
# cannot change what a run in progress does.
main() {

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/commshub-bench}"
SRC="$BENCH_DIR/src"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="${BENCH_OUT:-$REPO/bench/results/$STAMP}"
API_PORT="${BENCH_API_PORT:-5080}"
PG_DB=commshub_bench
VHOST=bench
KEY=bench-key-0123456789abcdefghijklmnopqrstuv

SOURCE=head
RUN_TEST_SH=1
TEST_SH_RUNS=2
SIZES=1000,10000
RUNS=3
FAKE_LATENCY_MS=0
QUIET_WAIT=60
HISTORY=1000000
TRACE_ENV=()
PG_STATS=0
EXTRA=()
while (($#)); do
    case "$1" in
        --worktree) SOURCE=worktree ;;
        --skip-test-sh) RUN_TEST_SH=0 ;;
        --test-sh-runs) TEST_SH_RUNS="$2"; shift ;;
        --sizes) SIZES="$2"; shift ;;
        --runs) RUNS="$2"; shift ;;
        --fake-latency-ms) FAKE_LATENCY_MS="$2"; shift ;;
        --quiet-wait) QUIET_WAIT="$2"; shift ;;
        --history) HISTORY="$2"; shift ;;
        --trace-sql) TRACE_ENV=('Logging__LogLevel__Microsoft.EntityFrameworkCore.Database.Command=Information') ;;
        --pg-stats) PG_STATS=1 ;;
        --) shift; EXTRA=("$@"); break ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE=true DOTNET_GENERATE_ASPNET_CERTIFICATE=false
export NUGET_CERT_REVOCATION_MODE="${NUGET_CERT_REVOCATION_MODE:-offline}"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false

say() { echo "[run.sh $(date +%H:%M:%S)] $*"; }
die() { say "ERROR: $*"; exit 1; }
mkdir -p "$OUT"
say "results: $OUT"

# ------------------------------------------------------------------ cleanup of what we start
FAKE_PID=""; API_PID=""; WORKER_PID=""
stop_pid() {  # name pid: TERM, wait up to 15 s, then KILL
    local name="$1" pid="$2"
    [[ -n "$pid" ]] || return 0
    if ! kill -0 "$pid" 2>/dev/null; then
        local rc=0
        wait "$pid" 2>/dev/null || rc=$?
        say "WARNING: $name (pid $pid) had already exited (status $rc) before the bench stopped it: see its log"
        return 0
    fi
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; say "stopped $name (pid $pid)"; return 0; }; sleep 0.5; done
    say "$name (pid $pid) did not stop in 15 s: SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop_pid api "$API_PID"; API_PID=""
    stop_pid worker "$WORKER_PID"; WORKER_PID=""
    stop_pid sendgrid-fake "$FAKE_PID"; FAKE_PID=""
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ 1. source and build
mkdir -p "$BENCH_DIR"
rm -rf "$SRC"
mkdir -p "$SRC"
COMMIT="$(git -C "$REPO" rev-parse HEAD)"
if [[ "$SOURCE" == head ]]; then
    git -C "$REPO" archive --format=tar HEAD | tar -x -C "$SRC"
    SOURCE_DESC="commit $COMMIT (git archive HEAD)"
else
    tar -C "$REPO" --exclude=./.git --exclude='./.local' --exclude='./TestResults' --exclude='./bench/results' \
        --exclude='bin' --exclude='obj' -cf - . | tar -x -C "$SRC"
    dirty="$(git -C "$REPO" status --porcelain | wc -l)"
    SOURCE_DESC="working tree on commit $COMMIT ($dirty uncommitted path(s))"
fi
say "source: $SOURCE_DESC"


say "publishing CommsHub.Api and CommsHub.Worker (Release) in $SRC"
build_start=$SECONDS
for p in Api Worker; do
    lower="$(echo "$p" | tr '[:upper:]' '[:lower:]')"
    rm -rf "${BENCH_DIR:?}/$lower"
    if ! timeout 900 dotnet publish "$SRC/src/CommsHub.$p" -c Release -o "$BENCH_DIR/$lower" -nodeReuse:false \
        >"$OUT/build-$lower.log" 2>&1; then
        tail -n 30 "$OUT/build-$lower.log"
        die "dotnet publish CommsHub.$p failed (log: $OUT/build-$lower.log)"
    fi
done
say "built in $((SECONDS - build_start)) s"

# ------------------------------------------------------------------ 2. infrastructure
PG_STATS_ARG=()
if ((PG_STATS)); then export COMMSHUB_INFRA_PG_PRELOAD=pg_stat_statements; PG_STATS_ARG=(--pg-stats); fi
timeout 300 "$REPO/deploy/local-infra.sh" start
if ((PG_STATS)) && ! PGPASSWORD=commshub psql -X -At -h 127.0.0.1 -p 55432 -U commshub -d postgres -c "SHOW shared_preload_libraries" \
        | grep pg_stat_statements >/dev/null; then
    die "--pg-stats: PostgreSQL was already running without pg_stat_statements; stop it (deploy/local-infra.sh stop) and run again"
fi

# ------------------------------------------------------------------ 3. database and vhost
psql_admin() { PGPASSWORD=commshub PGCONNECT_TIMEOUT=10 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 55432 -U commshub -d postgres "$@"; }
psql_admin -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" >/dev/null
MGMT=http://127.0.0.1:55673
curl -fsS -m 10 -u guest:guest -X DELETE "$MGMT/api/vhosts/$VHOST" >/dev/null 2>&1 || true
curl -fsS -m 10 -u guest:guest -X PUT "$MGMT/api/vhosts/$VHOST" >/dev/null
curl -fsS -m 10 -u guest:guest -X PUT -H 'content-type: application/json' \
    -d '{"configure":".*","write":".*","read":".*"}' "$MGMT/api/permissions/$VHOST/guest" >/dev/null
say "fresh database $PG_DB and vhost $VHOST"

{
    echo "date (UTC): $(date -u '+%Y-%m-%d %H:%M:%S')"
    echo "source: $SOURCE_DESC"
    echo "nproc: $(nproc)"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "kernel: $(uname -r)"
    echo "dotnet: $(dotnet --version)"
    echo "postgresql: $(psql_admin -At -c 'SHOW server_version') (deploy/local-infra.sh settings: fsync, synchronous_commit, full_page_writes off)"
    echo "rabbitmq: $(dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null || echo '?')"
    echo "python: $(python3 --version 2>&1)"
    echo "fake latency: ${FAKE_LATENCY_MS} ms per mail/send request"
    if ((${#TRACE_ENV[@]})); then echo "DIAGNOSTIC RUN: SQL command logging on (--trace-sql); timings are inflated"; fi
} >"$OUT/machine.txt"
cat "$OUT/machine.txt"
say "load average before the scenarios: $(cut -d" " -f1-3 /proc/loadavg)"

# ------------------------------------------------------------------ 4. fake, API, worker
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_open "$API_PORT" && die "port $API_PORT is taken (set BENCH_API_PORT)"
FAKE_PORT="${BENCH_FAKE_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
FAKE="http://127.0.0.1:$FAKE_PORT"

python3 "$HERE/sendgrid_fake.py" --port "$FAKE_PORT" --api-key SG.bench --latency-ms "$FAKE_LATENCY_MS" \
    </dev/null >"$OUT/fake.log" 2>&1 &
FAKE_PID=$!
for _ in $(seq 1 50); do curl -fsS -m 2 "$FAKE/health" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS -m 2 "$FAKE/health" >/dev/null || die "SendGrid fake did not start (log: $OUT/fake.log)"
say "SendGrid fake on $FAKE (pid $FAKE_PID)"

# The product's configuration goes to the API and the worker only (env "${PRODUCT_ENV[@]}"), never
# into this shell: exported, it would also reach ./test.sh below, whose in-process test hosts read
# the same keys and would then run against the bench database, vhost and the stopped fake.
PRODUCT_ENV=(
    Database__Provider=PostgreSql
    "ConnectionStrings__CommsHub=Host=127.0.0.1;Port=55432;Username=commshub;Password=commshub;Database=$PG_DB"
    "ConnectionStrings__RabbitMq=amqp://guest:guest@127.0.0.1:55672/$VHOST"
    "Auth__AdminApiKeys__0=$KEY"
    Channels__Email__SendGrid__ApiKey=SG.bench
    "Channels__Email__SendGrid__BaseUrl=$FAKE"
    "Channels__Email__From=Bench <bench@example.com>"
    "PublicBaseUrl=http://localhost:$API_PORT"
    # Log format only: UTC millisecond timestamps on one line, to read where the time goes.
    Logging__Console__FormatterName=simple
    Logging__Console__FormatterOptions__SingleLine=true
    Logging__Console__FormatterOptions__UseUtcTimestamp=true
    "Logging__Console__FormatterOptions__TimestampFormat=HH:mm:ss.fff "
    DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
    # MassTransit 8.4+ reports usage telemetry to a host on the internet some minutes after the
    # bus starts; the bench never leaves loopback.
    MASSTRANSIT_USAGE_TELEMETRY=false
    "${TRACE_ENV[@]}"
)

# Each runs from its publish directory, as in the image (WORKDIR /app): the content root is the
# current directory, and from anywhere else appsettings.json (log levels) would not be loaded.
(cd "$BENCH_DIR/api" && exec env "${PRODUCT_ENV[@]}" Roles=api dotnet CommsHub.Api.dll --urls "http://127.0.0.1:$API_PORT") </dev/null >"$OUT/api.log" 2>&1 &
API_PID=$!
deadline=$((SECONDS + 90))
until [[ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$API_PORT/health/ready" || true)" == 200 ]]; do
    kill -0 "$API_PID" 2>/dev/null || { tail -n 40 "$OUT/api.log"; die "the API exited"; }
    ((SECONDS < deadline)) || { tail -n 40 "$OUT/api.log"; die "the API is not ready after 90 s"; }
    sleep 0.5
done
say "API ready"
# The worker starts once the API is ready, i.e. once the API has migrated the new database: started
# together on an empty database, the two migrate concurrently and one of them can die applying a
# migration the other already applied (42701 "column ... already exists"; seen in 2 of 6 tries).
(cd "$BENCH_DIR/worker" && exec env "${PRODUCT_ENV[@]}" dotnet CommsHub.Worker.dll) </dev/null >"$OUT/worker.log" 2>&1 &
WORKER_PID=$!
say "worker pid $WORKER_PID"
# The worker is ready when the planner's and the email sender's receive endpoints (MassTransit's
# kebab-case queue names) have a consumer on the broker: publishing earlier would drop events
# (no queue bound yet).
BENCH_QUEUES="${BENCH_QUEUES:-audience-planner,send-email-batch}"
deadline=$((SECONDS + 90))
consumers_ready() {
    curl -fsS -m 5 -u guest:guest "$MGMT/api/queues/$VHOST" 2>/dev/null | python3 -c '
import json, sys
want = set(sys.argv[1].split(","))
ready = {q["name"] for q in json.load(sys.stdin) if q.get("consumers", 0) > 0}
sys.exit(0 if want <= ready else 1)' "$BENCH_QUEUES"
}
until consumers_ready; do
    kill -0 "$WORKER_PID" 2>/dev/null || { tail -n 40 "$OUT/worker.log"; die "the worker exited"; }
    ((SECONDS < deadline)) || { tail -n 40 "$OUT/worker.log"; die "no consumer on $BENCH_QUEUES after 90 s (queue names changed? set BENCH_QUEUES)"; }
    sleep 1
done
say "worker consuming"

# ------------------------------------------------------------------ 5. scenarios
set +e
timeout $((1800 + 20 * QUIET_WAIT)) python3 "$HERE/scenarios.py" --api "http://127.0.0.1:$API_PORT" --key "$KEY" --fake "$FAKE" \
    --pg-db "$PG_DB" --vhost "$VHOST" --api-pid "$API_PID" --worker-pid "$WORKER_PID" --fake-pid "$FAKE_PID" \
    --sizes "$SIZES" --runs "$RUNS" --quiet-wait "$QUIET_WAIT" --history "$HISTORY" --out "$OUT" "${PG_STATS_ARG[@]}" "${EXTRA[@]}"
scen_rc=$?
set -e

# ------------------------------------------------------------------ 6. stop, scan logs
cleanup
{
    echo
    echo "Logs: warn/fail/crit lines (api.log, worker.log):"
    for f in api worker; do
        n="$(grep -cE '(^| )(warn|fail|crit):' "$OUT/$f.log" || true)"
        echo "- $f.log: $n"
        # Distinct messages (timestamp cut off), most frequent first.
        { grep -E '(^| )(warn|fail|crit):' "$OUT/$f.log" || true; } | cut -c14-300 | sort | uniq -c | sort -rn | head -n 10 | sed 's/^/    /'
    done
} | tee -a "$OUT/summary.md"

# ------------------------------------------------------------------ 7. ./test.sh wall time
if ((RUN_TEST_SH)); then
    echo >>"$OUT/summary.md"
    echo "./test.sh wall time (in the copied source; infrastructure already running, so reused):" | tee -a "$OUT/summary.md"
    for i in $(seq 1 "$TEST_SH_RUNS"); do
        what=$([[ $i == 1 ]] && echo "clean build" || echo "incremental build")
        say "timing ./test.sh run $i ($what)"
        set +e
        # A clean environment (as a developer's shell): nothing of the bench's configuration.
        (cd "$SRC" && env -i HOME="$HOME" PATH="$PATH" LANG="${LANG:-C.UTF-8}" TERM="${TERM:-dumb}" \
            COMMSHUB_INFRA_DIR="$REPO/.local/infra" timeout 1200 python3 "$HERE/timed.py" ./test.sh) \
            </dev/null >"$OUT/test-sh-$i.log" 2>&1
        rc=$?
        set -e
        printf -- '- run %d (%s): exit %d, "%s"; %s\n' "$i" "$what" "$rc" \
            "$(grep -E '^[0-9]+ passed' "$OUT/test-sh-$i.log" | tail -n1)" \
            "$(grep -E '^wall [0-9.]+ s; CPU' "$OUT/test-sh-$i.log" | tail -n1)" | tee -a "$OUT/summary.md"
    done
fi

say "done: $OUT/summary.md"
exit "$scen_rc"
}

main "$@"
exit $?
