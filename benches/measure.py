#!/usr/bin/env python3
"""Runs a command REPS times; prints medians of its wall time, peak RSS and the
key=value numbers it printed on its last stdout line.

usage: measure.py REPS COMMAND [ARGS...]
prints: wall_ms=<median> wall_min_ms=<min> wall_max_ms=<max> cpu_ms=<median user+sys>
        rss_kb=<median> <key>=<median>...

Wall time runs from fork to exit as seen by the parent (what a user waits
for); peak RSS is the child's ru_maxrss from wait4, the number GNU time's %M
reports.
"""
import os
import statistics
import subprocess
import sys
import time


def main():
    reps = int(sys.argv[1])
    command = sys.argv[2:]
    walls, cpus, rss, fields = [], [], [], {}
    for _ in range(reps):
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.PIPE)
        out = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = (time.perf_counter() - started) * 1000.0
        if status != 0:
            sys.stderr.write(f"measure.py: {' '.join(command)} failed ({status})\n")
            sys.exit(1)
        walls.append(elapsed)
        cpus.append((usage.ru_utime + usage.ru_stime) * 1000.0)
        rss.append(usage.ru_maxrss)
        lines = out.decode().strip().splitlines()
        for word in (lines[-1].split() if lines else []):
            key, _, value = word.partition("=")
            try:
                number = float(value)
            except ValueError:
                continue
            fields.setdefault(key, []).append(number)
    parts = [
        f"wall_ms={statistics.median(walls):.1f}",
        f"wall_min_ms={min(walls):.1f}",
        f"wall_max_ms={max(walls):.1f}",
        f"cpu_ms={statistics.median(cpus):.1f}",
        f"rss_kb={int(statistics.median(rss))}",
    ]
    for key, values in fields.items():
        median = statistics.median(values)
        parts.append(f"{key}={median:.2f}" if median != int(median) else f"{key}={int(median)}")
    print(" ".join(parts))


if __name__ == "__main__":
    main()
