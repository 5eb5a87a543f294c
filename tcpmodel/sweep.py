"""Parameter sweeps: one spec checked at every point of a grid of parameter values (no printing).

A sweep takes a spec's configuration and properties and varies some parameters over inclusive
integer ranges (and the channel over a list); the points are the cartesian product of the
axes, every other parameter stays at the spec's value (the variant and its switches too). Each point is checked by the engine
with its own time budget, so a point that is too large comes out ``unknown`` instead of
holding up the sweep.

For each property and each numeric axis the sweep finds the *frontier*, with the other axes
fixed: for a fault budget (``loss``, ``dup``) or ``max_retries`` the smallest value that
breaks the property; for ``time_wait`` (or ``rto``) the largest value that breaks it. ``None``
when nothing in the range breaks it.

    from tcpmodel.spec import load
    from tcpmodel.sweep import Axis, sweep
    result = sweep(load("specs/short_time_wait.toml"), [Axis.range("time_wait", 1, 4)])
    result.status("no_stale_delivery", time_wait=3)   # "holds"
    result.frontier("no_stale_delivery", "time_wait")  # 1
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .engine import UNKNOWN, VIOLATED
from .errors import TcpModelError
from .run import check_property_names, run_spec
from .spec import Spec, bounds, safe_value
from .tcp import TcpConfig
from .tcp.config import CHANNELS, LIFETIMES

DEFAULT_MAX_SECONDS = 60.0

# axis name -> (TcpConfig field, smallest allowed value or None for a list axis, frontier direction)
#   "smallest": the smallest value that breaks a property; "largest": the largest one.
#   The allowed values are those of spec files (spec.bounds: one table for both).
AXES = {
    "loss": ("loss", bounds("loss")[0], "smallest"),
    "dup": ("dup", bounds("dup")[0], "smallest"),
    "time_wait": ("time_wait", bounds("time_wait")[0], "largest"),
    "retries": ("max_retries", bounds("max_retries")[0], "smallest"),
    "rto": ("rto", bounds("rto")[0], "largest"),
    "channel": ("channel", None, None),
    "lifetime": ("lifetime", None, None),
}
# The values a non-numeric axis may take.
_CHOICES = {"channel": CHANNELS, "lifetime": LIFETIMES}
AXIS_ORDER = tuple(AXES)


_RANGE = re.compile(r"^\s*(-?\d{1,12})\s*(?:\.\.\s*(-?\d{1,12})\s*)?$")


@dataclass(frozen=True)
class Axis:
    """One swept parameter and its values, in sweep order."""

    name: str
    values: Tuple

    def __post_init__(self):
        if self.name not in AXES:
            raise TcpModelError(f"unknown sweep axis {self.name!r}; allowed: {', '.join(AXES)}")
        values = tuple(self.values)
        if not values:
            raise TcpModelError(f"sweep axis {self.name} has no values")
        if len(set(values)) != len(values):
            raise TcpModelError(f"sweep axis {self.name} repeats a value: {values}")
        minimum = AXES[self.name][1]
        if minimum is None:
            for v in values:
                if v not in _CHOICES[self.name]:
                    raise TcpModelError(f"unknown {self.name} {safe_value(v)} for --{self.name}; allowed: {', '.join(_CHOICES[self.name])}")
        else:
            maximum = bounds(AXES[self.name][0])[1]
            for v in values:
                if not isinstance(v, int) or isinstance(v, bool) or not minimum <= v <= maximum:
                    raise TcpModelError(f"{self.name} values must be integers of at least {minimum} and at most {maximum}, "
                                       f"got {safe_value(v)}")
        object.__setattr__(self, "values", values)

    @property
    def field(self) -> str:
        """The TcpConfig field this axis sets."""
        return AXES[self.name][0]

    @property
    def numeric(self) -> bool:
        return AXES[self.name][1] is not None

    @property
    def direction(self) -> Optional[str]:
        """``smallest`` or ``largest`` (which breaking value is the frontier); None for channel."""
        return AXES[self.name][2]

    @classmethod
    def range(cls, name: str, low: int, high: int) -> "Axis":
        if high < low:
            raise TcpModelError(f"empty range for {name}: {low}..{high} (write the smaller value first)")
        if name in AXES and AXES[name][1] is not None:  # check the ends before building the range
            for end in (low, high):
                cls(name, (end,))
        return cls(name, tuple(range(low, high + 1)))

    @classmethod
    def parse(cls, name: str, text: str) -> "Axis":
        """``"A..B"`` (inclusive) or ``"A"`` for a numeric axis; ``"bag,fifo"`` for the channel."""
        if name not in AXES:
            raise TcpModelError(f"unknown sweep axis {name!r}; allowed: {', '.join(AXES)}")
        if AXES[name][1] is None:
            values = tuple(v.strip() for v in text.split(","))
            if any(not v for v in values):
                raise TcpModelError(f"bad --{name} {safe_value(text)}: write a comma-separated list such as bag,fifo")
            return cls(name, values)
        m = _RANGE.match(text)
        if not m:
            raise TcpModelError(f"bad --{name.replace('_', '-')} {safe_value(text)}: write an inclusive range A..B such as 0..2, or one value")
        low = int(m.group(1))
        high = int(m.group(2)) if m.group(2) is not None else low
        return cls.range(name, low, high)


def config_at(base: TcpConfig, coords: Sequence[Tuple[str, object]]) -> TcpConfig:
    """The configuration at one sweep point: ``base`` with the axes' values set.

    TIME-WAIT's length is a plain parameter of every variant that has TIME-WAIT.
    """
    changes = {AXES[name][0]: value for name, value in coords}
    if "time_wait" in changes and "no_time_wait" in base.active_switches:
        raise TcpModelError("variant no_time_wait has no TIME-WAIT state: sweeping time_wait means nothing")
    return base.replace(**changes)


@dataclass(frozen=True)
class Point:
    """One checked point of a sweep."""

    coords: Tuple[Tuple[str, object], ...]  # (axis name, value) in the sweep's axis order
    config: TcpConfig
    verdicts: Dict[str, str]                # property -> holds | violated | unknown
    states: int
    transitions: int
    depth: int
    seconds: float
    complete: bool
    stop_reason: str = ""
    # property -> the point's counterexample (a Trace, a lasso for liveness) for each violated
    # property that has one: the sweep's page links each violated cell to its ladder.
    traces: Dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def value(self, axis: str):
        return dict(self.coords)[axis]


@dataclass(frozen=True)
class Frontier:
    """Where one property starts to break along one numeric axis, the other axes fixed.

    ``value`` is the smallest (fault budgets, retries) or largest (time_wait, rto) value at which the
    property is violated, None when it is violated nowhere on the line. ``certain`` is False
    when an ``unknown`` point could still move it: one scanned before ``value``, or any at all
    when ``value`` is None. ``at_range_end`` is True when ``value`` is the range's last value
    for a "largest" frontier, or its first value (above the parameter's minimum) for a
    "smallest" one: the true frontier may then lie outside the range.
    """

    property: str
    axis: str
    fixed: Tuple[Tuple[str, object], ...]  # the other axes' values
    direction: str                         # "smallest" | "largest"
    value: Optional[int]
    certain: bool = True
    at_range_end: bool = False


@dataclass(frozen=True)
class SweepResult:
    """Every point of a sweep, in sweep order (the last axis varies fastest), and the frontiers."""

    spec_name: str
    base: TcpConfig
    axes: Tuple[Axis, ...]
    properties: Tuple[str, ...]
    points: Tuple[Point, ...]
    frontiers: Tuple[Frontier, ...]
    max_seconds: Optional[float] = None
    max_states: Optional[int] = None

    @property
    def seconds(self) -> float:
        return sum(p.seconds for p in self.points)

    @property
    def complete(self) -> bool:
        return all(p.complete for p in self.points)

    @property
    def two_msl(self) -> int:
        return 2 * self.base.msl

    def point(self, **coords) -> Point:
        """The point with these axis values (every swept axis must be named)."""
        want = tuple((a.name, coords[a.name]) for a in self.axes if a.name in coords)
        if len(want) != len(self.axes) or len(coords) != len(self.axes):
            raise KeyError(f"name every swept axis: {[a.name for a in self.axes]}")
        for p in self.points:
            if p.coords == want:
                return p
        raise KeyError(f"no sweep point {coords}")

    def status(self, prop: str, **coords) -> str:
        return self.point(**coords).verdicts[prop]

    def line(self, prop: str, axis: str, **fixed) -> List[Tuple[object, str]]:
        """(axis value, status) along ``axis`` with the other axes at ``fixed``."""
        return [(v, self.status(prop, **{**fixed, axis: v})) for v in self.axis(axis).values]

    def frontier(self, prop: str, axis: str, **fixed) -> Optional[int]:
        """The frontier value of ``prop`` along ``axis``, the other axes at ``fixed``."""
        return self.frontier_of(prop, axis, **fixed).value

    def frontier_of(self, prop: str, axis: str, **fixed) -> Frontier:
        want = tuple((a.name, fixed[a.name]) for a in self.axes if a.name != axis and a.name in fixed)
        if len(want) != len(fixed):
            raise KeyError(f"unknown axes in {fixed}")
        for f in self.frontiers:
            if f.property == prop and f.axis == axis and f.fixed == want:
                return f
        raise KeyError(f"no frontier for {prop} along {axis} at {fixed}")

    def axis(self, name: str) -> Axis:
        """The swept axis called ``name``."""
        for a in self.axes:
            if a.name == name:
                return a
        raise KeyError(f"{name} is not a swept axis: {[a.name for a in self.axes]}")


def _frontier_on_line(prop: str, axis: Axis, fixed, statuses: Sequence[str]) -> Frontier:
    """Scan one line (statuses in the axis's value order) for the frontier."""
    order = list(zip(axis.values, statuses))
    if axis.direction == "largest":
        order.reverse()
    seen_unknown = False
    for k, (value, status) in enumerate(order):
        if status == VIOLATED:
            at_end = k == 0 and (axis.direction == "largest" or value > AXES[axis.name][1])
            return Frontier(prop, axis.name, fixed, axis.direction, value, certain=not seen_unknown,
                            at_range_end=at_end)
        if status == UNKNOWN:
            seen_unknown = True
    return Frontier(prop, axis.name, fixed, axis.direction, None, certain=not seen_unknown)


def frontiers(axes: Sequence[Axis], properties: Sequence[str], points: Sequence[Point]) -> Tuple[Frontier, ...]:
    """Every frontier: per property, per numeric axis, per combination of the other axes."""
    by_coords = {p.coords: p for p in points}
    names = [a.name for a in axes]
    out = []
    for prop in properties:
        for axis in axes:
            if not axis.numeric:
                continue
            others = [a for a in axes if a.name != axis.name]
            for combo in itertools.product(*(a.values for a in others)):
                fixed = tuple(zip((a.name for a in others), combo))
                statuses = []
                for v in axis.values:
                    coord = dict(fixed)
                    coord[axis.name] = v
                    statuses.append(by_coords[tuple((n, coord[n]) for n in names)].verdicts[prop])
                out.append(_frontier_on_line(prop, axis, fixed, statuses))
    return tuple(out)


def check_properties(spec: Spec, names: Optional[Sequence[str]]) -> Tuple[str, ...]:
    """The properties to sweep: ``names`` (each in the catalogue), or the spec's [expect] ones."""
    return check_property_names(names) if names else tuple(spec.expect)


def sweep(spec: Spec, axes: Sequence[Axis], properties: Optional[Sequence[str]] = None, *,
          max_seconds: Optional[float] = None, max_states: Optional[int] = None,
          on_point: Optional[Callable[[int, int, Point], None]] = None,
          progress: Optional[Callable] = None) -> SweepResult:
    """Check ``spec`` at every point of the grid spanned by ``axes``.

    ``properties`` defaults to those in the spec's [expect]. ``max_seconds`` bounds each point
    (default: the spec's limit, else 60 s), ``max_states`` too (default: the spec's limit).
    ``on_point(i, n, point)`` is called after each of the ``n`` points; ``progress`` is passed
    to the engine. Ctrl-C during a point stops the whole sweep (KeyboardInterrupt).
    """
    axes = tuple(axes)
    if not axes:
        raise TcpModelError("nothing to sweep: give at least one axis ("
                            + ", ".join("--" + name.replace("_", "-") for name in AXES) + ")")
    seen = set()
    for a in axes:
        if a.name in seen:
            raise TcpModelError(f"sweep axis {a.name} given twice")
        seen.add(a.name)
    axes = tuple(sorted(axes, key=lambda a: AXIS_ORDER.index(a.name)))
    props = check_properties(spec, properties)
    if max_seconds is None:
        max_seconds = spec.max_seconds if spec.max_seconds is not None else DEFAULT_MAX_SECONDS
    if max_states is None:
        max_states = spec.max_states
    if max_seconds is not None and max_seconds <= 0:
        raise TcpModelError(f"max_seconds must be positive, got {max_seconds}")
    if max_states is not None and max_states < 1:
        raise TcpModelError(f"max_states must be at least 1, got {max_states}")

    grid = [tuple(zip((a.name for a in axes), combo)) for combo in itertools.product(*(a.values for a in axes))]
    configs = [config_at(spec.config, coords) for coords in grid]  # every bad point fails before any run
    points = []
    for i, (coords, config) in enumerate(zip(grid, configs)):
        started = time.perf_counter()
        result = run_spec(spec, properties=props, config=config, max_seconds=max_seconds, max_states=max_states,
                          progress=progress).result
        stats = result.stats
        if stats.stop_reason == "interrupted":  # Ctrl-C stops the sweep, not only this point
            raise KeyboardInterrupt
        point = Point(
            coords=coords,
            config=config,
            verdicts={name: result.verdicts[name].status for name in props},
            states=stats.states,
            transitions=stats.transitions,
            depth=stats.depth,
            seconds=time.perf_counter() - started,
            complete=stats.complete,
            stop_reason=stats.stop_reason,
            traces={name: result.verdicts[name].trace for name in props
                    if result.verdicts[name].status == VIOLATED and result.verdicts[name].trace is not None},
        )
        points.append(point)
        if on_point is not None:
            on_point(i, len(grid), point)
    return SweepResult(
        spec_name=spec.name,
        base=spec.config,
        axes=axes,
        properties=props,
        points=tuple(points),
        frontiers=frontiers(axes, props, points),
        max_seconds=max_seconds,
        max_states=max_states,
    )


def sweep_to_dict(result: SweepResult) -> dict:
    """The sweep as plain data, deterministic (no seconds: the JSON document keeps them apart,
    tcpmodel.formats.sweep_document)."""
    points = []
    for p in result.points:
        d = {
            "coords": {name: value for name, value in p.coords},
            "variant": p.config.variant,
            "verdicts": dict(p.verdicts),
            "states": p.states,
            "transitions": p.transitions,
            "depth": p.depth,
            "complete": p.complete,
            "stop_reason": p.stop_reason,
        }
        points.append(d)
    out = {
        "spec": result.spec_name,
        "variant": result.base.variant,
        "switches": list(result.base.switches),
        "msl": result.base.msl,
        "two_msl": result.two_msl,
        "axes": {a.name: list(a.values) for a in result.axes},
        "properties": list(result.properties),
        "max_seconds_per_point": result.max_seconds,
        "max_states_per_point": result.max_states,
        "complete": result.complete,
        "points": points,
        "frontiers": [
            {
                "property": f.property,
                "axis": f.axis,
                "fixed": {name: value for name, value in f.fixed},
                "direction": f.direction,
                "value": f.value,
                "certain": f.certain,
                "at_range_end": f.at_range_end,
            }
            for f in result.frontiers
        ],
    }
    return out
