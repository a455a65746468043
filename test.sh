#!/usr/bin/env bash
# The one test command for CommsHub.
#
#   ./test.sh [extra dotnet test arguments, e.g. --filter Category=Fast]
#
# 1. starts (or reuses) the local PostgreSQL + RabbitMQ (deploy/local-infra.sh)
#    and exports the COMMSHUB_TEST_* variables the integration tests read;
#    installs Debian's chromium for the browser tests if it is missing;
# 2. builds CommsHub.sln once in Release;
# 3. runs `dotnet test --no-build` on each tests/*/ test project (one that references
#    Microsoft.NET.Test.Sdk): the fault suite in the background, the others in turn
#    beside it, streaming their output (the fault suite's when it ends) and keeping
#    it (and a TRX file) in TestResults/test.sh/;
# 4. stops the infrastructure again, but only what step 1 really started;
# 5. prints, as its last line, "N passed, N failed[, N skipped]" summed from the
#    TRX files. Exit code 0 only if every project ran, at least one test ran,
#    and none failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
REPO_DIR="$(pwd)"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE="${DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE:-true}"
export DOTNET_GENERATE_ASPNET_CERTIFICATE="${DOTNET_GENERATE_ASPNET_CERTIFICATE:-false}"
# The network reaches the package registries only: no certificate revocation
# servers, so NuGet must not wait for them when it verifies package signatures.
export NUGET_CERT_REVOCATION_MODE="${NUGET_CERT_REVOCATION_MODE:-offline}"
# No MSBuild nodes, MSBuild server or compiler server left running after the
# build: lingering ones keep the caller's stdout pipe open (a CI log that never
# closes). Same settings as the development machines.
export MSBUILDDISABLENODEREUSE=1
export DOTNET_CLI_USE_MSBUILD_SERVER="${DOTNET_CLI_USE_MSBUILD_SERVER:-0}"
export UseSharedCompilation="${UseSharedCompilation:-false}"

RESULTS_DIR="$REPO_DIR/TestResults/test.sh"
INFRA="$REPO_DIR/deploy/local-infra.sh"
STARTED_FILE="$(mktemp -t commshub-infra-started.XXXXXX)"
CLEANED_UP=0

say() { echo "[test.sh] $*"; }

# Stop what local-infra.sh start started in this run (nothing it merely reused),
# and the compiler server the build may have left behind. Runs once: explicitly
# before the summary line (so that line stays last) or from the EXIT trap.
cleanup() {
    ((CLEANED_UP)) && return 0
    CLEANED_UP=1
    # A background project still running (the run was interrupted) stops with it.
    local pid
    for pid in "${background_pids[@]}"; do kill -- "$pid" 2>/dev/null || true; done
    local started
    started="$(sort -u "$STARTED_FILE" 2>/dev/null | tr '\n' ' ' || true)"
    if [[ -n "${started// /}" ]]; then
        say "stopping infrastructure started by this run: $started"
        # shellcheck disable=SC2086
        "$INFRA" stop $started || say "warning: infrastructure stop failed"
    fi
    rm -f "$STARTED_FILE"
    # Belt and braces for CI if UseSharedCompilation was overridden: a compiler
    # server outlives the build by minutes. (Not done outside CI, where it could
    # cut off another build in progress on the same machine.)
    if [[ -n "${CI:-}" && "${UseSharedCompilation,,}" != false ]]; then
        dotnet build-server shutdown >/dev/null 2>&1 || true
    fi
}
declare -A background_pids=()
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------- infrastructure
say "starting test infrastructure"
COMMSHUB_INFRA_STARTED_FILE="$STARTED_FILE" "$INFRA" start
eval "$("$INFRA" env)"

# The browser tests need Debian's chromium. Without it they fail (with the way to
# install it) rather than skip, so a failed install is not fatal here.
say "checking chromium for the browser tests"
"$INFRA" browser || say "warning: chromium could not be installed: the browser tests will fail"

# The Kubernetes manifest tests render deploy/k8s with kubectl's kustomize; without it they fail
# and say so (kubectl comes with the CI machine; it is not in Debian's archive to install here).
command -v kubectl >/dev/null \
    || say "warning: kubectl is not on PATH: the Kubernetes manifest tests (CommsHub.Tests, Deploy/) will fail"

# ---------------------------------------------------------------------- build
say "building CommsHub.sln (Release)"
if ! dotnet build CommsHub.sln -c Release -nodeReuse:false; then
    say "BUILD FAILED"
    exit 1
fi

# ---------------------------------------------------------------------- tests
rm -rf "$RESULTS_DIR"
mkdir -p "$RESULTS_DIR"

# Value of attribute $2 in the first <Counters .../> element of TRX file $1 (0 if absent).
trx_counter() {
    local v
    v="$(grep -o '<Counters [^>]*>' "$1" | head -n1 | sed -n "s/.* $2=\"\([0-9]*\)\".*/\1/p")"
    echo "${v:-0}"
}

total_passed=0
total_failed=0
total_skipped=0
total_executed=0
projects_ran=0
problems=()

shopt -s nullglob
projects=()
for dir in tests/*/; do
    csproj=("$dir"*.csproj)
    if ((${#csproj[@]} == 0)); then continue; fi
    # Helpers the tests start (the test identity provider) are built, not run.
    if ! grep -q 'Include="Microsoft.NET.Test.Sdk"' "${csproj[0]}"; then continue; fi
    projects+=("${csproj[0]}")
done
((${#projects[@]} > 0)) || { say "no test projects under tests/"; exit 1; }

# The fault suite runs beside the other projects: most of its time is spent waiting (for a claim to
# lapse, a broker to come back, a fan-out to drain) on servers of its own (deploy/local-infra.sh with a
# port offset), so the other projects' tests fill that time. COMMSHUB_TEST_SEQUENTIAL=1 runs one at a time.
background=()
foreground=()
for csproj in "${projects[@]}"; do
    if [[ "${COMMSHUB_TEST_SEQUENTIAL:-0}" != 1 && "$(basename "$csproj" .csproj)" == *FaultTests ]]; then
        background+=("$csproj")
    else
        foreground+=("$csproj")
    fi
done

run_project() {
    local csproj="$1" name
    shift
    name="$(basename "$csproj" .csproj)"
    dotnet test "$csproj" --no-build -c Release \
        --logger "trx;LogFileName=$name.trx" --results-directory "$RESULTS_DIR" "$@"
}

# Reads project $1's TRX (exit code $2) into the totals.
tally_project() {
    local name="$1" rc="$2" trx passed failed executed total skipped
    trx="$RESULTS_DIR/$name.trx"
    if [[ -f "$trx" ]]; then
        passed="$(trx_counter "$trx" passed)"
        failed="$(trx_counter "$trx" failed)"
        executed="$(trx_counter "$trx" executed)"
        total="$(trx_counter "$trx" total)"
        # Errors, timeouts and aborts are failures too.
        for c in error timeout aborted; do failed=$((failed + $(trx_counter "$trx" "$c"))); done
        # Skipped tests are in the total but were not executed.
        skipped=$((total - executed))
        ((skipped < 0)) && skipped=0
        if ((rc != 0 && failed == 0)); then
            # e.g. the test host crashed after writing a partial TRX.
            failed=1
            problems+=("$name: dotnet test exited $rc with no failed test in its TRX (crash?) - counted as 1 failure")
        fi
    else
        # No TRX means the project did not really run: the test host failed to
        # start, or (exit code 0, no output) its assembly was never built because
        # the project is missing from CommsHub.sln.
        passed=0; failed=1; executed=0; skipped=0
        problems+=("$name: dotnet test exited $rc without writing a TRX (crash, or project not built - is it in CommsHub.sln?) - counted as 1 failure")
    fi
    projects_ran=$((projects_ran + 1))
    say "$name: $passed passed, $failed failed, $skipped skipped (exit code $rc)"
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    total_skipped=$((total_skipped + skipped))
    total_executed=$((total_executed + executed))
}

for csproj in "${background[@]}"; do
    name="$(basename "$csproj" .csproj)"
    say "=== $name (in the background; its output: $RESULTS_DIR/$name.log, shown when it ends) ==="
    run_project "$csproj" "$@" >"$RESULTS_DIR/$name.log" 2>&1 &
    background_pids[$name]=$!
done

for csproj in "${foreground[@]}"; do
    name="$(basename "$csproj" .csproj)"
    say "=== $name ==="
    set +e
    run_project "$csproj" "$@" 2>&1 | tee "$RESULTS_DIR/$name.log"
    rc=${PIPESTATUS[0]}
    set -e
    tally_project "$name" "$rc"
done

for name in "${!background_pids[@]}"; do
    say "=== $name (waiting for the background run) ==="
    set +e
    wait "${background_pids[$name]}"
    rc=$?
    set -e
    cat "$RESULTS_DIR/$name.log"
    tally_project "$name" "$rc"
done

cleanup

exit_code=0
for p in "${problems[@]}"; do say "PROBLEM: $p"; done
if ((total_failed > 0)); then exit_code=1; fi
if ((projects_ran != ${#projects[@]})); then say "not every test project ran"; exit_code=1; fi
if ((total_executed == 0)); then say "no test was executed"; exit_code=1; fi
say "results: $RESULTS_DIR"

summary="$total_passed passed, $total_failed failed"
((total_skipped > 0)) && summary+=", $total_skipped skipped"
echo "$summary"
exit "$exit_code"
