"""The vectorised exploration: the TCP model's chunk-at-a-time expansion (tcp/vector.py), the
exact numpy key table (engine/visited.py) and the engine's vectorised loop. Each is held to the
one-state-at-a-time implementation it replaces: the same successors in the same order, the same
ids, parents, levels, edges and counterexamples, the same stops at a state limit."""

from pathlib import Path

import numpy as np
import pytest

from tcpmodel.engine import check, explore
from tcpmodel.engine.visited import KeyTable
from tcpmodel.spec import load
from tcpmodel.tcp import TcpConfig, TcpModel, build
from test_engine_compact import bfs_keys

ROOT = Path(__file__).resolve().parent.parent
ALL_SPECS = sorted(p.stem for p in (ROOT / "specs").glob("*.toml"))
SPECS = ["rfc9293_faults", "rfc1337_reuse", "rfc9293_abort", "canonical_fifo", "rfc9293_simultaneous",
         "rfc1337_closed_lifetime", "early_close", "rfc9293_throttled"]


# --------------------------------------------------------------------------------------------
# The model's expansion


@pytest.mark.parametrize("name", ALL_SPECS)
def test_expand_gives_the_compact_successors_in_order(name):
    space = TcpModel(load(ROOT / "specs" / f"{name}.toml").config).compact()
    vector = space.vector()
    assert vector is not None
    keys = bfs_keys(space, 2500)
    lo = 0
    for size in [1, 7, 300, 1000, 5000]:  # chunks of every size, boundaries anywhere
        chunk = keys[lo:lo + size]
        if not chunk:
            break
        counts, targets, aids = vector.expand(np.array(chunk, dtype=np.uint64), True)
        want = [space.successors(k) for k in chunk]
        assert counts.tolist() == [len(w) for w in want]
        assert targets.tolist() == [t for w in want for _a, t in w]
        assert [vector.action(a) for a in aids.tolist()] == [a for w in want for a, _t in w]
        _, same, none = vector.expand(np.array(chunk, dtype=np.uint64), False)
        assert same.tolist() == targets.tolist() and none is None
        lo += size


def test_expand_of_no_keys_is_empty():
    vector = TcpModel(TcpConfig()).compact().vector()
    counts, targets, aids = vector.expand(np.zeros(0, dtype=np.uint64), True)
    assert len(counts) == len(targets) == len(aids) == 0


def test_no_vectorised_view_when_a_key_outgrows_64_bits():
    """The s2c field must be as wide as the c2s one within 64 bits; past that the one-at-a-time
    loops explore (Python ints have no width), with the same counts."""
    config = TcpConfig(channel="fifo", loss=1, dup=1, msl=1)
    wide = TcpModel(config)
    wide._key_widths = {**wide._key_widths, "channel_bits": 30}
    assert wide.compact().vector() is None
    assert TcpModel(config).compact().vector() is not None
    a, b = check(wide, []), check(TcpModel(config), [])
    assert (a.stats.states, a.stats.transitions, a.stats.depth) == (b.stats.states, b.stats.transitions, b.stats.depth) == (14872, 37200, 27)


# --------------------------------------------------------------------------------------------
# The engine's loop against the one-at-a-time loops


def run(name, store, keep_graph=False, max_states=None, properties=None):
    spec = load(ROOT / "specs" / f"{name}.toml")
    props = build(spec.properties if properties is None else properties)
    return check(TcpModel(spec.config), props, store=store, keep_graph=keep_graph,
                 max_states=max_states or spec.max_states)


def summary(r):
    verdicts = {n: (v.status, v.trace and (v.trace.states, v.trace.actions, v.trace.loop_start))
                for n, v in r.verdicts.items()}
    return r.stats.states, r.stats.transitions, r.stats.depth, r.stats.complete, verdicts


def safety(name):
    spec = load(ROOT / "specs" / f"{name}.toml")
    return [p for p in spec.properties if build([p])[0].kind in ("always", "sometimes", "deadlock", "leads_to")]


@pytest.mark.parametrize("name", SPECS)
def test_the_kept_graph_is_the_one_at_a_time_graph(name, monkeypatch):
    """Same ids, parents, levels, states, edges (targets, actions) -- state for state."""
    vec = run(name, "exact", keep_graph=True, properties=[])
    monkeypatch.setattr(explore, "vector_of", lambda space: None)
    ref = run(name, "exact", keep_graph=True, properties=[])
    g, h = vec.state_graph, ref.state_graph
    assert list(g.parent) == list(h.parent)
    assert g.level_starts == h.level_starts
    assert list(g.states) == list(h.states)
    assert list(g.offsets) == list(h.offsets)
    assert list(g.targets) == list(h.targets)
    assert [g.actions[a] for a in g.action_ids] == [h.actions[a] for a in h.action_ids]
    assert g.actions == h.actions  # action ids in order of first use, as before


@pytest.mark.parametrize("name", SPECS)
@pytest.mark.parametrize("store", ["exact", "fingerprint"])
def test_verdicts_and_counterexamples_are_the_one_at_a_time_ones(name, store, monkeypatch):
    """Safety and liveness properties (the step properties run the one-at-a-time loop anyway)."""
    vec = summary(run(name, store, properties=safety(name)))
    monkeypatch.setattr(explore, "vector_of", lambda space: None)
    assert vec == summary(run(name, store, properties=safety(name)))


@pytest.mark.parametrize("limit", [1, 777, 5000])
@pytest.mark.parametrize("store", ["exact", "fingerprint"])
def test_a_state_limit_stops_where_the_one_at_a_time_loop_stops(limit, store, monkeypatch):
    vec = summary(run("rfc1337_reuse", store, max_states=limit, properties=safety("rfc1337_reuse")))
    monkeypatch.setattr(explore, "vector_of", lambda space: None)
    ref = summary(run("rfc1337_reuse", store, max_states=limit, properties=safety("rfc1337_reuse")))
    assert vec == ref and not vec[3]


@pytest.mark.parametrize("limit", [16_384, 50_000, 70_001])
def test_a_state_limit_past_a_whole_chunk_stops_where_the_one_at_a_time_loop_stops(limit, monkeypatch):
    """Levels wider than a vectorised chunk: the limit falls inside chunks of 2**14 states."""
    config = TcpConfig(channel="bag", loss=1, dup=1, msl=1, rto=1)
    runs = []
    for vector in (True, False):
        if not vector:
            monkeypatch.setattr(explore, "vector_of", lambda space: None)
        r = check(TcpModel(config), build(["no_reuse_before_2msl"]), max_states=limit, keep_graph=True)
        runs.append((r.stats.states, r.stats.transitions, r.stats.depth, list(r.state_graph.parent),
                     r.state_graph.level_starts, list(r.state_graph.targets)))
    assert runs[0] == runs[1]
    assert limit <= runs[0][0] < limit + 1024 * 40


def test_first_occurrences_are_those_of_a_stable_unique():
    rng = np.random.default_rng(5)
    for n in [0, 1, 2, 9, 1000, 30_000]:
        codes = rng.integers(0, max(n // 3, 1), size=n).astype(np.int64)
        _, want = np.unique(codes, return_index=True)
        assert explore._first_occurrences(codes).tolist() == sorted(want.tolist())


def test_the_vectorised_loop_is_the_one_used_for_safety(monkeypatch):
    used = []
    real = explore._loop_vector
    monkeypatch.setattr(explore, "_loop_vector", lambda ctx, limits: used.append(1) or real(ctx, limits))
    r = run("rfc9293_faults", "exact", properties=safety("rfc9293_faults"))
    assert used and r.stats.complete


def test_an_error_in_expansion_names_the_model(monkeypatch):
    """An exception in the vectorised expansion is reported like one in ``successors``."""
    from tcpmodel.errors import ModelDefinitionError
    from tcpmodel.tcp.vector import VectorTcp

    def broken(self, keys, with_actions=False):
        raise ValueError("boom")

    monkeypatch.setattr(VectorTcp, "expand", broken)
    with pytest.raises(ModelDefinitionError, match="boom"):
        run("rfc9293", "exact", properties=[])


# --------------------------------------------------------------------------------------------
# The exact key table


@pytest.mark.parametrize("with_values", [False, True])
def test_the_key_table_is_a_set_or_a_map(with_values):
    rng = np.random.default_rng(11)
    table, ref = KeyTable(with_values, capacity=4), {}
    for _ in range(200):
        # Narrow values (repeats, probe collisions, the key 0) and now and then the extremes.
        batch = rng.integers(-2000, 2000, size=int(rng.integers(1, 400)))
        batch = np.concatenate([batch, [np.iinfo(np.int64).min, np.iinfo(np.int64).max, -1]]).astype(np.int64)
        slots = table.find(batch)
        assert (slots >= 0).tolist() == [int(x) in ref for x in batch]
        if with_values:
            assert table.get(batch).tolist() == [ref.get(int(x), -1) for x in batch]
        new = list(dict.fromkeys(x for x in batch.tolist() if x not in ref))
        values = np.arange(len(ref), len(ref) + len(new), dtype=np.int64)
        ref.update(zip(new, values.tolist()))
        table.insert(np.array(new, dtype=np.int64), values if with_values else None)
        assert len(table) == len(ref)
    assert 0 in ref and table.zero
    assert table.mask + 1 >= len(ref) / KeyTable.MAX_LOAD  # grown: never fuller than that


@pytest.mark.parametrize("with_values", [False, True])
def test_the_key_table_with_long_clusters_wrapping_around_the_end(with_values):
    """Keys chosen so that more than ``_FEW`` of them probe at once, in one cluster that wraps
    around the end of the table (slot by slot, then by windows), next to the key 0."""
    from tcpmodel.engine import visited

    rng = np.random.default_rng(3)
    table, ref = KeyTable(with_values, capacity=1 << 12), {}
    cap = table.mask + 1
    pool = rng.integers(1, 1 << 62, size=400_000).astype(np.int64)
    home = table._home(pool)
    near_end = pool[home >= cap - 24]  # they all start their probes in the last 24 slots
    assert len(near_end) > 2 * visited._FEW
    batches = [near_end[:1500], np.concatenate([near_end[1500:2000], [0]]), pool[:700]]
    for batch in batches:
        slots = table.find(batch)
        assert (slots >= 0).tolist() == [int(x) in ref for x in batch]
        new = [x for x in dict.fromkeys(batch.tolist()) if x not in ref]
        values = rng.permutation(1 << 20)[:len(new)].astype(np.int64)  # values unrelated to the order
        ref.update(zip(new, values.tolist()))
        table.insert(np.array(new, dtype=np.int64), values if with_values else None)
        assert table.mask + 1 == cap and len(table) == len(ref)  # no growth: the clusters stay long
    absent = pool[-5000:]
    query = np.concatenate([np.array(list(ref), dtype=np.int64), absent, near_end[2000:3000]])
    want = [ref.get(int(x), -1) for x in query]
    assert (table.find(query) >= 0).tolist() == [w != -1 for w in want]
    if with_values:
        assert table.get(query).tolist() == want
    # Every slot a key claimed holds it; none is held twice.
    held = table.keys[:cap]
    assert sorted(held[held != 0].tolist()) == sorted(k for k in ref if k != 0)
    # Rebuilt from blocks of the keys (in any order, the key 0 among them) to a bigger table.
    keys = np.array(list(ref), dtype=np.int64)
    order = rng.permutation(len(keys))
    blocks = [(keys[order[i:i + 1000]], np.array([ref[int(k)] for k in keys[order[i:i + 1000]]], dtype=np.int64)
               if with_values else None) for i in range(0, len(keys), 1000)]
    table.rebuild(len(keys) + 5000, iter(blocks))
    assert table.mask + 1 >= (len(keys) + 5000) / KeyTable.MAX_LOAD and len(table) == len(ref) and table.zero
    assert (table.find(query) >= 0).tolist() == [w != -1 for w in want]
    if with_values:
        assert table.get(query).tolist() == want


@pytest.mark.parametrize("with_values", [False, True])
def test_the_key_table_against_a_dict_in_big_random_batches(with_values):
    """Batches past ``_FEW`` keys, growth by ``insert`` and by ``rebuild``, a narrow key range
    (many keys claim one slot) and the whole 64-bit range."""
    rng = np.random.default_rng(17)
    table, ref = KeyTable(with_values, capacity=1 << 10), {}
    for round_ in range(60):
        wide = round_ % 2
        size = int(rng.integers(1, 6000))
        batch = (rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=size) if wide
                 else rng.integers(-3000, 3000, size=size)).astype(np.int64)
        got = table.find(batch)
        assert (got >= 0).tolist() == [int(x) in ref for x in batch]
        if with_values:
            assert table.get(batch).tolist() == [ref.get(int(x), -1) for x in batch]
        new = [x for x in dict.fromkeys(batch.tolist()) if x not in ref]
        values = rng.integers(0, 1 << 40, size=len(new)).astype(np.int64)
        if round_ % 7 == 3 and table.needs_room(len(new)):
            keys = np.array(list(ref), dtype=np.int64)
            vals = np.array(list(ref.values()), dtype=np.int64) if with_values else None
            table.rebuild(len(ref) + len(new), [(keys[:len(keys) // 2], None if vals is None else vals[:len(keys) // 2]),
                                                 (keys[len(keys) // 2:], None if vals is None else vals[len(keys) // 2:])])
            assert not table.needs_room(len(new)) and len(table) == len(ref)
        ref.update(zip(new, values.tolist()))
        table.insert(np.array(new, dtype=np.int64), values if with_values else None)
        assert len(table) == len(ref)
    everything = np.array(list(ref), dtype=np.int64)
    assert table.contains(everything).all() and 0 in ref and table.zero
    if with_values:
        assert table.get(everything).tolist() == list(ref.values())


@pytest.mark.parametrize("name", SPECS)
def test_component_forms_evaluate_as_the_predicates(name):
    """Every predicate with a component form gives, on a chunk of keys, what it gives on the
    decoded states (the liveness masks of the vectorised loop come from these)."""
    from tcpmodel.tcp.tcb import COMPONENT_FORMS
    import tcpmodel.tcp.properties  # noqa: F401  (registers its forms)

    space = TcpModel(load(ROOT / "specs" / f"{name}.toml").config).compact()
    keys = bfs_keys(space, 4000)
    vector = space.vector()
    assert len(COMPONENT_FORMS) >= 3
    for predicate in COMPONENT_FORMS:
        got = vector.evaluate(predicate, np.array(keys, dtype=np.uint64))
        assert got.tolist() == [bool(predicate(space.decode(k))) for k in keys]
    assert vector.evaluate(lambda state: True, np.array(keys, dtype=np.uint64)) is None


def test_liveness_masks_come_from_the_component_forms():
    """With the vectorised view, the exact store's liveness reads masks filled chunk by chunk
    (not a decode of every state afterwards): they are in the graph, and they are right."""
    spec = load(ROOT / "specs" / "rfc9293_faults.toml")
    prop = build(["eventual_close"])[0]
    r = check(TcpModel(spec.config), [prop], keep_graph=True)
    g = r.state_graph
    preds = [prop.goal, prop.predicate] + [f.enabled for f in prop.fairness if f.enabled is not None]
    assert set(g.masks) == set(preds)
    for pred in preds:
        assert list(g.masks[pred]) == [int(bool(pred(s))) for s in g.states]
    assert r.verdicts["eventual_close"].status == "holds"


# --------------------------------------------------------------------------------------------
# Found by review: errors name the state, masks stay consistent, limits do not over-expand


def test_a_raising_predicate_names_the_property_and_the_state():
    from tcpmodel.engine import Always
    from tcpmodel.errors import ModelDefinitionError
    from tcpmodel.tcp.tcb import ESTABLISHED

    def breaks(state):
        if state.client.state == ESTABLISHED:
            raise ValueError("predicate broke")
        return True

    for store in ("exact", "fingerprint"):
        with pytest.raises(ModelDefinitionError, match=r"property 'p': its predicate raised ValueError: predicate broke on the state GlobalState"):
            check(TcpModel(TcpConfig(max_delay=1, msl=1)), [Always("p", breaks)], store=store)


@pytest.mark.parametrize("nth", [5, 6, 7, 8, 9])
def test_an_interrupt_between_two_masks_leaves_them_as_long_as_the_graph(nth, monkeypatch):
    from tcpmodel.tcp.vector import VectorTcp

    real, calls = VectorTcp.evaluate, []

    def interrupted(self, predicate, keys):
        calls.append(1)
        if len(calls) == nth:
            raise KeyboardInterrupt
        return real(self, predicate, keys)

    monkeypatch.setattr(VectorTcp, "evaluate", interrupted)
    r = check(TcpModel(TcpConfig(max_delay=1, loss=1)), build(["eventual_close"]), keep_graph=True)
    g = r.state_graph
    assert r.stats.stop_reason == "interrupted" and r.verdicts["eventual_close"].status == "unknown"
    assert {len(m) for m in g.masks.values()} == {len(g.parent)} == {len(g.states)} == {len(g.offsets) - 1}


def test_near_a_state_limit_no_component_is_met_that_the_other_loops_do_not_meet(monkeypatch):
    """Chunks shrink near the limit, so a limited run interns what the one-at-a-time loop
    interns: here, it does not widen a narrow channel field that the other loop leaves alone."""
    runs = []
    for vector in (True, False):
        if not vector:
            monkeypatch.setattr(explore, "vector_of", lambda space: None)
        model = TcpModel(TcpConfig(max_delay=1, loss=1, dup=1))
        model._key_widths = {"tcb_bits": 8, "channel_bits": 10, "sent_bits": 16}
        r = check(model, [], max_states=6320)
        runs.append((r.stats.states, r.stats.stop_reason, model._key_widths["channel_bits"]))
    assert runs[0] == runs[1] == (7816, "state limit", 10)


# --------------------------------------------------------------------------------------------
# A second process expands (engine/expander.py): the same graph, verdicts, stops and errors


def both(monkeypatch, make_run):
    """``make_run(processes)`` with a forked expander from the first state on, and alone."""
    monkeypatch.setattr(explore, "CHILD_AFTER", 0)
    return make_run(2), make_run(1)


@pytest.mark.parametrize("name", SPECS)
def test_a_second_process_gives_the_same_graph(name, monkeypatch):
    def make_run(processes):
        spec = load(ROOT / "specs" / f"{name}.toml")
        r = check(TcpModel(spec.config), [], keep_graph=True, processes=processes, max_states=spec.max_states)
        g = r.state_graph
        return (r.stats.states, r.stats.transitions, list(g.parent), g.level_starts, list(g.states), list(g.offsets),
                list(g.targets), [g.actions[a] for a in g.action_ids], g.actions)

    two, one = both(monkeypatch, make_run)
    assert two == one


@pytest.mark.parametrize("name", SPECS)
@pytest.mark.parametrize("store", ["exact", "fingerprint"])
def test_a_second_process_gives_the_same_verdicts_and_counterexamples(name, store, monkeypatch):
    def make_run(processes):
        spec = load(ROOT / "specs" / f"{name}.toml")
        return summary(check(TcpModel(spec.config), build(safety(name)), store=store, processes=processes,
                             max_states=spec.max_states))

    two, one = both(monkeypatch, make_run)
    assert two == one


@pytest.mark.parametrize("limit", [1, 5000, 50_000])
def test_a_second_process_stops_at_a_state_limit_where_one_does(limit, monkeypatch):
    def make_run(processes):
        r = check(TcpModel(TcpConfig(channel="bag", loss=1, dup=1, msl=1, rto=1)), build(["no_reuse_before_2msl"]),
                  max_states=limit, keep_graph=True, processes=processes)
        return summary(r), list(r.state_graph.parent), list(r.state_graph.targets)

    two, one = both(monkeypatch, make_run)
    assert two == one and not two[0][3]


def test_a_key_field_outgrown_in_the_child_widens_the_parent_view(monkeypatch):
    """The child runs out of channel ids: its ViewFull widens the parent's model too, and the
    exploration starts again with the same result as in one process."""
    runs = []

    def make_run(processes):
        model = TcpModel(TcpConfig(max_delay=1, loss=1))
        model._key_widths = {"tcb_bits": 8, "channel_bits": 6, "sent_bits": 16}
        r = check(model, [], processes=processes)
        runs.append((model._key_widths["channel_bits"], len(model.compact().channels)))
        return r.stats.states, r.stats.transitions, r.stats.depth

    two, one = both(monkeypatch, make_run)
    assert two == one == (174539, 739204, two[2]) and runs == [(14, 10835), (14, 10835)]


def test_an_error_in_the_child_names_the_model(monkeypatch):
    from tcpmodel.errors import ModelDefinitionError
    from tcpmodel.tcp.vector import VectorTcp

    real = VectorTcp.expand

    def broken(self, keys, with_actions=False):
        if len(self.compact.channels) > 40:
            raise ValueError("boom")
        return real(self, keys, with_actions)

    monkeypatch.setattr(VectorTcp, "expand", broken)
    monkeypatch.setattr(explore, "CHILD_AFTER", 0)
    with pytest.raises(ModelDefinitionError, match="exploring the model failed with ValueError: boom while expanding "
                                                   "the state GlobalState") as info:
        check(TcpModel(TcpConfig(max_delay=1, loss=1, dup=1)), [], processes=2)
    import multiprocessing
    assert not multiprocessing.active_children()
    cause = info.value.__cause__  # the child's exception, its traceback (where it was raised there) its cause
    assert isinstance(cause, ValueError) and "in broken\n" in str(cause.__cause__)


def test_a_killed_child_stops_the_run_as_out_of_memory(monkeypatch):
    """The kernel's out-of-memory killer sends SIGKILL: the run stops incomplete, with the
    states found so far, as at a memory limit."""
    import os
    import signal

    from tcpmodel.tcp.vector import VectorTcp

    real = VectorTcp.expand

    def killed(self, keys, with_actions=False):
        if len(self.compact.channels) > 40:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, keys, with_actions)

    monkeypatch.setattr(VectorTcp, "expand", killed)
    monkeypatch.setattr(explore, "CHILD_AFTER", 0)
    r = check(TcpModel(TcpConfig(max_delay=1, loss=1, dup=1)), build(["no_reuse_before_2msl"]), processes=2)
    assert r.stats.stop_reason == "memory limit" and not r.stats.complete and r.stats.states > 1
    assert r.verdicts["no_reuse_before_2msl"].status == "unknown"


def test_an_interrupt_ends_the_child(monkeypatch):
    import multiprocessing

    from tcpmodel.tcp.vector import VectorTcp

    real, calls = VectorTcp.absorb, []

    def interrupted(self, changes):
        real(self, changes)
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(VectorTcp, "absorb", interrupted)
    monkeypatch.setattr(explore, "CHILD_AFTER", 0)
    r = check(TcpModel(TcpConfig(max_delay=1, loss=1, dup=1)), [], processes=2)
    assert r.stats.stop_reason == "interrupted" and not multiprocessing.active_children()


@pytest.mark.parametrize("processes", [0, 3, True, "2", 1.5])
def test_processes_must_be_one_or_two(processes):
    from tcpmodel.errors import ModelDefinitionError

    with pytest.raises(ModelDefinitionError, match="processes must be 1, 2 or None"):
        check(TcpModel(TcpConfig()), [], processes=processes)
