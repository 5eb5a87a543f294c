"""What a check returns: verdicts, counterexamples (traces and lassos) and statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

HOLDS = "holds"
VIOLATED = "violated"
UNKNOWN = "unknown"
NOT_FOUND = "not found"  # simulation only: no violation (or witness) met in the walks run


@dataclass(frozen=True)
class Trace:
    """A run of the model: ``states[0]`` is initial, ``actions[i]`` leads ``states[i]`` to ``states[i+1]``.

    A *lasso* has ``loop_start`` set: the last state equals ``states[loop_start]``, and the
    actions from ``loop_start`` on form the cycle that repeats forever. A trace that ends at a
    dead end has ``loop_start`` None and ``dead_end`` True.
    """

    states: Tuple[Any, ...]
    actions: Tuple[Any, ...]
    loop_start: Optional[int] = None
    dead_end: bool = False

    def __post_init__(self):
        if len(self.states) != len(self.actions) + 1:
            raise ValueError("a trace has exactly one more state than actions")

    def __len__(self) -> int:
        """The number of steps (actions)."""
        return len(self.actions)

    @property
    def is_lasso(self) -> bool:
        return self.loop_start is not None

    @property
    def prefix_actions(self) -> Tuple[Any, ...]:
        return self.actions if self.loop_start is None else self.actions[: self.loop_start]

    @property
    def cycle_actions(self) -> Tuple[Any, ...]:
        return () if self.loop_start is None else self.actions[self.loop_start:]

    def steps(self):
        """Yield ``(index, state, action, next_state)`` for each step."""
        for i, action in enumerate(self.actions):
            yield i, self.states[i], action, self.states[i + 1]


@dataclass(frozen=True)
class Verdict:
    """The outcome of one property.

    ``status`` is ``holds``, ``violated`` or ``unknown`` (the exploration stopped early and found
    nothing) -- and, from a simulation only, ``not found``. For ``sometimes`` properties ``holds`` means a witness was found (``trace`` is the
    witness) and ``violated`` means none is reachable. For the others ``trace`` is the
    counterexample. ``step`` is the index of the violating step for step properties.
    """

    name: str
    kind: str
    status: str
    trace: Optional[Trace] = None
    description: str = ""
    note: str = ""  # e.g. "no violation found in 1,000 walks" (simulation)

    @property
    def holds(self) -> Optional[bool]:
        return None if self.status in (UNKNOWN, NOT_FOUND) else self.status == HOLDS

    @property
    def is_witness(self) -> bool:
        return self.kind in ("sometimes", "sometimes_step")


@dataclass(frozen=True)
class Stats:
    """Exact counts (deterministic) and measurements (time, memory; not deterministic)."""

    states: int
    transitions: int
    depth: int
    seconds: float
    liveness_seconds: float
    peak_rss_bytes: int
    complete: bool
    stop_reason: str = ""  # "", "state limit", "time limit", "memory limit", "interrupted", "model error"
    store: str = "exact"  # the visited set: "exact" (states) or "fingerprint" (64-bit fingerprints)
    # TLC's "optimistic" estimate that two distinct states shared a fingerprint (0 when exact).
    collision_probability: float = 0.0
    walks: int = 0  # simulation: the number of random walks run

    @property
    def states_per_second(self) -> float:
        explore = self.seconds - self.liveness_seconds
        return self.states / explore if explore > 0 else float("inf")


@dataclass
class Result:
    """Verdicts in property order, statistics, and (if kept) the reachable graph."""

    verdicts: Dict[str, Verdict]
    stats: Stats
    _graph: Any = field(default=None, repr=False)
    mode: str = "exhaustive"  # or "simulation": then no verdict is "holds" but witnesses met

    def __getitem__(self, name: str) -> Verdict:
        return self.verdicts[name]

    @property
    def complete(self) -> bool:
        return self.stats.complete

    @property
    def state_graph(self):
        """The engine's reachable :class:`~tcpmodel.engine.explore.Graph` (compact arrays), or
        None when the check ran without ``keep_graph=True``. For renderers; see :meth:`graph`."""
        return self._graph

    def graph(self):
        """The reachable graph as a networkx ``MultiDiGraph``.

        Nodes are state indices in discovery (BFS) order with the state as attribute
        ``state``; edges carry ``action``. Only available when the check ran with
        ``keep_graph=True``.
        """
        if self._graph is None:
            from ..errors import TcpModelError

            raise TcpModelError("the reachable graph was not kept: run check(..., keep_graph=True)")
        return self._graph.to_networkx()
