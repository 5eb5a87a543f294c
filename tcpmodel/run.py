"""The one path from a spec to a result: spec -> TCP model -> engine -> a :class:`SpecRun`.

``check``, ``sweep``, ``explain`` (and the explorer) all call :func:`run_spec`; nothing else
builds models or calls the engine. No printing here: a run is data, and its text (verdict
rows, trace lines) is given as strings for the CLI, the reports and notebooks to show.

    from tcpmodel import run_spec, loads
    run = run_spec(loads('variant = "three_step_close"\\n[expect]\\nclose_delivers_all = "violated"'))
    run.as_expected, run.verdict("close_delivers_all").status
"""

from __future__ import annotations

import html
import inspect
import time
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from .engine import UNKNOWN, Result, Stats, Verdict, check, simulate
from .errors import TcpModelError
from .spec import COUNTS, Spec
from .tcp import CATALOGUE, TcpConfig, TcpModel, build


@dataclass
class SpecRun:
    """One spec checked: the spec, its model, the engine's result, and what was expected.

    ``expect`` and ``expected_counts`` are the spec's own when the spec ran as written, and
    empty when :func:`run_spec` changed its configuration (a sweep point, the real protocol
    beside a variant): the spec's expectations are about the spec, not about the change.
    """

    spec: Spec
    model: TcpModel
    result: Result
    expect: Optional[Dict[str, str]] = None           # default: the spec's [expect]
    expected_counts: Optional[Dict[str, int]] = None  # default: the spec's [counts]

    def __post_init__(self):
        if self.expect is None:
            self.expect = dict(self.spec.expect)
        if self.expected_counts is None:
            self.expected_counts = dict(self.spec.counts)

    # ------------------------------------------------------------------ verdicts
    def verdict(self, name: str) -> Verdict:
        return self.result.verdicts[name]

    @property
    def verdicts(self) -> Dict[str, str]:
        """property -> holds | violated | unknown, in the order checked."""
        return {name: v.status for name, v in self.result.verdicts.items()}

    def rows(self) -> Iterator[Tuple[str, str, Optional[str], Optional[bool]]]:
        """(property, verdict status, expected or None, as expected or None) in the order checked."""
        for name, v in self.result.verdicts.items():
            expected = self.expect.get(name)
            yield name, v.status, expected, None if expected is None else v.status == expected

    @property
    def counts(self) -> Dict[str, int]:
        """The run's exact counts, keyed as in a spec's ``[counts]`` table."""
        stats = self.result.stats
        return {"states": stats.states, "transitions": stats.transitions, "depth": stats.depth}

    def count_rows(self) -> Iterator[Tuple[str, int, int, Optional[bool]]]:
        """(count name, got, expected, as expected) for each count the spec expects. ``None``
        for "as expected" when the run stopped early: its counts say nothing then."""
        got = self.counts
        for name in COUNTS:
            if name in self.expected_counts:
                ok = got[name] == self.expected_counts[name] if self.result.stats.complete else None
                yield name, got[name], self.expected_counts[name], ok

    def unexpected(self) -> List[str]:
        """What is not as expected: property names, and ``counts.<name>`` for counts."""
        bad = [name for name, _, _, ok in self.rows() if ok is False]
        bad += [f"counts.{name}" for name, _, _, ok in self.count_rows() if ok is False]
        return bad

    @property
    def as_expected(self) -> bool:
        """Every expected verdict and every expected count as the spec says."""
        return not self.unexpected()

    # ------------------------------------------------------------------ traces as text
    def step_lines(self, name: str, lang: str = "en") -> List[str]:
        """The steps of a property's trace, one line each, numbered from 1."""
        trace = self.result.verdicts[name].trace
        if trace is None:
            return []
        return [f"{i + 1}. {self.model.describe(s, a, t, lang)}" for i, s, a, t in trace.steps()]

    def trace_text(self, name: str, indent: str = "") -> List[str]:
        """A property's trace as the CLI and the reports print it: a head line (what it is,
        how many steps), the spec's explanation if any, the steps, and how the run ends.
        The one trace printer: everything that shows a trace as text uses it."""
        v = self.result.verdicts[name]
        trace = v.trace
        if trace is None:
            return []
        what = "witness" if v.is_witness else ("lasso" if trace.is_lasso else "counterexample")
        lines = [f"{indent}{name}: {what}, {len(trace)} steps"]
        if self.spec.explain.get(name):
            lines.append(f"{indent}  why: {self.spec.explain[name]}")
        for i, s, a, t in trace.steps():
            loop = "  ↻ cycle starts here" if trace.loop_start == i else ""
            lines.append(f"{indent}  {i + 1:>3}. {self.model.describe(s, a, t)}{loop}")
        if trace.is_lasso:
            lines.append(f"{indent}       … and the cycle from step {trace.loop_start + 1} repeats forever")
        elif trace.dead_end and not v.is_witness:
            lines.append(f"{indent}       … and the run can go no further")
        return lines

    # ------------------------------------------------------------------ notebooks
    def _repr_html_(self) -> str:
        """The verdict table and counts, for Jupyter."""
        stats = self.result.stats
        cells = []
        for name, status, expected, ok in self.rows():
            mark = "" if ok is None else ("ok" if ok else "NOT AS EXPECTED")
            cells.append(f"<tr><td>{html.escape(name)}</td><td>{status}</td><td>{expected or ''}</td><td>{mark}</td></tr>")
        for name, got, expected, ok in self.count_rows():
            mark = "not compared (incomplete run)" if ok is None else ("ok" if ok else "NOT AS EXPECTED")
            cells.append(f"<tr><td><i>{name}</i></td><td>{got:,}</td><td>{expected:,}</td><td>{mark}</td></tr>")
        complete = "complete" if stats.complete else f"incomplete ({html.escape(stats.stop_reason)})"
        return (f"<div class='tcpmodel-run'><b>{html.escape(self.spec.name)}</b> — variant "
                f"{html.escape(self.spec.config.label)}<br><i>{html.escape(self.spec.description)}</i>"
                "<table><tr><th>property</th><th>verdict</th><th>expected</th><th></th></tr>"
                + "".join(cells) + "</table>"
                f"{stats.states:,} distinct states, {stats.transitions:,} transitions, depth {stats.depth}, "
                f"{complete}</div>")

    def trace(self, name: str) -> "TraceView":
        """A property's trace as a notebook object (a table of steps); its ladder diagram is
        ``tcpmodel.render.notebook.ladder_view(run, name)``."""
        if name not in self.result.verdicts:
            raise TcpModelError(f"{self.spec.name}: {name!r} was not checked; checked: {', '.join(self.result.verdicts)}")
        if self.result.verdicts[name].trace is None:
            raise TcpModelError(f"{self.spec.name}: {name} has no trace (verdict {self.result.verdicts[name].status})")
        return TraceView(self, name)

    @property
    def not_as_expected(self) -> List[str]:
        """Properties whose verdict was decided and is not the one expected, and counts
        (``counts.<name>``) of a complete run that differ from the spec's."""
        bad = [name for name, status, _, ok in self.rows() if ok is False and status != UNKNOWN]
        return bad + [f"counts.{name}" for name, _, _, ok in self.count_rows() if ok is False]

    @property
    def undecided(self) -> List[str]:
        """Properties left ``unknown`` because the run stopped early."""
        return [name for name, status, *_ in self.rows() if status == UNKNOWN]


# The engine stops at ``max_memory`` bytes once it takes the keyword; until then cli.py bounds
# the address space and the MemoryError that follows ends the run as incomplete.
ENGINE_HAS_MAX_MEMORY = "max_memory" in inspect.signature(check).parameters
MEMORY_LIMIT = "memory limit"


@dataclass(frozen=True)
class TraceView:
    """One trace of a run, shown in a notebook as a table of its steps."""

    run: SpecRun
    name: str

    @property
    def lines(self) -> List[str]:
        return self.run.trace_text(self.name)

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def _repr_html_(self) -> str:
        trace = self.run.result.verdicts[self.name].trace
        rows = "".join(f"<tr><td>{i + 1}</td><td>{html.escape(self.run.model.describe(s, a, t))}</td></tr>"
                       for i, s, a, t in trace.steps())
        head = html.escape(self.lines[0])
        return f"<div class='tcpmodel-trace'><b>{head}</b><table>{rows}</table></div>"


def check_property_names(names: Sequence[str]) -> Tuple[str, ...]:
    """Property names to check, each in the catalogue, first occurrence kept."""
    out = []
    for name in names:
        if name not in CATALOGUE:
            raise TcpModelError(f"unknown property {name!r}; allowed: {', '.join(CATALOGUE)}")
        if name not in out:
            out.append(name)
    return tuple(out)


def build_model(spec: Spec, *, properties: Optional[Sequence[str]] = None,
                config: Optional[TcpConfig] = None) -> Tuple[TcpModel, list]:
    """The TCP model of ``spec`` (or of ``config`` instead) and its properties (the spec's
    ``[expect]`` ones, or ``properties`` instead) built for the engine, not checked: what
    :func:`run_spec` checks, and what the explorer steps through one action at a time."""
    props = tuple(spec.expect) if properties is None else check_property_names(properties)
    return TcpModel(spec.config if config is None else config), build(props)


def run_spec(spec: Spec, *, properties: Optional[Sequence[str]] = None, config: Optional[TcpConfig] = None,
             progress: Optional[Callable] = None, keep_graph: bool = False,
             max_states: Optional[int] = None, max_seconds: Optional[float] = None,
             max_memory: Optional[int] = None, store: str = "exact", processes: Optional[int] = None) -> SpecRun:
    """Check ``spec``: its configuration (or ``config`` instead), its ``[expect]`` properties
    (or ``properties`` instead), within its limits (or ``max_states`` / ``max_seconds``).

    ``store`` is the engine's visited store: "exact" or "fingerprint" (64-bit fingerprints,
    far less memory, the collision probability reported; no graph is kept: ``keep_graph`` is
    ignored).

    ``max_memory`` (bytes) stops the run cleanly, incomplete, when the process grows past it.
    ``processes``: the engine's (1; 2 to expand states in a second process; None, 2 where a
    second core is free). The results are the same either way.
    ``progress`` is the engine's progress callback; ``keep_graph`` keeps the reachable graph
    (for diagrams and GraphML).
    """
    props = tuple(spec.expect) if properties is None else check_property_names(properties)
    if not props:
        raise TcpModelError(f"{spec.name}: no property to check")
    model, built = build_model(spec, properties=props, config=config)
    limits = dict(
        max_states=max_states if max_states is not None else spec.max_states,
        max_seconds=max_seconds if max_seconds is not None else spec.max_seconds,
        progress=progress,
        keep_graph=keep_graph and store == "exact",
        store=store,
        processes=processes,
    )
    if max_memory is not None and ENGINE_HAS_MAX_MEMORY:
        limits["max_memory"] = max_memory
    started = time.perf_counter()
    try:
        result = check(model, built, **limits)
    except MemoryError:
        # What the engine had found is lost with its frames; every verdict is unknown.
        stats = Stats(0, 0, 0, time.perf_counter() - started, 0.0, 0, False, MEMORY_LIMIT)
        result = Result({p.name: Verdict(p.name, p.kind, UNKNOWN, None, p.description) for p in built}, stats)
    as_written = config is None or config == spec.config
    return SpecRun(spec, model, result,
                   expect=dict(spec.expect) if as_written else {},
                   expected_counts=dict(spec.counts) if as_written else {})


def simulate_spec(spec: Spec, walks: int, max_depth: int, seed: int,
                  max_seconds: Optional[float] = None) -> SpecRun:
    """Seeded random walks instead of exhaustive exploration (the result's mode says so)."""
    model = TcpModel(spec.config)
    result = simulate(model, build(spec.properties), walks=walks, max_depth=max_depth, seed=seed,
                      max_seconds=max_seconds if max_seconds is not None else spec.max_seconds)
    return SpecRun(spec, model, result)
