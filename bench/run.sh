#!/usr/bin/env bash
# The fan-out benchmark, in one command: CommsHub in the production topology (one API process
# with Roles=api, one CommsHub.Worker, PostgreSQL and RabbitMQ from deploy/local-infra.sh) against
# fast loopback provider fakes written in C# (bench/fanout/FanOutBench, which is also the driver).
#
#   bench/run.sh [--scenarios email-10k,email-100k,email-1m,sms-10k,webhook-10k,mixed] [--runs N]
#                [--worktree] [-- more FanOutBench options, see below]
#
#   --scenarios   which scenarios (default: all six; email-1m runs once unless --runs-1m); the
#                 compensation campaigns campaign-10k, campaign-100k, campaign-1m run by name only
#                 (each run from a fresh database: import the customers and codes, send, check)
#   --runs N      measured runs per scenario (default 3), each with a median, min and max
#   --worktree    measure the working tree (copied) instead of the committed HEAD
#   --            everything after it goes to FanOutBench (--runs-1m, --no-broker, --no-ideal,
#                 --no-warmup, --sms-rate, --settle, --keep-history, --fake-latency-ms, ...;
#                 `bench/run.sh -- --help` lists them)
#
# What it does, each step bounded by a timeout:
#  1. copies the product's source (git archive HEAD, or the working tree with --worktree) to
#     $BENCH_DIR/src (default /tmp/commshub-$BENCH_NAME) and the harness (bench/fanout and the root
#     build files, always from the working tree) to $BENCH_DIR/harness, and publishes
#     CommsHub.Api, CommsHub.Worker and FanOutBench (Release) from there: the repo's bin/ and obj/
#     are never touched;
#  2. starts (or reuses) PostgreSQL and RabbitMQ with deploy/local-infra.sh, and leaves them running
#     (from a second checkout, point COMMSHUB_INFRA_DIR at the running pair's directory, so its
#     credentials and PostgreSQL log are the ones read);
#  3. runs FanOutBench, which for each scenario creates a fresh database and virtual host, starts
#     the API and the worker from their publish directories, imports the audience through the API,
#     runs a warm-up and the measured fan-outs, the idealised HttpClient loop, and (email-100k) the
#     publish latency at 100 requests/s idle and during a fan-out; then MassTransit vs
#     RabbitMQ.Client on a scratch virtual host;
#  4. prints the markdown summary; bench/results/<UTC timestamp>/ (git-ignored) keeps summary.md,
#     results.json (every run), the build logs and each scenario's api.log and worker.log.
#
# Environment: BENCH_NAME (default fanout) names what the bench owns and drops on every scenario: the
# database commshub_<name>, the virtual hosts <name> and <name>-broker, and the default BENCH_DIR
# /tmp/commshub-<name>. Two checkouts sharing one PostgreSQL and RabbitMQ must use different names,
# or each run drops the other's database mid-run. BENCH_DIR, BENCH_OUT and COMMSHUB_INFRA_DIR as above.
# About 25 minutes on a 2-core machine with every scenario (email-1m alone is ~10 of them).
set -euo pipefail
# One function, parsed before it runs: editing this file during a run cannot change the run.
main() {

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BENCH_NAME="${BENCH_NAME:-fanout}"
[[ "$BENCH_NAME" =~ ^[a-z][a-z0-9_]{0,39}$ ]] || { echo "BENCH_NAME must be lower-case letters, digits and _" >&2; exit 2; }
export BENCH_NAME  # read by FanOutBench
BENCH_DIR="${BENCH_DIR:-/tmp/commshub-$BENCH_NAME}"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="${BENCH_OUT:-$REPO/bench/results/$STAMP}"

SOURCE=head
ARGS=()
while (($#)); do
    case "$1" in
        --scenarios|--runs) ARGS+=("$1" "$2"); shift ;;
        --worktree) SOURCE=worktree ;;
        --) shift; ARGS+=("$@"); break ;;
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

# ------------------------------------------------------------------ 1. source and build
SRC="$BENCH_DIR/src"
HARNESS="$BENCH_DIR/harness"
rm -rf "$SRC" "$HARNESS"
mkdir -p "$SRC" "$HARNESS/bench"
COMMIT="$(git -C "$REPO" rev-parse --short HEAD)"
if [[ "$SOURCE" == head ]]; then
    git -C "$REPO" archive --format=tar HEAD | tar -x -C "$SRC"
    SOURCE_DESC="commit $COMMIT (git archive HEAD)"
else
    tar -C "$REPO" --exclude=./.git --exclude=./.local --exclude=./TestResults --exclude=./bench/results \
        --exclude=bin --exclude=obj -cf - . | tar -x -C "$SRC"
    SOURCE_DESC="working tree on commit $COMMIT ($(git -C "$REPO" status --porcelain | wc -l) uncommitted paths)"
fi
# The harness is always the working tree's: it does not reference the product's projects.
cp "$REPO/Directory.Build.props" "$REPO/Directory.Packages.props" "$REPO/global.json" "$HARNESS/"
[[ -f "$REPO/.editorconfig" ]] && cp "$REPO/.editorconfig" "$HARNESS/"
tar -C "$REPO/bench" --exclude=bin --exclude=obj -cf - fanout | tar -x -C "$HARNESS/bench"
say "source: $SOURCE_DESC"

build_start=$SECONDS
publish() {  # name project-dir output-dir
    say "publishing $1 (Release)"
    rm -rf "$3"
    if ! timeout 900 dotnet publish "$2" -c Release -o "$3" -nodeReuse:false >"$OUT/build-$1.log" 2>&1; then
        tail -n 30 "$OUT/build-$1.log"
        die "dotnet publish $1 failed (log: $OUT/build-$1.log)"
    fi
}
publish api "$SRC/src/CommsHub.Api" "$BENCH_DIR/api"
publish worker "$SRC/src/CommsHub.Worker" "$BENCH_DIR/worker"
publish fanoutbench "$HARNESS/bench/fanout/FanOutBench" "$BENCH_DIR/fanoutbench"
say "built in $((SECONDS - build_start)) s"

# ------------------------------------------------------------------ 2. infrastructure
timeout 300 "$REPO/deploy/local-infra.sh" start
eval "$("$REPO/deploy/local-infra.sh" env)"

# ------------------------------------------------------------------ 3. the bench
# CommsHub's configuration goes to the API and worker processes only (FanOutBench sets it per
# process); nothing product-related is exported here.
set +e
# PostgreSQL's log, where the traced run reads its statements (deploy/local-infra.sh keeps it there).
PG_LOG="${COMMSHUB_INFRA_DIR:-$REPO/.local/infra}/postgres/postgres.log"
timeout 7200 dotnet "$BENCH_DIR/fanoutbench/FanOutBench.dll" \
    --api-dir "$BENCH_DIR/api" --worker-dir "$BENCH_DIR/worker" --out "$OUT" --source "$SOURCE_DESC" --pg-log "$PG_LOG" \
    "${ARGS[@]}" 2>&1 | tee "$OUT/fanoutbench.log"
rc=${PIPESTATUS[0]}
set -e
say "done (exit $rc): $OUT/summary.md"
exit "$rc"
}

main "$@"
exit $?
