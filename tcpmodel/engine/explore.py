"""Breadth-first exhaustive exploration with exact counts and shortest counterexamples.

States get integer ids in discovery order; ``parent[id]`` is the id of the state that
discovered it. Two stores for the visited set (``check(..., store=...)``):

- ``exact``: a dict keyed by the states themselves; ``states[id]`` is both the id-to-state map
  and the BFS queue.
- ``fingerprint``: a set of 64-bit fingerprints (see :mod:`.fingerprint`) and ``fps[id]``;
  full states are kept only for the BFS level being expanded and the next one (TLC and
  Stateright do the same). A counterexample is rebuilt by replaying the model from an initial
  state, choosing at each step the successor whose fingerprint is the recorded one. For a
  model whose compact view fingerprints a batch at once, the safety-only loop
  (``_loop_batched``) keeps them in a numpy open-addressing table (:mod:`.visited`, 16-32
  bytes a state instead of a Python int in a set).

A model may offer a *compact view* (``model.compact()``, see :func:`compact_of`): the loops
then handle its keys (for the TCP model one int packing interned component ids: cheap to hash
and 32 bytes to store) and decode a key only where a state is shown -- to predicates, in
traces, in the kept graph (:class:`NamedStates`).

A compact view may also be *vectorised* (``space.vector()``, see :func:`vector_of`): it then
expands a whole chunk of keys (a uint64 numpy array) in one call, and :func:`_loop_vector`
looks the successors up in a numpy :class:`.visited.KeyTable` together -- in the exact store
the 64-bit keys themselves (exact, 11-23 bytes a state), in the fingerprint store their
fingerprints. It numbers states, parents, levels and edges exactly as the one-at-a-time loops
do; step properties still run one state at a time (``_loop_full``).

Actions are not stored for safety traces: a path of ids is replayed through the model, which
recovers the actions and re-checks every step (a model that does not replay is not
deterministic). When liveness is checked or the graph is kept, every transition is stored in
compressed rows (CSR): for state ``i`` its successors are ``targets[offsets[i]:offsets[i+1]]``
with actions ``action_ids`` (in the fingerprint store ``targets`` holds fingerprints until
liveness maps them to ids). The fingerprint store keeps no states for liveness to look at
afterwards, so there liveness predicates are evaluated once per state as it is found, into
byte masks.

The inner loops below are the hot path: no per-state allocation beyond the model's own, no
logging, locals bound once, cyclic garbage collection off (states are acyclic; the collector
cost a fifth of the time walking millions of tuples that can never be garbage).
"""

from __future__ import annotations

import gc
import os
import resource
import sys
import time
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from operator import itemgetter
from typing import Callable, Optional, Sequence

from ..errors import ModelDefinitionError, ReplayError, TcpModelError, ViewFull
from .fingerprint import collision_probability, make_fingerprint
from .model import format_action_of, is_terminal_of
from .properties import ALWAYS, DEADLOCK, INITIAL, LEADS_TO, SOMETIMES, SOMETIMES_STEP, STEP, Property
from .result import HOLDS, UNKNOWN, VIOLATED, Result, Stats, Trace, Verdict
from . import contract

CHUNK = 1024  # states expanded between two looks at the clock, the limits and progress
STORES = ("exact", "fingerprint")


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
    """The explored graph: states (exact store) or fingerprints by id, BFS parents, levels and
    (optionally) every transition."""

    def __init__(self, states, parent, level_starts, n_init, offsets=None, targets=None, action_ids=None,
                 actions=None, fps=None, masks=None):
        self.states = states  # None in the fingerprint store
        self.parent = parent
        self.level_starts = level_starts
        self.n_init = n_init
        self.offsets = offsets
        self.targets = targets
        self.action_ids = action_ids
        self.actions = actions
        self.fps = fps  # fingerprints by id (fingerprint store), else None
        self.masks = masks or {}  # liveness predicate -> bytearray, one byte per state

    def __len__(self):
        return len(self.parent)

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


class _RssReader:
    """The current resident set size, read from /proc/self/statm (one pread, a few µs), plus
    the memory of the children it follows (:meth:`follow`) that this process does not hold."""

    def __init__(self):
        self.page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        try:
            self.fd = os.open("/proc/self/statm", os.O_RDONLY)
        except OSError:  # not Linux: the peak is the best we have
            self.fd = None
        self.others = []  # [statm, smaps_rollup, private pages, resident pages then, when] of each child

    # How often a child's private memory is read exactly (smaps_rollup walks its page tables;
    # statm, read at every look, is a counter).
    EXACT_EVERY = 0.5

    def follow(self, pid: int):
        """Count the memory of process ``pid`` too (a child that works for this one, just
        forked): the pages it alone holds. Right after a fork it holds none alone: its
        resident pages are this process's, shared copy-on-write and counted here already;
        then it allocates, and copies what either process writes to. Its private pages are
        read from smaps_rollup every ``EXACT_EVERY`` seconds, its growth in resident pages
        added in between."""
        if self.fd is None:
            return
        try:
            statm = os.open(f"/proc/{pid}/statm", os.O_RDONLY)
        except OSError:
            return
        try:
            rollup = os.open(f"/proc/{pid}/smaps_rollup", os.O_RDONLY)
        except OSError:  # an older kernel: resident growth only (copies of shared pages unseen)
            rollup = None
        try:
            resident = self._pages(statm)
        except (OSError, IndexError, ValueError):
            resident = 0
        self.others.append([statm, rollup, 0, resident, time.perf_counter()])

    def _pages(self, fd) -> int:
        return int(os.pread(fd, 128, 0).split()[1])

    def _private(self, fd) -> int:
        """Private_Clean + Private_Dirty of a smaps_rollup, in pages."""
        kb = 0
        for line in os.pread(fd, 4096, 0).split(b"\n"):
            if line.startswith((b"Private_Clean:", b"Private_Dirty:")):
                kb += int(line.split()[1])
        return kb * 1024 // self.page

    def __call__(self) -> int:
        if self.fd is None:
            return _peak_rss_bytes()
        pages = self._pages(self.fd)
        if self.others:
            now = time.perf_counter()
            for other in self.others:
                statm, rollup, private, then, when = other
                try:
                    resident = self._pages(statm)
                    if rollup is not None and now - when >= self.EXACT_EVERY:
                        private, then = self._private(rollup), resident
                        other[2:] = [private, then, now]
                except (OSError, IndexError, ValueError):  # the child has ended
                    continue
                pages += max(0, private + resident - then)
        return pages * self.page

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        for statm, rollup, *_ in self.others:
            os.close(statm)
            if rollup is not None:
                os.close(rollup)
        self.others = []


def check(
    model,
    properties: Sequence[Property] = (),
    *,
    max_states: Optional[int] = None,
    max_seconds: Optional[float] = None,
    progress: Optional[Callable[[Progress], None]] = None,
    progress_interval: float = 1.0,
    keep_graph: bool = False,
    store: str = "exact",
    max_memory: Optional[int] = None,
    processes: Optional[int] = None,
) -> Result:
    """Explore every reachable state of ``model`` breadth-first and decide ``properties``.

    Stops cleanly (the result marked incomplete, verdicts not yet decided ``unknown``) on
    ``max_states`` distinct states, ``max_seconds`` of exploration, ``max_memory`` bytes of
    resident memory (or a ``MemoryError``), or Ctrl-C. ``progress`` is called about every
    ``progress_interval`` seconds with a :class:`Progress`. ``store`` is ``"exact"`` (the
    visited set holds the states) or ``"fingerprint"`` (64-bit fingerprints; the result's
    ``stats.collision_probability`` says how likely a collision is). ``keep_graph`` needs the
    exact store.

    A model or property that breaks the engine's contract raises :class:`ModelDefinitionError`
    naming it; the error's ``result`` holds the verdicts decided before it (incomplete).

    ``processes``: 1 explores in this process alone; 2 lets a forked second process expand
    states while this one stores them and checks the properties, where the model has a
    vectorised view and fork exists, once a run passes ``CHILD_AFTER`` states; None (the
    default) is 2 where fork exists, two CPUs are ours and no other thread runs in this
    process (a fork copies only the calling thread), else 1. The results are the same either
    way (docs/scaling.md §2: 1.4-1.6x on a 21.6 M-state check of an invariant, 1.1-1.2x on a
    bare exploration).

    A model's compact view that runs out of key space raises :class:`ViewFull` after widening
    the model's next view: the exploration then starts again on the wider one (the limits
    apply to each attempt).
    """
    while True:
        try:
            return _check_once(model, properties, max_states, max_seconds, progress, progress_interval,
                               keep_graph, store, max_memory, processes)
        except ViewFull:
            continue  # the model widened its compact view (it raises a plain error past the widest)


def _check_once(model, properties, max_states, max_seconds, progress, progress_interval, keep_graph, store,
                max_memory, processes) -> Result:
    """One exploration of :func:`check` on the model's current compact view."""
    properties = contract.check_arguments(model, properties, max_states, max_seconds, max_memory, progress,
                                          progress_interval, keep_graph, store, STORES, processes)
    init = contract.initial_states(model)
    live_props = [p for p in properties if p.kind == LEADS_TO]
    keep_edges = keep_graph or bool(live_props)
    exact = store == "exact"
    space = compact_of(model)

    ctx = _Context(exact, model, space, properties, keep_edges)
    ctx.processes = processes
    for s in init:
        try:
            ctx.add_initial(space.encode(s) if space is not None else s)
        except ViewFull:
            raise
        except Exception as exc:
            raise contract.diagnose(model, properties, (exc, s)) from exc
    n_init = len(ctx.parent)

    no_steps = not (ctx.steps or ctx.wsteps)
    if no_steps and vector_of(space) is not None:
        loop = _loop_vector
    elif no_steps and exact and not keep_edges:
        loop = _loop_plain
    elif no_steps and not exact and getattr(space, "fingerprints", None) is not None:
        loop = _loop_batched
    else:
        loop = _loop_full
    rss = _RssReader() if max_memory is not None else None
    started = time.perf_counter()
    stop_reason = ""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        try:
            stop_reason = loop(ctx, _Limits(max_states, max_seconds, max_memory, rss, progress, progress_interval, started))
        except KeyboardInterrupt:
            stop_reason = "interrupted"
        explore_seconds = time.perf_counter() - started
        if ctx.error is not None and isinstance(ctx.error[0], ViewFull):
            raise ctx.error[0]
        ctx.make_consistent()
        ctx.index = ctx.visited = None  # the exact store's state -> id map, read by no one now: room for liveness
        if ctx.error is not None:
            stop_reason = "model error"
        complete = not stop_reason
        states = ctx.states if space is None or ctx.states is None else NamedStates(ctx.states, space.decode)
        graph = Graph(states, ctx.parent, ctx.level_starts, n_init, ctx.offsets, ctx.targets, ctx.action_ids,
                      ctx.actions, ctx.fps, ctx.masks)
        result, live_seconds = _decide(model, properties, ctx, graph, complete, live_props)
    finally:
        if rss is not None:
            rss.close()
        if gc_was_enabled:
            gc.enable()

    generated = ctx.transitions + len(init)
    stats = Stats(
        states=len(ctx.parent),
        transitions=ctx.transitions,
        depth=graph.depth_of(len(ctx.parent) - 1),
        seconds=explore_seconds + live_seconds,
        liveness_seconds=live_seconds,
        # With processes=2 the child's peak is added: an upper bound (the two need not peak
        # together, and what they shared at the fork counts twice).
        peak_rss_bytes=_peak_rss_bytes() + ctx.child_peak_rss,
        complete=complete,
        stop_reason=stop_reason,
        store=store,
        collision_probability=0.0 if exact else collision_probability(len(ctx.parent), generated),
    )
    out = Result(result, stats, graph if keep_graph else None)
    if ctx.error is not None or ctx.live_error is not None:
        error = contract.diagnose(model, properties, ctx.error) if ctx.error is not None else ctx.live_error
        error.result = out
        raise error
    return out


def _decide(model, properties, ctx, graph, complete, live_props):
    """Verdicts in property order: safety from what the loop found, then liveness."""
    verdicts = {}
    replayer = _Replayer(model, graph, None if ctx.exact else make_fingerprint())
    for p in properties:
        if p.kind == LEADS_TO:
            verdicts[p.name] = None
        elif ctx.error is not None:
            # After a contract breach the model may not replay: keep what can be rebuilt.
            try:
                verdicts[p.name] = _safety_verdict(p, ctx.found.get(p.name), complete, replayer)
            except TcpModelError:
                verdicts[p.name] = Verdict(p.name, p.kind, UNKNOWN, None, p.description)
        else:
            verdicts[p.name] = _safety_verdict(p, ctx.found.get(p.name), complete, replayer)
    live_started = time.perf_counter()
    for p in live_props:
        if not complete:
            verdicts[p.name] = Verdict(p.name, p.kind, UNKNOWN, None, p.description)
            continue
        from . import liveness  # numpy and scipy load only when liveness runs

        try:
            found_lasso = liveness.find_violation(graph, p)
        except ModelDefinitionError as exc:  # a fairness predicate raised: keep the other verdicts
            ctx.live_error = exc
            verdicts[p.name] = Verdict(p.name, p.kind, UNKNOWN, None, p.description)
            continue
        if found_lasso is None:
            verdicts[p.name] = Verdict(p.name, p.kind, HOLDS, None, p.description)
        else:
            trace = replayer.lasso(p, *found_lasso)
            verdicts[p.name] = Verdict(p.name, p.kind, VIOLATED, trace, p.description)
    return verdicts, time.perf_counter() - live_started


class _Limits:
    """Limits and progress, looked at once per chunk (not a hot object)."""

    def __init__(self, max_states, max_seconds, max_memory, rss, progress, interval, started):
        self.max_states = max_states
        self.max_seconds = max_seconds
        self.max_memory = max_memory
        self.rss = rss
        self.progress = progress
        self.interval = interval
        self.started = started
        self.last = started

    def end_of_chunk(self, ctx, transitions, expanded, n):
        """Record a finished chunk (``expanded`` states expanded, ``n`` known); the reason to stop."""
        ctx.transitions = transitions
        ctx.expanded = expanded
        return self.between_chunks(ctx, n, n - expanded)

    def between_chunks(self, ctx, n, queue):
        """The reason to stop (or ""), and progress when it is due."""
        now = time.perf_counter()
        elapsed = now - self.started
        if queue:  # a limit stops only a search with work left: a finished one is complete
            if self.max_states is not None and n >= self.max_states:
                return "state limit"
            if self.max_seconds is not None and elapsed >= self.max_seconds:
                return "time limit"
            if self.rss is not None and self.rss() > self.max_memory:
                return "memory limit"
        if self.progress is not None and now - self.last >= self.interval:
            depth = len(ctx.level_starts) - 1
            report = Progress(n, ctx.transitions, queue, depth, elapsed, n / elapsed if elapsed > 0 else 0.0)
            try:
                self.progress(report)
            except Exception as exc:
                raise ModelDefinitionError(f"the progress callback raised {type(exc).__name__}: {exc}") from exc
            self.last = now
        return ""


def compact_of(model):
    """The model's compact view (``model.compact()``), or None when it offers none.

    A compact view explores *keys* instead of states: ``init_states()``, ``successors(key)``
    (``(action, key)`` pairs, in the order of the model's own successors), ``is_terminal(key)``,
    ``encode(state) -> key``, ``decode(key) -> state`` and ``fingerprinter()`` (a function
    giving the fingerprint :func:`.fingerprint.make_fingerprint` gives the decoded state).
    Keys are cheap to hash and store (a model packs interned component ids into an int);
    everything the engine shows -- predicates' arguments, traces, the graph -- is decoded.
    """
    make = getattr(model, "compact", None)
    return make() if make is not None else None


def vector_of(space):
    """The compact view's vectorised form (``space.vector()``), or None.

    It expands a chunk of keys at once: ``expand(keys, with_actions)`` takes a uint64 numpy
    array and returns ``(counts, targets, action_ids)`` -- each key's number of successors,
    every successor key in order (those of ``keys[0]`` first, each key's in the order of
    ``space.successors``), and their action ids (``action(id)`` gives the action) or None.
    Keys must then fit in 64 bits. The explorer's vectorised loop (:func:`_loop_vector`)
    numbers states exactly as the one-at-a-time loops do."""
    make = getattr(space, "vector", None)
    return make() if make is not None else None


class NamedStates:
    """The explored keys seen as the model's states (decoded on access, not stored twice)."""

    def __init__(self, keys, decode):
        self.keys = keys
        self.decode = decode

    def __len__(self):
        return len(self.keys)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.decode(k) for k in self.keys[i]]
        return self.decode(self.keys[i])

    def __iter__(self):
        return map(self.decode, self.keys)


class _Context:
    """Exploration state shared by the loops and the code after them (not a hot object).

    With a compact view (``space``) the loops handle keys; ``decode`` turns one into the
    state that predicates and errors see."""

    def __init__(self, exact, model, space, properties, keep_edges):
        self.exact = exact
        if space is None:
            self.successors = model.successors
            self.first_successors = contract.validating(model.successors)  # for the first chunk
            self.is_terminal = is_terminal_of(model)
            self.decode = None
        else:  # the model's own compact view: its keys need no contract check
            self.successors = self.first_successors = space.successors
            self.is_terminal = space.is_terminal
            self.decode = space.decode
        self.decoded_key = self.decoded = None  # the last source state check_step decoded
        self.found = {}  # name -> ("state", id) | ("step", id, action, next_state)
        self.inv = tuple((p.name, p.predicate) for p in properties if p.kind == ALWAYS)
        self.wit = tuple((p.name, p.predicate) for p in properties if p.kind == SOMETIMES)
        self.steps = tuple((p.name, p.predicate) for p in properties if p.kind == STEP)
        self.wsteps = tuple((p.name, p.predicate) for p in properties if p.kind == SOMETIMES_STEP)
        self.deadlock_name = next((p.name for p in properties if p.kind == DEADLOCK), None)
        # Liveness predicates (goal, trigger, fairness "enabled"), each evaluated once per new
        # state in the fingerprint store (which keeps no states for liveness to look at later).
        self.masks = {}
        for p in properties if not exact else ():
            if p.kind == LEADS_TO:
                preds = [p.goal] + ([p.predicate] if p.predicate is not INITIAL else [])
                preds += [f.enabled for f in p.fairness if f.enabled is not None]
                for pred in preds:
                    self.masks.setdefault(pred, bytearray())
        self.live = tuple(self.masks.items())
        self.properties_live = [p for p in properties if p.kind == LEADS_TO]
        self.checks = bool(self.inv or self.wit or self.live)
        self.space = space
        self.index = {} if exact else None  # exact: state -> id (_loop_full)
        self.visited = set() if exact else None  # exact: the states (_loop_plain needs no ids)
        self.states = [] if exact else None
        self.seen = None if exact else set()
        self.fps = None if exact else array("q")
        self.frontier = None if exact else []
        if exact:
            self.fingerprint = None
        else:
            self.fingerprint = make_fingerprint() if space is None else space.fingerprinter()
        self.parent = array("i")  # ids fit in 31 bits: 2**31 states would need ~100 GB here
        self.transitions = 0
        self.level_starts = [0]
        self.offsets = array("q", [0]) if keep_edges else None
        self.targets = (array("i") if exact else array("q")) if keep_edges else None
        self.action_ids = array("i") if keep_edges else None
        self.actions = [] if keep_edges else None
        self.action_index = {} if keep_edges else None
        self.expanded = 0
        self.child_peak_rss = 0  # the expanding child's peak (processes=2), read as it ends
        self.error = None  # (exception, state being expanded) when the model broke the contract
        self.live_error = None  # a ModelDefinitionError raised while deciding liveness

    def add_initial(self, s):
        n = len(self.parent)
        if self.exact:
            if s in self.index:
                return
            self.index[s] = n
            self.visited.add(s)
            self.states.append(s)
        else:
            f = self.fingerprint(s)
            if f in self.seen:
                return
            self.seen.add(f)
            self.fps.append(f)
            self.frontier.append(s)
        self.parent.append(-1)
        self.check_state(s, n)

    def check_state(self, t, i) -> bool:
        """Evaluate the state properties on new state ``t`` (id ``i``); True while any is left."""
        if self.decode is not None:
            t = self.decode(t)
        for name, pred in self.inv:
            if not pred(t):
                self.found[name] = ("state", i)
                self.inv = tuple(x for x in self.inv if x[0] != name)
                self.checks = bool(self.inv or self.wit or self.live)
        for name, pred in self.wit:
            if pred(t):
                self.found[name] = ("state", i)
                self.wit = tuple(x for x in self.wit if x[0] != name)
                self.checks = bool(self.inv or self.wit or self.live)
        for pred, mask in self.live:
            mask.append(1 if pred(t) else 0)
        return self.checks

    def check_step(self, s, action, t, sid) -> bool:
        """Evaluate the step properties on a transition; True while any is left."""
        if self.decode is not None:
            # Every transition of one state comes in a row: decode its source once.
            if s != self.decoded_key:
                self.decoded_key, self.decoded = s, self.decode(s)
            s, t = self.decoded, self.decode(t)
        if self.steps:
            for name, pred in self.steps:
                if not pred(s, action, t):
                    self.found[name] = ("step", sid, action, t)
                    self.steps = tuple(x for x in self.steps if x[0] != name)
        if self.wsteps:
            for name, pred in self.wsteps:
                if pred(s, action, t):
                    self.found[name] = ("step", sid, action, t)
                    self.wsteps = tuple(x for x in self.wsteps if x[0] != name)
        return bool(self.steps or self.wsteps)

    def failed(self, exc, state) -> str:
        """The loop's exception: a MemoryError stops the run like a memory limit; any other
        is kept (with the state being expanded) for the contract diagnosis after the loop."""
        if isinstance(exc, MemoryError):
            return "memory limit"
        if self.decode is not None and state is not None:
            state = self.decode(state)
        self.error = (exc, state)
        return ""

    def make_consistent(self):
        """After an interrupt, drop a state whose bookkeeping was cut half-way."""
        n = len(self.parent)
        for mask in self.masks.values():
            del mask[n:]
        n = min([n] + [len(m) for m in self.masks.values()])
        for mask in self.masks.values():  # the vectorised loop fills them a chunk at a time
            del mask[n:]
        del self.parent[n:]
        if self.exact:
            del self.states[n:]
        else:
            del self.fps[n:]
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


def _loop_plain(ctx, limits):
    """BFS storing no transitions: invariants, state witnesses and deadlock only."""
    visited = ctx.visited
    visit = visited.add
    states = ctx.states
    parent_append = ctx.parent.append
    states_append = states.append
    successors = ctx.first_successors
    is_terminal = ctx.is_terminal
    found = ctx.found
    check_state = ctx.check_state
    # A guard instead of looping over (usually empty) property tuples for every new state: an
    # empty loop still allocates an iterator, about as costly as the rest of the bookkeeping.
    checks = ctx.checks
    deadlock_name = ctx.deadlock_name if ctx.deadlock_name not in found else None
    level_starts = ctx.level_starts
    transitions = 0
    n = len(states)
    sid = 0
    level_end = n
    s = None
    try:
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
                for _action, t in succs:
                    if t not in visited:
                        # Only membership is read here, so a set: 16-byte slots instead of a
                        # dict's 24 bytes plus index (_loop_full needs the ids: a dict).
                        visit(t)
                        states_append(t)
                        parent_append(sid)
                        if checks:
                            checks = check_state(t, n)
                        n += 1
            sid = stop
            successors = ctx.successors
            reason = limits.end_of_chunk(ctx, transitions, stop, n)
            if reason:
                return reason
    except Exception as exc:
        return ctx.failed(exc, s)
    return ""


def _loop_full(ctx, limits):
    """BFS that checks step properties and/or stores every transition (CSR), in either store.

    The exact store's queue is the list of every state (ids index it); the fingerprint store's
    queue holds only the level being expanded and the next one: the expanded level is cut
    off at each level boundary (``base`` is the id of ``queue[0]``)."""
    exact = ctx.exact
    if exact:
        # One dict operation per transition: setdefault(t, n) returns n exactly when t is new
        # (every stored id is smaller than n); get-then-store would hash a new t twice.
        index_setdefault = ctx.index.setdefault
        queue = ctx.states
    else:
        seen = ctx.seen
        seen_add = seen.add
        fingerprint = ctx.fingerprint
        fps_append = ctx.fps.append
        queue = ctx.frontier
    parent_append = ctx.parent.append
    queue_append = queue.append
    successors = ctx.first_successors
    is_terminal = ctx.is_terminal
    found = ctx.found
    check_state, check_step = ctx.check_state, ctx.check_step
    # Guards instead of loops over (usually empty) property tuples, as in _loop_plain; the
    # step one is tested on every transition.
    checks = ctx.checks
    step_checks = bool(ctx.steps or ctx.wsteps)
    deadlock_name = ctx.deadlock_name if ctx.deadlock_name not in found else None
    level_starts = ctx.level_starts
    keep = ctx.offsets is not None
    edges = _EdgeBuffer(ctx) if keep else None
    transitions = 0
    n = len(queue)
    sid = 0
    base = 0
    level_end = n
    s = None
    try:
        if keep:
            offsets_append, targets_append, aids_append, action_get, action_index, actions_append = edges.bound()
        while sid < n:
            if sid == level_end:
                level_starts.append(sid)
                level_end = n
                if not exact:  # the level just expanded is freed here
                    del queue[:sid - base]
                    base = sid
            stop = min(level_end, sid + CHUNK)
            for sid in range(sid, stop):
                s = queue[sid - base]
                succs = successors(s)
                transitions += len(succs)
                if not succs and deadlock_name is not None and not is_terminal(s):
                    found[deadlock_name] = ("state", sid)
                    deadlock_name = None
                for action, t in succs:
                    if exact:
                        j = index_setdefault(t, n)  # the target's id
                        new = j == n
                    else:
                        j = fingerprint(t)  # the target's fingerprint (liveness maps it to an id)
                        new = j not in seen
                        if new:
                            seen_add(j)
                            fps_append(j)
                    if new:
                        queue_append(t)
                        parent_append(sid)
                        if checks:
                            checks = check_state(t, n)
                        n += 1
                    if step_checks:
                        step_checks = check_step(s, action, t, sid)
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
                edges.flush()
            sid = stop
            successors = ctx.successors
            reason = limits.end_of_chunk(ctx, transitions, stop, n)
            if reason:
                return reason
    except Exception as exc:
        return ctx.failed(exc, s)
    return ""


def _loop_batched(ctx, limits):
    """BFS with the fingerprint store for a compact model that fingerprints a batch at once
    (``space.fingerprints(keys)``): the successors of a chunk are collected, fingerprinted and
    looked up in a :class:`.visited.FingerprintTable` together, and the new ones numbered in
    the order they were generated -- the ids, parents and levels of the one-at-a-time loops.
    No step properties; edges are stored (targets as fingerprints, as in ``_loop_full``) when
    liveness needs them."""
    import numpy as np

    from .visited import FingerprintTable

    fingerprints = ctx.space.fingerprints
    table = FingerprintTable()
    table.add_new(np.frombuffer(ctx.fps, dtype=np.int64).copy())
    ctx.seen = None  # the table holds the initial fingerprints from here on
    queue = ctx.frontier
    fps = ctx.fps
    parent = ctx.parent
    successors = ctx.successors
    is_terminal = ctx.is_terminal
    found = ctx.found
    check_state = ctx.check_state
    checks = ctx.checks
    deadlock_name = ctx.deadlock_name if ctx.deadlock_name not in found else None
    level_starts = ctx.level_starts
    second = itemgetter(1)  # the next state of an (action, next state) pair, called from C
    batch = []
    batch_extend = batch.extend
    counts = []
    counts_append = counts.append
    keep = ctx.offsets is not None
    if keep:
        first_of = itemgetter(0)
        labels = []  # the actions of the chunk's transitions, in order
        labels_extend = labels.extend
        action_index, actions = ctx.action_index, ctx.actions
        action_ids = ctx.action_index.get
    transitions = 0
    n = len(queue)
    sid = 0
    base = 0
    level_end = n
    s = None
    try:
        while sid < n:
            if sid == level_end:
                level_starts.append(sid)
                level_end = n
                del queue[:sid - base]  # the level just expanded is freed here
                base = sid
            first = sid
            stop = min(level_end, sid + CHUNK)
            for sid in range(sid, stop):
                s = queue[sid - base]
                succs = successors(s)
                counts_append(len(succs))
                if succs:
                    batch_extend(map(second, succs))
                    if keep:
                        labels_extend(map(first_of, succs))
                elif deadlock_name is not None and not is_terminal(s):
                    found[deadlock_name] = ("state", sid)
                    deadlock_name = None
            s = None
            if keep:
                _store_edges(ctx, counts, transitions, labels, action_ids, action_index, actions)
                del labels[:]
            transitions += len(batch)
            if batch:
                f = fingerprints(batch)
                if keep:
                    ctx.targets.frombytes(f.tobytes())
                # First occurrences in generation order, then the ones not seen before.
                _, firsts = np.unique(f, return_index=True)
                firsts.sort()
                firsts = firsts[table.add_new(f[firsts])]
                owners = np.repeat(np.arange(first, stop, dtype=np.int32), counts)[firsts]
                fps.frombytes(f[firsts].tobytes())
                parent.frombytes(owners.tobytes())
                new = [batch[i] for i in firsts.tolist()]
                queue.extend(new)
                if checks:
                    for t in new:
                        checks = check_state(t, n)
                        n += 1
                else:
                    n += len(new)
                del batch[:]
            del counts[:]
            sid = stop
            reason = limits.end_of_chunk(ctx, transitions, stop, n)
            if reason:
                return reason
    except Exception as exc:
        return ctx.failed(exc, s)
    return ""


VECTOR_CHUNK = 1 << 14  # states expanded at once by the vectorised loop
# A second process expands the next chunk while this one's successors are looked up
# (engine/expander.py), once a run has this many states (a small run is over before a fork
# pays); not where a state limit could make the next chunk smaller than a whole one.
CHILD_AFTER = 1 << 17


def _loop_vector(ctx, limits):
    """BFS over a model's vectorised view (:func:`vector_of`): a chunk of states is expanded
    by the model in one call, and its successors are looked up in (and added to) a
    :class:`.visited.KeyTable` together. Ids, parents and levels are those of the one-at-a-time
    loops: the new states of a chunk are numbered in the order they were generated.

    Exact store: the table holds the 64-bit keys themselves (with their ids when edges are
    kept), ``ctx.states`` the keys by id (an ``array('Q')``, 8 bytes a state; the BFS queue
    too, as in ``_loop_plain``). Fingerprint
    store: the table holds fingerprints, ``ctx.fps`` them by id, and keys are kept only for
    the level being expanded and the next. No step properties. Near a state limit the limit is
    looked at every ``CHUNK`` states, as in the other loops, so that a limited run stops where
    they do (VECTOR_CHUNK is a multiple of CHUNK: the boundaries are theirs)."""
    import numpy as np

    from .expander import ChildExpander, can_fork, second_core_available
    from .visited import KeyTable

    space = ctx.space
    vector = vector_of(space)
    exact = ctx.exact
    keep = ctx.offsets is not None
    found = ctx.found
    deadlock_name = ctx.deadlock_name if ctx.deadlock_name not in found else None
    is_terminal = ctx.is_terminal
    check_state = ctx.check_state
    checks = ctx.checks
    level_starts = ctx.level_starts
    parent = ctx.parent
    table = KeyTable(with_values=exact and keep, capacity=1 << 16)
    if exact:
        states = ctx.states = array("Q", ctx.states)
        ctx.index = ctx.visited = None
        codes_of = None  # the keys are their own codes
        table.insert(np.array(states, dtype=np.uint64), np.arange(len(states)) if keep else None)
        current = None  # the exact store reads each chunk's keys from ``states``
    else:
        fps = ctx.fps
        codes_of = space.fingerprints
        table.insert(np.frombuffer(fps, dtype=np.int64).copy())
        ctx.seen = None
        current = np.array(ctx.frontier, dtype=np.uint64)
        ctx.frontier = None
    # Liveness predicates the view evaluates on a chunk of keys (``evaluate``) fill their byte
    # masks here, in both stores (the exact store's liveness then reads them instead of
    # decoding every state); the others stay with check_state, one state at a time.
    vector_masks = _vector_masks(ctx, vector, states if exact else None)
    checks = ctx.checks
    if keep:
        remap = np.full(0, -1, dtype=np.int64)  # the vector view's action ids -> the graph's
        actions, action_index = ctx.actions, ctx.action_index
    max_degree = 32  # the most successors a state had so far (sizes chunks near a state limit)
    s = None  # the key of the state being expanded (or whose successor is being checked), for errors
    following = []  # fingerprint store: keys of the next level, chunk by chunk
    transitions = 0
    n = len(parent)
    sid = 0
    base = 0  # the id of current[0]
    level_end = n

    def chunk_keys(lo, hi):
        if exact:  # a copy: ``states`` must not stay exported while it grows
            return np.frombuffer(states, dtype=np.uint64, count=hi - lo, offset=8 * lo).copy()
        return current[lo - base:hi - base]

    # From CHILD_AFTER states on, a forked process expands the chunks (engine/expander.py);
    # this process's view is then a mirror that decodes, evaluates and names actions.
    want_child = (ctx.processes == 2 and can_fork()) or (ctx.processes is None and second_core_available())
    child = None
    ahead = None  # (start, stop, keys) of the chunk the child is expanding ahead
    try:
        while sid < n:
            if sid == level_end:
                level_starts.append(sid)
                level_end = n
                if not exact:
                    current = np.concatenate(following) if following else np.zeros(0, dtype=np.uint64)
                    following = []
                    base = sid
            chunk = VECTOR_CHUNK
            if limits.max_states is not None:
                # Near a state limit, chunks no bigger than the states it leaves room for (at the
                # most successors a state has had): expanding past where the other loops stop
                # could intern components they never meet, and even widen the view.
                room = (limits.max_states - n) // max_degree
                chunk = max(CHUNK, min(VECTOR_CHUNK, room // CHUNK * CHUNK))
            stop = min(level_end, sid + chunk)
            if child is None and want_child and n >= CHILD_AFTER:
                child = ChildExpander(vector)
                if limits.rss is not None:
                    limits.rss.follow(child.pid)
            if ahead is not None:  # expanded ahead: exactly this chunk (see below)
                assert ahead[:2] == (sid, stop), (ahead[:2], sid, stop)
                keys = ahead[2]
                ahead = None
                s = int(keys[0]) if len(keys) else None
                counts, all_targets, all_aids = child.result()
            else:
                keys = chunk_keys(sid, stop)
                s = int(keys[0]) if len(keys) else None
                if child is None:
                    counts, all_targets, all_aids = vector.expand(keys, keep)
                else:
                    child.submit(keys, keep)
                    counts, all_targets, all_aids = child.result()
            if len(counts):
                max_degree = max(max_degree, int(counts.max()))
            # The child expands the next chunk of this level while this one's successors are
            # looked up, when that chunk is sure to be a whole one: at most len(all_targets)
            # states come before it, so a state limit leaves room for a whole chunk at the
            # most successors a state has had. (A guessed chunk that came out otherwise would
            # have interned components the other loops never meet.)
            if child is not None and stop < level_end and (
                    limits.max_states is None
                    or (limits.max_states - n - len(all_targets)) // max_degree >= VECTOR_CHUNK):
                next_stop = min(level_end, stop + VECTOR_CHUNK)
                ahead = (stop, next_stop, chunk_keys(stop, next_stop))
                child.submit(ahead[2], keep)
            ends = np.cumsum(counts)
            # Near a state limit, the chunk is taken CHUNK states at a time, with a look at
            # the limit after each: a limited run stops where the other loops stop.
            step = CHUNK if limits.max_states is not None and n + len(all_targets) >= limits.max_states else stop - sid
            for lo in range(0, stop - sid, step):
                hi = min(lo + step, stop - sid)
                t_lo = int(ends[lo - 1]) if lo else 0
                part = counts[lo:hi]
                targets = all_targets[t_lo:int(ends[hi - 1])] if hi > lo else all_targets[:0]
                if deadlock_name is not None:
                    for i in np.flatnonzero(part == 0).tolist():
                        if not is_terminal(int(keys[lo + i])):
                            found[deadlock_name] = ("state", sid + lo + i)
                            deadlock_name = None
                            break
                codes = targets.view(np.int64) if exact else codes_of(targets)
                slots = table.find(codes)
                absent = np.flatnonzero(slots < 0)
                fresh = absent[_first_occurrences(codes[absent])]
                new_ids = np.arange(n, n + len(fresh), dtype=np.int64)
                if exact and keep:  # every target's id; read before the insert (which may move slots)
                    ids = np.where(slots >= 0, table.values[slots], -1)
                if table.needs_room(len(fresh)):
                    # Grown from the keys by id (or fingerprints by id) rather than from itself:
                    # the old table goes before the new one comes.
                    by_id = states if exact else fps
                    table.rebuild(table.count + len(fresh), _blocks_by_id(by_id, exact and keep))
                table.insert(codes[fresh], new_ids if exact and keep else None)
                owners = np.repeat(np.arange(sid + lo, sid + hi, dtype=np.int32), part)[fresh]
                new_keys = targets[fresh]
                # Keys (or fingerprints) first, parents last: an interrupt in between leaves
                # more of the former, which make_consistent trims to the parents.
                if exact:
                    states.frombytes(new_keys.tobytes())
                else:
                    fps.frombytes(codes[fresh].tobytes())
                    following.append(new_keys)
                parent.frombytes(owners.tobytes())
                for predicate, mask in vector_masks:
                    mask += vector.evaluate(predicate, new_keys).view(np.uint8).tobytes()
                if checks:
                    for t, o in zip(new_keys.tolist(), (owners - sid).tolist()):
                        s = int(keys[o])  # its parent: the contract diagnosis re-checks it and its successors
                        checks = check_state(t, n)
                        n += 1
                else:
                    n += len(fresh)
                if keep:
                    aids = all_aids[t_lo:t_lo + len(targets)]
                    if exact:
                        if len(absent):
                            ids[absent] = table.get(codes[absent])
                        ctx.targets.frombytes(ids.astype(np.int32).tobytes())
                    else:
                        ctx.targets.frombytes(codes.tobytes())
                    if len(remap) < len(vector.actions):
                        remap = np.concatenate([remap, np.full(len(vector.actions) - len(remap), -1, dtype=np.int64)])
                    unknown = remap[aids] < 0
                    if unknown.any():  # actions met for the first time get the next ids, in order
                        _, where = np.unique(aids[unknown], return_index=True)
                        for a in aids[unknown][np.sort(where)].tolist():
                            remap[a] = action_index[vector.action(a)] = len(actions)
                            actions.append(vector.action(a))
                    ctx.action_ids.frombytes(remap[aids].astype(np.int32).tobytes())
                    ctx.offsets.frombytes((np.cumsum(part) + transitions).astype(np.int64).tobytes())
                transitions += len(targets)
                reason = limits.end_of_chunk(ctx, transitions, sid + hi, n)
                if reason:
                    return reason
            sid = stop
    except Exception as exc:
        return ctx.failed(exc, s)
    finally:
        if child is not None:
            # What the child learned in a chunk expanded ahead reaches the mirror too (an
            # error there belongs to a chunk never processed: dropped).
            child.close()
            ctx.child_peak_rss = max(ctx.child_peak_rss, child.peak_rss)
    return ""


def _blocks_by_id(by_id, with_ids, block=1 << 20):
    """``(codes, ids or None)`` a block at a time from an ``array`` of 64-bit codes by id
    (copies: the array must not stay exported, it grows)."""
    import numpy as np

    for lo in range(0, len(by_id), block):
        hi = min(lo + block, len(by_id))
        codes = np.frombuffer(by_id, dtype=np.int64, count=hi - lo, offset=8 * lo).copy()
        yield codes, (np.arange(lo, hi, dtype=np.int64) if with_ids else None)


def _vector_masks(ctx, vector, states):
    """``(predicate, byte mask)`` for each liveness predicate (goal, trigger, fairness
    "enabled") the vectorised view evaluates; they leave ``ctx.live`` (check_state's share).
    The masks hold the states known so far (``states``: the exact store's keys by id; the
    fingerprint store's masks were filled as its initial states were added)."""
    import numpy as np

    preds = []
    for p in ctx.properties_live:
        preds += [p.goal] + ([p.predicate] if p.predicate is not INITIAL else [])
        preds += [f.enabled for f in p.fairness if f.enabled is not None]
    evaluate = getattr(vector, "evaluate", None)
    out = []
    for predicate in dict.fromkeys(preds):
        if evaluate is None or evaluate(predicate, np.zeros(0, dtype=np.uint64)) is None:
            continue
        mask = ctx.masks.get(predicate)
        if mask is None:  # the exact store: masks start here, for the states known
            mask = ctx.masks[predicate] = bytearray(
                evaluate(predicate, np.array(states, dtype=np.uint64)).view(np.uint8).tobytes())
        out.append((predicate, mask))
    done = {id(m) for _, m in out}
    ctx.live = tuple((p, m) for p, m in ctx.live if id(m) not in done)
    ctx.checks = bool(ctx.inv or ctx.wit or ctx.live)
    return out


def _first_occurrences(codes):
    """Positions of the first occurrence of each distinct value of ``codes``, in increasing
    order (generation order). An unstable sort and a minimum per run of equal values: about
    3x faster than ``np.unique(..., return_index=True)``, whose stable sort is a merge sort."""
    import numpy as np

    if len(codes) < 2:
        return np.arange(len(codes))
    order = np.argsort(codes)
    ordered = codes[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    firsts = np.minimum.reduceat(order, starts)
    firsts.sort()
    return firsts


def _store_edges(ctx, counts, transitions, labels, action_ids, action_index, actions):
    """The row ends and action ids of a chunk's transitions (the batched loop's CSR)."""
    import numpy as np

    aids = list(map(action_ids, labels))
    if None in aids:  # actions met for the first time get the next ids, in order
        for a in labels:
            if a not in action_index:
                action_index[a] = len(actions)
                actions.append(a)
        aids = list(map(action_ids, labels))
    ctx.action_ids.fromlist(aids)
    ctx.offsets.frombytes((np.cumsum(np.array(counts, dtype=np.int64)) + transitions).tobytes())


class _EdgeBuffer:
    """Edges go to lists first and into the arrays once per chunk: array.append parses its
    argument on every call and costs about twice a list.append; fromlist converts a chunk in
    one C loop. Interrupt-safe: make_consistent keeps only the edges of the chunks flushed
    before ctx.expanded was moved past them."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.tbuf = []
        self.abuf = []

    def bound(self):
        ctx = self.ctx
        action_index = ctx.action_index
        return (ctx.offsets.append, self.tbuf.append, self.abuf.append, action_index.get, action_index,
                ctx.actions.append)

    def flush(self):
        self.ctx.targets.fromlist(self.tbuf)
        del self.tbuf[:]
        self.ctx.action_ids.fromlist(self.abuf)
        del self.abuf[:]


class _Replayer:
    """Turns paths of ids into traces by replaying them through the model, and re-checks them.

    With the exact store a step must reach the recorded state; with the fingerprint store, a
    state with the recorded fingerprint."""

    def __init__(self, model, graph: Graph, fingerprint=None):
        self.model = model
        self.graph = graph
        self.init = list(model.init_states())
        self.fmt = format_action_of(model)
        if fingerprint is None:
            self.key = lambda s: s
            self.node = graph.states.__getitem__
        else:
            self.key = fingerprint
            self.node = graph.fps.__getitem__

    def _step(self, state, want, want_action=None, any_action=False):
        key = self.key
        for action, t in self.model.successors(state):
            if key(t) == want and (any_action or action == want_action):
                return action, t
        what = "a step" if any_action else f"the step {self.fmt(want_action)}"
        raise ReplayError(f"replaying a counterexample: {what} to the recorded next state is not among the model's successors; successors must be deterministic")

    def path(self, ids) -> Trace:
        want = self.node(ids[0])
        first = next((s for s in self.init if self.key(s) == want), None)
        if first is None:
            raise ReplayError("replaying a counterexample: its first state is not an initial state")
        seq = [first]
        acts = []
        for v in ids[1:]:
            action, t = self._step(seq[-1], self.node(v), any_action=True)
            acts.append(action)
            seq.append(t)
        return Trace(tuple(seq), tuple(acts))

    def extend(self, trace: Trace, action, next_state) -> Trace:
        _, t = self._step(trace.states[-1], self.key(next_state), action)
        return Trace(trace.states + (t,), trace.actions + (action,))

    def lasso(self, prop: Property, ids, cycle_edges, dead_end: bool) -> Trace:
        """Build and re-check a liveness counterexample: ``ids`` is the prefix, then the cycle."""
        from . import liveness

        g = self.graph
        trace = self.path(ids)
        seq, acts = list(trace.states), list(trace.actions)
        loop_start = None if dead_end else len(acts)
        for e in cycle_edges:
            action = g.actions[g.action_ids[e]]
            _, t = self._step(seq[-1], self.node(int(g.targets[e])), action)
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
    recheck_safety(replayer.model, p, trace)
    status = HOLDS if p.kind in (SOMETIMES, SOMETIMES_STEP) else VIOLATED
    return Verdict(p.name, p.kind, status, trace, p.description)


def recheck_safety(model, p: Property, trace: Trace) -> bool:
    """Raise ReplayError unless ``trace`` ends with what ``p`` found (a violation or witness)."""
    if not shows(model, p, trace):
        raise ReplayError(f"property {p.name!r}: the replayed counterexample does not show what was found; the property's predicate is not deterministic")
    return True


def shows(model, p: Property, trace: Trace) -> bool:
    """Whether the last state (or step) of ``trace`` violates ``p`` (or, for a witness, meets it)."""
    last = trace.states[-1]
    if p.kind == ALWAYS:
        return not p.predicate(last)
    if p.kind == SOMETIMES:
        return bool(p.predicate(last))
    if not trace.actions:
        return p.kind == DEADLOCK and not model.successors(last) and not is_terminal_of(model)(last)
    if p.kind == STEP:
        return not p.predicate(trace.states[-2], trace.actions[-1], last)
    if p.kind == SOMETIMES_STEP:
        return bool(p.predicate(trace.states[-2], trace.actions[-1], last))
    return not model.successors(last) and not is_terminal_of(model)(last)  # deadlock

