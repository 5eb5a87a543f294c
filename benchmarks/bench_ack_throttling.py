"""What ack_throttling does to the state space: every shipped spec with and without the switch,
and the reference protocol on a reordering network with one loss and one duplication at MSL 1
and 2, each point under a time limit. Prints a Markdown table; a benchmark, not a test.

    python3 benchmarks/bench_ack_throttling.py [--max-seconds 600] [--big-only | --specs-only]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tcpmodel.engine import check  # noqa: E402
from tcpmodel.errors import TcpModelError  # noqa: E402
from tcpmodel.spec import load  # noqa: E402
from tcpmodel.tcp import TcpConfig, TcpModel, build  # noqa: E402


def with_throttling(config: TcpConfig, on: bool) -> TcpConfig:
    extra = tuple(s for s in config.switches if s != "ack_throttling")
    if on and config.variant != "ack_throttling":
        extra += ("ack_throttling",)
    return config.replace(switches=extra)


def measure(config: TcpConfig, properties, max_seconds):
    started = time.perf_counter()
    result = check(TcpModel(config), build(properties), max_seconds=max_seconds)
    seconds = time.perf_counter() - started
    return result, seconds


def row(label, config, properties, max_seconds):
    result, seconds = measure(config, properties, max_seconds)
    st = result.stats
    verdicts = " ".join(f"{n}={v.status[0].upper()}" for n, v in result.verdicts.items())
    done = "complete" if st.complete else f"incomplete ({st.stop_reason})"
    print(f"| {label} | {st.states:,} | {st.transitions:,} | {st.depth} | {seconds:.1f} | {done} | {verdicts} |", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-seconds", type=float, default=600.0)
    ap.add_argument("--big-only", action="store_true")
    ap.add_argument("--specs-only", action="store_true")
    args = ap.parse_args()
    print("| configuration | states | transitions | depth | s | complete | verdicts |")
    print("|---|---|---|---|---|---|---|")
    if not args.big_only:
        for path in sorted((ROOT / "specs").glob("*.toml")):
            spec = load(path)
            for on in (False, True):
                try:
                    config = with_throttling(spec.config, on)
                except TcpModelError:
                    continue
                label = f"{spec.name} {'throttled' if on else 'RFC re-ACK'}"
                row(label, config, list(spec.expect), args.max_seconds)
    if not args.specs_only:
        safety = ["no_bogus_open", "no_stale_delivery", "close_delivers_all", "graceful_end"]
        for msl, extra in ((1, dict(rto=2)), (2, dict(max_delay=1, rto=2))):
            for on in (False, True):
                config = TcpConfig(msl=msl, channel="bag", loss=1, dup=1, switches=("ack_throttling",) if on else (), **extra)
                label = f"rfc9293 bag loss 1 dup 1 msl {msl} {'throttled' if on else 'RFC re-ACK'}"
                row(label, config, safety, args.max_seconds)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"\npeak RSS {peak / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()
