"""Benchmark of the TCP model: distinct states/s and bytes/state as fault budgets grow.

Not a test: it prints figures. Each point runs in a fresh subprocess so that its peak RSS
(minus the RSS of a process that has only imported the model) is its own.

    python benchmarks/bench_tcp.py                     # reference spec parameters, bag and FIFO
    python benchmarks/bench_tcp.py --budgets 0 1 2 --channel fifo
    python benchmarks/bench_tcp.py --properties all    # with the whole catalogue checked
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

POINT = r"""
import json, resource, sys, time
from tcpmodel.engine import check
from tcpmodel.tcp import TcpModel, TcpConfig, build, CATALOGUE
kw, props, max_seconds = json.loads(sys.argv[1])
model = TcpModel(TcpConfig(**kw))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
names = [] if props == "none" else [n for n in CATALOGUE if n not in ("simultaneous_open", "simultaneous_close")]
t = time.perf_counter()
r = check(model, build(names), max_seconds=max_seconds)
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
s = r.stats
print(json.dumps(dict(states=s.states, transitions=s.transitions, depth=s.depth, seconds=dt,
                      live=s.liveness_seconds, complete=s.complete, bytes=(peak - base) * 1024)))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budgets", type=int, nargs="+", default=[0, 1, 2], help="loss = dup = k for each k")
    ap.add_argument("--channel", choices=["bag", "fifo", "both"], default="both")
    ap.add_argument("--properties", choices=["none", "all"], default="none")
    ap.add_argument("--max-seconds", type=float, default=300.0, help="per point")
    args = ap.parse_args()
    channels = ["fifo", "bag"] if args.channel == "both" else [args.channel]
    print(f"reference spec parameters (msl=1, rto=3, max_retries=2, window=2), properties: {args.properties}")
    print(f"{'channel':8}{'loss=dup':>9}{'states':>12}{'transitions':>13}{'depth':>7}{'seconds':>9}{'states/s':>10}{'bytes/state':>13}  complete")
    for channel in channels:
        for k in args.budgets:
            kw = dict(msl=1, rto=3, max_retries=2, window=2, channel=channel, loss=k, dup=k)
            out = subprocess.run([sys.executable, "-c", POINT, json.dumps([kw, args.properties, args.max_seconds])],
                                 capture_output=True, text=True, check=True).stdout
            p = json.loads(out)
            explore = p["seconds"] - p["live"]
            print(f"{channel:8}{k:>9}{p['states']:>12,}{p['transitions']:>13,}{p['depth']:>7}{p['seconds']:>9.2f}"
                  f"{p['states'] / explore:>10,.0f}{p['bytes'] / max(p['states'], 1):>13,.0f}  {p['complete']}", flush=True)


if __name__ == "__main__":
    main()
