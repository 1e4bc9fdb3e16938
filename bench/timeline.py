#!/usr/bin/env python3
"""CPU use of every thread of a command, sampled every INTERVAL seconds, from /proc.

    python3 bench/timeline.py [--interval S] [--all] -- COMMAND [ARG...]

Prints one line per sample where the process's threads together kept less than three
quarters of the cores this process may use busy (a stall) or, with --all, every sample; then
a summary: wall time, CPU time, the mean number of busy cores, and the core-seconds left
idle (cores x wall - CPU); then the CPU time of each thread name (threads of one name, such
as a pool's workers numbered alike, summed) as seconds and as a share of the whole: a thread
that does its work alone (newstrack's state writer) caps the run at the corpus size divided
by its seconds, however many cores do the rest. A total timing says how long a run took;
this says when the cores waited and on which thread, which is how the state writer's
checkpoint stalls were found (docs/performance.md). Linux only; the command's output is
discarded.
"""

import argparse
import os
import resource
import subprocess
import sys
import time


def thread_times(pid):
    """{tid: (name, cpu ticks)} for the live threads of pid."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except FileNotFoundError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        out[tid] = (name, int(fields[11]) + int(fields[12]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--all", action="store_true", help="print every sample")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("no command given")
    hz = os.sysconf("SC_CLK_TCK")
    cores = len(os.sched_getaffinity(0))
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = {}
    names = {}
    last = start
    while proc.poll() is None:
        time.sleep(args.interval)
        now = time.monotonic()
        cols, total = [], 0
        for tid, (name, ticks) in sorted(thread_times(proc.pid).items()):
            d = ticks - seen.get(tid, 0)
            seen[tid] = ticks
            names[tid] = name
            total += d
            if d:
                cols.append(f"{name}[{tid}]:{100 * d / hz / (now - last):.0f}%")
        busy = 100 * total / hz / (now - last)
        if args.all or busy < 75 * cores:
            print(f"{now - start:7.2f}s {busy:4.0f}%  {' '.join(cols)}")
        last = now
    wall = time.monotonic() - start
    # The child is reaped by poll(): its whole CPU time, threads ended between samples too.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    print(
        f"wall {wall:.2f} s, CPU {cpu:.2f} s, "
        f"{cpu / wall:.2f} cores busy of {cores}, {cores * wall - cpu:.2f} core-s idle, "
        f"exit {proc.returncode}"
    )
    # Last sample of each thread: a thread's time after it is sampled last is missed, so
    # these add up to a little less than the CPU time above.
    by_name = {}
    for tid, ticks in seen.items():
        key = names[tid].rstrip("0123456789")
        by_name[key] = by_name.get(key, 0) + ticks / hz
    sampled = sum(by_name.values())
    for name, secs in sorted(by_name.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<16} {secs:7.2f} CPU-s {100 * secs / max(sampled, 1e-9):5.1f}%")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
