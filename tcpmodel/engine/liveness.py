"""Liveness (``leads_to`` / ``eventually``) under weak and strong fairness, on cycles.

A run violates ``trigger ~> goal`` when it reaches a trigger state and from then on never
meets the goal. On a finite graph such a run either ends at a dead end or loops forever in a
strongly connected component (SCC) of non-goal states. So the check is:

1. Keep the non-goal states; find their SCCs (scipy's C implementation of Tarjan/Pearce).
2. Keep the SCCs in which a *fair* cycle exists (Emerson--Lei style refinement):
   - weak fairness on a group fails in an SCC when the group is enabled in every one of its
     states and no transition of the group stays inside it: every cycle there is unfair, and
     so is every cycle of a sub-component (drop the SCC);
   - strong fairness fails when the group is enabled somewhere in the SCC but no transition of
     the group stays inside: drop the states where it is enabled and split again;
   - an SCC with at least one internal transition that passes both is fair: the cycle that
     visits all of it is a fair run.
3. Dead ends among the non-goal states are violations too (a finite run that stops short).
4. A breadth-first search over two layers -- before the trigger (any state) and after it
   (non-goal states only) -- finds the shortest prefix to the nearest such bad place.

Checking "eventually" only at dead ends would miss step 2 entirely: a run can cycle forever
without reaching the goal, which is the very thing liveness is about.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from ..errors import ReplayError
from .properties import INITIAL, STRONG, WEAK


def _mask_of(states, predicate) -> np.ndarray:
    # map() calls the predicate (and bool) from C, without a generator frame: about 10%
    # faster than a generator expression; one call per state, in state order, as before.
    return np.fromiter(map(bool, map(predicate, states)), dtype=bool, count=len(states))


def _csr(n, src, dst) -> csr_matrix:
    data = np.ones(len(src), dtype=np.int8)
    return csr_matrix((data, (src, dst)), shape=(n, n))


class _Arrays:
    """The stored graph as numpy arrays (zero-copy views of the explorer's arrays)."""

    def __init__(self, graph):
        self.n = len(graph.states)
        self.offsets = np.frombuffer(graph.offsets, dtype=np.int64)
        self.tgt = np.frombuffer(graph.targets, dtype=np.int64)
        self.aid = np.frombuffer(graph.action_ids, dtype=np.dtype(f"i{graph.action_ids.itemsize}"))
        self.outdeg = np.diff(self.offsets)
        self.src = np.repeat(np.arange(self.n, dtype=np.int64), self.outdeg)

    def group_edges(self, actions, fairness) -> np.ndarray:
        member = np.fromiter((bool(fairness.actions(a)) for a in actions), dtype=bool, count=len(actions))
        return member[self.aid] if len(actions) else np.zeros(len(self.tgt), dtype=bool)

    def enabled(self, edge_mask) -> np.ndarray:
        en = np.zeros(self.n, dtype=bool)
        en[self.src[edge_mask]] = True
        return en


def fair_components(ar: _Arrays, candidates: np.ndarray, groups) -> np.ndarray:
    """Label every state lying in a fair SCC of the subgraph induced by ``candidates``.

    ``groups`` is a list of (kind, edge mask, enabled-state mask). Returns an int array, -1
    for states in no fair SCC, else an id shared by the states of one fair SCC.
    """
    n, src, tgt = ar.n, ar.src, ar.tgt
    fair = np.full(n, -1, dtype=np.int64)
    next_id = 0
    mask = candidates.copy()
    while mask.any():
        inside = mask[src] & mask[tgt]
        ncomp, labels = connected_components(_csr(n, src[inside], tgt[inside]), directed=True, connection="strong")
        internal = inside.copy()
        internal[inside] = labels[src[inside]] == labels[tgt[inside]]
        has_cycle = np.bincount(labels[src[internal]], minlength=ncomp) > 0
        size = np.bincount(labels[mask], minlength=ncomp)
        ok = has_cycle.copy()
        strong_bad = np.zeros(ncomp, dtype=bool)
        drop = np.zeros(n, dtype=bool)
        for kind, edges, enabled in groups:
            en_count = np.bincount(labels[mask & enabled], minlength=ncomp)
            taken = np.bincount(labels[src[internal & edges]], minlength=ncomp) > 0
            if kind == WEAK:
                ok &= ~((en_count == size) & ~taken)
            else:
                bad = (en_count > 0) & ~taken
                strong_bad |= bad
                drop |= mask & enabled & bad[labels]
        good = ok & ~strong_bad
        good_states = mask & good[labels]
        if good_states.any():
            comp_ids = np.unique(labels[good_states])
            remap = np.full(ncomp, -1, dtype=np.int64)
            remap[comp_ids] = np.arange(next_id, next_id + len(comp_ids))
            next_id += len(comp_ids)
            fair[good_states] = remap[labels[good_states]]
        # Components that are fair but for strong fairness: drop the states enabling the
        # unserved group and look for fair cycles among the rest.
        mask = mask & (ok & strong_bad)[labels] & ~drop
    return fair


def find_violation(graph, prop):
    """Find a run violating ``prop`` (a leads_to). Returns None, or (prefix ids, cycle edges, dead_end)."""
    ar = _Arrays(graph)
    states = graph.states
    n = ar.n
    goal = _mask_of(states, prop.goal)
    not_goal = ~goal
    if prop.predicate is INITIAL:
        seeds = np.zeros(n, dtype=bool)
        seeds[: graph.n_init] = True
        seeds &= not_goal
    else:
        seeds = _mask_of(states, prop.predicate) & not_goal
    if not seeds.any():
        return None

    groups = []
    for f in prop.fairness:
        edges = ar.group_edges(graph.actions, f)
        enabled = ar.enabled(edges) if f.enabled is None else _mask_of(states, f.enabled)
        groups.append((f.kind, edges, enabled))
    fair = fair_components(ar, not_goal, groups)
    dead_end = not_goal & (ar.outdeg == 0)
    bad = (fair >= 0) | dead_end
    if not bad.any():
        return None

    # Two-layer BFS: node i is state i before the trigger, n+i is state i after it (non-goal
    # only); the last node is a source linked to the initial states. In the "eventually" case
    # the trigger is the initial state itself, so the first layer is not needed.
    src, tgt = ar.src, ar.tgt
    after = not_goal[src] & not_goal[tgt]
    parts_src = [n + src[after]]
    parts_dst = [n + tgt[after]]
    seed_ids = np.flatnonzero(seeds)
    parts_src.append(seed_ids)
    parts_dst.append(n + seed_ids)
    if prop.predicate is not INITIAL:
        parts_src.append(src)
        parts_dst.append(tgt)
    source = 2 * n
    init_ids = np.arange(graph.n_init, dtype=np.int64)
    parts_src.append(np.full(graph.n_init, source, dtype=np.int64))
    parts_dst.append(init_ids)
    matrix = _csr(2 * n + 1, np.concatenate(parts_src), np.concatenate(parts_dst))
    order, pred = breadth_first_order(matrix, source, directed=True, return_predecessors=True)
    reached_bad = order[(order >= n) & (order < 2 * n)]
    reached_bad = reached_bad[bad[reached_bad - n]]
    if len(reached_bad) == 0:
        return None
    target = int(reached_bad[0])
    nodes = []
    v = target
    while v != source:
        nodes.append(v)
        v = int(pred[v])
    nodes.reverse()
    # Node v is state v (before the trigger) or state v - n (after it); the move from layer 0
    # to layer 1 stays on the same state and is not a step of the model.
    ids = []
    prev = None
    for v in nodes:
        sid = v - n if v >= n else v
        if not (prev is not None and prev < n <= v and prev == sid):
            ids.append(sid)
        prev = v
    end = target - n
    if dead_end[end]:
        return ids, [], True
    return ids, _fair_cycle(graph, ar, fair, end, groups), False


def _path_edges(graph, members, start, goal_test):
    """Edges of a shortest path inside ``members`` from ``start`` to a state/edge passing ``goal_test``.

    ``goal_test(edge, target)`` decides on an edge; with ``start`` already good, an empty path.
    """
    offsets, targets = graph.offsets, graph.targets
    seen = {start: None}
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for e in range(offsets[u], offsets[u + 1]):
            v = targets[e]
            if not members[v]:
                continue
            if goal_test(e, v):
                path = [e]
                while u != start:
                    pe = seen[u]
                    path.append(pe)
                    u = bisect_source(graph.offsets, pe)
                path.reverse()
                return path
            if v not in seen:
                seen[v] = e
                queue.append(v)
    raise AssertionError("no path inside a strongly connected component")  # pragma: no cover


def bisect_source(offsets, e):
    """The state whose row in the CSR holds edge ``e``."""
    return bisect_right(offsets, e) - 1


def _fair_cycle(graph, ar: _Arrays, fair, start, groups):
    """A cycle through ``start`` inside its fair SCC that meets every fairness group.

    Weak group: visit a state where it is disabled, if the SCC has one; else take one of its
    internal transitions. Strong group: if it is enabled anywhere in the SCC, take one of its
    internal transitions.
    """
    comp = fair == fair[start]
    members = comp
    requirements = []  # ("state", id) or ("edge", e)
    comp_edges = comp[ar.src] & comp[ar.tgt]
    for kind, edges, enabled in groups:
        internal = np.flatnonzero(comp_edges & edges)
        if kind == WEAK:
            disabled = np.flatnonzero(comp & ~enabled)
            if len(disabled):
                requirements.append(("state", int(disabled[0])))
            else:
                requirements.append(("edge", int(internal[0])))
        elif kind == STRONG and (comp & enabled).any():
            requirements.append(("edge", int(internal[0])))
    cycle = []
    cur = start
    for what, x in requirements:
        if what == "state":
            if cur != x:
                cycle += _path_edges(graph, members, cur, lambda e, v, x=x: v == x)
                cur = x
        else:
            src = bisect_source(graph.offsets, x)
            if cur != src:
                cycle += _path_edges(graph, members, cur, lambda e, v, src=src: v == src)
            cycle.append(x)
            cur = graph.targets[x]
    if cur != start or not cycle:
        cycle += _path_edges(graph, members, cur, lambda e, v: v == start)
    return cycle


def recheck(model, prop, lasso):
    """Re-check a replayed liveness counterexample against the property and its fairness."""
    states, actions = lasso.states, lasso.actions
    # The trigger holds somewhere, and from there on the goal never does.
    if prop.predicate is INITIAL:
        first = 0
    else:
        # The prefix may meet the trigger, then the goal, then the trigger again: what counts is
        # a trigger after the last goal state (the one the goal never answers).
        last_goal = max((i for i, s in enumerate(states) if prop.goal(s)), default=-1)
        first = next((i for i in range(last_goal + 1, len(states)) if prop.predicate(states[i])), None)
        if first is None:
            raise ReplayError(f"property {prop.name!r}: the counterexample never meets the trigger")
    if any(prop.goal(s) for s in states[first:]):
        raise ReplayError(f"property {prop.name!r}: the counterexample meets the goal after the trigger")
    if lasso.dead_end:
        if model.successors(states[-1]):
            raise ReplayError(f"property {prop.name!r}: the counterexample's last state is not a dead end")
        return
    if lasso.loop_start is None or states[-1] != states[lasso.loop_start] or lasso.loop_start >= len(actions):
        raise ReplayError(f"property {prop.name!r}: the counterexample is not a closed lasso")
    if lasso.loop_start < first:
        raise ReplayError(f"property {prop.name!r}: the cycle starts before the trigger")
    cycle_states = states[lasso.loop_start:-1]
    cycle_actions = actions[lasso.loop_start:]
    for f in prop.fairness:
        if f.enabled is None:
            enabled = [any(f.actions(a) for a, _ in model.successors(s)) for s in cycle_states]
        else:
            enabled = [bool(f.enabled(s)) for s in cycle_states]
        taken = any(f.actions(a) for a in cycle_actions)
        fair = taken or (not all(enabled) if f.kind == WEAK else not any(enabled))
        if not fair:
            raise ReplayError(f"property {prop.name!r}: the counterexample's cycle is not {f.kind}ly fair to {f.name!r}")
