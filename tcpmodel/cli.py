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
    c.add_argument("paths", nargs="*", metavar="SPEC|DIR|NAME",
                   help="spec files, folders or built-in spec names (default: ./specs, else the built-in catalogue)")
    c.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    c.add_argument("--out", default="out", metavar="DIR", help="where reports and diagrams go (default: out)")
    c.add_argument("--no-write", action="store_true", help="write nothing under --out")
    c.add_argument("--witnesses", action="store_true", help="also print the steps of each witness")
    c.add_argument("--max-states", type=int, metavar="N", help="stop each run after N distinct states")
    c.add_argument("--max-seconds", type=float, metavar="S", help="stop each run after S seconds")
    add_format_flags(c)
    e = sub.add_parser("explain", help="teaching mode: why three steps to open, four to close, 2*MSL, timers",
                       description="Run the real protocol and a broken variant under the same faults and tell, "
                                   "from the actual counterexample, where and why they part.")
    e.add_argument("topic", choices=["handshake", "close", "time-wait", "retransmission"])
    e.add_argument("--lang", choices=["en", "zh"], default="en", help="language of the lesson (default: en)")
    e.add_argument("--out", default="out", metavar="DIR", help="the page and diagrams go to DIR/explain/ (default: out)")
    e.add_argument("--no-write", action="store_true", help="print the lesson only")
    e.add_argument("--json", action="store_true", help="print the lesson as one JSON document (docs/formats.md)")
    w = sub.add_parser("sweep", help="sweep parameters of one spec: verdicts per point, frontiers, plot",
                       description="Check one spec at every point of a grid of parameter values (inclusive "
                                   "ranges A..B; axes not given stay at the spec's value) and find, per "
                                   "property, the smallest fault budget or retries, or the largest TIME-WAIT, "
                                   "that breaks it. Tables and a plot go to DIR/sweep/<spec>/. Exit 0, or 2 on "
                                   "a bad spec or usage.")
    w.add_argument("spec", metavar="SPEC|NAME", help="one spec file, or the name of a built-in spec")
    w.add_argument("--loss", metavar="A..B", help="loss budgets")
    w.add_argument("--dup", metavar="A..B", help="duplication budgets")
    w.add_argument("--time-wait", dest="time_wait", metavar="A..B",
                   help="TIME-WAIT lengths in ticks (a plain parameter; 2*MSL is the RFC's)")
    w.add_argument("--retries", metavar="A..B", help="max retransmissions")
    w.add_argument("--rto", metavar="A..B", help="retransmission timeouts in ticks")
    w.add_argument("--channel", metavar="bag,fifo", help="channels")
    w.add_argument("--lifetime", metavar="half_open,closed", help="segment lifetime tie rules")
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
    d.add_argument("--specs", metavar="DIR", help="folder with the reference specs (default: ./specs if it has them, else the built-in catalogue)")
    d.add_argument("--out", default="out", metavar="DIR", help="output folder; diagrams go to DIR/docs (default: out)")
    add_specs_command(sub)
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
    _print_counts(run)
    for name, v in run.result.verdicts.items():
        if v.trace is None or (v.is_witness and not witnesses):
            continue
        print()
        for line in run.trace_text(name, indent="  "):
            print(line)
    print()


def cmd_check(args) -> int:
    from .library import resolve_all
    from .run import run_spec
    from .spec import load_all

    check_format_flags(args)
    paths, note = resolve_all(args.paths)
    if note and not args.json:
        print(note)
    specs = load_all(paths)  # every spec is checked before any run or any write
    progress = _ProgressLine(enabled=not args.json and sys.stderr.isatty())
    runs = []
    started = time.perf_counter()
    for spec in specs:
        run = run_spec(spec, progress=progress, keep_graph=not args.no_write or args.graphml is not None,
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
    exported = write_formats(args, runs)
    if args.json:
        from .formats import check_document

        doc = check_document(runs, time.perf_counter() - started)  # validated against its schema
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        unexpected = [f"{r.spec.name}.{name}" for r in runs for name in r.unexpected()]
        total = time.perf_counter() - started
        print(f"{len(runs)} spec(s), {sum(r.result.stats.states for r in runs):,} states in {total:.1f} s: "
              + ("every verdict as expected" if ok else f"NOT as expected: {', '.join(unexpected)}"))
        if written is not None:
            for line in written.notes:
                print(line)
            print(f"reports written under {written.root}/ (open {written.index})")
        for line in exported:
            print(line)
    return EXIT_OK if ok else EXIT_UNEXPECTED


# ---------------------------------------------------------------------- explain
def cmd_explain(args) -> int:
    from .explain import explain

    lesson = explain(args.topic, args.lang)
    if args.json:
        return _explain_json(args, lesson)
    print(lesson.title)
    print("=" * len(lesson.title))
    for paragraph in lesson.paragraphs:
        print(f"\n{paragraph}")
    for label, steps in zip(lesson.labels, (lesson.variant_steps, lesson.real_steps)):
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
    from .library import resolve
    from .spec import load
    from .sweep import Axis, sweep

    spec = load(resolve(args.spec))
    given = (("loss", args.loss), ("dup", args.dup), ("time_wait", args.time_wait),
             ("retries", args.retries), ("rto", args.rto), ("channel", args.channel),
             ("lifetime", args.lifetime))
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
        from .formats import sweep_document

        doc = sweep_document(result, None if written is None else written.folder)  # validated
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

    folder = args.specs
    if folder is None:
        from .library import catalogue_dir

        local = Path("specs")
        folder = local if all((local / name).is_file() for name in DOC_SPECS) else catalogue_dir()
    specs = load_all([str(Path(folder) / name) for name in DOC_SPECS])
    runs = [run_spec(spec, keep_graph=True) for spec in specs]
    written = write_docs(Path(args.out) / "docs", runs)
    for line in written.notes:
        print(line)
    print(f"diagrams written under {written.root}/ (open {written.index})")
    return EXIT_OK


# ---------------------------------------------------------------------- formats and the catalogue
def add_format_flags(c) -> None:
    c.add_argument("--itf", metavar="DIR", help="write every trace in the Informal Trace Format: DIR/<spec>/<property>.itf.json")
    c.add_argument("--graphml", metavar="DIR", help="write each spec's reachable graph as GraphML: DIR/<spec>.graphml")


def check_format_flags(args) -> None:
    from pathlib import Path

    for flag, value in (("--itf", args.itf), ("--graphml", args.graphml)):
        if value is not None and (not value or (Path(value).exists() and not Path(value).is_dir())):
            raise TcpModelError(f"{flag} {value!r}: must name a folder (it is created if missing)")


def write_formats(args, runs) -> list:
    """Write the --itf and --graphml exports; the lines that say what was written."""
    from pathlib import Path

    lines = []
    if args.itf is not None:
        from .formats import write_itf

        paths = write_itf(args.itf, runs)
        lines.append(f"{len(paths)} ITF trace(s) written under {args.itf}/")
    if args.graphml is not None:
        from .formats import write_graphml

        Path(args.graphml).mkdir(parents=True, exist_ok=True)
        for run in runs:
            write_graphml(Path(args.graphml) / f"{run.spec.name}.graphml", run)
        lines.append(f"{len(runs)} GraphML graph(s) written under {args.graphml}/")
    return [] if args.json else lines


def _print_counts(run) -> None:
    for name, got, expected, ok in run.count_rows():
        if ok is False:
            print(f"  {name}: {got:,}, the spec expects {expected:,}  NOT AS EXPECTED")
        elif ok is None:
            print(f"  {name}: not compared with the spec's {expected:,} (the run is incomplete)")


def _explain_json(args, lesson) -> int:
    from .formats import explain_document

    doc = explain_document(lesson)  # validated against its schema
    if not args.no_write:
        from .render import write_lesson

        doc["written"] = str(write_lesson(args.out, lesson).index)
    print(json.dumps(doc, indent=2, ensure_ascii=False))
    return EXIT_OK


def add_specs_command(sub) -> None:
    s = sub.add_parser("specs", help="list the built-in specs, or copy one out for editing",
                       description="List the specs that ship with tcpmodel (name, description), or copy one "
                                   "into a folder to edit it: tcpmodel specs --copy rfc9293 [DIR].")
    s.add_argument("--copy", metavar="NAME", help="copy the built-in spec NAME into DIR")
    s.add_argument("dir", nargs="?", metavar="DIR", help="where --copy puts the file (default: the current folder)")


def cmd_specs(args) -> int:
    from .library import catalogue_dir, copy_out, listing

    if args.copy is None:
        if args.dir is not None:
            raise TcpModelError(f"DIR {args.dir!r} only goes with --copy NAME")
        items = listing()
        width = max(len(name) for name, _ in items) + 2
        print(f"built-in specs ({catalogue_dir()}):")
        for name, description in items:
            print(f"  {name:<{width}}{description}")
        return EXIT_OK
    dest = copy_out(args.copy, args.dir or ".")
    print(f"copied {args.copy} to {dest}; check it with: tcpmodel check {dest}")
    return EXIT_OK


COMMANDS = {"check": cmd_check, "explain": cmd_explain, "sweep": cmd_sweep, "diagram": cmd_diagram, "specs": cmd_specs}


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
