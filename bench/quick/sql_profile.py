#!/usr/bin/env python3
"""Sums the SQL time in a log written with `run.sh --trace-sql`, per kind of statement.

    python3 bench/quick/sql_profile.py bench/results/<stamp>/worker.log [--from HH:MM:SS] [--to HH:MM:SS]

EF Core logs each command as "Executed DbCommand (<ms>ms) [...] <SQL>"; the statement is
classified by its first words and table. Durations are as EF Core measured them in the process
(they include waiting for a busy CPU), so read them as shares, not absolutes.
"""
import argparse
import collections
import re
import sys

LINE = re.compile(r"^(\d\d:\d\d:\d\d\.\d+) .*Executed DbCommand \((\d+)ms\) \[.*?CommandTimeout='\d+'\] (.*)$")


def kind(sql):
    s = " ".join(sql.split())
    m = re.match(r"(SELECT|INSERT INTO|UPDATE|DELETE FROM)\s+(.*)", s, re.I)
    if not m:
        return s[:60]
    verb, rest = m.group(1).upper(), m.group(2)
    if verb == "SELECT":
        t = re.search(r"\bFROM\s+(\w+)", rest, re.I)
        table = t.group(1) if t else "?"
        if "lease_token" in rest and table == "deliveries":
            return "SELECT deliveries (leased batch)"
        return f"SELECT {table}"
    table = rest.split()[0]
    if verb == "UPDATE" and table == "deliveries":
        return "UPDATE deliveries (claim lease)" if "lease_until = @" in s and "status =" not in s.split("WHERE")[0] \
            else "UPDATE deliveries (record outcome)"
    return f"{verb.split()[0]} {table}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--from", dest="start", default="")
    ap.add_argument("--to", dest="end", default="99")
    a = ap.parse_args()
    stats = collections.defaultdict(list)
    with open(a.log, errors="replace") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m or not (a.start <= m.group(1) <= a.end):
                continue
            stats[kind(m.group(3))].append(int(m.group(2)))
    if not stats:
        print("no 'Executed DbCommand' lines: was the run made with --trace-sql?", file=sys.stderr)
        return 1
    total = sum(sum(v) for v in stats.values())
    print(f"{'statement':45} {'count':>6} {'total ms':>9} {'mean ms':>8} {'max ms':>7} {'share':>6}")
    for k, v in sorted(stats.items(), key=lambda kv: -sum(kv[1])):
        print(f"{k:45} {len(v):6} {sum(v):9} {sum(v) / len(v):8.1f} {max(v):7} {sum(v) / total:6.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
