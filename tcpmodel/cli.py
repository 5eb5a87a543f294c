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
    c.add_argument("--simulate", type=int, metavar="WALKS",
                   help="random simulation instead of exhaustive checking: WALKS seeded walks per spec; "
                        "finds violations, never proves a property (exit 1 only on a contradicted expectation)")
    c.add_argument("--seed", type=int, default=0, help="seed of the simulation's walks (default: 0)")
    c.add_argument("--depth", type=int, default=100, metavar="N", help="steps per simulation walk (default: 100)")
    e = sub.add_parser("explain", help="teaching mode: why three steps to open, four to close, 2*MSL, timers",
                       description="Run the real protocol and a broken variant under the same faults and tell, "
                                   "from the actual counterexample, where and why they part.")
    e.add_argument("topic", choices=["handshake", "close", "time-wait", "retransmission"])
    e.add_argument("--lang", choices=["en", "zh"], default="en", help="language of the lesson (default: en)")
    e.add_argument("--out", default="out", metavar="DIR", help="the page and diagrams go to DIR/explain/ (default: out)")
    e.add_argument("--no-write", action="store_true", help="print the lesson only")
    w = sub.add_parser("sweep", help="sweep parameters of one spec: verdicts per point, frontiers, plot",
                       description="Check one spec at every point of a grid of parameter values (inclusive "
                                   "ranges A..B; axes not given stay at the spec's value) and find, per "
                                   "property, the smallest fault budget or retries, or the largest TIME-WAIT, "
                                   "that breaks it. Tables and a plot go to DIR/sweep/<spec>/. Exit 0, or 2 on "
                                   "a bad spec or usage.")
    w.add_argument("spec", metavar="SPEC", help="one spec file")
    w.add_argument("--loss", metavar="A..B", help="loss budgets")
    w.add_argument("--dup", metavar="A..B", help="duplication budgets")
    w.add_argument("--time-wait", dest="time_wait", metavar="A..B",
                   help="TIME-WAIT lengths in ticks (below 2*MSL rfc9293 becomes short_time_wait)")
    w.add_argument("--retries", metavar="A..B", help="max retransmissions")
    w.add_argument("--channel", metavar="bag,fifo", help="channels")
    w.add_argument("--property", dest="properties", nargs="+", action="extend", metavar="NAME",
                   help="properties to check (default: those in the spec's [expect])")
    w.add_argument("--out", default="out", metavar="DIR", help="tables and plot go to DIR/sweep/<spec>/ (default: out)")
    w.add_argument("--no-write", action="store_true", help="write nothing under --out")
    w.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    w.add_argument("--max-seconds", type=float, metavar="S",
                   help="limit per point (default: the spec's, else 60); a point stopped is unknown")
    w.add_argument("--max-states", type=int, metavar="N", help="limit per point in distinct states")

    d = sub.add_parser("diagram", help="write the documentation diagrams (state diagrams, canonical ladders) to OUT/docs",
                       description="Run the reference specs (rfc9293.toml, rfc9293_simultaneous.toml) and write the "
                                   "client's and server's state diagrams and ladders of the canonical witnesses "
                                   "(three-way handshake, four-step close, simultaneous open and close, TIME-WAIT).")
    d.add_argument("--specs", default="specs", metavar="DIR", help="folder with the reference specs (default: specs)")
    d.add_argument("--out", default="out", metavar="DIR", help="output folder; diagrams go to DIR/docs (default: out)")
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


def _simulate_specs(args, specs) -> int:
    """``check --simulate``: verdict tables of seeded random walks (nothing written)."""
    from .engine import HOLDS, VIOLATED
    from .run import simulate_spec

    if args.simulate < 1 or args.depth < 1 or args.seed < 0:
        print("tcpmodel: error: --simulate and --depth must be >= 1, --seed >= 0", file=sys.stderr)
        return EXIT_USAGE
    contradicted = []
    for spec in specs:
        run = simulate_spec(spec, args.simulate, args.depth, args.seed, args.max_seconds)
        print(f"{spec.path} — variant {spec.config.variant} — simulation, seed {args.seed}")
        width = max(len(name) for name in spec.expect) + 2
        for name, status, expected, _ in run.rows():
            v = run.result.verdicts[name]
            bad = status in (HOLDS, VIOLATED) and status != expected
            contradicted += [f"{spec.name}.{name}"] if bad else []
            print(f"  {name:<{width}}{status:<11}{expected:<11}{'NOT AS EXPECTED' if bad else 'ok'}  {v.note}")
            if v.trace is not None and status == VIOLATED:
                for i, s, a, t in v.trace.steps():
                    print(f"    {i + 1:>3}. {run.model.describe(s, a, t)}")
        stats = run.result.stats
        print(f"  {stats.walks:,} walks, {stats.states:,} distinct states seen, {stats.seconds:.2f} s\n")
    print("no expectation contradicted" if not contradicted else f"NOT as expected: {', '.join(contradicted)}")
    return EXIT_UNEXPECTED if contradicted else EXIT_OK


def cmd_check(args) -> int:
    from .run import run_spec, run_to_dict
    from .spec import load_all

    specs = load_all(args.paths)  # every spec is checked before any run or any write
    if args.simulate is not None:
        return _simulate_specs(args, specs)
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


# ---------------------------------------------------------------------- explain
def cmd_explain(args) -> int:
    from .explain import explain

    lesson = explain(args.topic, args.lang)
    print(lesson.title)
    print("=" * len(lesson.title))
    for paragraph in lesson.paragraphs:
        print(f"\n{paragraph}")
    labels = {"en": ("variant", "real protocol (RFC 9293)"), "zh": ("变体", "真实协议 (RFC 9293)")}[args.lang]
    for label, steps in zip(labels, (lesson.variant_steps, lesson.real_steps)):
        print(f"\n{label}:")
        for i, step in enumerate(steps, 1):
            mark = "  <--" if i == lesson.parting_step else ""
            print(f"  {i:>3}. {step}{mark}")
    if not args.no_write:
        from .render import write_lesson

        written = write_lesson(args.out, lesson)
        for line in written.notes:
            print(line)
        print(f"\nwritten: {written.index}")
    return EXIT_OK


# ---------------------------------------------------------------------- sweep
def cmd_sweep(args) -> int:
    from .spec import load
    from .sweep import Axis, sweep, sweep_to_dict

    spec = load(args.spec)
    given = (("loss", args.loss), ("dup", args.dup), ("time_wait", args.time_wait),
             ("retries", args.retries), ("channel", args.channel))
    axes = [Axis.parse(name, text) for name, text in given if text is not None]
    tty = not args.json and sys.stderr.isatty()
    progress = _ProgressLine(enabled=tty)

    def on_point(i, n, point):
        progress.done()
        if tty:
            where = ", ".join(f"{k}={v}" for k, v in point.coords)
            sys.stderr.write(f"  point {i + 1}/{n} ({where}): {point.states:,} states, {point.seconds:.1f} s\n")
            sys.stderr.flush()

    result = sweep(spec, axes, args.properties, max_seconds=args.max_seconds, max_states=args.max_states,
                   on_point=on_point, progress=progress)
    written = None
    if not args.no_write:
        from .render.sweep_plot import write_sweep

        written = write_sweep(args.out, result)
    if args.json:
        doc = sweep_to_dict(result)
        doc["written"] = None if written is None else str(written.folder)
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        from .render.sweep_plot import text_table

        print(text_table(result), end="")
        print(f"\n{len(result.points)} point(s), {sum(p.states for p in result.points):,} states in {result.seconds:.1f} s"
              + ("" if result.complete else " (some points stopped by a limit: unknown)"))
        if written is not None:
            for line in written.notes:
                print(line)
            print(f"written under {written.folder}/ (open {written.folder / 'index.html'})")
    return EXIT_OK


DOC_SPECS = ("rfc9293.toml", "rfc9293_simultaneous.toml")


def cmd_diagram(args) -> int:
    from pathlib import Path

    from .render import write_docs
    from .run import run_spec
    from .spec import load_all

    specs = load_all([str(Path(args.specs) / name) for name in DOC_SPECS])
    runs = [run_spec(spec, keep_graph=True) for spec in specs]
    written = write_docs(Path(args.out) / "docs", runs)
    for line in written.notes:
        print(line)
    print(f"diagrams written under {written.root}/ (open {written.index})")
    return EXIT_OK


COMMANDS = {"check": cmd_check, "explain": cmd_explain, "sweep": cmd_sweep, "diagram": cmd_diagram}


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
    except BrokenPipeError:  # the reader went away (e.g. `| head`): nothing more to say
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
