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

Memory: the graph stays in the explorer's compact arrays (int32 targets and action ids, int64
row offsets), viewed by numpy without copies; each SCC round builds one CSR of the candidate
subgraph (int32 indices, int8 data); the two-layer search runs level by level on the same
arrays (no 2n-node matrix), with one int32/int64 predecessor per node. This module imports
numpy and scipy; the explorer imports it only when a liveness property is checked.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from ..errors import ModelDefinitionError, ReplayError
from .contract import short
from .properties import INITIAL, STRONG, WEAK


def _mask(graph, predicate, what) -> np.ndarray:
    """``predicate`` on every state, as a bool array: the byte mask the explorer filled (the
    fingerprint store), or computed from the stored states (the exact store)."""
    if predicate in graph.masks:
        return np.frombuffer(graph.masks[predicate], dtype=np.bool_)
    states = graph.states
    try:
        # map() calls the predicate (and bool) from C, without a generator frame: about 10%
        # faster than a generator expression; one call per state, in state order.
        return np.fromiter(map(bool, map(predicate, states)), dtype=bool, count=len(states))
    except Exception as exc:
        for s in states:  # name the state (a raising predicate is a contract breach)
            try:
                predicate(s)
            except Exception:
                break
        else:
            s = None
        shown = "" if s is None else f" on the state {short(s)}"
        raise ModelDefinitionError(f"{what} raised {type(exc).__name__}: {exc}{shown}"[:800]) from exc


class _Arrays:
    """The stored graph as numpy arrays (zero-copy views of the explorer's arrays).

    With the fingerprint store, the targets are fingerprints: they are mapped to ids once
    (sorted fingerprints, binary search) and the graph keeps the ids from then on.
    """

    def __init__(self, graph):
        self.n = n = len(graph)
        self.offsets = np.frombuffer(graph.offsets, dtype=np.int64)
        if graph.fps is not None and not getattr(graph, "targets_are_ids", False):
            fps = np.frombuffer(graph.fps, dtype=np.int64)
            order = np.argsort(fps, kind="stable")
            where = np.searchsorted(fps[order], np.frombuffer(graph.targets, dtype=np.int64))
            graph.targets = order[where].astype(np.int32)
            graph.targets_are_ids = True
            del order, where
        self.tgt = np.asarray(graph.targets) if isinstance(graph.targets, np.ndarray) else \
            np.frombuffer(graph.targets, dtype=np.int32)
        self.aid = np.frombuffer(graph.action_ids, dtype=np.int32)
        self.outdeg = np.diff(self.offsets)
        self.src = np.repeat(np.arange(n, dtype=np.int32), self.outdeg)

    def enabled(self, member) -> np.ndarray:
        """States with an outgoing transition whose action is in ``member`` (bool per action)."""
        en = np.zeros(self.n, dtype=bool)
        if len(member):
            en[self.src[member[self.aid]]] = True
        return en


def _call(f, what, fn, arg):
    try:
        return fn(arg)
    except Exception as exc:
        raise ModelDefinitionError(f"fairness {f.name!r}: its {what} raised {type(exc).__name__}: {exc} on the "
                                   f"action {arg!r}"[:600]) from exc


def fairness_groups(fairness, actions):
    """Expand fairness declarations into groups ``(fairness, kind, member, key)``.

    ``member`` is a bool per action id. A plain fairness is one group; a ``fair_each`` family
    is one group per distinct ``key(action)`` among the graph's actions, in order of first
    appearance (None keys belong to no group).
    """
    groups = []
    for f in fairness:
        if f.key is None:
            member = np.fromiter((bool(_call(f, "actions", f.actions, a)) for a in actions), dtype=bool,
                                 count=len(actions))
            groups.append((f, f.kind, member, None))
            continue
        keys = [(_call(f, "key", f.key, a) if _call(f, "actions", f.actions, a) else None) for a in actions]
        seen = {}
        for k in keys:
            if k is not None and k not in seen:
                seen[k] = len(seen)
        ids = np.fromiter((-1 if k is None else seen[k] for k in keys), dtype=np.int64, count=len(keys))
        for k, i in seen.items():
            groups.append((f, f.kind, ids == i, k))
    return groups


def _scc_labels(ar: _Arrays, mask):
    """SCCs of the subgraph induced by ``mask``: (count, int32 label per state, per-edge inside mask)."""
    n, src, tgt = ar.n, ar.src, ar.tgt
    inside = mask[src] & mask[tgt]
    counts = np.bincount(src[inside], minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    del counts
    indices = tgt[inside]
    matrix = csr_matrix((np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(n, n))
    ncomp, labels = connected_components(matrix, directed=True, connection="strong")
    return ncomp, labels.astype(np.int32, copy=False), inside


def fair_components(ar: _Arrays, candidates: np.ndarray, groups) -> np.ndarray:
    """Label every state lying in a fair SCC of the subgraph induced by ``candidates``.

    ``groups`` is a list of (kind, member per action, enabled-state mask). Returns an int array,
    -1 for states in no fair SCC, else an id shared by the states of one fair SCC (ids stay
    distinct across the strong-fairness refinement rounds).
    """
    n, src, tgt, aid = ar.n, ar.src, ar.tgt, ar.aid
    fair = np.full(n, -1, dtype=np.int64)
    next_id = 0
    mask = candidates.copy()
    while mask.any():
        ncomp, labels, inside = _scc_labels(ar, mask)
        lab_src = labels[src]
        internal = inside & (lab_src == labels[tgt])
        del inside
        has_cycle = np.bincount(lab_src[internal], minlength=ncomp) > 0
        size = np.bincount(labels[mask], minlength=ncomp)
        ok = has_cycle.copy()
        strong_bad = np.zeros(ncomp, dtype=bool)
        drop = np.zeros(n, dtype=bool)
        for kind, member, enabled in groups:
            en_count = np.bincount(labels[mask & enabled], minlength=ncomp)
            taken = np.bincount(lab_src[internal & member[aid]], minlength=ncomp) > 0 if len(member) else \
                np.zeros(ncomp, dtype=bool)
            if kind == WEAK:
                ok &= ~((en_count == size) & ~taken)
            else:
                bad = (en_count > 0) & ~taken
                strong_bad |= bad
                drop |= mask & enabled & bad[labels]
        del lab_src, internal
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
    n = ar.n
    not_goal = ~_mask(graph, prop.goal, f"property {prop.name!r}: its goal")
    if prop.predicate is INITIAL:
        seeds = np.zeros(n, dtype=bool)
        seeds[: graph.n_init] = True
        seeds &= not_goal
    else:
        seeds = _mask(graph, prop.predicate, f"property {prop.name!r}: its trigger") & not_goal
    if not seeds.any():
        return None

    groups = []
    for f, kind, member, _key in fairness_groups(prop.fairness, graph.actions):
        enabled = ar.enabled(member) if f.enabled is None else \
            _mask(graph, f.enabled, f"property {prop.name!r}: its fairness {f.name!r} enabled predicate")
        groups.append((kind, member, enabled))
    fair = fair_components(ar, not_goal, groups)
    dead_end = not_goal & (ar.outdeg == 0)
    bad = (fair >= 0) | dead_end
    if not bad.any():
        return None
    found = _shortest_prefix(ar, graph.n_init, seeds, not_goal, bad, prop.predicate is not INITIAL)
    if found is None:
        return None
    ids, end = found
    if dead_end[end]:
        return ids, [], True
    return ids, _fair_cycle(ar, fair, end, groups), False


def _shortest_prefix(ar: _Arrays, n_init, seeds, not_goal, bad, before_layer):
    """Shortest path from an initial state, through a seed, to a bad state after it.

    Breadth-first over two layers without building them: node i is state i before the
    trigger, node n+i is state i after it (non-goal states only). Layer 0 follows every edge
    (only when ``before_layer``), seed i links i to n+i, layer 1 follows edges between
    non-goal states. Each node's neighbours are visited in increasing node number, level by
    level, so the first bad node met is the one a queue-based BFS meets first. Returns
    (state ids of the path, its last state) or None.
    """
    n, offsets, tgt = ar.n, ar.offsets, ar.tgt
    code = np.int64 if 2 * n >= 2 ** 31 else np.int32
    visited = np.zeros(2 * n, dtype=bool)
    pred = np.full(2 * n, -1, dtype=code)
    frontier = np.arange(n_init, dtype=np.int64)
    visited[frontier] = True
    target = None
    while len(frontier) and target is None:
        in1 = frontier >= n
        ids = np.where(in1, frontier - n, frontier)
        starts = offsets[ids]
        counts = offsets[ids + 1] - starts
        if not before_layer:
            counts = np.where(in1, counts, 0)
        pos = np.repeat(np.arange(len(frontier)), counts)
        first = np.cumsum(counts) - counts
        eidx = np.repeat(starts - first, counts) + np.arange(int(counts.sum()))
        t = tgt[eidx].astype(np.int64)
        layer1 = in1[pos]
        keep = ~layer1 | not_goal[t]
        cand = t + n * layer1
        seed_pos = np.flatnonzero(~in1 & seeds[ids])
        all_pos = np.concatenate([pos[keep], seed_pos])
        all_cand = np.concatenate([cand[keep], n + ids[seed_pos]])
        order = np.lexsort((all_cand, all_pos))
        all_pos, all_cand = all_pos[order], all_cand[order]
        new = ~visited[all_cand]
        all_pos, all_cand = all_pos[new], all_cand[new]
        _, firsts = np.unique(all_cand, return_index=True)
        firsts.sort()
        all_pos, all_cand = all_pos[firsts], all_cand[firsts]
        visited[all_cand] = True
        pred[all_cand] = frontier[all_pos]
        after = all_cand >= n
        hits = all_cand[after][bad[all_cand[after] - n]]
        if len(hits):
            target = int(hits[0])
        frontier = all_cand
    if target is None:
        return None
    nodes = []
    v = target
    while v != -1:
        nodes.append(v)
        v = int(pred[v])
    nodes.reverse()
    # The move from layer 0 to layer 1 stays on the same state and is not a step of the model.
    ids = []
    prev = None
    for v in nodes:
        sid = v - n if v >= n else v
        if not (prev is not None and prev < n <= v and prev == sid):
            ids.append(sid)
        prev = v
    return ids, target - n


def _path_edges(ar: _Arrays, members, start, goal_test):
    """Edges of a shortest path inside ``members`` from ``start`` to a state/edge passing ``goal_test``.

    ``goal_test(edge, target)`` decides on an edge; with ``start`` already good, an empty path.
    """
    offsets, targets = ar.offsets, ar.tgt
    seen = {start: None}
    queue = deque([start])
    while queue:
        u = queue.popleft()
        for e in range(int(offsets[u]), int(offsets[u + 1])):
            v = int(targets[e])
            if not members[v]:
                continue
            if goal_test(e, v):
                path = [e]
                while u != start:
                    pe = seen[u]
                    path.append(pe)
                    u = bisect_source(offsets, pe)
                path.reverse()
                return path
            if v not in seen:
                seen[v] = e
                queue.append(v)
    raise AssertionError("no path inside a strongly connected component")  # pragma: no cover


def bisect_source(offsets, e):
    """The state whose row in the CSR holds edge ``e``."""
    return int(np.searchsorted(offsets, e, side="right")) - 1


def _fair_cycle(ar: _Arrays, fair, start, groups):
    """A cycle through ``start`` inside its fair SCC that meets every fairness group.

    Weak group: visit a state where it is disabled, if the SCC has one; else take one of its
    internal transitions. Strong group: if it is enabled anywhere in the SCC, take one of its
    internal transitions.
    """
    comp = fair == fair[start]
    requirements = []  # ("state", id) or ("edge", e)
    comp_edges = comp[ar.src] & comp[ar.tgt]
    for kind, member, enabled in groups:
        internal = np.flatnonzero(comp_edges & member[ar.aid]) if len(member) else np.zeros(0, dtype=np.int64)
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
                cycle += _path_edges(ar, comp, cur, lambda e, v, x=x: v == x)
                cur = x
        else:
            src = bisect_source(ar.offsets, x)
            if cur != src:
                cycle += _path_edges(ar, comp, cur, lambda e, v, src=src: v == src)
            cycle.append(x)
            cur = int(ar.tgt[x])
    if cur != start or not cycle:
        cycle += _path_edges(ar, comp, cur, lambda e, v: v == start)
    return cycle


def _cycle_is_fair(model, f, cycle_states, cycle_actions) -> bool:
    """Whether the cycle is weakly/strongly fair to ``f`` (every group of a ``fair_each`` family)."""
    if f.key is None:
        if f.enabled is None:
            enabled = [any(f.actions(a) for a, _ in model.successors(s)) for s in cycle_states]
        else:
            enabled = [bool(f.enabled(s)) for s in cycle_states]
        taken = any(f.actions(a) for a in cycle_actions)
        return taken or (not all(enabled) if f.kind == WEAK else not any(enabled))
    keys_of = lambda acts: {f.key(a) for a in acts if f.actions(a)} - {None}  # noqa: E731
    enabled = [keys_of(a for a, _ in model.successors(s)) for s in cycle_states]
    taken = keys_of(cycle_actions)
    for k in set().union(*enabled) - taken:
        if (all(k in e for e in enabled) if f.kind == WEAK else True):
            return False
    return True


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
        if not _cycle_is_fair(model, f, cycle_states, cycle_actions):
            raise ReplayError(f"property {prop.name!r}: the counterexample's cycle is not {f.kind}ly fair to {f.name!r}")
