#!/usr/bin/env python3
"""API CPU per `notify: false` publish, without the rest of the fan-out bench.

    bench/publish/run.py API_DIR [--rate 100] [--count 1000] [--runs 3] [--trace SECONDS]

API_DIR holds a built CommsHub.Api.dll (`dotnet build src/CommsHub.Api -c Release -o DIR`).
Needs the local PostgreSQL and RabbitMQ (`deploy/local-infra.sh env` variables in the
environment). For each run: a fresh database and virtual host, the API alone (Roles=api: its
outbox dispatcher, status snapshot and bus consumers run, no worker), one incident, WARMUP (20)
updates, SETTLE seconds (1) of quiet, then COUNT updates posted at RATE per second (open loop, one keep-alive connection,
each sent when due or at once when late) and the API's CPU time (utime+stime from /proc) over
that window divided by COUNT. CPU time, not latency, is the figure to trust on a busy machine.
With --trace, dotnet-trace (a global tool from NuGet) samples the API during the first run's
window and the .nettrace is left next to the log. --floor measures a GET served from memory
instead: the cost of any request (Kestrel, middleware, the loaded machine) to set the publish against.
"""
import argparse, http.client, json, os, subprocess, sys, time, urllib.request, uuid, base64, statistics, socket

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def pg_dsn(database):
    parts = dict(p.split("=", 1) for p in os.environ["COMMSHUB_TEST_POSTGRES"].split(";") if p)
    parts["Database"] = database
    return ";".join(f"{k}={v}" for k, v in parts.items())


def make_vhost(name):
    url = os.environ["COMMSHUB_TEST_RABBITMQ_MANAGEMENT"].rstrip("/")
    auth = base64.b64encode(b"guest:guest").decode()
    for path, body in ((f"/api/vhosts/{name}", b""),
                       (f"/api/permissions/{name}/guest", json.dumps({"configure": ".*", "write": ".*", "read": ".*"}).encode())):
        req = urllib.request.Request(url + path, data=body, method="PUT",
                                     headers={"Authorization": "Basic " + auth, "Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=30).read()
    amqp = os.environ["COMMSHUB_TEST_RABBITMQ"].rstrip("/")
    return f"{amqp}/{name}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(conn, method, path, body, key):
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def one_run(args, index, log_dir):
    name = f"pubbench_{uuid.uuid4().hex[:8]}"
    key = "bench-" + uuid.uuid4().hex
    port = free_port()
    env = dict(os.environ)
    env.update({
        "Roles": "api", "Database__Provider": "PostgreSql", "ConnectionStrings__CommsHub": pg_dsn(name),
        "ConnectionStrings__RabbitMq": make_vhost(name), "Auth__AdminApiKeys__0": key,
        "PublicBaseUrl": f"http://127.0.0.1:{port}", "ASPNETCORE_URLS": f"http://127.0.0.1:{port}",
        "DOTNET_ENVIRONMENT": "Production", "ASPNETCORE_ENVIRONMENT": "Production", "MASSTRANSIT_USAGE_TELEMETRY": "false",
        "Logging__Console__FormatterName": "simple", "Logging__Console__FormatterOptions__SingleLine": "true",
    })
    log_path = os.path.join(log_dir, f"api-{index}.log")
    log = open(log_path, "w")
    api = subprocess.Popen(["dotnet", "CommsHub.Api.dll"], cwd=args.api_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=5) as r:
                    if r.status == 200:
                        break
            except Exception:
                pass
            if api.poll() is not None or time.time() > deadline:
                raise SystemExit(f"the API did not become ready; see {log_path}")
            time.sleep(0.5)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        status, body = request(conn, "POST", "/api/incidents",
                               {"title": "Publish probe", "message": "Publish latency probe.", "impact": "minor", "notify": False}, key)
        if status != 201:
            raise SystemExit(f"creating the incident answered {status}: {body[:300]!r}")
        incident = json.loads(body)["id"]
        path = f"/api/incidents/{incident}/updates"
        for _ in range(args.warmup):
            request(conn, "POST", path, {"message": "warm-up", "notify": False}, key)
        # The runtime keeps compiling hot methods (tiered JIT) for a while after they first run.
        time.sleep(args.settle)
        tracer = None
        if args.trace and index == 0:
            tracer = subprocess.Popen(["dotnet-trace", "collect", "-p", str(api.pid), "--duration", time.strftime("00:00:%S", time.gmtime(args.trace)),
                                       "-o", os.path.join(log_dir, "api.nettrace"), "--profile", "dotnet-sampled-thread-time"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(2)
        latencies, errors = [], 0
        cpu0, t0 = cpu_seconds(api.pid), time.monotonic()
        for i in range(args.count):
            due = t0 + i / args.rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            start = time.monotonic()
            if args.floor:
                status, _ = request(conn, "GET", "/api/v2/status.json", None, key)
                status = 201 if status == 200 else status
            else:
                status, _ = request(conn, "POST", path, {"message": f"Update {i}", "notify": False}, key)
            latencies.append((time.monotonic() - start) * 1000)
            errors += status != 201
        # Let the snapshot rebuilds and outbox dispatches that these publishes caused finish inside the window.
        time.sleep(1)
        cpu1, t1 = cpu_seconds(api.pid), time.monotonic()
        if tracer:
            tracer.wait(timeout=args.trace + 60)
        latencies.sort()
        pct = lambda p: round(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))], 1)
        return {
            "cpu_ms_per_publish": round((cpu1 - cpu0) * 1000 / args.count, 2), "api_cpu_s": round(cpu1 - cpu0, 2),
            "wall_s": round(t1 - t0, 2), "p50_ms": pct(50), "p99_ms": pct(99), "errors": errors,
            "load": os.getloadavg()[0],
        }
    finally:
        api.terminate()
        try:
            api.wait(timeout=30)
        except subprocess.TimeoutExpired:
            api.kill()
        log.close()
        subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-p", "55432", "-U", "commshub", "-d", "postgres",
                        "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], env={**os.environ, "PGPASSWORD": "commshub"},
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("api_dir")
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--trace", type=int, default=0)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--settle", type=float, default=1)
    parser.add_argument("--floor", action="store_true",
                        help="GET /api/v2/status.json (served from memory) instead of publishing: what any request costs on this machine")
    parser.add_argument("--out", default=f"/tmp/pubbench/{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    results = []
    for i in range(args.runs):
        r = one_run(args, i, args.out)
        print(json.dumps(r), flush=True)
        results.append(r)
    cpu = [r["cpu_ms_per_publish"] for r in results]
    print(f"API CPU per publish: median {statistics.median(cpu)} ms (min {min(cpu)}, max {max(cpu)}) over {len(cpu)} runs; logs in {args.out}")


if __name__ == "__main__":
    sys.exit(main())
