"""One long exhaustive run of the TCP model, with its progress every 15 s: states, depth,
frontier, rate, resident bytes a state. Not a test: it prints. Used for the issue-13
configurations that run for minutes (docs/scaling.md, "10-minute configurations").

    python benchmarks/bench_long_run.py --channel bag --loss 2 --dup 2 --msl 1
    python benchmarks/bench_long_run.py --channel fifo --loss 1 --dup 1 --msl 3 --max-seconds 600 --max-memory-gb 12

The last line is a JSON summary (states, transitions, depth, wall and CPU seconds, complete or
why not, peak bytes a state: VmHWM minus the RSS after the model was built).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import time

from tcpmodel.engine import check
from tcpmodel.tcp import TcpConfig, TcpModel


def status(field: str, pid="self") -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:  # the child has just ended
        pass
    return 0


def child_rss() -> int:
    """The resident memory of the expanding process, when there is one (processes=2)."""
    return sum(status("VmRSS", c.pid) for c in multiprocessing.active_children())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--channel", choices=["bag", "fifo"], default="bag")
    ap.add_argument("--loss", type=int, default=1)
    ap.add_argument("--dup", type=int, default=1)
    ap.add_argument("--msl", type=int, default=1)
    ap.add_argument("--incarnations", type=int, default=1)
    ap.add_argument("--store", choices=["exact", "fingerprint"], default="exact")
    ap.add_argument("--max-seconds", type=float, default=600.0)
    ap.add_argument("--max-memory-gb", type=float, default=12.0)
    ap.add_argument("--processes", type=int, choices=[1, 2], default=1,
                    help="1 (default: one core, as the issue's targets), or 2 to expand states in a "
                         "second process")
    args = ap.parse_args()
    config = dict(variant="rfc9293", rto=1, max_retries=2, window=2, channel=args.channel, loss=args.loss,
                  dup=args.dup, msl=args.msl, incarnations=args.incarnations)
    if args.incarnations > 1:
        config["isn"] = "clock"
    model = TcpModel(TcpConfig(**config))
    base = status("VmRSS")

    def progress(p):
        print(f"  {p.seconds:6.0f} s {p.states:>13,} states depth {p.depth:3} queue {p.queue:>11,} "
              f"{p.states_per_second:>9,.0f}/s rss {(status('VmRSS') - base) / max(p.states, 1):5.0f} B/state "
              f"hwm {(status('VmHWM') - base) / 2 ** 30:5.2f} GiB child rss {child_rss() / 2 ** 30:5.2f} GiB",
              flush=True)

    started, cpu = time.perf_counter(), time.process_time()
    r = check(model, [], store=args.store, max_seconds=args.max_seconds,
              max_memory=int(args.max_memory_gb * 2 ** 30), progress=progress, progress_interval=15,
              processes=args.processes)
    s = r.stats
    wall = time.perf_counter() - started
    # The expanding process (processes=2), ended by now: its CPU and its peak (added to this
    # process's, an upper bound: the pages they shared at the fork count twice).
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu, child_peak = child.ru_utime + child.ru_stime, child.ru_maxrss * 1024
    print(json.dumps(dict(config=config, store=args.store, states=s.states, transitions=s.transitions, depth=s.depth,
                          seconds=round(wall, 1), cpu=round(time.process_time() - cpu + child_cpu, 1),
                          states_per_second=round(s.states / wall), complete=s.complete, stop=s.stop_reason,
                          peak_bytes_per_state=round((status("VmHWM") - base + child_peak) / max(s.states, 1), 1),
                          child_peak_gib=round(child_peak / 2 ** 30, 2))), flush=True)


if __name__ == "__main__":
    main()
