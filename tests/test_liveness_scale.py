"""The liveness pass's compact machinery (issue 13, point 4): fingerprints mapped to ids in
place by a hash table, edges walked in blocks without a per-edge source array, the SCC
subgraph without repeated edges handed to scipy's routine directly. Each piece is checked
against a plain reference on random graphs, with blocks small enough that every pass spans
many of them; end to end, verdicts and lassos are the same for both stores and any block
size."""

import random
from array import array

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from tcpmodel.engine import HOLDS, VIOLATED, Eventually, LeadsTo, StrongFairness, WeakFairness, check
from tcpmodel.engine import liveness
from tcpmodel.engine.properties import WEAK
from tcpmodel.errors import ReplayError


# --------------------------------------------------------------------------------------------
# Fingerprints -> ids


def fingerprints(n, seed, low_bits_shared=False):
    rng = np.random.default_rng(seed)
    fps = np.unique(rng.integers(-2 ** 63, 2 ** 63 - 1, size=2 * n, dtype=np.int64))[:n]
    rng.shuffle(fps)
    if low_bits_shared:  # every home slot the same: each lookup probes past all the others
        fps = (fps & ~np.int64(0xFFFF)) | np.int64(0x1234)
        assert len(np.unique(fps)) == n
    return fps


@pytest.mark.parametrize("n, m, shared", [(1, 1, False), (50, 301, True), (3000, 20000, False), (7, 0, False)])
def test_targets_become_ids_in_their_own_array_which_shrinks_to_half(monkeypatch, n, m, shared):
    monkeypatch.setattr(liveness, "ID_CHUNK", 64)  # many blocks: the in-place overwrite crosses them
    fps = fingerprints(n, seed=n, low_bits_shared=shared)
    want = np.random.default_rng(1).integers(0, n, size=m).astype(np.int32)
    targets = array("q", fps[want].tobytes())
    ids = liveness._targets_to_ids(targets, fps)
    assert ids.dtype == np.int32 and ids.tolist() == want.tolist()
    assert len(targets) == (m + 1) // 2  # the array gave back the half it no longer uses
    assert np.shares_memory(ids, np.frombuffer(targets, dtype=np.int32)) or m == 0


def test_numpy_targets_are_overwritten_in_place():
    fps = fingerprints(500, seed=3)
    want = np.random.default_rng(2).integers(0, 500, size=4001).astype(np.int32)
    targets = fps[want]
    ids = liveness._targets_to_ids(targets, fps)
    assert ids.tolist() == want.tolist() and np.shares_memory(ids, targets)


def test_a_fingerprint_of_no_state_is_an_error_not_a_loop():
    fps = fingerprints(100, seed=4)
    stray = np.int64(1) if 1 not in fps else np.int64(2)
    with pytest.raises(ReplayError, match="fingerprint of no stored state"):
        liveness._targets_to_ids(array("q", [int(fps[3]), int(stray)]), fps)


# --------------------------------------------------------------------------------------------
# Random graphs: blocks, SCCs and fair components against the whole-array reference


class Stored:
    """What liveness reads of a Graph: CSR arrays of a random graph with parallel edges."""

    def __init__(self, n, degree, n_actions, seed):
        rng = random.Random(seed)
        rows = []
        for i in range(n):
            k = rng.randint(0, degree)
            row = [(rng.randrange(n) if rng.random() < 0.6 else min(n - 1, max(0, i + rng.randint(-2, 2))),
                    rng.randrange(n_actions)) for _ in range(k)]
            if row and rng.random() < 0.3:
                row.append(row[0])  # the same edge twice (two actions, one next state)
            rows.append(row)
        self.n = n
        self.offsets = array("q", [0])
        self.targets = array("i")
        self.action_ids = array("i")
        for row in rows:
            for t, a in row:
                self.targets.append(t)
                self.action_ids.append(a)
            self.offsets.append(len(self.targets))
        self.fps = None
        self.masks = {}

    def __len__(self):
        return self.n


def reference_scc(ar, mask):
    src = np.repeat(np.arange(ar.n), np.diff(ar.offsets))
    inside = mask[src] & mask[ar.tgt]
    indptr = np.zeros(ar.n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src[inside], minlength=ar.n), out=indptr[1:])
    matrix = csr_matrix((np.ones(int(inside.sum()), dtype=np.int8), ar.tgt[inside], indptr), shape=(ar.n, ar.n))
    return connected_components(matrix, directed=True, connection="strong")


def reference_fair(ar, candidates, groups):
    """The whole-array fair_components this module had before (a source per edge)."""
    n, aid = ar.n, ar.aid
    src = np.repeat(np.arange(n), np.diff(ar.offsets))
    tgt = ar.tgt
    fair = np.full(n, -1, dtype=np.int64)
    next_id = 0
    mask = candidates.copy()
    while mask.any():
        ncomp, labels = reference_scc(ar, mask)
        inside = mask[src] & mask[tgt]
        internal = inside & (labels[src] == labels[tgt])
        has_cycle = np.bincount(labels[src][internal], minlength=ncomp) > 0
        size = np.bincount(labels[mask], minlength=ncomp)
        ok = has_cycle.copy()
        strong_bad = np.zeros(ncomp, dtype=bool)
        drop = np.zeros(n, dtype=bool)
        for kind, member, enabled in groups:
            en_count = np.bincount(labels[mask & enabled], minlength=ncomp)
            taken = np.bincount(labels[src][internal & member[aid]], minlength=ncomp) > 0 if len(member) else \
                np.zeros(ncomp, dtype=bool)
            if kind == WEAK:
                ok &= ~((en_count == size) & ~taken)
            else:
                bad = (en_count > 0) & ~taken
                strong_bad |= bad
                drop |= mask & enabled & bad[labels]
        good_states = mask & (ok & ~strong_bad)[labels]
        for c in np.unique(labels[good_states]):
            fair[good_states & (labels == c)] = next_id
            next_id += 1
        mask = mask & (ok & strong_bad)[labels] & ~drop
    return fair


def same_partition(a, b):
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


GRAPHS = [(n, d, seed) for seed in range(6) for n, d in ((1, 2), (12, 2), (60, 3), (400, 4))]


@pytest.mark.parametrize("n, degree, seed", GRAPHS)
@pytest.mark.parametrize("chunk", [1, 5, 1 << 21])
def test_blocks_cover_every_edge_once_with_its_source(monkeypatch, n, degree, seed, chunk):
    monkeypatch.setattr(liveness, "EDGE_CHUNK", chunk)
    ar = liveness._Arrays(Stored(n, degree, 3, seed))
    src = np.repeat(np.arange(n), np.diff(ar.offsets))
    got, ends = [], 0
    for lo, hi, e0, e1, block_src in ar.blocks():
        assert e0 == ends == ar.offsets[lo] and e1 == ar.offsets[hi]
        got += block_src.tolist()
        ends = e1
    assert got == src.tolist() and ends == len(ar.tgt)


@pytest.mark.parametrize("n, degree, seed", GRAPHS)
@pytest.mark.parametrize("direct", [True, False])
def test_scc_labels_match_scipy_on_the_masked_subgraph(monkeypatch, n, degree, seed, direct):
    monkeypatch.setattr(liveness, "EDGE_CHUNK", 7)
    if not direct:
        monkeypatch.setattr(liveness, "_DIRECT", [None])  # the public connected_components
    ar = liveness._Arrays(Stored(n, degree, 3, seed))
    mask = np.random.default_rng(seed).random(n) < 0.8
    count, labels = liveness._scc_labels(ar, mask)
    want_count, want = reference_scc(ar, mask)
    assert labels.dtype == np.int32 and count == want_count and same_partition(labels, want)


def test_scipy_routine_is_called_directly_here():
    # This box's scipy (1.17) has it and it agrees on the probe graph: no float64 copy.
    assert liveness._direct_scc() is not None


def random_groups(ar, n_actions, seed):
    rng = np.random.default_rng(seed + 100)
    groups = []
    for kind in ("weak", "strong", "weak"):
        member = rng.random(n_actions) < 0.4
        enabled = ar.enabled(member) if rng.random() < 0.5 else rng.random(ar.n) < 0.5
        groups.append((kind, member, enabled))
    groups.append(("weak", np.zeros(0, dtype=bool), np.zeros(ar.n, dtype=bool)))  # no actions at all
    return groups


@pytest.mark.parametrize("n, degree, seed", GRAPHS)
def test_fair_components_match_the_whole_array_reference(monkeypatch, n, degree, seed):
    monkeypatch.setattr(liveness, "EDGE_CHUNK", 9)
    ar = liveness._Arrays(Stored(n, degree, 4, seed))
    groups = random_groups(ar, 4, seed)
    candidates = np.random.default_rng(seed).random(n) < 0.9
    for g in (groups, groups[:1], []):
        fair = liveness.fair_components(ar, candidates, g)
        want = reference_fair(ar, candidates, g)
        assert fair.dtype == np.int32 and ((fair < 0) == (want < 0)).all()
        assert same_partition(fair[fair >= 0], want[want >= 0])


@pytest.mark.parametrize("n, degree, seed", GRAPHS)
def test_enabled_and_first_internal_edges_match_a_plain_scan(monkeypatch, n, degree, seed):
    monkeypatch.setattr(liveness, "EDGE_CHUNK", 4)
    ar = liveness._Arrays(Stored(n, degree, 3, seed))
    src = np.repeat(np.arange(n), np.diff(ar.offsets))
    rng = np.random.default_rng(seed)
    comp = rng.random(n) < 0.5
    members = [rng.random(3) < 0.5 for _ in range(3)] + [np.zeros(0, dtype=bool)]
    for member in members[:3]:
        want = np.zeros(n, dtype=bool)
        want[src[member[ar.aid]]] = True
        assert ar.enabled(member).tolist() == want.tolist()
    firsts = liveness._first_internal_edges(ar, comp, members)
    for member, first in zip(members, firsts):
        hits = [e for e in range(len(ar.tgt)) if len(member) and comp[src[e]] and comp[ar.tgt[e]]
                and member[ar.aid[e]]]
        assert first == (hits[0] if hits else -1)


# --------------------------------------------------------------------------------------------
# End to end on toy models: both stores, any block size, the same verdicts and lassos


class Ring:
    """A ring of ``k`` states with a fair way out and an unfair side loop:

        r0 --step--> r1 --step--> ... --step--> r(k-1) --step--> r0
        r(k-1) --exit--> G (goal, terminal)
        ri --idle--> ri  (every state; a self-loop)
        r2 --side--> q --back--> r2

    Weakly fair ``step`` forbids idling for ever; strongly fair ``exit`` (enabled in r(k-1),
    which the ring passes infinitely often) forbids the ring itself. The side loop r2 <-> q
    never enables ``exit`` and takes no ``step``: it is weakly fair to ``step`` only because
    q disables it -- a fair cycle that never reaches G.
    """

    def __init__(self, k, side=True):
        self.k, self.side = k, side

    def init_states(self):
        return [("r", 0)]

    def successors(self, node):
        if node == ("G", 0):
            return []
        if node == ("q", 0):
            return [("back", ("r", 2))]
        i = node[1]
        out = [("step", ("r", (i + 1) % self.k)), ("idle", node)]
        if i == self.k - 1:
            out.append(("exit", ("G", 0)))
        if i == 2 and self.side:
            out.append(("side", ("q", 0)))
        return out

    def is_terminal(self, node):
        return node == ("G", 0)


def ring_property():
    return Eventually("reaches_G", lambda node: node[0] == "G",
                      [WeakFairness("step", lambda a: a == "step"), StrongFairness("exit", lambda a: a == "exit")])


@pytest.mark.parametrize("chunk", [1, 3, 1 << 21])
@pytest.mark.parametrize("store", ["exact", "fingerprint"])
def test_ring_with_a_fair_side_loop_violates_with_the_same_lasso(monkeypatch, chunk, store):
    monkeypatch.setattr(liveness, "EDGE_CHUNK", chunk)
    monkeypatch.setattr(liveness, "ID_CHUNK", 2)
    v = check(Ring(6), [ring_property()], store=store)["reaches_G"]
    assert v.status == VIOLATED
    assert v.trace.actions == ("step", "step", "side", "back") and v.trace.loop_start == 2
    assert v.trace.states[2] == ("r", 2) and v.trace.states[-1] == ("r", 2)


@pytest.mark.parametrize("chunk", [1, 1 << 21])
@pytest.mark.parametrize("store", ["exact", "fingerprint"])
def test_ring_without_the_side_loop_holds_under_both_fairness_kinds(monkeypatch, chunk, store):
    monkeypatch.setattr(liveness, "EDGE_CHUNK", chunk)
    assert check(Ring(5, side=False), [ring_property()], store=store)["reaches_G"].status == HOLDS
    # Weak fairness of exit alone does not help: exit is not enabled continuously.
    weak = Eventually("reaches_G", lambda node: node[0] == "G", [WeakFairness("step", lambda a: a == "step"),
                                                          WeakFairness("exit", lambda a: a == "exit")])
    v = check(Ring(5, side=False), [weak], store=store)["reaches_G"]
    assert v.status == VIOLATED
    assert v.trace.actions == ("step",) * 5 and v.trace.loop_start == 0


class Counter:
    """``i --inc--> i+1`` up to ``top``, ``i --reset--> 0`` from every state, and the goal is
    ``top``: a big SCC whose every cycle resets; weak fairness of ``inc`` does not force the
    goal (inc is disabled nowhere but the top, reset can be taken for ever)."""

    top = 40

    def init_states(self):
        return [0]

    def successors(self, s):
        out = [("inc", s + 1)] if s < self.top else []
        return out + [("reset", 0)]


@pytest.mark.parametrize("store", ["exact", "fingerprint"])
def test_leads_to_on_a_counter_agrees_across_stores_and_blocks(monkeypatch, store):
    prop = LeadsTo("odd_to_top", lambda s: s % 2 == 1, lambda s: s == Counter.top,
                   [WeakFairness("inc", lambda a: a == "inc")])
    results = []
    for chunk in (1, 2, 1 << 21):
        monkeypatch.setattr(liveness, "EDGE_CHUNK", chunk)
        v = check(Counter(), [prop], store=store)["odd_to_top"]
        results.append((v.status, v.trace.states, v.trace.actions, v.trace.loop_start))
    assert results[0] == results[1] == results[2]
    assert results[0][0] == VIOLATED
    # Reach 1 (the trigger), then the shortest fair cycle from there: reset, inc back to 1.
    assert results[0][1] == (0, 1, 0, 1) and results[0][2] == ("inc", "reset", "inc") and results[0][3] == 1
