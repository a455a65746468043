#!/usr/bin/env python3
"""A loopback stand-in for api.sendgrid.com, for the quick benchmark.

    python3 sendgrid_fake.py --port 55690 [--api-key SG.bench] [--latency-ms 0]

POST /v3/mail/send   202, empty body, header X-Message-Id: bench-<n>. The JSON body is
                     parsed; personalizations[].to[].email and custom_args.delivery_id
                     are counted. Anything unparsable is answered 400 and counted.
GET  /stats          JSON counters since the last reset (see Stats.snapshot).
GET  /stats?requests=1  the same plus one entry per mail/send request.
POST /reset          clears the counters.
GET  /health         200.

Timestamps are CLOCK_MONOTONIC (time.monotonic(), system-wide on Linux, so comparable
with the driver's) and wall clock (time.time()), taken when a request's body has been
read completely. Listens on 127.0.0.1 only.
"""
import argparse
import collections
import itertools
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.requests = 0
        self.bad_requests = 0
        self.bad_auth = 0
        self.recipients_total = 0
        self.address_counts = collections.Counter()
        self.delivery_id_counts = collections.Counter()
        self.personalizations = 0
        self.bytes = 0
        self.first_mono = None
        self.last_mono = None
        self.first_wall = None
        self.last_wall = None
        self.max_concurrent = 0
        self.in_flight = 0
        self.log = []  # one dict per mail/send request

    def snapshot(self, with_requests=False):
        dup_addresses = {a: c for a, c in self.address_counts.items() if c > 1}
        dup_ids = {d: c for d, c in self.delivery_id_counts.items() if c > 1}
        s = {
            "requests": self.requests,
            "bad_requests": self.bad_requests,
            "bad_auth": self.bad_auth,
            "personalizations": self.personalizations,
            "recipients_total": self.recipients_total,
            "recipients_unique": len(self.address_counts),
            "addresses_mailed_more_than_once": len(dup_addresses),
            "duplicate_address_sample": dict(itertools.islice(dup_addresses.items(), 10)),
            "delivery_ids_total": sum(self.delivery_id_counts.values()),
            "delivery_ids_unique": len(self.delivery_id_counts),
            "delivery_ids_more_than_once": len(dup_ids),
            "bytes": self.bytes,
            "first_mono": self.first_mono,
            "last_mono": self.last_mono,
            "first_wall": self.first_wall,
            "last_wall": self.last_wall,
            "max_concurrent": self.max_concurrent,
            "now_mono": time.monotonic(),
        }
        if with_requests:
            s["request_log"] = list(self.log)
        return s


STATS = Stats()
COUNTER = itertools.count(1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API
    server_version = "sendgrid-fake/1"
    api_key = None
    latency = 0.0

    def log_message(self, fmt, *args):  # no per-request log lines
        pass

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(self, status, body=b"", headers=None, content_type="application/json"):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/stats"):
            with STATS.lock:
                body = json.dumps(STATS.snapshot("requests=1" in self.path)).encode()
            self._reply(200, body)
        elif self.path == "/health":
            self._reply(200, b'{"ok":true}')
        else:
            self._reply(404, b'{"errors":[{"message":"not found"}]}')

    def do_POST(self):
        if self.path == "/reset":
            self._read_body()
            with STATS.lock:
                STATS.reset()
            self._reply(200, b'{"reset":true}')
            return
        if self.path != "/v3/mail/send":
            self._read_body()
            self._reply(404, b'{"errors":[{"message":"not found"}]}')
            return

        t_start = time.monotonic()
        with STATS.lock:
            STATS.in_flight += 1
            STATS.max_concurrent = max(STATS.max_concurrent, STATS.in_flight)
        try:
            body = self._read_body()
            t_mono, t_wall = time.monotonic(), time.time()
            auth_ok = self.api_key is None or self.headers.get("Authorization") == f"Bearer {self.api_key}"
            try:
                doc = json.loads(body)
                pers = doc["personalizations"]
                emails = [t["email"].lower() for p in pers for t in (p.get("to") or [])]
                ids = [(p.get("custom_args") or {}).get("delivery_id") for p in pers]
                subject = doc.get("subject")
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                with STATS.lock:
                    STATS.bad_requests += 1
                self._reply(400, json.dumps({"errors": [{"message": f"fake: unparsable body: {e}"}]}).encode())
                return
            n = next(COUNTER)
            with STATS.lock:
                if not auth_ok:
                    STATS.bad_auth += 1
                STATS.requests += 1
                STATS.bytes += len(body)
                STATS.personalizations += len(pers)
                STATS.recipients_total += len(emails)
                STATS.address_counts.update(emails)
                STATS.delivery_id_counts.update(i for i in ids if i)
                if STATS.first_mono is None:
                    STATS.first_mono, STATS.first_wall = t_mono, t_wall
                STATS.last_mono, STATS.last_wall = t_mono, t_wall
                STATS.log.append({
                    "n": n, "start_mono": t_start, "mono": t_mono, "wall": t_wall,
                    "recipients": len(emails), "bytes": len(body), "subject": subject,
                })
            if self.latency:
                time.sleep(self.latency)
            if not auth_ok:
                self._reply(401, b'{"errors":[{"message":"fake: bad api key"}]}')
                return
            self._reply(202, headers={"X-Message-Id": f"bench-{n}"})
        finally:
            with STATS.lock:
                STATS.in_flight -= 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--api-key", default=None, help="if set, requests must carry 'Authorization: Bearer <key>'")
    ap.add_argument("--latency-ms", type=float, default=0.0, help="sleep this long before answering each mail/send")
    a = ap.parse_args()
    Handler.api_key = a.api_key
    Handler.latency = a.latency_ms / 1000.0
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    print(f"sendgrid fake listening on http://127.0.0.1:{a.port} (latency {a.latency_ms} ms)", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
