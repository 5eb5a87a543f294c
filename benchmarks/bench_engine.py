"""Engine throughput, memory and liveness benchmark (a script, not a test).

    python benchmarks/bench_engine.py                   # about 1,000,000 states
    python benchmarks/bench_engine.py --scale 0.1 0.3 1 # three sizes, one table
    python benchmarks/bench_engine.py --tracemalloc     # memory by tracemalloc as well

The toy model: ``procs`` independent processes, each a clock that steps through ``k`` local
steps ("tick" i) and then wraps back to 0 ("wrap" i). A state is a tuple of ``procs`` ints,
every one of the ``k ** procs`` states is reachable from all zeros, every state has exactly
``procs`` successors, and the whole graph is one strongly connected component (so liveness
has real cycles to look at). ``--scale 1`` picks ``k`` so that there are about 1e6 states.

What is measured, for each size:

- throughput: a bare hand-written BFS (a dict of parents and a deque, nothing else) against
  ``tcpmodel.engine.check`` with no property, and with one ``Always`` invariant (the bare loop
  gets none). Time of the whole call (``--clock``: this process's CPU time by default, so
  that other jobs on the machine do not count; or wall time), teardown of the stored states
  included on both sides; best of ``--repeat`` runs, the three configurations interleaved
  so that drift in the machine's speed hits all of them alike. Targets: engine >= 85% (no
  property) and >= 75% (one invariant) of the bare loop's states/s. On a shared machine
  single runs vary by +-20%; compare ratios of best-of runs, not single runs.
- memory per stored state: every configuration runs in a fresh subprocess that reports its
  peak RSS (``VmHWM`` from /proc/self/status on Linux, since ``ru_maxrss`` there carries the
  parent's peak across exec; ``ru_maxrss`` elsewhere); a baseline subprocess imports the
  same modules and builds the model but stores nothing. ``(peak - baseline) / states`` is the
  cost of a state: the state tuple itself, the visited-set entry and, for the engine, the
  counterexample bookkeeping (ids, parents, levels). Peak RSS includes transient peaks such
  as a dict resize, which is what a user pays. Target: engine <= 250 bytes/state.
  ``--tracemalloc`` repeats the memory runs under tracemalloc (Python-level peak, slower),
  as a cross-check independent of the allocator's behaviour.
- liveness: ``LeadsTo(clock 0 at its last step ~> clock 0 back at 0)`` under weak fairness
  of clock 0's wrap (it holds), and the same without fairness (violated: a lasso, built and
  re-checked). Exploration time (with every transition stored, as liveness needs) against
  liveness time, from the engine's own Stats (wall time). Target: liveness <= 2x
  exploration. Memory per state with the edges stored, for the exploration alone
  (``keep_graph=True``, no liveness property) and for the whole check (holding property).
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import os
import resource
import subprocess
import sys
import time
from collections import deque

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tcpmodel.engine import Always, LeadsTo, WeakFairness, check  # noqa: E402  (after the path fix)

HAS_STORE = "store" in inspect.signature(check).parameters  # False on trees before the fingerprint store
TARGET_PLAIN = 0.85
TARGET_INV = 0.75
TARGET_BYTES = 250
TARGET_LIVE = 2.0


class Clocks:
    """``procs`` independent modulo-``k`` clocks, interleaved: ``k ** procs`` states."""

    def __init__(self, procs: int, k: int):
        self.procs = procs
        self.k = k
        self.last = k - 1
        self.tick = tuple(("tick", i) for i in range(procs))
        self.wrap = tuple(("wrap", i) for i in range(procs))

    def init_states(self):
        return [(0,) * self.procs]

    def successors(self, s):
        out = []
        for i, v in enumerate(s):
            if v < self.last:
                out.append((self.tick[i], s[:i] + (v + 1,) + s[i + 1:]))
            else:
                out.append((self.wrap[i], s[:i] + (0,) + s[i + 1:]))
        return out

    def format_action(self, a):
        return f"{a[0]}({a[1]})"


def make_model(scale: float, procs: int) -> Clocks:
    k = max(2, round((1_000_000 * scale) ** (1.0 / procs)))
    return Clocks(procs, k)


def invariant(model):
    last = model.last
    # Always true, so it is evaluated on every state and never stops being checked.
    return Always("in_range", lambda s: s[0] <= last)


def liveness_property(model, fair: bool = True):
    """Clock 0 at its last step leads to clock 0 back at 0: holds under weak fairness of its
    wrap; without fairness it is violated (a lasso: the other clocks cycle forever)."""
    last = model.last
    wrap0 = model.wrap[0]
    return LeadsTo(
        "clock0_wraps",
        lambda s: s[0] == last,
        lambda s: s[0] == 0,
        [WeakFairness("wrap0", lambda a: a == wrap0)] if fair else [],
    )


def bare_bfs(model) -> int:
    """The yardstick: the least a BFS over this model can do. Returns the state count."""
    successors = model.successors
    parents = dict.fromkeys(model.init_states())  # state -> the state that discovered it
    queue = deque(parents)
    pop, push = queue.popleft, queue.append
    while queue:
        s = pop()
        for _action, t in successors(s):
            if t not in parents:
                parents[t] = s
                push(t)
    return len(parents)


# --------------------------------------------------------------------------- configurations

CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def run_config(name: str, model, clock=time.perf_counter):
    """Run one configuration; returns (states, seconds by ``clock``, engine Stats or None)."""
    if name == "baseline":
        model.successors(model.init_states()[0])
        return 0, 0.0, None
    started = clock()
    if name == "bare":
        n = bare_bfs(model)
        return n, clock() - started, None
    if name == "engine":
        r = check(model)
    elif name == "engine_inv":
        r = check(model, [invariant(model)])
        assert r["in_range"].status == "holds"
    elif name == "engine_fp":
        r = check(model, store="fingerprint")
    elif name == "engine_live_fp":
        r = check(model, [liveness_property(model)], store="fingerprint")
        assert r["clock0_wraps"].status == "holds", r["clock0_wraps"]
    elif name == "engine_graph":
        r = check(model, keep_graph=True)
    elif name == "engine_live":
        r = check(model, [liveness_property(model)])
        assert r["clock0_wraps"].status == "holds", r["clock0_wraps"]
    elif name == "engine_live_violated":
        r = check(model, [liveness_property(model, fair=False)])
        assert r["clock0_wraps"].status == "violated" and r["clock0_wraps"].trace.is_lasso
    else:
        raise SystemExit(f"unknown configuration {name!r}")
    seconds = clock() - started
    assert r.complete
    return r.stats.states, seconds, r.stats


def child_main(args):
    """Fresh-process run of one configuration; prints one JSON line with its peak memory."""
    model = make_model(args.scale[0], args.procs)
    if args.tracemalloc:
        import tracemalloc

        gc.collect()
        tracemalloc.start()
    n, seconds, stats = run_config(args.child, model)
    out = {"states": n, "seconds": seconds, "peak_rss": _peak_rss()}
    if args.tracemalloc:
        out["traced_peak"] = tracemalloc.get_traced_memory()[1]
    if stats is not None:
        out["transitions"] = stats.transitions
        out["explore_seconds"] = stats.seconds - stats.liveness_seconds
        out["liveness_seconds"] = stats.liveness_seconds
    print(json.dumps(out))


def _peak_rss() -> int:
    # On Linux, ru_maxrss survives execve: a child started by a big parent reports at least
    # the parent's RSS at fork time. VmHWM belongs to the process's own address space, which
    # exec replaces, so it is this run's peak alone. Elsewhere fall back to ru_maxrss.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def in_child(config: str, scale: float, procs: int, tracemalloc: bool = False) -> dict:
    """Run one configuration in a fresh interpreter; returns what child_main printed."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", config, "--scale", str(scale), "--procs", str(procs)]
    if tracemalloc:
        cmd.append("--tracemalloc")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# --------------------------------------------------------------------------- one size

def bench_size(args, scale: float) -> dict:
    model = make_model(scale, args.procs)
    row = {"scale": scale, "k": model.k, "procs": model.procs}
    print(f"\n== scale {scale}: {model.procs} clocks of {model.k} steps, {model.k ** model.procs:,} states", flush=True)

    # Throughput, interleaved, best of N.
    best = {"bare": float("inf"), "engine": float("inf"), "engine_inv": float("inf")}
    if HAS_STORE:
        best["engine_fp"] = float("inf")
    counts = {}
    clock = CLOCKS[args.clock]
    for rep in range(args.repeat):
        for name in best:
            gc.collect()
            n, seconds, _ = run_config(name, model, clock)
            counts.setdefault(name, n)
            assert counts[name] == n
            best[name] = min(best[name], seconds)
            print(f"   run {rep + 1}: {name:<10} {seconds:7.3f} s  {n / seconds:12,.0f} states/s", flush=True)
    n = counts["bare"]
    assert counts["engine"] == counts["engine_inv"] == n == model.k ** model.procs
    row["states"] = n
    for name, seconds in best.items():
        row[f"{name}_rate"] = n / seconds
    row["ratio_plain"] = row["engine_rate"] / row["bare_rate"]
    row["ratio_inv"] = row["engine_inv_rate"] / row["bare_rate"]
    row["ratio_fp"] = row["engine_fp_rate"] / row["bare_rate"] if HAS_STORE else float("nan")

    # Liveness, from the engine's own Stats: the property that holds (the whole SCC analysis)
    # and, for the cost of building and re-checking a lasso, the same one without fairness.
    for key, config in (("live", "engine_live"), ("viol", "engine_live_violated")):
        best_run = None
        for rep in range(args.live_repeat):
            gc.collect()
            _, wall, stats = run_config(config, model)
            explore = stats.seconds - stats.liveness_seconds
            print(f"   run {rep + 1}: {config:<20} explore {explore:7.3f} s  liveness {stats.liveness_seconds:7.3f} s  (wall {wall:.3f} s)", flush=True)
            if best_run is None or stats.seconds < sum(best_run):
                best_run = (explore, stats.liveness_seconds)
        row[f"{key}_explore_s"], row[f"{key}_s"] = best_run
        row[f"{key}_ratio"] = row[f"{key}_s"] / row[f"{key}_explore_s"]

    # Memory: fresh subprocesses.
    if not args.no_memory:
        base = in_child("baseline", scale, args.procs)
        for name in ("bare", "engine", "engine_inv", "engine_graph", "engine_live") + \
                (("engine_fp", "engine_live_fp") if HAS_STORE else ()):
            r = in_child(name, scale, args.procs)
            row[f"{name}_bps"] = (r["peak_rss"] - base["peak_rss"]) / r["states"]
            print(f"   memory: {name:<12} peak RSS {r['peak_rss'] / 2**20:8.1f} MiB (baseline {base['peak_rss'] / 2**20:.1f} MiB)"
                  f"  {row[f'{name}_bps']:6.0f} bytes/state", flush=True)
        if args.tracemalloc:
            for name in ("bare", "engine", "engine_live"):
                r = in_child(name, scale, args.procs, tracemalloc=True)
                row[f"{name}_tm_bps"] = r["traced_peak"] / r["states"]
                print(f"   tracemalloc: {name:<12} traced peak {r['traced_peak'] / 2**20:8.1f} MiB  {row[f'{name}_tm_bps']:6.0f} bytes/state", flush=True)
    return row


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_table(rows, args):
    print(f"\nthroughput (states/s, best of {args.repeat}; {args.clock} time of the whole call, teardown included)")
    print(f"{'states':>10} {'bare':>10} {'engine':>10} {'ratio':>6} {'':>6} {'+always':>10} {'ratio':>6} {'':>6}")
    for r in rows:
        print(f"{r['states']:>10,} {r['bare_rate']:>10,.0f} {r['engine_rate']:>10,.0f} {r['ratio_plain']:>6.2f} {_mark(r['ratio_plain'] >= TARGET_PLAIN):>6}"
              f" {r['engine_inv_rate']:>10,.0f} {r['ratio_inv']:>6.2f} {_mark(r['ratio_inv'] >= TARGET_INV):>6}")
    print(f"targets: engine >= {TARGET_PLAIN:.0%} of bare, engine with one invariant >= {TARGET_INV:.0%} of bare")
    if HAS_STORE:
        print(f"{'states':>10} {'fingerprint store':>18} {'ratio':>6}")
        for r in rows:
            print(f"{r['states']:>10,} {r['engine_fp_rate']:>18,.0f} {r['ratio_fp']:>6.2f}")

    if not args.no_memory:
        print("\nmemory (bytes/state: peak RSS of a fresh process minus a baseline process, over states)")
        print(f"{'states':>10} {'bare':>6} {'engine':>7} {'':>6} {'+always':>8} {'+edges':>7} {'+liveness':>10}")
        for r in rows:
            print(f"{r['states']:>10,} {r['bare_bps']:>6.0f} {r['engine_bps']:>7.0f} {_mark(r['engine_bps'] <= TARGET_BYTES):>6}"
                  f" {r['engine_inv_bps']:>8.0f} {r['engine_graph_bps']:>7.0f} {r['engine_live_bps']:>10.0f}")
        print(f"target: engine <= {TARGET_BYTES} bytes/state; +edges = keep_graph exploration, +liveness = whole check with the liveness property")
        if HAS_STORE:
            print(f"{'states':>10} {'fingerprint':>12} {'fp+liveness':>12}")
            for r in rows:
                print(f"{r['states']:>10,} {r['engine_fp_bps']:>12.0f} {r['engine_live_fp_bps']:>12.0f}")
        if args.tracemalloc:
            print("\nmemory by tracemalloc (traced Python peak / states)")
            print(f"{'states':>10} {'bare':>6} {'engine':>7} {'+liveness':>10}")
            for r in rows:
                print(f"{r['states']:>10,} {r['bare_tm_bps']:>6.0f} {r['engine_tm_bps']:>7.0f} {r['engine_live_tm_bps']:>10.0f}")

    print(f"\nliveness (engine Stats, wall time, best of {args.live_repeat}): holds = LeadsTo under weak fairness, "
          "violated = the same without fairness (lasso built and re-checked)")
    print(f"{'states':>10} {'explore s':>10} {'holds s':>8} {'ratio':>6} {'':>6} {'explore s':>10} {'violated s':>11} {'ratio':>6} {'':>6}")
    for r in rows:
        print(f"{r['states']:>10,} {r['live_explore_s']:>10.3f} {r['live_s']:>8.3f} {r['live_ratio']:>6.2f} {_mark(r['live_ratio'] <= TARGET_LIVE):>6}"
              f" {r['viol_explore_s']:>10.3f} {r['viol_s']:>11.3f} {r['viol_ratio']:>6.2f} {_mark(r['viol_ratio'] <= TARGET_LIVE):>6}")
    print(f"target: liveness time <= {TARGET_LIVE:g}x exploration time (exploration with every transition stored)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, nargs="+", default=[1.0], help="sizes, 1.0 = about 1e6 states (default: 1)")
    ap.add_argument("--procs", type=int, default=4, help="number of clocks, i.e. successors per state (default: 4)")
    ap.add_argument("--repeat", type=int, default=3, help="throughput runs per configuration, best taken (default: 3)")
    ap.add_argument("--live-repeat", type=int, default=2, help="liveness runs, best taken (default: 2)")
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                    help="throughput timer: cpu = this process's CPU time (default: robust when other jobs share "
                    "the machine), wall = elapsed time")
    ap.add_argument("--no-memory", action="store_true", help="skip the subprocess memory runs")
    ap.add_argument("--tracemalloc", action="store_true", help="also measure memory with tracemalloc")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child_main(args)
    print(f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}, "
          f"gc {'on' if gc.isenabled() else 'off'}, clock {args.clock}")
    rows = [bench_size(args, s) for s in args.scale]
    print_table(rows, args)


if __name__ == "__main__":
    main()
