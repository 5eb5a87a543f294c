"""The command line: the only place that prints or exits.

Exit codes of ``tcpmodel check`` (the others use 0, 2 and 3 alike):

    0  every verdict is the one its spec expects
    1  some verdict was decided and is not the one expected, or a counterexample did not
       replay (the model is not deterministic: a bug in tcpmodel, reported as such)
    2  bad spec, bad usage, or an output location that cannot be written (nothing was run)
    3  incomplete: a run stopped early (state, time or memory limit, Ctrl-C, SIGTERM) and
       left some verdict unknown; no decided verdict is wrong

When several specs give different outcomes the exit code is the first of 2, 1, 3, 0 that
applies: bad input hides everything, a wrong verdict is worse news than an unknown one.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
import signal
import sys
import time

from . import __version__
from .errors import ReplayError, TcpModelError

EXIT_OK, EXIT_UNEXPECTED, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3
EXIT_CODES_HELP = ("exit codes: 0 every verdict as expected; 1 a decided verdict not as expected (or a "
                   "counterexample that does not replay: the model is not deterministic); 2 bad spec, usage or "
                   "--out; 3 incomplete: a run stopped by a limit, Ctrl-C, SIGTERM or memory left a verdict "
                   "unknown. Several specs: the first of 2, 1, 3, 0 that applies.")


# ---------------------------------------------------------------------- argument types
# Each returns the value or raises ArgumentTypeError: argparse then exits 2 with one line.
def _limit_type(name: str, kind):
    """A positive, finite limit within spec.LIMITS[name] (the same bounds as spec files)."""

    def parse(text: str):
        from .spec import bounds, safe_text

        low, high = bounds(name)
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {safe_text(text)}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number of seconds, got {safe_text(text)}")
        if value <= 0 or value < low or value > high:
            raise argparse.ArgumentTypeError(f"must be in {low}..{high}, got {safe_text(text)}")
        return value

    parse.__name__ = name  # argparse names the type in its message
    return parse


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def memory_size(text: str) -> int:
    """Bytes from ``8G``, ``500M``, ``1.5GiB``, ``64k`` or a plain number of bytes (binary units)."""
    from .spec import safe_text

    m = _SIZE.match(text) if len(text) < 40 else None
    if not m:
        raise argparse.ArgumentTypeError(f"not a memory size: {safe_text(text)} (write e.g. 8G or 500M)")
    value = int(float(m.group(1)) * _UNITS[m.group(2).upper()])
    if value < 1 << 20:
        raise argparse.ArgumentTypeError(f"must be at least 1M, got {safe_text(text)}")
    return value


def default_max_memory():
    """80 % of the memory available when the command starts (MemAvailable on Linux): room for
    the system and for the Graphviz runs after exploring. None where it cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 * 8 // 10
    except (OSError, ValueError, IndexError):
        pass
    return None


def _statm(field: int) -> int:
    """This process's address space (field 0) or resident memory (field 1), in bytes (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[field]) * os.sysconf("SC_PAGE_SIZE")


class MemoryGuard:
    """Keeps one run within ``max_memory`` bytes of growth until the engine takes ``max_memory``
    itself (run.ENGINE_HAS_MAX_MEMORY; then run_spec passes it on and this does nothing).

    - A watch, given to the engine as its progress callback (so looked at about once a second):
      once resident memory has grown by ``max_memory`` it stops the exploration the way Ctrl-C
      does (the engine catches KeyboardInterrupt), so the run ends cleanly with what it found;
      ``mark`` then names the stop "memory limit".
    - A backstop for growth faster than the watch: RLIMIT_AS at 1.25 * ``max_memory`` + 256 MiB
      more address space; an allocation past it raises MemoryError, which run_spec turns into
      an incomplete run (what was found is then lost).
    Nothing is enforced where /proc or RLIMIT_AS is missing.
    """

    def __init__(self, max_memory, progress):
        from .run import ENGINE_HAS_MAX_MEMORY

        self.max_memory = None if ENGINE_HAS_MAX_MEMORY else max_memory
        self.progress = progress
        self.hit = False
        self._rss_limit = None
        self._restore = None

    def __enter__(self):
        if self.max_memory is None:
            return self
        try:
            import resource

            self._rss_limit = _statm(1) + self.max_memory
            soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            limit = _statm(0) + self.max_memory * 5 // 4 + (256 << 20)
            resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
            self._restore = (soft, hard)
        except (ImportError, OSError, ValueError):
            pass
        return self

    def __exit__(self, *exc):
        if self._restore is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, self._restore)
            self._restore = None
        return False

    def __call__(self, p):
        if self._rss_limit is not None and not self.hit and _statm(1) > self._rss_limit:
            self.hit = True
            raise KeyboardInterrupt
        self.progress(p)

    def mark(self, run) -> None:
        """Name a run stopped by the watch for what it was."""
        from .run import MEMORY_LIMIT

        if self.hit and run.result.stats.stop_reason == "interrupted":
            run.result.stats = dataclasses.replace(run.result.stats, stop_reason=MEMORY_LIMIT)


def _bytes(n) -> str:
    return f"{n / (1 << 30):.1f} GiB" if n >= 1 << 30 else f"{n / (1 << 20):.0f} MiB"


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error in one line (the message names the option and the value)."""

    def error(self, message):
        from .spec import safe_text

        self.exit(EXIT_USAGE, f"{self.prog}: error: {safe_text(message, 300)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tcpmodel",
        description="Explicit-state model checker for TCP connection management (RFC 9293).",
        epilog=EXIT_CODES_HELP,
    )
    parser.add_argument("--version", action="version", version=f"tcpmodel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("check", help="check specs: verdict tables, counterexamples, reports under out/",
                       description="Check every spec given (files, folders of *.toml, or built-in spec names).",
                       epilog=EXIT_CODES_HELP)
    c.add_argument("paths", nargs="*", metavar="SPEC|DIR|NAME",
                   help="spec files, folders or built-in spec names (default: ./specs, else the built-in catalogue)")
    c.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    c.add_argument("--out", default="out", metavar="DIR", help="where reports and diagrams go (default: out)")
    c.add_argument("--no-write", action="store_true", help="write nothing under --out")
    c.add_argument("--witnesses", action="store_true", help="also print the steps of each witness")
    c.add_argument("--max-states", type=_limit_type("max_states", int), metavar="N",
                   help="stop each run after N distinct states (the run is incomplete: exit 3)")
    c.add_argument("--max-seconds", type=_limit_type("max_seconds", float), metavar="S",
                   help="stop each run after S seconds (the run is incomplete: exit 3)")
    c.add_argument("--max-memory", type=memory_size, metavar="SIZE",
                   help="stop a run that grows by more than SIZE, e.g. 8G or 500M (default: 80%% of the "
                        "memory available at start); the run is incomplete: exit 3")
    c.add_argument("--store", choices=("exact", "fingerprint"), default="exact",
                   help="visited store: exact states (default) or 64-bit fingerprints (the collision "
                        "probability is reported; no full state graph is drawn). Where the model's keys fit in "
                        "64 bits (the TCP model's usually do) exact is as small and faster; fingerprints save "
                        "memory only where they do not, or with step properties")
    c.add_argument("--processes", type=int, choices=(1, 2), default=None,
                   help="1: explore in one process; 2: a second process expands states while the first "
                        "stores them and checks the properties, once a run passes 131,072 states (the same "
                        "results; 1.4-1.6x faster on a large check of an invariant where measured). "
                        "Default: 2 where fork exists and two CPUs are free")
    c.add_argument("--simulate", type=_limit_type("max_states", int), metavar="WALKS",
                   help="random simulation instead of exhaustive checking: WALKS seeded walks per spec; "
                        "finds violations, never proves a property (exit 1 only on a contradicted expectation)")
    c.add_argument("--seed", type=int, default=0, help="seed of the simulation's walks (default: 0)")
    c.add_argument("--depth", type=_limit_type("max_states", int), default=100, metavar="N",
                   help="steps per simulation walk (default: 100)")
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
                                   "ranges A..B; axes not given stay at the spec's value; no axis at all: the spec's [sweep]) and find, per "
                                   "property, the smallest fault budget or retries, or the largest TIME-WAIT, "
                                   "that breaks it. Tables and a plot go to DIR/sweep/<spec>/. Exit 0, 2 on "
                                   "a bad spec or usage, 3 when interrupted.")
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
    w.add_argument("--max-seconds", type=_limit_type("max_seconds", float), metavar="S",
                   help="limit per point (default: the spec's, else 60); a point stopped is unknown")
    w.add_argument("--max-states", type=_limit_type("max_states", int), metavar="N",
                   help="limit per point in distinct states")

    d = sub.add_parser("diagram", help="write the documentation diagrams (state diagrams, canonical ladders) to OUT/docs",
                       description="Check the canonical specs (canonical_*.toml: in-order network, a fault only where "
                                   "it is the point) and draw their canonical runs, every segment taking one tick "
                                   "(three-way handshake, four-step close with TIME-WAIT, simultaneous open and close, "
                                   "the lost last ACK), and the state diagrams laid out like RFC 9293 Figure 5.")
    d.add_argument("--specs", metavar="DIR", help="folder with the canonical specs (default: ./specs if it has them, else the built-in catalogue)")
    d.add_argument("--out", default="out", metavar="DIR", help="output folder; diagrams go to DIR/docs (default: out)")
    add_specs_command(sub)
    _add_explore_parser(sub)
    return parser


# ---------------------------------------------------------------------- check
class _ProgressLine:
    """A one-line progress display on stderr, shown once a run has taken a second: which spec,
    how far, and the limits that will stop it."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.shown = 0  # length of the line on screen
        self.label = ""

    def start(self, name: str, max_states=None, max_seconds=None, max_memory=None):
        from .spec import safe_text

        limits = [f"{max_states:,} states" if max_states else "",
                  f"{max_seconds:g} s" if max_seconds else "",
                  _bytes(max_memory) if max_memory else ""]
        limits = ", ".join(x for x in limits if x) or "none"
        self.label = f"{safe_text(name, 60)} (limits: {limits})"

    def __call__(self, p):
        if not self.enabled:
            return
        line = (f"  {self.label}: {p.states:,} states, {p.transitions:,} transitions, queue {p.queue:,}, "
                f"depth {p.depth}, {p.states_per_second:,.0f} states/s, {p.seconds:.1f} s")
        sys.stderr.write("\r" + line + " " * max(0, self.shown - len(line)))
        sys.stderr.flush()
        self.shown = len(line)

    def done(self):
        if self.shown:
            sys.stderr.write("\r" + " " * self.shown + "\r")
            sys.stderr.flush()
        self.shown = 0


def _row_mark(run, status, ok) -> str:
    if status == "unknown":  # never "NOT AS EXPECTED": nothing was decided
        return f"unknown (run incomplete: {run.result.stats.stop_reason or 'stopped'})"
    return "ok" if ok else "NOT AS EXPECTED"


def _print_run(run, witnesses: bool):
    from .spec import DESCRIPTION_LIMIT, EXPLAIN_LIMIT, safe_text

    spec, stats = run.spec, run.result.stats
    print(f"{safe_text(str(spec.path), None)} — variant {spec.config.label}")
    if spec.description:
        print(f"  {safe_text(spec.description, DESCRIPTION_LIMIT)}")
    width = max(len(name) for name in spec.expect) + 2
    print(f"  {'property':<{width}}{'verdict':<11}{'expected':<11}")
    for name, status, expected, ok in run.rows():
        kind = " (witness)" if run.result.verdicts[name].is_witness else ""
        print(f"  {name:<{width}}{status:<11}{expected:<11}{_row_mark(run, status, ok)}{kind}")
    rate = stats.states_per_second
    complete = "complete" if stats.complete else f"INCOMPLETE ({stats.stop_reason})"
    print(f"  {stats.states:,} distinct states, {stats.transitions:,} transitions, depth {stats.depth}, "
          f"{stats.seconds:.2f} s ({rate:,.0f} states/s), {complete}")
    if stats.store == "fingerprint":
        # TLC's "optimistic" estimate: that some state was missed because two fingerprints met.
        print(f"  fingerprint store: collision probability {stats.collision_probability:.1e}")
    _print_counts(run)
    for name, v in run.result.verdicts.items():
        if v.trace is None or (v.is_witness and not witnesses):
            continue
        print()
        for line in run.trace_text(name, indent="  "):
            print(safe_text(line, None))
    print()


def _warn(message: str) -> None:
    from .spec import safe_text

    print(f"tcpmodel: warning: {safe_text(message, 300)}", file=sys.stderr)


def _warn_if_huge(spec, max_states) -> None:
    """One line before a run that is certain to be huge (spec.estimate_states, an under-estimate)."""
    from .spec import HUGE_STATES, estimate_states

    estimate = estimate_states(spec.config)
    if estimate >= HUGE_STATES and (max_states is None or max_states > HUGE_STATES):
        shown = f"{estimate:,.0f}" if estimate < 1e15 else f"{estimate:.1e}"
        _warn(f"{spec.path}: expect at least ~{shown} states (delays, fault budgets, incarnations and data make the "
              f"state space grow geometrically); this run may exhaust time or memory: consider --max-states")


def exit_code(runs, replay_failures: int = 0, interrupted: bool = False) -> int:
    """The exit code of checking ``runs`` (bad input never gets this far: 2 is raised earlier):
    1 when a decided verdict is not as expected or a counterexample did not replay, else 3 when
    a verdict is unknown or specs were left unrun by an interrupt, else 0."""
    if replay_failures or any(run.not_as_expected for run in runs):
        return EXIT_UNEXPECTED
    if interrupted or any(run.undecided for run in runs):
        return EXIT_INCOMPLETE
    return EXIT_OK


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
        print(f"{spec.path} — variant {spec.config.label} — simulation, seed {args.seed}")
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
    from .library import resolve_all
    from .run import run_spec
    from .spec import load_all, safe_text

    check_format_flags(args)
    paths, note = resolve_all(args.paths)
    if note and not args.json:
        print(note)
    specs = load_all(paths)  # every spec is checked before any run or any write
    if args.simulate is not None:
        return _simulate_specs(args, specs)
    if not args.no_write:
        from .render.outputs import check_out_dir

        check_out_dir(args.out)  # an unusable --out stops the command before any run
    max_memory = args.max_memory if args.max_memory is not None else default_max_memory()
    progress = _ProgressLine(enabled=not args.json and sys.stderr.isatty())
    runs, replay_failures = [], []
    interrupted_at = None
    started = time.perf_counter()
    for spec in specs:
        max_states = args.max_states if args.max_states is not None else spec.max_states
        max_seconds = args.max_seconds if args.max_seconds is not None else spec.max_seconds
        try:
            _warn_if_huge(spec, max_states)
            progress.start(str(spec.path), max_states, max_seconds, max_memory)
            with MemoryGuard(max_memory, progress) as guard:
                run = run_spec(spec, progress=guard, keep_graph=not args.no_write or args.graphml is not None,
                               max_states=max_states, max_seconds=max_seconds, max_memory=max_memory,
                               store=args.store, processes=args.processes)
            guard.mark(run)
            progress.done()
            runs.append(run)
            if not args.json:
                _print_run(run, args.witnesses)
        except KeyboardInterrupt:  # Ctrl-C (or SIGTERM) outside the exploration: this run is lost
            progress.done()
            interrupted_at = spec
            break
        except ReplayError as exc:
            progress.done()
            replay_failures.append(spec)
            print(f"tcpmodel: error: {safe_text(str(spec.path), None)}: the model is not deterministic, a "
                  f"counterexample did not replay (a bug in tcpmodel, not in the spec): {safe_text(exc, 300)}",
                  file=sys.stderr)
            continue
        if run.result.stats.stop_reason == "interrupted":  # one Ctrl-C ends the whole command
            interrupted_at = spec
            break
    interrupted = interrupted_at is not None
    code = exit_code(runs, len(replay_failures), interrupted)
    written, sweep_notes = None, []
    if not args.no_write and runs and not interrupted:
        from .frontier import check_sweeps
        from .render import write_outputs
        from .render.outputs import write_linked_pages

        # Steps that write pages out/index.html links to (docs/, explain/, sweep/) go first:
        # write_outputs writes the index last, linking whatever of them it finds.
        sweep_notes, frontier = check_sweeps(args.out, specs)  # the specs' [sweep]s, the TIME-WAIT frontier page
        # A folder of specs (the main job) also gets the lessons and the documentation diagrams;
        # checking single files writes just their reports (lessons take seconds to compute).
        linked_notes = []
        if any(p.is_dir() for p in paths):
            linked_notes = write_linked_pages(args.out, runs, frontier=frontier)
        written = write_outputs(args.out, runs)
        written.notes[:0] = linked_notes
    exported = write_formats(args, runs)
    if args.json:
        from .formats import check_document

        doc = check_document(runs, time.perf_counter() - started, exit_code=code,
                             interrupted=interrupted)  # validated against its schema
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        total = time.perf_counter() - started
        wrong = [f"{safe_text(r.spec.name)}.{name}" for r in runs for name in r.not_as_expected]
        wrong += [f"{safe_text(s.name)} (does not replay)" for s in replay_failures]
        unknown = [f"{safe_text(r.spec.name)} ({r.result.stats.stop_reason})" for r in runs if r.undecided]
        parts = []
        if wrong:
            parts.append(f"NOT as expected: {', '.join(wrong)}")
        if unknown:
            parts.append(f"incomplete, verdicts unknown: {', '.join(unknown)}")
        if interrupted:
            parts.append(f"interrupted during {safe_text(str(interrupted_at.path), None)}: "
                         f"{len(runs)} of {len(specs)} spec(s) checked, nothing written")
        print(f"{len(runs)} spec(s), {sum(r.result.stats.states for r in runs):,} states in {total:.1f} s: "
              + ("; ".join(parts) if parts else "every verdict as expected"))
        if written is not None:
            for line in written.notes:
                print(line)
            print(f"reports written under {safe_text(str(written.root), None)}/ "
                  f"(open {safe_text(str(written.index), None)})")
        for line in sweep_notes:
            print(line)
        for line in exported:
            print(line)
    return code


# ---------------------------------------------------------------------- explain
def cmd_explain(args) -> int:
    from .explain import explain

    if not args.no_write:
        from .render.outputs import check_out_dir

        check_out_dir(args.out)

    from .tcp.text import display_width, words

    w = words(args.lang)
    lesson = explain(args.topic, args.lang)
    if args.json:
        return _explain_json(args, lesson)
    print(lesson.title)
    print("=" * display_width(lesson.title))  # a CJK character takes two columns
    for paragraph in lesson.paragraphs:
        print(f"\n{paragraph}")
    for part in lesson.parts:  # the time-wait lesson has one part per reason
        for label, steps in zip(lesson.labels, (part.variant_steps, part.real_steps)):
            print(f"\n{part.heading + w['sep'] if len(lesson.parts) > 1 else ''}{label}{w['colon'].rstrip()}")
            for i, step in enumerate(steps, 1):
                mark = "  <--" if i == part.decisive_step and (steps is part.variant_steps or i <= part.replayed) else ""
                print(f"  {i:>3}. {step}{mark}")
    if not args.no_write:
        written = _write_lesson(args, lesson)
        for line in written.notes:
            print(line)
        print(f"\n{w['written']}{w['colon']}{written.index}")
    return EXIT_OK


# ---------------------------------------------------------------------- sweep
def cmd_sweep(args) -> int:
    from .library import resolve
    from .spec import load
    from .sweep import DEFAULT_MAX_SECONDS, Axis, sweep

    spec = load(resolve(args.spec))
    given = (("loss", args.loss), ("dup", args.dup), ("time_wait", args.time_wait),
             ("retries", args.retries), ("rto", args.rto), ("channel", args.channel),
             ("lifetime", args.lifetime))
    axes = [Axis.parse(name, text) for name, text in given if text is not None]
    if not axes and spec.sweep is not None:  # no axis given: the sweep the spec declares ([sweep])
        from .frontier import apply_declared

        axes = apply_declared(spec, args)
    if not args.no_write:
        from .render.outputs import check_out_dir

        check_out_dir(args.out)
    tty = not args.json and sys.stderr.isatty()
    progress = _ProgressLine(enabled=tty)
    limits = (args.max_states or spec.max_states, args.max_seconds or spec.max_seconds or DEFAULT_MAX_SECONDS)
    progress.start(f"{args.spec}, point 1/{math.prod(len(a.values) for a in axes)}", *limits)

    def on_point(i, n, point):
        progress.done()
        progress.start(f"{args.spec}, point {i + 2}/{n}", *limits)
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


DOC_SPECS = ("canonical_fifo.toml", "canonical_simultaneous.toml", "canonical_lost_ack.toml")


def cmd_diagram(args) -> int:
    from pathlib import Path

    from .render.canonical import write_canonical_docs
    from .run import run_spec
    from .spec import load_all

    from .render.outputs import check_out_dir

    folder = args.specs
    if folder is None:
        from .library import catalogue_dir

        local = Path("specs")
        folder = local if all((local / name).is_file() for name in DOC_SPECS) else catalogue_dir()
    specs = load_all([str(Path(folder) / name) for name in DOC_SPECS])
    check_out_dir(args.out)
    runs = [run_spec(spec, keep_graph=True) for spec in specs]
    written = write_canonical_docs(Path(args.out) / "docs", runs)
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


def _write_lesson(args, lesson):
    """Write a lesson's page; the time-wait page ends with the TIME-WAIT frontier, computed
    from the built-in specs' declared sweeps."""
    from .render import write_lesson
    from .render.frontier import lesson_sections

    frontier = None
    if lesson.topic == "time-wait":
        from .frontier import catalogue_frontier

        frontier = catalogue_frontier()
    return write_lesson(args.out, lesson, extra_sections=lesson_sections(lesson.topic, lesson.lang, frontier))


def _explain_json(args, lesson) -> int:
    from .formats import explain_document

    doc = explain_document(lesson)  # validated against its schema
    if not args.no_write:
        doc["written"] = str(_write_lesson(args, lesson).index)
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




# ---------------------------------------------------------------------- explore
def _add_explore_parser(sub):
    x = sub.add_parser("explore", help="play a spec step by step in the browser (local web app, or --static FILE)",
                       description="Start a local web app on 127.0.0.1 (a free port unless --port) to play a spec: "
                                   "choose each next action, including losses and duplicates, go back, open any "
                                   "counterexample or witness and leave it. With --static FILE, write one "
                                   "self-contained HTML file instead (specs of at most 20,000 reachable states).")
    x.add_argument("spec", nargs="?", metavar="SPEC", help="a spec file or a spec name in --specs (default: rfc9293)")
    x.add_argument("--specs", metavar="DIR",
                   help="the folder of specs the page offers (default: ./specs if there is one, else the built-in catalogue)")
    x.add_argument("--port", type=int, metavar="N",
                   help="port on 127.0.0.1 (default: 8742, the one report and lesson pages link to, or a free "
                        "one if it is taken; 0: a free one)")
    x.add_argument("--no-browser", action="store_true", help="do not open a browser")
    x.add_argument("--static", metavar="FILE", help="write a self-contained HTML file for SPEC and exit")


def cmd_explore(args) -> int:
    from pathlib import Path

    from .explorer import Catalogue, ExplorerServer, write_static

    if args.specs is None:
        from .library import catalogue_dir

        args.specs = "specs" if Path("specs").is_dir() else str(catalogue_dir())
    given = Path(args.spec) if args.spec else None
    is_file = given is not None and (given.suffix == ".toml" or given.exists())
    catalogue = Catalogue(args.specs, files=[given] if is_file else [])
    names = catalogue.names()
    name = (given.stem if is_file else args.spec) or ("rfc9293" if "rfc9293" in names else (names or [""])[0])
    if not name:
        raise TcpModelError(f"{args.specs}: holds no *.toml spec; name a spec file")
    if args.static:
        written = write_static(catalogue.session(name), args.static)
        print(f"wrote {written['path']} ({written['bytes']:,} bytes): {name}, open it in any browser")
        return EXIT_OK
    if args.port is None:
        from .render.common import EXPLORER_PORT

        try:
            server = ExplorerServer(catalogue, default_spec=name, port=EXPLORER_PORT)
        except OSError:  # taken: any free port (the pages' links then need the printed address)
            server = ExplorerServer(catalogue, default_spec=name, port=0)
    else:
        if not 0 <= args.port <= 65535:
            raise TcpModelError(f"--port {args.port}: must be from 0 to 65535")
        server = ExplorerServer(catalogue, default_spec=name, port=args.port)

    def stop_on_term(signum, frame):  # a service manager's stop: the same clean end as Ctrl-C
        raise KeyboardInterrupt

    import signal

    signal.signal(signal.SIGTERM, stop_on_term)
    print(f"tcpmodel explorer: {server.url}?spec={name}  (Ctrl-C stops it)", flush=True)
    if not args.no_browser:
        import webbrowser

        webbrowser.open(f"{server.url}?spec={name}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("tcpmodel explorer: stopped")
    finally:
        server.stop()
    return EXIT_OK


COMMANDS = {"check": cmd_check, "explain": cmd_explain, "sweep": cmd_sweep, "diagram": cmd_diagram,
            "specs": cmd_specs, "explore": cmd_explore}


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # SIGTERM stops a run exactly as Ctrl-C does: cleanly, as incomplete


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
        previous = signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:  # not the main thread (main() called from a library user's thread)
        previous = None
    try:
        return COMMANDS[args.command](args)
    except ReplayError as exc:
        print(f"tcpmodel: error: the model is not deterministic, a counterexample did not replay "
              f"(a bug in tcpmodel, not in the spec): {_safe(exc)}", file=sys.stderr)
        return EXIT_UNEXPECTED
    except TcpModelError as exc:
        print(f"tcpmodel: error: {_safe(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("tcpmodel: interrupted (incomplete)", file=sys.stderr)
        return EXIT_INCOMPLETE
    except MemoryError:
        print("tcpmodel: out of memory (incomplete); give a smaller --max-memory or --max-states", file=sys.stderr)
        return EXIT_INCOMPLETE
    except BrokenPipeError:  # the reader went away (e.g. `| head`): nothing more to say
        sys.stderr.close()
        return EXIT_OK
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _safe(exc) -> str:
    from .spec import safe_text

    return safe_text(str(exc), 2000)


if __name__ == "__main__":
    sys.exit(main())
