"""Why TIME-WAIT lasts 2*MSL, exactly: the frontier computed from the specs' declared sweeps.

RFC 9293 §3.6.1 keeps a closed connection in TIME-WAIT for 2*MSL for two reasons (issue 11,
point 2): (a) the last ACK may be lost, and the peer's retransmitted FIN must still find a
connection that ACKs it (graceful_end), and (b) old duplicates of the connection must die out
before its 4-tuple is reused (no_stale_delivery). A spec declares, in its ``[sweep]`` table, the
grid around it (TIME-WAIT x tie rule x RTO); this module runs those sweeps through
:func:`tcpmodel.sweep.sweep` and reads from the points the smallest TIME-WAIT at which each
reason's property holds there and at every larger TIME-WAIT swept. Every number comes from a
run or from a spec's configuration; nothing here states a result.

    from tcpmodel.spec import load_all
    from tcpmodel.frontier import run_declared_sweeps, time_wait_frontier
    sweeps = run_declared_sweeps(load_all(["specs"]))
    f = time_wait_frontier(sweeps)
    f.value("lost_ack", "half_open", rto=2)     # 4 (= ACK delay 1 + RTO 2 + FIN delay 1)

A point stopped by a limit (``unknown``) is undecided: it never counts as holding, and a
frontier that depends on it is ``None`` with the outcome ``undecided``. A ``violated`` verdict
is the engine's, always with a counterexample replayed from the model, also on a point that
stopped later on a limit.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from dataclasses import dataclass, field, replace
from typing import Callable, List, Optional, Sequence, Tuple

from .engine import HOLDS, UNKNOWN, VIOLATED
from .run import run_spec
from .spec import Spec, bounds
from .sweep import Axis, SweepResult, config_at, sweep
from .tcp import actions

# Each reason for TIME-WAIT and the property that says it is served.
REASONS = {
    "lost_ack": "graceful_end",            # the retransmitted FIN after a lost last ACK is ACKed
    "old_duplicates": "no_stale_delivery",  # no old segment is accepted by the next connection
}
# How a frontier line ended: a value; no value because the largest TIME-WAIT swept does not
# hold; no value because an undecided point could move it.
FOUND, NONE, UNDECIDED = "found", "none", "undecided"


# ------------------------------------------------------------------ running the declared sweeps
def declared_axes(spec: Spec) -> List[Axis]:
    """The axes of ``spec``'s [sweep] table as tcpmodel.sweep axes (spec.py checked the values)."""
    if spec.sweep is None:
        return []
    return [Axis(name, values) for name, values in spec.sweep.axes]


def run_declared(spec: Spec, *, on_point: Optional[Callable] = None, progress: Optional[Callable] = None) -> SweepResult:
    """Run the sweep ``spec`` declares, with its per-point limits (default: the spec's [limits])."""
    plan = spec.sweep
    if plan is None:
        raise ValueError(f"{spec.name} declares no [sweep]")
    return sweep(spec, declared_axes(spec), plan.properties or None,  # None: the spec's [limits], else sweep's
                 max_seconds=plan.max_seconds, max_states=plan.max_states, on_point=on_point, progress=progress)


def apply_declared(spec: Spec, args) -> List[Axis]:
    """``tcpmodel sweep SPEC`` with no axis: the declared axes, and the declared properties and
    per-point limits where the command line gives none (``args`` as the sweep command parses)."""
    plan = spec.sweep
    args.properties = args.properties or list(plan.properties) or None
    args.max_states = args.max_states or plan.max_states
    args.max_seconds = args.max_seconds or plan.max_seconds
    return declared_axes(spec)


@dataclass(frozen=True)
class DeclaredSweep:
    """One spec's declared sweep, run."""

    spec: Spec
    result: SweepResult


def run_declared_sweeps(specs: Sequence[Spec], *, on_point: Optional[Callable] = None) -> Tuple[DeclaredSweep, ...]:
    """Every declared sweep of ``specs``, in their order (specs without [sweep] are skipped)."""
    return tuple(DeclaredSweep(spec, run_declared(spec, on_point=on_point)) for spec in specs if spec.sweep is not None)


# ------------------------------------------------------------------ the facts
@dataclass(frozen=True)
class DuplicateAge:
    """What the counterexample at the largest failing TIME-WAIT shows of the old segment: how
    old it was when the new connection accepted it, and how long it may live (MSL for a
    duplicate; tcp.tcb.Segment)."""

    time_wait: int
    age: int
    limit: int
    steps: int


@dataclass(frozen=True)
class FrontierLine:
    """One line of a sweep along TIME-WAIT, the other axes fixed, for one reason."""

    reason: str
    property: str
    spec_name: str
    lifetime: str
    rto: int
    msl: int
    max_delay: int
    fixed: Tuple[Tuple[str, object], ...]     # the other swept axes' values
    statuses: Tuple[Tuple[int, str], ...]     # (TIME-WAIT, holds | violated | unknown), ascending
    frontier: Optional[int]                   # smallest TIME-WAIT holding there and above; None: see outcome
    outcome: str                              # FOUND | NONE | UNDECIDED
    below_range: bool = False                 # holds at the smallest swept value, above the least allowed
    duplicate: Optional[DuplicateAge] = None  # old_duplicates only

    @property
    def two_msl(self) -> int:
        return 2 * self.msl

    @property
    def ack_delay(self) -> int:
        """The longest the last ACK may take before it is lost: an original's delay bound."""
        return self.max_delay

    @property
    def fin_delay(self) -> int:
        """The longest the retransmitted FIN may take to arrive: an original's delay bound."""
        return self.max_delay

    @property
    def worst_case(self) -> int:
        """ACK delay + RTO + FIN delay: the latest the retransmitted FIN can reach TIME-WAIT."""
        return self.ack_delay + self.rto + self.fin_delay

    @property
    def equals_two_msl(self) -> bool:
        return self.frontier is not None and self.frontier == self.two_msl

    @property
    def largest_violated(self) -> Optional[int]:
        """The largest TIME-WAIT swept at which the property is violated."""
        bad = [tw for tw, status in self.statuses if status == VIOLATED]
        return bad[-1] if bad else None

    def status(self, time_wait: int) -> str:
        return dict(self.statuses)[time_wait]


@dataclass(frozen=True)
class TimeWaitFrontier:
    """The TIME-WAIT frontier of every reason found in the sweeps, per tie rule and RTO."""

    lines: Tuple[FrontierLine, ...]
    specs: Tuple[str, ...] = field(default=())  # the specs whose sweeps gave the lines

    def lines_of(self, reason: str) -> Tuple[FrontierLine, ...]:
        return tuple(x for x in self.lines if x.reason == reason)

    def line(self, reason: str, lifetime: str, rto: Optional[int] = None) -> FrontierLine:
        """The line of ``reason`` under ``lifetime`` (and ``rto``: needed when several were swept)."""
        found = [x for x in self.lines_of(reason) if x.lifetime == lifetime and (rto is None or x.rto == rto)]
        if len(found) != 1:
            raise KeyError(f"{len(found)} lines for {reason}, {lifetime}, rto {rto}")
        return found[0]

    def value(self, reason: str, lifetime: str, rto: Optional[int] = None) -> Optional[int]:
        return self.line(reason, lifetime, rto).frontier

    def rtos(self, reason: str) -> Tuple[int, ...]:
        return tuple(sorted({x.rto for x in self.lines_of(reason)}))

    def lifetimes(self, reason: str) -> Tuple[str, ...]:
        return tuple(dict.fromkeys(x.lifetime for x in self.lines_of(reason)))

    @property
    def time_waits(self) -> Tuple[int, ...]:
        """Every TIME-WAIT value swept, ascending."""
        return tuple(sorted({tw for x in self.lines for tw, _ in x.statuses}))

    @property
    def msl(self) -> Optional[int]:
        """The MSL of every line (None when the lines' specs differ, or there is no line)."""
        values = {x.msl for x in self.lines}
        return values.pop() if len(values) == 1 else None


def frontier_on_line(statuses: Sequence[Tuple[int, str]]) -> Tuple[Optional[int], str, bool]:
    """(frontier, outcome, below_range) of one line, statuses ascending in TIME-WAIT: the
    smallest value at which the property holds there and at every larger value swept."""
    if not statuses or statuses[-1][1] != HOLDS:
        return None, (UNDECIDED if statuses and statuses[-1][1] == UNKNOWN else NONE), False
    k = len(statuses) - 1
    while k > 0 and statuses[k - 1][1] == HOLDS:
        k -= 1
    if k > 0 and statuses[k - 1][1] == UNKNOWN:  # the true frontier may lie lower
        return None, UNDECIDED, False
    value = statuses[k][0]
    return value, FOUND, k == 0 and value > bounds("time_wait")[0]


def lines_of_sweep(result: SweepResult, reason: str) -> List[FrontierLine]:
    """The frontier lines of ``reason`` in one sweep (none when it does not sweep TIME-WAIT or
    check the reason's property)."""
    prop = REASONS[reason]
    names = [a.name for a in result.axes]
    if "time_wait" not in names or prop not in result.properties:
        return []
    others = [a for a in result.axes if a.name != "time_wait"]
    by_coords = {p.coords: p for p in result.points}
    out = []
    for combo in itertools.product(*(a.values for a in others)):
        fixed = tuple(zip((a.name for a in others), combo))
        points = []
        for tw in sorted(result.axis("time_wait").values):
            coord = dict(fixed, time_wait=tw)
            points.append(by_coords[tuple((n, coord[n]) for n in names)])
        statuses = tuple((p.value("time_wait"), p.verdicts[prop]) for p in points)
        value, outcome, below = frontier_on_line(statuses)
        config = points[0].config
        out.append(FrontierLine(
            reason=reason, property=prop, spec_name=result.spec_name, lifetime=config.lifetime, rto=config.rto,
            msl=config.msl, max_delay=config.max_delay_ticks, fixed=fixed, statuses=statuses,
            frontier=value, outcome=outcome, below_range=below))
    return out


def duplicate_age(spec: Spec, line: FrontierLine, max_states: Optional[int]) -> Optional[DuplicateAge]:
    """The old segment of the counterexample at the largest failing TIME-WAIT of ``line``: its
    age when the next connection accepted it (the last step delivers it) and its lifetime."""
    tw = line.largest_violated
    if tw is None:
        return None
    config = config_at(spec.config, line.fixed + (("time_wait", tw),))  # the sweep's own point
    run = run_spec(spec, properties=[line.property], config=config, max_states=max_states,
                   max_seconds=spec.sweep.max_seconds if spec.sweep else None)
    verdict = run.verdict(line.property)
    if verdict.status != VIOLATED or verdict.trace is None or not verdict.trace.actions:
        return None
    last = verdict.trace.actions[-1]
    segment = actions.segment_of(last)
    if actions.kind(last) != "deliver" or segment is None:
        return None
    return DuplicateAge(time_wait=tw, age=segment.age, limit=segment.limit, steps=len(verdict.trace))


def time_wait_frontier(sweeps: Sequence[DeclaredSweep]) -> TimeWaitFrontier:
    """The frontier facts of every reason, from the declared sweeps that give them."""
    lines, specs = [], []
    for reason in REASONS:
        for declared in sweeps:
            found = lines_of_sweep(declared.result, reason)
            if not found:
                continue
            if reason == "old_duplicates":
                limit = declared.result.max_states
                found = [x if x.outcome == UNDECIDED else
                         _with_duplicate(x, duplicate_age(declared.spec, x, limit)) for x in found]
            lines.extend(found)
            specs.append(declared.spec.name)
            break  # one sweep per reason: the first that gives it
    return TimeWaitFrontier(tuple(lines), tuple(dict.fromkeys(specs)))


def _with_duplicate(line: FrontierLine, age: Optional[DuplicateAge]) -> FrontierLine:
    return replace(line, duplicate=age)


def check_sweeps(out_dir, specs: Sequence[Spec]) -> Tuple[List[str], Optional[TimeWaitFrontier]]:
    """A step of ``tcpmodel check``: run every declared sweep of ``specs``, write each under
    ``out_dir/sweep/<spec>/`` and the TIME-WAIT frontier pages; returns lines for the CLI and
    the frontier (None when no declared sweep gave one), for the time-wait lesson page."""
    from .render.frontier import PAGE_NAME, write_declared

    sweeps = run_declared_sweeps(specs)
    if not sweeps:
        return [], None
    frontier = time_wait_frontier(sweeps)
    notes = write_declared(out_dir, sweeps, frontier)
    points = sum(len(d.result.points) for d in sweeps)
    undecided = sum(1 for d in sweeps for p in d.result.points if UNKNOWN in p.verdicts.values())
    seconds = sum(d.result.seconds for d in sweeps)
    notes.append(f"declared sweeps of {', '.join(d.spec.name for d in sweeps)}: {points} point(s) in {seconds:.1f} s"
                 + (f", {undecided} undecided (stopped by a limit)" if undecided else "")
                 + f", written under {Path(out_dir) / 'sweep'}/")
    if frontier.lines:
        notes.append(f"TIME-WAIT frontier: {Path(out_dir) / 'sweep' / PAGE_NAME.format(lang='en')} (and .zh.html)")
    return notes, (frontier if frontier.lines else None)


def catalogue_frontier() -> TimeWaitFrontier:
    """The frontier from the built-in specs' declared sweeps: what the time-wait lesson page
    shows (``render.frontier.frontier_section_html(catalogue_frontier(), lang)``)."""
    from .library import catalogue_dir
    from .spec import load_all

    return time_wait_frontier(run_declared_sweeps([s for s in load_all([catalogue_dir()]) if s.sweep is not None]))
