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

Memory (issue 13: liveness within 2x the exploration's memory on a 10^7-state graph): the
graph stays in the explorer's compact arrays (int32 targets and action ids, int64 row
offsets), viewed by numpy without copies. The fingerprint store's targets (int64
fingerprints) become int32 ids in their own buffer, which then gives back its second half.
No per-edge source array is kept: the passes that need an edge's source walk the rows in
blocks of ``EDGE_CHUNK`` edges. Each SCC round builds one CSR of the candidate subgraph
(int32 indices and row pointers, rows without repeated targets: 4 bytes an edge) and hands
it to scipy's SCC routine without the float64 copy ``connected_components`` makes. The
two-layer search runs level by level on the same arrays (no 2n-node matrix), with one
int32/int64 predecessor per node. Measured (``benchmarks/bench_liveness.py``, fingerprint
store, 21.6 M states, 1.6e8 transitions): the pass takes 33 s (the exploration 237 s) and the
whole check peaks at 1.7x the safety-only exploration (before: 260 s and 3.4x). This module
imports numpy and scipy; the explorer imports it only when a liveness property is checked.
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


EDGE_CHUNK = 1 << 19  # edges per block in the edge-by-edge passes: bounds their temporaries (~10 MB)
ID_CHUNK = 1 << 18  # fingerprints per block when they are mapped to ids (temporaries ~8 MB)


def _view(x, dtype):
    """A numpy view of one of the explorer's arrays (an ``array.array`` or a numpy array), no copy."""
    return x if isinstance(x, np.ndarray) else np.frombuffer(x, dtype=dtype)


class _IdTable:
    """Fingerprint -> id, for mapping the stored edges' fingerprints to ids: open addressing
    with linear probing over int32 ids (-1 empty), probed a block of keys at a time.

    Why not the sorted fingerprints and a binary search: every search is ~25 dependent cache
    misses on a graph of 10^7 states (measured 1.5 µs a key at 2.2e7 states, against 0.06 µs
    here), and the sort keeps two 8-byte arrays per state; this table is 4 bytes a slot at
    most 80 % full (fingerprints are uniform: their low bits are the home slot)."""

    def __init__(self, fps: np.ndarray):
        self.fps = fps
        capacity = 1 << max(4, int(len(fps) * 5 // 4).bit_length())
        self.mask = capacity - 1
        self.table = np.full(capacity, -1, dtype=np.int32)
        for lo in range(0, len(fps), ID_CHUNK):
            self._insert(np.arange(lo, min(lo + ID_CHUNK, len(fps)), dtype=np.int32))

    def _insert(self, ids):
        table, mask = self.table, self.mask
        slot = self.fps[ids] & mask
        while len(ids):
            empty = table[slot] == -1
            table[slot[empty]] = ids[empty]  # where two ids want one slot, the last write wins
            placed = np.zeros(len(ids), dtype=bool)
            placed[empty] = table[slot[empty]] == ids[empty]
            ids, slot = ids[~placed], (slot[~placed] + 1) & mask

    def ids_of(self, keys: np.ndarray) -> np.ndarray:
        """The ids of ``keys`` (fingerprints that are all in the table)."""
        table, mask, fps = self.table, self.mask, self.fps
        out = np.empty(len(keys), dtype=np.int32)
        pending = np.arange(len(keys))
        slot = keys & mask
        while len(pending):
            held = table[slot]
            if (held < 0).any():
                raise ReplayError("liveness: a stored transition leads to a fingerprint of no stored state")
            hit = fps[held] == keys[pending]
            out[pending[hit]] = held[hit]
            pending, slot = pending[~hit], (slot[~hit] + 1) & mask
        return out


def _targets_to_ids(targets, fps):
    """The fingerprint store's edge targets (int64 fingerprints) as int32 ids, written over the
    fingerprints in their own buffer: no second edge array. An ``array.array`` is then cut to
    the half it still uses (a ``realloc`` that gives the rest back)."""
    table = _IdTable(fps)
    m = len(targets)
    keys = _view(targets, np.int64)
    out = keys.view(np.int32)
    # Block [lo, hi) is read (bytes 8lo..8hi) before its ids are written (bytes 4lo..4hi):
    # the write never reaches a fingerprint not yet read.
    for lo in range(0, m, ID_CHUNK):
        hi = min(lo + ID_CHUNK, m)
        out[lo:hi] = table.ids_of(keys[lo:hi])
    del table, keys
    if isinstance(targets, np.ndarray):
        return out[:m]
    del out  # no exported buffer may remain while the array is resized
    del targets[(m + 1) // 2:]
    return np.frombuffer(targets, dtype=np.int32, count=m)


class _Arrays:
    """The stored graph as numpy arrays (zero-copy views of the explorer's arrays).

    With the fingerprint store, the targets are fingerprints: they are mapped to ids once, in
    place (``_targets_to_ids``), and the graph keeps the ids from then on. No per-edge source
    array is kept (4 bytes an edge): the passes that need an edge's source walk the rows in
    blocks of about ``EDGE_CHUNK`` edges (``blocks``) and expand the sources of one block.
    """

    def __init__(self, graph):
        self.n = n = len(graph)
        self.offsets = _view(graph.offsets, np.int64)
        if graph.fps is not None and not getattr(graph, "targets_are_ids", False):
            graph.targets = _targets_to_ids(graph.targets, _view(graph.fps, np.int64))
            graph.targets_are_ids = True
        self.tgt = _view(graph.targets, np.int32)
        self.aid = _view(graph.action_ids, np.int32)
        self.outdeg = np.diff(self.offsets).astype(np.int32)
        m = int(self.offsets[-1]) if n else 0
        cuts = np.searchsorted(self.offsets, np.arange(EDGE_CHUNK, m, EDGE_CHUNK), side="left")
        self.cuts = np.unique(np.concatenate([[0], cuts, [n]])).tolist()

    def blocks(self):
        """``(lo, hi, e0, e1, src)``: states lo..hi-1, their edges e0..e1-1 and each edge's source."""
        offsets, outdeg, cuts = self.offsets, self.outdeg, self.cuts
        for lo, hi in zip(cuts, cuts[1:]):
            src = np.repeat(np.arange(lo, hi, dtype=np.int32), outdeg[lo:hi])
            yield lo, hi, int(offsets[lo]), int(offsets[hi]), src

    def enabled(self, member) -> np.ndarray:
        """States with an outgoing transition whose action is in ``member`` (bool per action)."""
        en = np.zeros(self.n, dtype=bool)
        if len(member):
            aid = self.aid
            for _lo, _hi, e0, e1, src in self.blocks():
                en[src[member[aid[e0:e1]]]] = True
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
    """SCCs of the subgraph induced by ``mask``: (count, int32 label per state).

    The subgraph's CSR is built block by block into one index array of its exact size, each
    row's targets sorted and without repeats (parallel edges are one edge for the SCCs; the
    direct call of scipy's routine needs this, see ``_strong_components``). A state outside
    ``mask`` has an empty row and no edge in: it is an SCC of its own without a cycle.
    """
    n, tgt = ar.n, ar.tgt
    total = 0
    for _lo, _hi, e0, e1, src in ar.blocks():
        total += int(np.count_nonzero(mask[src] & mask[tgt[e0:e1]]))
    code = np.int64 if max(total, n) >= 2 ** 31 else np.int32
    indices = np.empty(total, dtype=code)
    indptr = np.zeros(n + 1, dtype=code)
    pos = 0
    for lo, hi, e0, e1, src in ar.blocks():
        t = tgt[e0:e1]
        inside = mask[src] & mask[t]
        key = (src[inside].astype(np.int64) << 32) | t[inside]  # (source, target), sortable
        del inside
        key.sort()
        if len(key):
            first = np.empty(len(key), dtype=bool)
            first[0] = True
            np.not_equal(key[1:], key[:-1], out=first[1:])
            key = key[first]
        indices[pos:pos + len(key)] = key & 0xFFFFFFFF
        indptr[lo + 1:hi + 1] = np.bincount((key >> 32) - lo, minlength=hi - lo)
        pos += len(key)
    np.cumsum(indptr, out=indptr)
    return _strong_components(indices[:pos], indptr, n)


_DIRECT = []  # [scipy's SCC routine called directly, or None]: decided once per process


def _direct_scc():
    """scipy's own SCC routine on int32 CSR arrays, if this scipy has it and it agrees with
    ``connected_components`` on a probe graph; else None.

    Why: ``connected_components`` validates its argument into a float64 copy of the matrix
    (scipy 1.17: 8 bytes an edge, and a copy of the indices: 12-13 bytes an edge more than the
    graph, 2 GB on a 1.6e8-edge graph). The routine itself only reads the index arrays. Its
    older implementation (Pearce's) mislabels a row that repeats a target, hence the rows
    without repeats."""
    if not _DIRECT:
        try:
            from scipy.sparse.csgraph import _traversal

            routine = _traversal._connected_components_directed
            indptr = np.array([0, 1, 3, 5, 6, 7, 8, 8], dtype=np.int32)
            indices = np.array([1, 0, 2, 2, 3, 2, 0, 6], dtype=np.int32)  # 0<->1 -> 2<->3 (2, 3 loop)
            labels = np.empty(7, dtype=np.int32)
            count = routine(indices, indptr, labels)
            matrix = csr_matrix((np.ones(8, dtype=np.int8), indices, indptr), shape=(7, 7))
            want_count, want = connected_components(matrix, directed=True, connection="strong")
            pairs = len(set(zip(labels.tolist(), want.tolist())))
            _DIRECT.append(routine if count == want_count == pairs == len(set(labels.tolist())) else None)
        except Exception:  # another scipy: the public function
            _DIRECT.append(None)
    return _DIRECT[0]


def _strong_components(indices, indptr, n):
    """(count, int32 label per node) of the SCCs of a CSR graph without repeated row entries."""
    routine = _direct_scc()
    if routine is not None and indices.dtype == np.int32:
        labels = np.empty(n, dtype=np.int32)
        return int(routine(indices, indptr, labels)), labels
    matrix = csr_matrix((np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(n, n))
    ncomp, labels = connected_components(matrix, directed=True, connection="strong")
    return ncomp, labels.astype(np.int32, copy=False)


def fair_components(ar: _Arrays, candidates: np.ndarray, groups) -> np.ndarray:
    """Label every state lying in a fair SCC of the subgraph induced by ``candidates``.

    ``groups`` is a list of (kind, member per action, enabled-state mask). Returns an int32
    array, -1 for states in no fair SCC, else an id shared by the states of one fair SCC (ids
    stay distinct across the strong-fairness refinement rounds).
    """
    n, tgt, aid = ar.n, ar.tgt, ar.aid
    fair = np.full(n, -1, dtype=np.int32)
    next_id = 0
    mask = candidates.copy()
    while mask.any():
        ncomp, labels = _scc_labels(ar, mask)
        # The edges inside one SCC (a source in the mask and both ends with one label: a state
        # outside the mask is an SCC of its own), block by block: the SCCs that have one (a
        # cycle), and those where each group has one.
        has_cycle = np.zeros(ncomp, dtype=bool)
        taken = [np.zeros(ncomp, dtype=bool) for _ in groups]
        for _lo, _hi, e0, e1, src in ar.blocks():
            lab_src = labels[src]
            internal = mask[src] & (lab_src == labels[tgt[e0:e1]])
            lab_in = lab_src[internal]
            del lab_src
            has_cycle[lab_in] = True
            if groups:
                aid_in = aid[e0:e1][internal]
                for (_kind, member, _enabled), took in zip(groups, taken):
                    if len(member):
                        took[lab_in[member[aid_in]]] = True
        ok = has_cycle
        strong_bad = np.zeros(ncomp, dtype=bool)
        drop = np.zeros(n, dtype=bool)
        for (kind, _member, enabled), took in zip(groups, taken):
            # One bool per SCC, not a count (8 bytes): a weak group is enabled all over its SCC
            # when no state of it disables the group; a strong one, when some state enables it.
            if kind == WEAK:
                disabled_somewhere = np.zeros(ncomp, dtype=bool)
                disabled_somewhere[labels[mask & ~enabled]] = True
                ok &= disabled_somewhere | took
            else:
                bad = np.zeros(ncomp, dtype=bool)
                bad[labels[mask & enabled]] = True
                bad &= ~took
                strong_bad |= bad
                drop |= mask & enabled & bad[labels]
        del taken
        good = ok & ~strong_bad
        good_states = mask & good[labels]
        if good_states.any():
            comp_ids = np.unique(labels[good_states])
            remap = np.full(ncomp, -1, dtype=np.int32)
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


def _first_internal_edges(ar: _Arrays, comp, members):
    """For each ``member`` (bool per action), the first edge (in edge order) between two states
    of ``comp`` whose action is a member, or -1."""
    first = [-1] * len(members)
    tgt, aid = ar.tgt, ar.aid
    for _lo, _hi, e0, e1, src in ar.blocks():
        inside = comp[src] & comp[tgt[e0:e1]]
        if not inside.any():
            continue
        for g, member in enumerate(members):
            if first[g] < 0 and len(member):
                hits = np.flatnonzero(inside & member[aid[e0:e1]])
                if len(hits):
                    first[g] = e0 + int(hits[0])
        if min(first, default=0) >= 0:
            break
    return first


def _fair_cycle(ar: _Arrays, fair, start, groups):
    """A cycle through ``start`` inside its fair SCC that meets every fairness group.

    Weak group: visit a state where it is disabled, if the SCC has one; else take one of its
    internal transitions. Strong group: if it is enabled anywhere in the SCC, take one of its
    internal transitions.
    """
    comp = fair == fair[start]
    requirements = []  # ("state", id) or ("edge", e)
    internal = _first_internal_edges(ar, comp, [member for _kind, member, _enabled in groups])
    for (kind, member, enabled), first in zip(groups, internal):
        if kind == WEAK:
            disabled = np.flatnonzero(comp & ~enabled)
            if len(disabled):
                requirements.append(("state", int(disabled[0])))
            else:
                requirements.append(("edge", first))
        elif kind == STRONG and (comp & enabled).any():
            requirements.append(("edge", first))
    if any(what == "edge" and x < 0 for what, x in requirements):  # pragma: no cover
        raise AssertionError("a fair SCC without an internal transition of a group it needs")
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
