#!/usr/bin/env bash
# Status page throughput: CommsHub's in-memory snapshot (/ and /api/v2/summary.json) against
# Kestrel serving the very same bytes as static files, on the same machine in the same run.
# Goal (issue): CommsHub >= half the static figure.
#
#   bench/status-page/run.sh [--worktree] [--runs 3] [--duration 10s] [--connections 64] [--threads 2]
#                            [--warmup 3s] [--quiet-wait 10] [--memory-baseline] [--no-write]
#
#   --worktree      measure the working tree (copied, without bin/obj) instead of the committed HEAD
#   --runs N        measured wrk runs per target (median, min, max are reported)
#   --quiet-wait S  before measuring, wait up to S s for the machine to be < 25% busy (other
#                   builds distort the figures; every run also records the CPU used by
#                   processes outside the benchmark meanwhile)
#   --memory-baseline  also measure a third server: the same bytes preloaded and returned by a bare
#                   MapGet (StaticServer --mode memory), the floor for an in-memory endpoint (+70 s)
#   --no-write      print the table but do not overwrite bench/status-page/RESULTS.md
#
# What it does, every step bounded in time, everything on 127.0.0.1:
#  1. copies the source (git archive HEAD, or the working tree) plus bench/status-page/StaticServer
#     to $BENCH_DIR/src (default /tmp/commshub-status-bench) and publishes CommsHub.Api and the
#     StaticServer (Release) from there: the repo's bin/ and obj/ are never touched (a publish is
#     reused when the copied source and the SDK are unchanged since the last run);
#  2. installs Debian's wrk with apt-get if it is missing;
#  3. starts CommsHub.Api on the embedded default (SQLite in a temp file, in-memory bus);
#  4. seeds 12 components in 3 groups and 3 major incidents with 3 updates each (admin API);
#  5. waits 1 s for the snapshot, downloads / and /api/v2/summary.json into a directory that the
#     StaticServer then serves (it checks the static copies are byte-identical);
#  6. per target: a 3 s warm-up, then N runs of `wrk -t2 -c64 -d10s --latency`, CommsHub and
#     static interleaved; then one If-None-Match run (304s) for / on each server, with the ETag
#     read just before (repeated once if the snapshot was rebuilt with a new ETag meanwhile);
#  7. stops the servers it started (only those, by pid), writes the table to bench/status-page/RESULTS.md.
# Raw wrk output and logs stay in $BENCH_DIR/out.
set -euo pipefail
# The whole script is one function, parsed before it runs: editing this file while it runs
# cannot change what a run in progress does.
main() {

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/commshub-status-bench}"
SRC="$BENCH_DIR/src"
OUT="$BENCH_DIR/out"
KEY=bench-key-0123456789abcdefghijklmnopqrstuv

SOURCE=head
RUNS=3
DURATION=10s
CONNS=64
THREADS=2
WARMUP=3s
QUIET_WAIT=10
MEMORY=0
WRITE=1
ARGS="$*"
while (($#)); do
    case "$1" in
        --worktree) SOURCE=worktree ;;
        --runs) RUNS="$2"; shift ;;
        --duration) DURATION="$2"; shift ;;
        --connections) CONNS="$2"; shift ;;
        --threads) THREADS="$2"; shift ;;
        --warmup) WARMUP="$2"; shift ;;
        --quiet-wait) QUIET_WAIT="$2"; shift ;;
        --memory-baseline) MEMORY=1 ;;
        --no-write) WRITE=0 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
secs() { local d="$1"; d="${d%s}"; echo "$d"; }
WRK_TIMEOUT=$(( $(secs "$DURATION") + 20 ))

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE=true DOTNET_GENERATE_ASPNET_CERTIFICATE=false
export NUGET_CERT_REVOCATION_MODE="${NUGET_CERT_REVOCATION_MODE:-offline}"
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false

START=$SECONDS
say() { echo "[status-bench $(date +%H:%M:%S) +$((SECONDS - START))s] $*"; }
die() { say "ERROR: $*"; exit 1; }

# ------------------------------------------------------------------ cleanup of what we start
API_PID=""; STATIC_PID=""; MEMORY_PID=""
stop_pid() {  # name pid: TERM, wait up to 10 s, then KILL
    local name="$1" pid="$2"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; say "stopped $name (pid $pid)"; return 0; }; sleep 0.5; done
    say "$name (pid $pid) did not stop in 10 s: SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop_pid commshub-api "$API_PID"; API_PID=""
    stop_pid static-server "$STATIC_PID"; STATIC_PID=""
    stop_pid memory-server "$MEMORY_PID"; MEMORY_PID=""
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$OUT" "$SRC"
mkdir -p "$OUT/wrk" "$SRC"

# ------------------------------------------------------------------ 1. source and build
COMMIT="$(git -C "$REPO" rev-parse HEAD)"
if [[ "$SOURCE" == head ]]; then
    git -C "$REPO" archive --format=tar HEAD Directory.Build.props Directory.Packages.props global.json src | tar -x -C "$SRC"
    SOURCE_DESC="commit $COMMIT (git archive HEAD)"
else
    tar -C "$REPO" --exclude='bin' --exclude='obj' --exclude='*.db' --exclude='*.db-*' \
        -cf - Directory.Build.props Directory.Packages.props global.json src | tar -x -C "$SRC"
    dirty="$(git -C "$REPO" status --porcelain -- src | wc -l)"
    SOURCE_DESC="working tree on commit $COMMIT ($dirty uncommitted path(s) under src/)"
fi
mkdir -p "$SRC/bench/status-page"
tar -C "$HERE" --exclude='bin' --exclude='obj' -cf - StaticServer | tar -x -C "$SRC/bench/status-page"
say "source: $SOURCE_DESC -> $SRC"

build_start=$SECONDS
# A publish is skipped when its output was built from exactly the same source (and SDK) before.
SOURCE_HASH="$( (dotnet --version; cd "$SRC" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)"
publish() {  # project dir, output dir, log name
    if [[ -f "$2/.source-hash" && "$(cat "$2/.source-hash")" == "$SOURCE_HASH" ]]; then
        say "$(basename "$1"): reusing $2 (same source $SOURCE_HASH)"
        return 0
    fi
    rm -rf "$2"
    if ! timeout 600 dotnet publish "$1" -c Release -o "$2" -nodeReuse:false >"$OUT/$3" 2>&1; then
        tail -n 30 "$OUT/$3"
        die "dotnet publish $1 failed (log: $OUT/$3)"
    fi
    echo "$SOURCE_HASH" >"$2/.source-hash"
}
say "publishing CommsHub.Api and StaticServer (Release)"
publish "$SRC/src/CommsHub.Api" "$BENCH_DIR/api" build-api.log
publish "$SRC/bench/status-page/StaticServer" "$BENCH_DIR/static" build-static.log
say "built in $((SECONDS - build_start)) s"

# ------------------------------------------------------------------ 2. wrk
if ! command -v wrk >/dev/null; then
    say "installing wrk (apt-get)"
    timeout 180 apt-get install -y wrk >"$OUT/apt.log" 2>&1 \
        || { timeout 180 apt-get update >>"$OUT/apt.log" 2>&1 && timeout 180 apt-get install -y wrk >>"$OUT/apt.log" 2>&1; } \
        || die "could not install wrk (log: $OUT/apt.log)"
fi
WRK_VERSION="$(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2 || true)"

# ------------------------------------------------------------------ 3. CommsHub.Api
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
API_PORT="${BENCH_API_PORT:-$(free_port)}"
STATIC_PORT="${BENCH_STATIC_PORT:-$(free_port)}"
API="http://127.0.0.1:$API_PORT"
STATIC="http://127.0.0.1:$STATIC_PORT"
DB="$BENCH_DIR/b.db"
rm -f "$DB" "$DB-shm" "$DB-wal"

API_ENV=(
    "ConnectionStrings__CommsHub=Data Source=$DB"
    "Auth__AdminApiKeys__0=$KEY"
    "PublicBaseUrl=$API"
    Logging__LogLevel__Default=Warning
    DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production
)
API_CMD="cd $BENCH_DIR/api && env $(printf '%q ' "${API_ENV[@]}")dotnet CommsHub.Api.dll --urls $API"
(cd "$BENCH_DIR/api" && exec env "${API_ENV[@]}" dotnet CommsHub.Api.dll --urls "$API") </dev/null >"$OUT/api.log" 2>&1 &
API_PID=$!
for _ in $(seq 1 120); do
    curl -fsS -m 2 "$API/health/live" >/dev/null 2>&1 && break
    kill -0 "$API_PID" 2>/dev/null || { tail -n 30 "$OUT/api.log"; die "CommsHub.Api exited (log: $OUT/api.log)"; }
    sleep 0.5
done
curl -fsS -m 2 "$API/health/live" >/dev/null || die "CommsHub.Api did not start in 60 s (log: $OUT/api.log)"
say "CommsHub.Api on $API (pid $API_PID)"

# ------------------------------------------------------------------ 4. seed content
post() {  # path json -> response body
    curl -fsS -m 15 -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$2" "$API$1"
}
declare -A COMP=()
seed_component() {  # group name description
    local body
    body="$(jq -nc --arg n "$2" --arg g "$1" --arg d "$3" '{name:$n, group:$g, description:$d}')"
    COMP["$2"]="$(post /api/components "$body" | jq -r .id)"
}
seed_component "Core platform" "REST API" "Public REST API and SDK endpoints"
seed_component "Core platform" "Dashboard" "Web dashboard at app.example.com"
seed_component "Core platform" "Authentication" "Sign-in, SSO and API keys"
seed_component "Core platform" "Webhooks" "Outbound webhook delivery"
seed_component "Messaging" "Email delivery" "Transactional and bulk email"
seed_component "Messaging" "SMS delivery" "SMS in 180 countries"
seed_component "Messaging" "Push notifications" "iOS, Android and web push"
seed_component "Messaging" "Voice calls" "Outbound voice and IVR"
seed_component "Infrastructure" "EU region (Frankfurt)" "eu-central hosting"
seed_component "Infrastructure" "US region (Virginia)" "us-east hosting"
seed_component "Infrastructure" "CDN" "Static assets and attachments"
seed_component "Infrastructure" "DNS" "Authoritative DNS"
for name in "${!COMP[@]}"; do [[ "${COMP[$name]}" =~ ^[0-9a-f-]{36}$ ]] || die "component $name was not created"; done

seed_incident() {  # title message component1 component2 -> 3 updates
    local body id
    body="$(jq -nc --arg t "$1" --arg m "$2" --arg c1 "${COMP[$3]}" --arg c2 "${COMP[$4]}" \
        '{title:$t, message:$m, impact:"major", components:[{id:$c1, status:"major_outage"},{id:$c2, status:"major_outage"}]}')"
    id="$(post /api/incidents "$body" | jq -r .id)"
    [[ "$id" =~ ^[0-9a-f-]{36}$ ]] || die "incident '$1' was not created"
    for i in 1 2 3; do
        body="$(jq -nc --arg m "Update $i on '$1': we have identified the cause — a failed configuration rollout on part of the fleet — and are rolling it back region by region. Requests queued meanwhile will be delivered; no data has been lost. Next update within 30 minutes." \
            '{message:$m, status:"identified"}')"
        post "/api/incidents/$id/updates" "$body" >/dev/null
    done
}
seed_incident "Email delivery delayed in the EU region" \
    "Emails sent through the EU region are queued for up to 20 minutes. We are investigating." "Email delivery" "EU region (Frankfurt)"
seed_incident "SMS to some carriers failing" \
    "A share of SMS to several European carriers fail with a provider error. We are investigating." "SMS delivery" "Webhooks"
seed_incident "Dashboard and API errors" \
    "The dashboard and the REST API return errors for a subset of requests. We are investigating." "Dashboard" "REST API"
say "seeded ${#COMP[@]} components in 3 groups and 3 incidents with 3 updates each"
sleep 1   # the snapshot rebuilds 50 ms after the last change

# ------------------------------------------------------------------ 5. static copies
ROOT="$BENCH_DIR/www"
rm -rf "$ROOT"; mkdir -p "$ROOT/api/v2"
curl -fsS -m 10 -D "$OUT/commshub-home.headers" -o "$ROOT/index.html" "$API/"
curl -fsS -m 10 -D "$OUT/commshub-summary.headers" -o "$ROOT/api/v2/summary.json" "$API/api/v2/summary.json"
HOME_BYTES="$(stat -c %s "$ROOT/index.html")"
SUMMARY_BYTES="$(stat -c %s "$ROOT/api/v2/summary.json")"
grep -q 'Email delivery delayed' "$ROOT/index.html" || die "the page does not show the seeded incidents"
say "/ = $HOME_BYTES bytes, summary.json = $SUMMARY_BYTES bytes"

start_baseline() {  # mode port -> sets BASE_PID
    (cd "$BENCH_DIR/static" && exec env DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production \
        dotnet StaticServer.dll --root "$ROOT" --urls "http://127.0.0.1:$2" --mode "$1") </dev/null >"$OUT/$1.log" 2>&1 &
    BASE_PID=$!
    for _ in $(seq 1 60); do
        curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$2/" 2>/dev/null && break
        kill -0 "$BASE_PID" 2>/dev/null || { tail -n 30 "$OUT/$1.log"; die "StaticServer --mode $1 exited (log: $OUT/$1.log)"; }
        sleep 0.5
    done
    curl -fsS -m 10 -D "$OUT/$1-home.headers" -o "$OUT/$1-home.body" "http://127.0.0.1:$2/"
    curl -fsS -m 10 -D "$OUT/$1-summary.headers" -o "$OUT/$1-summary.body" "http://127.0.0.1:$2/api/v2/summary.json"
    cmp -s "$OUT/$1-home.body" "$ROOT/index.html" || die "StaticServer --mode $1: / differs from CommsHub's"
    cmp -s "$OUT/$1-summary.body" "$ROOT/api/v2/summary.json" || die "StaticServer --mode $1: summary.json differs from CommsHub's"
    say "StaticServer --mode $1 on http://127.0.0.1:$2 (pid $BASE_PID), bytes identical to CommsHub's"
}
STATIC_CMD="cd $BENCH_DIR/static && dotnet StaticServer.dll --root $ROOT --urls $STATIC --mode static"
start_baseline static "$STATIC_PORT"; STATIC_PID=$BASE_PID
SERVERS=(commshub static)
declare -A PID=([commshub]=$API_PID [static]=$STATIC_PID) URL=([commshub]=$API [static]=$STATIC)
if ((MEMORY)); then
    MEMORY_PORT="${BENCH_MEMORY_PORT:-$(free_port)}"
    MEMORY_URL="http://127.0.0.1:$MEMORY_PORT"
    MEMORY_CMD="cd $BENCH_DIR/static && dotnet StaticServer.dll --root $ROOT --urls $MEMORY_URL --mode memory"
    start_baseline memory "$MEMORY_PORT"; MEMORY_PID=$BASE_PID
    SERVERS+=(memory); PID[memory]=$MEMORY_PID; URL[memory]=$MEMORY_URL
fi

# ------------------------------------------------------------------ 6. measure
cpu_busy() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }   # user nice system irq softirq steal (jiffies)
cpu_total() { awk '/^cpu / {s=0; for (i=2;i<=NF;i++) s+=$i; print s; exit}' /proc/stat; }
pid_cpu() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }   # utime+stime (jiffies)
HZ="$(getconf CLK_TCK)"

if ((QUIET_WAIT > 0)); then
    waited=0
    while ((waited < QUIET_WAIT)); do
        b0=$(cpu_busy); t0=$(cpu_total); sleep 1; b1=$(cpu_busy); t1=$(cpu_total); waited=$((waited + 1))
        busy=$(( (b1 - b0) * 100 / (t1 - t0 > 0 ? t1 - t0 : 1) ))
        ((busy < 25)) && break
        ((waited == 1)) && say "machine is ${busy}% busy: waiting up to ${QUIET_WAIT} s for it to calm down"
    done
    say "machine ${busy}% busy before measuring (load average $(cut -d' ' -f1-3 /proc/loadavg))"
fi
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# One wrk run: pid url file [extra wrk args...]; writes wrk's output to file and appends
# "file server_cpu_jiffies wrk_cpu_seconds busy_jiffies total_jiffies" to $OUT/cpu.tsv.
WRK_BASE=(wrk "-t$THREADS" "-c$CONNS" "-d$DURATION" --latency)
wrk_run() {
    local pid="$1" url="$2" file="$3"; shift 3
    local s0 b0 t0 s1 b1 t1 times
    s0=$(pid_cpu "$pid"); b0=$(cpu_busy); t0=$(cpu_total)
    times="$( { TIMEFORMAT='%U %S'; time timeout "$WRK_TIMEOUT" "${WRK_BASE[@]}" "$@" "$url" >"$file" 2>&1; } 2>&1 )" \
        || die "wrk failed on $url (output: $file)"
    s1=$(pid_cpu "$pid"); b1=$(cpu_busy); t1=$(cpu_total)
    echo "$(basename "$file") $((s1 - s0)) $(echo "$times" | awk '{print $1+$2}') $((b1 - b0)) $((t1 - t0))" >>"$OUT/cpu.tsv"
}
warm() {  # url [extra]
    local url="$1"; shift
    timeout 30 wrk "-t$THREADS" "-c$CONNS" "-d$WARMUP" "$@" "$url" >/dev/null 2>&1 || die "warm-up failed on $url"
}
rps() { awk '/Requests\/sec/ {printf "%.0f", $2}' "$1"; }
: >"$OUT/cpu.tsv"
measure_start=$SECONDS
for target in home summary; do
    path=/; [[ "$target" == summary ]] && path=/api/v2/summary.json
    say "warming up $path on ${SERVERS[*]} ($WARMUP each)"
    for s in "${SERVERS[@]}"; do warm "${URL[$s]}$path"; done
    for n in $(seq 1 "$RUNS"); do
        line="$path run $n/$RUNS:"
        for s in "${SERVERS[@]}"; do
            wrk_run "${PID[$s]}" "${URL[$s]}$path" "$OUT/wrk/$s-$target-$n.txt"
            line+=" $s $(rps "$OUT/wrk/$s-$target-$n.txt") req/s,"
        done
        say "${line%,}"
    done
done

# 304s: the ETag is read just before; CommsHub rebuilds its snapshot every 30 s and, while an
# outage is ongoing, the uptime figures (and so the ETag) change with each rebuild. If the ETag
# changed during the run, that run is discarded and repeated once: the rebuild happened less than
# warm-up + duration ago, so the next one cannot fall into the repeat.
etag_of() { grep -i '^etag:' "$1" | head -n1 | cut -d' ' -f2- | tr -d '\r'; }
declare -A ETAG=() CODE_304=()
for s in "${SERVERS[@]}"; do
    for attempt in 1 2; do
        curl -fsS -m 10 -D "$OUT/$s-home.now" -o /dev/null "${URL[$s]}/"
        ETAG[$s]="$(etag_of "$OUT/$s-home.now")"
        warm "${URL[$s]}/" -H "If-None-Match: ${ETAG[$s]}"
        wrk_run "${PID[$s]}" "${URL[$s]}/" "$OUT/wrk/$s-home304-1.txt" -H "If-None-Match: ${ETAG[$s]}"
        CODE_304[$s]="$(curl -sS -m 5 -o /dev/null -w '%{http_code}' -H "If-None-Match: ${ETAG[$s]}" "${URL[$s]}/")"
        [[ "${CODE_304[$s]}" == 304 ]] && break
        say "$s: the ETag of / changed during the If-None-Match run (snapshot rebuild): repeating it"
        sed -i "/^$s-home304-1.txt /d" "$OUT/cpu.tsv"
    done
    say "/ with If-None-Match: $s $(rps "$OUT/wrk/$s-home304-1.txt") req/s (still ${CODE_304[$s]} after the run)"
done
say "measured in $((SECONDS - measure_start)) s"

curl -fsS -m 10 -o "$OUT/commshub-home.after" "$API/"
SAME_AFTER="yes"
cmp -s "$OUT/commshub-home.after" "$ROOT/index.html" \
    || SAME_AFTER="no: its snapshot was rebuilt meanwhile with new uptime percentages (fresh components with an ongoing outage), $(stat -c %s "$OUT/commshub-home.after") bytes now"
declare -A RSS=()
for s in "${SERVERS[@]}"; do RSS[$s]="$(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' "/proc/${PID[$s]}/status")"; done
cleanup

# ------------------------------------------------------------------ 7. report
export OUT RUNS HZ MEMORY
TABLE="$(python3 - <<'PY'
import os, re, statistics
out, runs, hz, memory = os.environ["OUT"], int(os.environ["RUNS"]), int(os.environ["HZ"]), os.environ["MEMORY"] == "1"
unit = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}
size = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
cpu = {}
for line in open(f"{out}/cpu.tsv"):
    f, server, wrk, busy, total = line.split()
    cpu[f] = (int(server) / hz, float(wrk), int(busy) / hz, int(total) / hz)
def parse(name):
    text = open(f"{out}/wrk/{name}.txt").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    m = re.search(r"(\d+) requests in [\d.]+\w+, ([\d.]+)(B|KB|MB|GB|TB) read", text)
    reqs, read = int(m.group(1)), float(m.group(2)) * size[m.group(3)]
    lat = {p: float(v) * unit[u] for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)}
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errs = re.search(r"Socket errors: (.*)", text)
    s, w, busy, total = cpu[f"{name}.txt"]
    return dict(rps=rps, reqs=reqs, bytes=read / reqs if reqs else 0, p50=lat.get("50"), p99=lat.get("99"),
                bad=int(bad.group(1)) if bad else 0, errs=errs.group(1) if errs else "",
                us=s / reqs * 1e6 if reqs else 0, wrk_us=w / reqs * 1e6 if reqs else 0,
                other=max(0.0, busy - s - w) / total * 100 if total else 0)
def agg(prefix, n):
    rs = [parse(f"{prefix}-{i}") for i in range(1, n + 1)]
    med = lambda k: statistics.median(r[k] for r in rs)
    return dict(runs=rs, rps=med("rps"), lo=min(r["rps"] for r in rs), hi=max(r["rps"] for r in rs),
                p50=med("p50"), p99=med("p99"), us=med("us"), bytes=med("bytes"))
rows = [("`/`", "home", runs), ("`/api/v2/summary.json`", "summary", runs), ("`/` with If-None-Match (304)", "home304", 1)]
head = "| target | CommsHub req/s | static req/s | ratio | CommsHub p50 / p99 | static p50 / p99 | server CPU µs/request (CommsHub / static) |"
if memory:
    head += " in-memory MapGet req/s | CommsHub ÷ MapGet | MapGet CPU µs/request |"
lines = [head, "|" + "---|" * (head.count("|") - 1)]
detail = ["| server, target, run | req/s | requests | ≈ bytes/response | p50 | p99 | server CPU µs/req | wrk CPU µs/req | other processes' CPU % of machine | non-2xx/3xx | socket errors |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
verdicts = []
names = [("commshub", "CommsHub"), ("static", "static")] + ([("memory", "MapGet")] if memory else [])
for label, key, n in rows:
    a = {s: agg(f"{s}-{key}", n) for s, _ in names}
    c, st = a["commshub"], a["static"]
    ratio = c["rps"] / st["rps"]
    rng = lambda x: f"{x['rps']:,.0f} [{x['lo']:,.0f}–{x['hi']:,.0f}]" if n > 1 else f"{x['rps']:,.0f} (1 run)"
    note = " ⚠ not all 304s" if key == "home304" and max(x["bytes"] for x in a.values()) > 1000 else ""
    row = f"| {label}{note} | {rng(c)} | {rng(st)} | **{ratio:.2f}** | {c['p50']:.2f} / {c['p99']:.2f} ms | {st['p50']:.2f} / {st['p99']:.2f} ms | {c['us']:.0f} / {st['us']:.0f} |"
    if memory:
        m = a["memory"]
        row += f" {rng(m)} | {c['rps'] / m['rps']:.2f} | {m['us']:.0f} |"
    lines.append(row)
    if key != "home304":
        verdicts.append(f"{label}: CommsHub at {ratio:.2f}× the static figure — goal ≥ 0.50× {'met' if ratio >= 0.5 else 'NOT met'}")
    for s, name in names:
        for i, r in enumerate(a[s]["runs"], 1):
            detail.append(f"| {name} {label} #{i} | {r['rps']:,.0f} | {r['reqs']:,} | {r['bytes']:,.0f} | {r['p50']:.2f} ms | {r['p99']:.2f} ms | {r['us']:.0f} | {r['wrk_us']:.0f} | {r['other']:.0f} | {r['bad']} | {r['errs'] or '—'} |")
print("\n".join(lines))
print()
print("\n".join("- " + v for v in verdicts))
print("\n<!--DETAIL-->")
print("\n".join(detail))
PY
)"
SUMMARY_TABLE="${TABLE%%<!--DETAIL-->*}"
SUMMARY_TABLE="$(printf '%s' "$SUMMARY_TABLE")"   # without the trailing blank lines
DETAIL_TABLE="${TABLE#*<!--DETAIL-->}"
echo
echo "$SUMMARY_TABLE"

if ((WRITE)); then
    hdr() { grep -iv '^date:\|^\s*$' "$1" | tr -d '\r' | sed 's/^/    /'; }
    {
        echo "# Status page throughput: CommsHub snapshot vs Kestrel static files"
        echo
        echo "Generated by \`bench/status-page/run.sh${ARGS:+ $ARGS}\` on $(date -u '+%Y-%m-%d %H:%M:%S') UTC; source: $SOURCE_DESC."
        echo "Goal (issue): requests per second for \`/\` and \`summary.json\` at least half of Kestrel serving the same bytes as a static file, same machine, same run."
        echo
        echo "$SUMMARY_TABLE"
        echo
        echo "- wrk \`-t$THREADS -c$CONNS -d$DURATION --latency\`, $RUNS runs per target after a $WARMUP warm-up (the 304 row: 1 run); req/s is the median [min–max] of the runs; the servers' runs are interleaved (CommsHub, static$( ((MEMORY)) && echo ", MapGet"), repeat) so drifting background load hits all alike."
        echo "- p50 / p99: median over the runs of wrk's latency percentiles."
        echo "- *server CPU µs/request*: the server process's user+system CPU during a run (from /proc/<pid>/stat) divided by the requests it answered — an efficiency figure that does not depend on how the cores were shared."
        echo "- *static*: \`StaticServer --mode static\`, ASP.NET Core's \`UseDefaultFiles\` + \`UseStaticFiles\` reading the files from disk, with CommsHub's Content-Type, Cache-Control and CORS headers.$( ((MEMORY)) && echo " *in-memory MapGet*: \`StaticServer --mode memory\`, the same bytes preloaded and returned by a bare \`MapGet\` (no other middleware): the floor for an in-memory endpoint.")"
        echo "- **wrk and the servers share the same $(nproc) cores** (no pinning): wrk's own CPU is taken from whichever server it measures, so absolute figures are lower than with a separate load generator; the handicap applies to both sides equally and the ratio is the meaningful number."
        echo
        echo "## Machine"
        echo
        echo "- nproc: $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
        echo "- kernel $(uname -r); .NET SDK $(dotnet --version), runtime $(dotnet --list-runtimes | awk '/AspNetCore/ {v=$2} END {print "Microsoft.AspNetCore.App " v}'); $WRK_VERSION"
        echo "- load average before measuring: $LOAD_BEFORE — the machine is shared with other work; see the *other processes' CPU* column below"
        rss="$(for s in "${SERVERS[@]}"; do printf '%s %s, ' "$s" "${RSS[$s]}"; done)"
        echo "- peak RSS: ${rss%, }"
        echo "- bodies: \`/\` $HOME_BYTES bytes, \`summary.json\` $SUMMARY_BYTES bytes (12 components in 3 groups, 3 open major incidents with 3 updates each); the baselines' bodies are byte-identical to CommsHub's at download time (checked with cmp). CommsHub's \`/\` unchanged after the runs: $SAME_AFTER."
        codes="$(for s in "${SERVERS[@]}"; do printf '%s %s, ' "$s" "${CODE_304[$s]}"; done)"
        echo "- If-None-Match right after the 304 runs answered: ${codes%, } (≈ bytes/response in the per-run table confirms those runs were 304s)"
        echo
        echo "## Per run"
        echo "$DETAIL_TABLE"
        echo
        echo "*other processes' CPU %*: share of the whole machine's CPU used during the run by everything except the measured server and wrk (other people's builds, the idle servers, kernel time not charged to a process)."
        echo
        echo "## Response headers (GET, no validators; Date omitted)"
        echo
        echo "CommsHub \`/\`:"; echo; hdr "$OUT/commshub-home.headers"; echo
        echo "Static \`/\`:"; echo; hdr "$OUT/static-home.headers"; echo
        echo "CommsHub \`/api/v2/summary.json\`:"; echo; hdr "$OUT/commshub-summary.headers"; echo
        echo "Static \`/api/v2/summary.json\`:"; echo; hdr "$OUT/static-summary.headers"; echo
        echo "## Exact commands"
        echo
        echo '```sh'
        echo "bench/status-page/run.sh${ARGS:+ $ARGS}   # this whole run; BENCH_DIR=$BENCH_DIR"
        echo "dotnet publish $SRC/src/CommsHub.Api -c Release -o $BENCH_DIR/api -nodeReuse:false"
        echo "dotnet publish $SRC/bench/status-page/StaticServer -c Release -o $BENCH_DIR/static -nodeReuse:false"
        echo "$API_CMD"
        echo "$STATIC_CMD   # $ROOT: index.html and api/v2/summary.json as downloaded from CommsHub"
        ((MEMORY)) && echo "$MEMORY_CMD"
        echo "# per target and server: one warm-up, then $RUNS interleaved runs"
        echo "wrk -t$THREADS -c$CONNS -d$WARMUP <url>"
        for s in "${SERVERS[@]}"; do
            echo "${WRK_BASE[*]} ${URL[$s]}/"
            echo "${WRK_BASE[*]} ${URL[$s]}/api/v2/summary.json"
        done
        for s in "${SERVERS[@]}"; do echo "${WRK_BASE[*]} -H 'If-None-Match: ${ETAG[$s]}' ${URL[$s]}/"; done
        echo '```'
        echo
        echo "Raw wrk output and server logs of this run: \`$OUT\` (outside the repo, overwritten by the next run)."
    } >"$HERE/RESULTS.md.tmp"
    mv "$HERE/RESULTS.md.tmp" "$HERE/RESULTS.md"
    say "wrote $HERE/RESULTS.md"
fi
say "done in $((SECONDS - START)) s"

}
main "$@"
