#!/usr/bin/env python3
"""Runs a command and prints one line: its wall time, the CPU time of it and all its descendants,
and the CPU time the whole machine spent meanwhile (the rest belongs to other processes).

    python3 timed.py <command> [args...]      (exit code: the command's)
"""
import os
import resource
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def machine_busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / CLK_TCK


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


busy0, load0, t0 = machine_busy(), load(), time.monotonic()
rc = subprocess.call(sys.argv[1:])
wall, busy = time.monotonic() - t0, machine_busy() - busy0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
own = ru.ru_utime + ru.ru_stime
cpus = os.cpu_count() or 1
print(f"wall {wall:.1f} s; CPU of the command and its descendants {own:.0f} s; machine busy {busy:.0f} CPU-s "
      f"of {wall * cpus:.0f} ({busy / (wall * cpus):.0%}), so other processes about {max(0.0, busy - own):.0f} CPU-s; "
      f"1-min load {load0} -> {load()}", file=sys.stderr, flush=True)
sys.exit(rc)
