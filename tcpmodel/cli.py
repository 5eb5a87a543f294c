"""The command line: the only place that prints or exits.

Exit codes: 0 every verdict as expected, 1 some verdict not as expected, 2 bad spec or usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from . import __version__
from .errors import TcpModelError

EXIT_OK, EXIT_UNEXPECTED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tcpmodel",
        description="Explicit-state model checker for TCP connection management (RFC 9293).",
    )
    parser.add_argument("--version", action="version", version=f"tcpmodel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("check", help="check specs: verdict tables, counterexamples, reports under out/",
                       description="Check every spec given (files, or folders of *.toml). Exit 0 when every "
                                   "verdict is as the spec expects, 1 otherwise, 2 on a bad spec or usage.")
    c.add_argument("paths", nargs="*", default=["specs"], metavar="SPEC|DIR", help="spec files or folders (default: specs)")
    c.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    c.add_argument("--out", default="out", metavar="DIR", help="where reports and diagrams go (default: out)")
    c.add_argument("--no-write", action="store_true", help="write nothing under --out")
    c.add_argument("--witnesses", action="store_true", help="also print the steps of each witness")
    c.add_argument("--max-states", type=int, metavar="N", help="stop each run after N distinct states")
    c.add_argument("--max-seconds", type=float, metavar="S", help="stop each run after S seconds")
    return parser


# ---------------------------------------------------------------------- check
class _ProgressLine:
    """A one-line progress display on stderr, shown once a run has taken a second."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.shown = False

    def __call__(self, p):
        if not self.enabled:
            return
        self.shown = True
        sys.stderr.write(f"\r  {p.states:>12,} states  {p.transitions:>13,} transitions  queue {p.queue:>10,}  "
                         f"depth {p.depth:>4}  {p.states_per_second:>9,.0f} states/s  {p.seconds:6.1f} s")
        sys.stderr.flush()

    def done(self):
        if self.shown:
            sys.stderr.write("\r" + " " * 110 + "\r")
            sys.stderr.flush()
        self.shown = False


def _print_run(run, witnesses: bool):
    spec, stats = run.spec, run.result.stats
    print(f"{spec.path} — variant {spec.config.variant}")
    if spec.description:
        print(f"  {spec.description}")
    width = max(len(name) for name in spec.expect) + 2
    print(f"  {'property':<{width}}{'verdict':<11}{'expected':<11}")
    for name, status, expected, ok in run.rows():
        mark = "ok" if ok else "NOT AS EXPECTED"
        kind = " (witness)" if run.result.verdicts[name].is_witness else ""
        print(f"  {name:<{width}}{status:<11}{expected:<11}{mark}{kind}")
    rate = stats.states_per_second
    complete = "complete" if stats.complete else f"INCOMPLETE ({stats.stop_reason})"
    print(f"  {stats.states:,} distinct states, {stats.transitions:,} transitions, depth {stats.depth}, "
          f"{stats.seconds:.2f} s ({rate:,.0f} states/s), {complete}")
    for name, status, expected, ok in run.rows():
        v = run.result.verdicts[name]
        if v.trace is None or (v.is_witness and not witnesses):
            continue
        what = "witness" if v.is_witness else ("lasso" if v.trace.is_lasso else "counterexample")
        print(f"\n  {name}: {what}, {len(v.trace)} steps")
        if spec.explain.get(name):
            print(f"    why: {spec.explain[name]}")
        for i, s, a, t in v.trace.steps():
            loop = "  ↻ cycle starts here" if v.trace.loop_start == i else ""
            print(f"    {i + 1:>3}. {run.model.describe(s, a, t)}{loop}")
        if v.trace.is_lasso:
            print(f"         … and the cycle from step {v.trace.loop_start + 1} repeats forever")
        elif v.trace.dead_end and not v.is_witness:
            print("         … and the run can go no further")
    print()


def cmd_check(args) -> int:
    from .run import run_spec, run_to_dict
    from .spec import load_all

    specs = load_all(args.paths)  # every spec is checked before any run or any write
    progress = _ProgressLine(enabled=not args.json and sys.stderr.isatty())
    runs = []
    started = time.perf_counter()
    for spec in specs:
        run = run_spec(spec, progress=progress, keep_graph=not args.no_write,
                       max_states=args.max_states, max_seconds=args.max_seconds)
        progress.done()
        runs.append(run)
        if not args.json:
            _print_run(run, args.witnesses)
    ok = all(run.as_expected for run in runs)
    written = None
    if not args.no_write:
        from .render import write_outputs

        written = write_outputs(args.out, runs)
    if args.json:
        print(json.dumps({"as_expected": ok, "specs": [run_to_dict(r) for r in runs]}, indent=2, ensure_ascii=False))
    else:
        unexpected = [f"{r.spec.name}.{name}" for r in runs for name, *_, good in r.rows() if not good]
        total = time.perf_counter() - started
        print(f"{len(runs)} spec(s), {sum(r.result.stats.states for r in runs):,} states in {total:.1f} s: "
              + ("every verdict as expected" if ok else f"NOT as expected: {', '.join(unexpected)}"))
        if written is not None:
            for line in written.notes:
                print(line)
            print(f"reports written under {written.root}/ (open {written.index})")
    return EXIT_OK if ok else EXIT_UNEXPECTED


COMMANDS = {"check": cmd_check}


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help/--version
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    try:
        return COMMANDS[args.command](args)
    except TcpModelError as exc:
        print(f"tcpmodel: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("tcpmodel: interrupted", file=sys.stderr)
        return EXIT_UNEXPECTED


if __name__ == "__main__":
    sys.exit(main())
