"""Benchmark of the TCP model: states, time and bytes/state over a grid of configurations.

Not a test: it prints one table. Each point runs in a fresh subprocess with a time limit
(and a memory limit), so that its peak RSS -- ``VmHWM`` from /proc/self/status, minus the RSS
of the same process after it built the model and before it explored -- is its own.

    python benchmarks/bench_tcp.py                                  # the whole grid, 60 s a point
    python benchmarks/bench_tcp.py --channel bag --faults 1 --msl 1 --incarnations 1 --store both
    python benchmarks/bench_tcp.py --max-seconds 20 --faults 0 1 --msl 1 2
    python benchmarks/bench_tcp.py --properties all                 # with the whole catalogue

The grid: channel bag/fifo x loss = dup = 0..2 x msl 1..3 x incarnations 1..2, the other
parameters as the headline configuration of issue 13 (reference protocol, rto 1,
max_retries 2, window 2). The tcpmodel measured is the one on PYTHONPATH, by default the tree
this script is in. ``--store`` picks the engine's visited store (exact, fingerprint or
both, one row each). The script also runs against an older tree that has no ``store`` or
``max_memory`` keyword (PYTHONPATH=old-tree): it then passes only what that check() takes.
Columns: states, transitions, seconds (exploration and liveness), states/s (of exploration,
wall time), CPU seconds of the whole check and states per CPU second (steadier than wall time
on a shared machine; with ``processes=2`` both processes' CPU), peak bytes per state (both
processes' peaks added), complete (or why not).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

POINT = r"""
import inspect, json, resource, sys, time
from tcpmodel.engine import check
from tcpmodel.tcp import TcpModel, TcpConfig, build, CATALOGUE

def rss(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0

def children():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime, u.ru_maxrss * 1024

kw, props, max_seconds, store, max_memory, processes = json.loads(sys.argv[1])
model = TcpModel(TcpConfig(**kw))
names = [] if props == "none" else [n for n in CATALOGUE if n not in ("simultaneous_open", "simultaneous_close")]
properties = build(names)
accepted = inspect.signature(check).parameters
extra = {}
if "store" in accepted:
    extra["store"] = store
elif store != "exact":
    print(json.dumps({"error": "this tree has no fingerprint store"}))
    sys.exit(0)
if "max_memory" in accepted and max_memory:
    extra["max_memory"] = max_memory
if "processes" in accepted:
    extra["processes"] = processes
base = rss("VmRSS")
t = time.perf_counter()
cpu = time.process_time()
r = check(model, properties, max_seconds=max_seconds, **extra)
dt = time.perf_counter() - t
child_cpu, child_peak = children()  # the expanding process (processes=2), ended by now
cpu = time.process_time() - cpu + child_cpu
s = r.stats
# The child's peak is added to this process's: an upper bound (the two need not peak together,
# and the pages they shared at the fork count twice).
print(json.dumps(dict(states=s.states, transitions=s.transitions, depth=s.depth, seconds=dt, cpu=cpu,
                      live=s.liveness_seconds, complete=s.complete, stop=s.stop_reason,
                      bytes=rss("VmHWM") - base + child_peak,
                      collision=getattr(s, "collision_probability", 0.0))))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--channel", choices=["bag", "fifo", "both"], default="both")
    ap.add_argument("--faults", type=int, nargs="+", default=[0, 1, 2], help="loss = dup = k for each k")
    ap.add_argument("--msl", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--incarnations", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rto", type=int, default=1)
    ap.add_argument("--store", choices=["exact", "fingerprint", "both"], default="exact")
    ap.add_argument("--processes", type=int, choices=[1, 2], default=1,
                    help="the engine's processes: 1 (default: the issue's targets are single-core), or 2 to "
                         "expand states in a second process")
    ap.add_argument("--properties", choices=["none", "all"], default="none")
    ap.add_argument("--max-seconds", type=float, default=60.0, help="time limit of each point (default 60)")
    ap.add_argument("--max-memory-gb", type=float, default=12.0, help="memory limit of each point (default 12)")
    args = ap.parse_args()
    channels = ["bag", "fifo"] if args.channel == "both" else [args.channel]
    stores = ["exact", "fingerprint"] if args.store == "both" else [args.store]
    print(f"reference protocol, rto={args.rto}, max_retries=2, window=2; properties: {args.properties}; "
          f"limits {args.max_seconds:g} s, {args.max_memory_gb:g} GB a point")
    print(f"{'channel':8}{'loss=dup':>9}{'msl':>4}{'inc':>4} {'store':12}{'states':>12}{'transitions':>13}"
          f"{'seconds':>9}{'states/s':>10}{'cpu s':>8}{'st/cpu-s':>10}{'bytes/state':>12}  complete")
    for channel, k, msl, inc in itertools.product(channels, args.faults, args.msl, args.incarnations):
        for store in stores:
            kw = dict(variant="rfc9293", msl=msl, rto=args.rto, max_retries=2, window=2, channel=channel,
                      loss=k, dup=k, incarnations=inc)
            if inc > 1:
                kw["isn"] = "clock"
            payload = json.dumps([kw, args.properties, args.max_seconds, store, int(args.max_memory_gb * 2 ** 30),
                                  args.processes])
            # -P: not the current directory first on sys.path, so that PYTHONPATH (default: this
            # script's tree) decides which tcpmodel is measured.
            env = dict(os.environ, PYTHONPATH=os.environ.get("PYTHONPATH") or ROOT)
            proc = subprocess.run([sys.executable, "-P", "-c", POINT, payload], capture_output=True, text=True, env=env)
            head = f"{channel:8}{k:>9}{msl:>4}{inc:>4} {store:12}"
            if proc.returncode != 0:
                print(head + "  failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1], flush=True)
                continue
            p = json.loads(proc.stdout)
            if "error" in p:
                print(head + "  " + p["error"], flush=True)
                continue
            explore = p["seconds"] - p["live"]
            rate = p["states"] / explore if explore > 0 else float("inf")
            done = "yes" if p["complete"] else f"no ({p['stop']})"
            cpu_rate = p["states"] / p["cpu"] if p["cpu"] > 0 else float("inf")
            print(f"{head}{p['states']:>12,}{p['transitions']:>13,}{p['seconds']:>9.1f}{rate:>10,.0f}"
                  f"{p['cpu']:>8.1f}{cpu_rate:>10,.0f}"
                  f"{p['bytes'] / max(p['states'], 1):>12,.0f}  {done}", flush=True)


if __name__ == "__main__":
    main()
