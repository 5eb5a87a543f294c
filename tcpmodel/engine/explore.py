"""Breadth-first exhaustive exploration with exact counts and shortest counterexamples.

States get integer ids in discovery order; ``states[id]`` is both the id-to-state map and the
BFS queue, ``parent[id]`` the id of the state that discovered it. Actions are not stored for
safety traces: a path of ids is replayed through the model, which recovers the actions and
re-checks every step (a model that does not replay is not deterministic). When liveness is
checked or the graph is kept, every transition is stored in compressed rows (CSR): for state
``i`` its successors are ``targets[offsets[i]:offsets[i+1]]`` with actions ``action_ids``.

The two inner loops below are the hot path: no per-state allocation beyond the model's own,
no logging, locals bound once.
"""

from __future__ import annotations

import resource
import sys
import time
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from ..errors import ModelDefinitionError, ReplayError
from . import liveness
from .model import format_action_of, is_terminal_of
from .properties import ALWAYS, DEADLOCK, LEADS_TO, SOMETIMES, SOMETIMES_STEP, STEP, Property
from .result import HOLDS, UNKNOWN, VIOLATED, Result, Stats, Trace, Verdict

CHUNK = 1024  # states expanded between two looks at the clock, the limits and progress


@dataclass(frozen=True)
class Progress:
    """What a progress callback is given: counts so far and the current rate."""

    states: int
    transitions: int
    queue: int
    depth: int
    seconds: float
    states_per_second: float


class Graph:
    """The explored graph: states by id, BFS parents, levels and (optionally) every transition."""

    def __init__(self, states, parent, level_starts, n_init, offsets=None, targets=None, action_ids=None, actions=None):
        self.states = states
        self.parent = parent
        self.level_starts = level_starts
        self.n_init = n_init
        self.offsets = offsets
        self.targets = targets
        self.action_ids = action_ids
        self.actions = actions

    def __len__(self):
        return len(self.states)

    def depth_of(self, i: int) -> int:
        return bisect_right(self.level_starts, i) - 1

    def path_to(self, i: int):
        """Ids of a shortest path from an initial state to state ``i``."""
        path = []
        parent = self.parent
        while i >= 0:
            path.append(i)
            i = parent[i]
        path.reverse()
        return path

    def edges_of(self, i: int):
        """``(edge index, target id)`` for each stored transition out of state ``i``."""
        lo, hi = self.offsets[i], self.offsets[i + 1]
        return [(e, self.targets[e]) for e in range(lo, hi)]

    def to_networkx(self):
        import networkx as nx

        g = nx.MultiDiGraph()
        for i, s in enumerate(self.states):
            g.add_node(i, state=s, initial=i < self.n_init)
        offsets, targets, aids, actions = self.offsets, self.targets, self.action_ids, self.actions
        for i in range(len(self.states)):
            for e in range(offsets[i], offsets[i + 1]):
                g.add_edge(i, targets[e], action=actions[aids[e]])
        return g


def _peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _validate(properties: Sequence[Property]):
    names = set()
    for p in properties:
        if not isinstance(p, Property):
            raise ModelDefinitionError(f"not a property: {p!r} (build one with Always, Step, Sometimes, ...)")
        if p.name in names:
            raise ModelDefinitionError(f"two properties are named {p.name!r}; names must be unique")
        names.add(p.name)


def check(
    model,
    properties: Sequence[Property] = (),
    *,
    max_states: Optional[int] = None,
    max_seconds: Optional[float] = None,
    progress: Optional[Callable[[Progress], None]] = None,
    progress_interval: float = 1.0,
    keep_graph: bool = False,
) -> Result:
    """Explore every reachable state of ``model`` breadth-first and decide ``properties``.

    Stops cleanly (the result marked incomplete, verdicts not yet decided ``unknown``) on
    ``max_states`` distinct states, ``max_seconds`` of exploration, or Ctrl-C. ``progress`` is
    called about every ``progress_interval`` seconds with a :class:`Progress`.
    """
    properties = tuple(properties)
    _validate(properties)
    init = list(model.init_states())
    if not init:
        raise ModelDefinitionError("the model has no initial state")
    successors = model.successors
    is_terminal = is_terminal_of(model)
    live_props = [p for p in properties if p.kind == LEADS_TO]
    keep_edges = keep_graph or bool(live_props)

    index = {}  # the visited set: state -> id (_loop_plain stores None: it reads only membership)
    states = []
    parent = array("q")
    for s in init:
        if s not in index:
            index[s] = len(states)
            states.append(s)
            parent.append(-1)
    n_init = len(states)

    # found[name] = ("state", id) | ("step", id, action, next_state)
    found = {}
    inv = tuple((p.name, p.predicate) for p in properties if p.kind == ALWAYS)
    wit = tuple((p.name, p.predicate) for p in properties if p.kind == SOMETIMES)
    for i, s in enumerate(states):
        for name, pred in inv:
            if name not in found and not pred(s):
                found[name] = ("state", i)
        for name, pred in wit:
            if name not in found and pred(s):
                found[name] = ("state", i)
    inv = tuple(x for x in inv if x[0] not in found)
    wit = tuple(x for x in wit if x[0] not in found)
    steps = tuple((p.name, p.predicate) for p in properties if p.kind == STEP)
    wsteps = tuple((p.name, p.predicate) for p in properties if p.kind == SOMETIMES_STEP)
    deadlock_name = next((p.name for p in properties if p.kind == DEADLOCK), None)

    loop = _loop_full if (keep_edges or steps or wsteps) else _loop_plain
    ctx = _Context(index, states, parent, successors, is_terminal, found, inv, wit, steps, wsteps, deadlock_name, keep_edges)
    started = time.perf_counter()
    stop_reason = ""
    try:
        stop_reason = loop(ctx, max_states, max_seconds, progress, progress_interval, started)
    except KeyboardInterrupt:
        stop_reason = "interrupted"
    explore_seconds = time.perf_counter() - started
    ctx.make_consistent()
    complete = not stop_reason
    graph = Graph(states, parent, ctx.level_starts, n_init, ctx.offsets, ctx.targets, ctx.action_ids, ctx.actions)

    verdicts = {}
    replayer = _Replayer(model, graph)
    for p in properties:
        verdicts[p.name] = _safety_verdict(p, found.get(p.name), complete, replayer) if p.kind != LEADS_TO else None
    live_started = time.perf_counter()
    for p in live_props:
        if not complete:
            verdicts[p.name] = Verdict(p.name, p.kind, UNKNOWN, None, p.description)
            continue
        found_lasso = liveness.find_violation(graph, p)
        if found_lasso is None:
            verdicts[p.name] = Verdict(p.name, p.kind, HOLDS, None, p.description)
        else:
            trace = replayer.lasso(p, *found_lasso)
            verdicts[p.name] = Verdict(p.name, p.kind, VIOLATED, trace, p.description)
    live_seconds = time.perf_counter() - live_started

    depth = graph.depth_of(len(states) - 1)
    stats = Stats(
        states=len(states),
        transitions=ctx.transitions,
        depth=depth,
        seconds=explore_seconds + live_seconds,
        liveness_seconds=live_seconds,
        peak_rss_bytes=_peak_rss_bytes(),
        complete=complete,
        stop_reason=stop_reason,
    )
    return Result(verdicts, stats, graph if keep_graph else None)


class _Context:
    """Exploration state shared by the loop and the code after it (not a hot object)."""

    def __init__(self, index, states, parent, successors, is_terminal, found, inv, wit, steps, wsteps, deadlock_name, keep_edges):
        self.index = index
        self.states = states
        self.parent = parent
        self.successors = successors
        self.is_terminal = is_terminal
        self.found = found
        self.inv = inv
        self.wit = wit
        self.steps = steps
        self.wsteps = wsteps
        self.deadlock_name = deadlock_name
        self.transitions = 0
        self.level_starts = [0]
        self.offsets = array("q", [0]) if keep_edges else None
        self.targets = array("q") if keep_edges else None
        self.action_ids = array("l") if keep_edges else None
        self.actions = [] if keep_edges else None
        self.action_index = {} if keep_edges else None
        self.expanded = 0

    def make_consistent(self):
        """After an interrupt, drop a state whose bookkeeping was cut half-way."""
        n = len(self.parent)
        del self.states[n:]
        # A search stopped early may know states of a level it has not begun to expand: that
        # level starts at the first state discovered by the last level begun (parents only grow).
        start = bisect_left(self.parent, self.level_starts[-1])
        if start < n:
            self.level_starts.append(start)
        if self.offsets is not None:
            # Only states expanded completely keep their edges; the rest look like dead ends
            # but liveness is not decided on an incomplete graph anyway.
            del self.offsets[self.expanded + 1:]
            del self.targets[self.offsets[-1]:]
            del self.action_ids[self.offsets[-1]:]
            while len(self.offsets) < n + 1:
                self.offsets.append(self.offsets[-1])


def _between_chunks(ctx, n, sid, level_end, max_states, max_seconds, progress, interval, started, last):
    """Limits and progress, looked at once per chunk. Returns (stop reason, last report time)."""
    now = time.perf_counter()
    elapsed = now - started
    if sid < n:  # a limit stops only a search with work left: a finished one is complete
        if max_states is not None and n >= max_states:
            return "state limit", last
        if max_seconds is not None and elapsed >= max_seconds:
            return "time limit", last
    if progress is not None and now - last >= interval:
        depth = len(ctx.level_starts) - 1
        progress(Progress(n, ctx.transitions, n - sid, depth, elapsed, n / elapsed if elapsed > 0 else 0.0))
        last = now
    return "", last


def _loop_plain(ctx, max_states, max_seconds, progress, interval, started):
    """BFS storing no transitions: invariants, state witnesses and deadlock only."""
    index = ctx.index
    states = ctx.states
    parent_append = ctx.parent.append
    states_append = states.append
    successors = ctx.successors
    is_terminal = ctx.is_terminal
    found = ctx.found
    inv, wit = ctx.inv, ctx.wit
    # A guard instead of looping over (usually empty) property tuples for every new state: an
    # empty loop still allocates an iterator, about as costly as the rest of the bookkeeping.
    checks = bool(inv or wit)
    deadlock_name = ctx.deadlock_name if ctx.deadlock_name not in found else None
    level_starts = ctx.level_starts
    transitions = 0
    n = len(states)
    sid = 0
    level_end = n
    last = started
    while sid < n:
        if sid == level_end:
            level_starts.append(sid)
            level_end = n
        stop = min(level_end, sid + CHUNK)
        for sid in range(sid, stop):
            succs = successors(states[sid])
            transitions += len(succs)
            if not succs and deadlock_name is not None and not is_terminal(states[sid]):
                found[deadlock_name] = ("state", sid)
                deadlock_name = None
            for _action, t in succs:
                if t not in index:
                    # Only membership is read here, so no id is stored: a shared constant
                    # instead of a fresh int object per state saves 32 bytes a state and
                    # the cache misses of writing them (_loop_full needs the ids).
                    index[t] = None
                    states_append(t)
                    parent_append(sid)
                    if checks:
                        if inv:
                            for name, pred in inv:
                                if not pred(t):
                                    found[name] = ("state", n)
                                    inv = tuple(x for x in inv if x[0] != name)
                                    checks = bool(inv or wit)
                        if wit:
                            for name, pred in wit:
                                if pred(t):
                                    found[name] = ("state", n)
                                    wit = tuple(x for x in wit if x[0] != name)
                                    checks = bool(inv or wit)
                    n += 1
        sid = stop
        ctx.transitions = transitions
        ctx.expanded = stop
        reason, last = _between_chunks(ctx, n, sid, level_end, max_states, max_seconds, progress, interval, started, last)
        if reason:
            return reason
    return ""


def _loop_full(ctx, max_states, max_seconds, progress, interval, started):
    """BFS that also checks step properties and/or stores every transition (CSR)."""
    index = ctx.index
    # One dict operation per transition: setdefault(t, n) returns n exactly when t is new
    # (every stored id is smaller than n); get-then-store would hash a new t twice.
    index_setdefault = index.setdefault
    states = ctx.states
    parent_append = ctx.parent.append
    states_append = states.append
    successors = ctx.successors
    is_terminal = ctx.is_terminal
    found = ctx.found
    inv, wit, steps, wsteps = ctx.inv, ctx.wit, ctx.steps, ctx.wsteps
    # Guards instead of loops over (usually empty) property tuples, as in _loop_plain; the
    # step ones are tested on every transition.
    checks = bool(inv or wit)
    step_checks = bool(steps or wsteps)
    deadlock_name = ctx.deadlock_name if ctx.deadlock_name not in found else None
    level_starts = ctx.level_starts
    keep = ctx.offsets is not None
    if keep:
        offsets_append = ctx.offsets.append
        # Edges go to lists first and into the arrays once per chunk: array.append parses
        # its argument on every call and costs about twice a list.append; fromlist converts
        # a chunk in one C loop. Interrupt-safe: make_consistent keeps only the edges of the
        # chunks flushed before ctx.expanded was moved past them.
        targets_fromlist = ctx.targets.fromlist
        aids_fromlist = ctx.action_ids.fromlist
        tbuf = []
        abuf = []
        targets_append = tbuf.append
        aids_append = abuf.append
        action_index = ctx.action_index
        action_get = action_index.get
        actions_append = ctx.actions.append
    transitions = 0
    n = len(states)
    sid = 0
    level_end = n
    last = started
    while sid < n:
        if sid == level_end:
            level_starts.append(sid)
            level_end = n
        stop = min(level_end, sid + CHUNK)
        for sid in range(sid, stop):
            s = states[sid]
            succs = successors(s)
            transitions += len(succs)
            if not succs and deadlock_name is not None and not is_terminal(s):
                found[deadlock_name] = ("state", sid)
                deadlock_name = None
            for action, t in succs:
                j = index_setdefault(t, n)
                if j == n:
                    states_append(t)
                    parent_append(sid)
                    if checks:
                        if inv:
                            for name, pred in inv:
                                if not pred(t):
                                    found[name] = ("state", n)
                                    inv = tuple(x for x in inv if x[0] != name)
                                    checks = bool(inv or wit)
                        if wit:
                            for name, pred in wit:
                                if pred(t):
                                    found[name] = ("state", n)
                                    wit = tuple(x for x in wit if x[0] != name)
                                    checks = bool(inv or wit)
                    n += 1
                if step_checks:
                    if steps:
                        for name, pred in steps:
                            if not pred(s, action, t):
                                found[name] = ("step", sid, action, t)
                                steps = tuple(x for x in steps if x[0] != name)
                                step_checks = bool(steps or wsteps)
                    if wsteps:
                        for name, pred in wsteps:
                            if pred(s, action, t):
                                found[name] = ("step", sid, action, t)
                                wsteps = tuple(x for x in wsteps if x[0] != name)
                                step_checks = bool(steps or wsteps)
                if keep:
                    targets_append(j)
                    a = action_get(action)
                    if a is None:
                        a = action_index[action] = len(action_index)
                        actions_append(action)
                    aids_append(a)
            if keep:
                offsets_append(transitions)  # every transition is stored: the running count
        if keep:
            targets_fromlist(tbuf)
            del tbuf[:]
            aids_fromlist(abuf)
            del abuf[:]
        sid = stop
        ctx.transitions = transitions
        ctx.expanded = stop
        reason, last = _between_chunks(ctx, n, sid, level_end, max_states, max_seconds, progress, interval, started, last)
        if reason:
            return reason
    return ""


class _Replayer:
    """Turns paths of ids into traces by replaying them through the model, and re-checks them."""

    def __init__(self, model, graph: Graph):
        self.model = model
        self.graph = graph
        self.init = list(model.init_states())
        self.fmt = format_action_of(model)

    def _step(self, state, want_state, want_action=None, any_action=False):
        for action, t in self.model.successors(state):
            if t == want_state and (any_action or action == want_action):
                return action
        what = "a step" if any_action else f"the step {self.fmt(want_action)}"
        raise ReplayError(f"replaying a counterexample: {what} to the recorded next state is not among the model's successors; successors must be deterministic")

    def path(self, ids) -> Trace:
        states = self.graph.states
        first = states[ids[0]]
        if first not in self.init:
            raise ReplayError("replaying a counterexample: its first state is not an initial state")
        seq = [first]
        acts = []
        for u, v in zip(ids, ids[1:]):
            acts.append(self._step(states[u], states[v], any_action=True))
            seq.append(states[v])
        return Trace(tuple(seq), tuple(acts))

    def extend(self, trace: Trace, action, next_state) -> Trace:
        self._step(trace.states[-1], next_state, action)
        return Trace(trace.states + (next_state,), trace.actions + (action,))

    def lasso(self, prop: Property, ids, cycle_edges, dead_end: bool) -> Trace:
        """Build and re-check a liveness counterexample: ``ids`` is the prefix, then the cycle."""
        g = self.graph
        trace = self.path(ids)
        seq, acts = list(trace.states), list(trace.actions)
        loop_start = None if dead_end else len(acts)
        for e in cycle_edges:
            action, t = g.actions[g.action_ids[e]], g.states[g.targets[e]]
            self._step(seq[-1], t, action)
            seq.append(t)
            acts.append(action)
        lasso = Trace(tuple(seq), tuple(acts), loop_start, dead_end)
        liveness.recheck(self.model, prop, lasso)
        return lasso


def _safety_verdict(p: Property, hit, complete: bool, replayer: _Replayer) -> Verdict:
    if hit is None:
        if p.kind in (SOMETIMES, SOMETIMES_STEP):
            status = VIOLATED if complete else UNKNOWN
        else:
            status = HOLDS if complete else UNKNOWN
        return Verdict(p.name, p.kind, status, None, p.description)
    trace = replayer.path(replayer.graph.path_to(hit[1]))
    if hit[0] == "step":
        trace = replayer.extend(trace, hit[2], hit[3])
    _recheck_safety(replayer.model, p, trace)
    status = HOLDS if p.kind in (SOMETIMES, SOMETIMES_STEP) else VIOLATED
    return Verdict(p.name, p.kind, status, trace, p.description)


def _recheck_safety(model, p: Property, trace: Trace):
    last = trace.states[-1]
    if p.kind == ALWAYS:
        ok = not p.predicate(last)
    elif p.kind == SOMETIMES:
        ok = bool(p.predicate(last))
    elif p.kind == STEP:
        ok = not p.predicate(trace.states[-2], trace.actions[-1], last)
    elif p.kind == SOMETIMES_STEP:
        ok = bool(p.predicate(trace.states[-2], trace.actions[-1], last))
    else:  # deadlock
        ok = not model.successors(last) and not is_terminal_of(model)(last)
    if not ok:
        raise ReplayError(f"property {p.name!r}: the replayed counterexample does not show what was found; the property's predicate is not deterministic")
