"""Benchmark of the liveness pass on big TCP graphs: exploration alone against the whole check.

Not a test: it prints one table. For each configuration and store it runs two points, each in
a fresh subprocess (so that its peak RSS -- ``VmHWM`` minus the RSS after the model was built
and numpy and scipy were loaded, ~35 MB that would blur the small points -- is its own), both
with a time and a memory limit:

- safety: ``check(model, [], store=...)``, exploration only (no edges stored);
- live:   ``check(model, [eventual_close], store=...)``: the exploration storing every edge,
  then the liveness pass (``stats.liveness_seconds``).

Columns: states, transitions, safety seconds and peak MB, the live run's exploration seconds,
liveness-pass seconds and peak MB, and the two ratios of issue 13's target ("liveness on a
10^7-state graph within 2x the exploration time and memory"): live pass / safety exploration
time, and live peak / safety peak. The load average is printed before and after each point
(timings on a shared machine vary).

    python benchmarks/bench_liveness.py                       # the three default points, both stores
    python benchmarks/bench_liveness.py --points small --store fingerprint
    python benchmarks/bench_liveness.py --points big --max-seconds 600 --max-memory-gb 10

The default points (reference protocol, rto 1, max_retries 2, window 2, one incarnation):
small = bag, no faults, msl 1 (785 k states); medium and big as printed in the table head.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BASE = dict(variant="rfc9293", rto=1, max_retries=2, window=2, incarnations=1)
POINTS = {
    "small": dict(channel="bag", loss=0, dup=0, msl=1),
    "medium": dict(channel="bag", loss=1, dup=0, msl=1),
    "big": dict(channel="bag", loss=1, dup=1, msl=1),
}

POINT = r"""
import json, sys, time
import numpy, scipy.sparse.csgraph  # loaded before the baseline: the libraries are not the graph
from tcpmodel.engine import check
from tcpmodel.tcp import TcpModel, TcpConfig, build

def rss(field):  # VmRSS (now) or VmHWM (peak), bytes
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    return int(status[field].split()[0]) * 1024

kw, live, max_seconds, store, max_memory = json.loads(sys.argv[1])
model = TcpModel(TcpConfig(**kw))
properties = build(["eventual_close"] if live else [])
base = rss("VmRSS")
t = time.perf_counter()
r = check(model, properties, max_seconds=max_seconds, max_memory=max_memory, store=store)
dt = time.perf_counter() - t
s = r.stats
verdicts = {name: v.status for name, v in r.verdicts.items()}
print(json.dumps(dict(states=s.states, transitions=s.transitions, seconds=dt, live=s.liveness_seconds,
                      complete=s.complete, stop=s.stop_reason, peak=rss("VmHWM") - base,
                      verdicts={k: str(v) for k, v in verdicts.items()})))
"""


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run(kw, live, max_seconds, store, max_memory):
    payload = json.dumps([kw, live, max_seconds, store, max_memory])
    env = dict(os.environ, PYTHONPATH=os.environ.get("PYTHONPATH") or ROOT)
    proc = subprocess.run([sys.executable, "-P", "-c", POINT, payload], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(proc.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", nargs="+", choices=list(POINTS), default=list(POINTS))
    ap.add_argument("--store", choices=["exact", "fingerprint", "both"], default="both")
    ap.add_argument("--only", choices=["safety", "live", "both"], default="both",
                    help="run only the safety or only the liveness point (default both)")
    ap.add_argument("--max-seconds", type=float, default=600.0, help="time limit of each run (default 600)")
    ap.add_argument("--max-memory-gb", type=float, default=10.0, help="memory limit of each run (default 10)")
    args = ap.parse_args()
    stores = ["exact", "fingerprint"] if args.store == "both" else [args.store]
    max_memory = int(args.max_memory_gb * 2 ** 30)
    print(f"reference protocol, {BASE}; limits {args.max_seconds:g} s, {args.max_memory_gb:g} GB a run")
    for name in args.points:
        print(f"{name}: {POINTS[name]}")
    print(f"{'point':7}{'store':12}{'states':>12}{'transitions':>13}{'safe s':>8}{'safe MB':>9}"
          f"{'expl s':>8}{'live s':>8}{'live MB':>9}{'live/safe s':>12}{'live/safe MB':>13}  verdict  load")
    for name in args.points:
        kw = dict(BASE, **POINTS[name])
        for store in stores:
            load = [loadavg()]
            safe = run(kw, False, args.max_seconds, store, max_memory) if args.only != "live" else None
            load.append(loadavg())
            live = run(kw, True, args.max_seconds, store, max_memory) if args.only != "safety" else None
            load.append(loadavg())
            head = f"{name:7}{store:12}"
            for what, p in (("safety", safe), ("live", live)):
                if p is not None and "error" in p:
                    print(f"{head}  {what} failed: {p['error']}", flush=True)
            if (safe and "error" in safe) or (live and "error" in live):
                continue
            ref = safe or live
            row = f"{head}{ref['states']:>12,}{ref['transitions']:>13,}"
            row += f"{safe['seconds']:>8.1f}{safe['peak'] / 2 ** 20:>9,.0f}" if safe else f"{'-':>8}{'-':>9}"
            if live:
                explore = live["seconds"] - live["live"]
                row += f"{explore:>8.1f}{live['live']:>8.1f}{live['peak'] / 2 ** 20:>9,.0f}"
            else:
                row += f"{'-':>8}{'-':>8}{'-':>9}"
            if safe and live:
                row += f"{live['live'] / safe['seconds']:>12.2f}{live['peak'] / max(safe['peak'], 1):>13.2f}"
            else:
                row += f"{'-':>12}{'-':>13}"
            incomplete = [f"{w} stopped: {p['stop']}" for w, p in (("safety", safe), ("live", live))
                          if p and not p["complete"]]
            verdict = ",".join(live["verdicts"].values()) if live else "-"
            print(f"{row}  {verdict}  {' / '.join(load)}" + (f"  ({'; '.join(incomplete)})" if incomplete else ""),
                  flush=True)


if __name__ == "__main__":
    main()
