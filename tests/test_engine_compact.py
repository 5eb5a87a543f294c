"""The compact view of the TCP model (interned components, packed int keys) and the engine's
use of it: keys round-trip, fingerprints of keys are those of the decoded states (in every
process and under every PYTHONHASHSEED), the packed successors are the named ones whatever
order the components were interned in, and a key field that overflows is a clear error."""

import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tcpmodel.engine import check
from tcpmodel.engine.explore import compact_of
from tcpmodel.engine.fingerprint import make_fingerprint
from tcpmodel.errors import TcpModelError
from tcpmodel.spec import load
from tcpmodel.tcp import TcpConfig, TcpModel, build
from tcpmodel.tcp.model import CompactTcp
from tcpmodel.tcp.tcb import GlobalState

ROOT = Path(__file__).resolve().parent.parent
SPECS = ["rfc9293_faults", "rfc1337_reuse", "rfc9293_abort", "canonical_fifo", "rfc9293_simultaneous",
         "rfc1337_closed_lifetime"]


def model_of(name):
    return TcpModel(load(ROOT / "specs" / f"{name}.toml").config)


def bfs_keys(space, limit):
    """The first ``limit`` keys in breadth-first order (a plain loop, independent of check())."""
    keys = list(dict.fromkeys(space.init_states()))
    seen = set(keys)
    i = 0
    while i < len(keys) and len(keys) < limit:
        for _action, k in space.successors(keys[i]):
            if k not in seen:
                seen.add(k)
                keys.append(k)
        i += 1
    return keys[:limit]


def random_states(model, walks, depth, seed):
    """States met on seeded random walks through the named model."""
    rng = random.Random(seed)
    out = []
    for _ in range(walks):
        state = model.init_states()[0]
        for _ in range(depth):
            out.append(state)
            succs = model.successors(state)
            if not succs:
                break
            state = rng.choice(succs)[1]
    return out


@pytest.mark.parametrize("name", SPECS)
def test_keys_round_trip_and_fingerprint_as_their_states(name):
    model = model_of(name)
    space = model.compact()
    assert compact_of(model) is space
    fp_key = space.fingerprinter()
    fp_state = make_fingerprint()
    keys = bfs_keys(space, 3000)
    assert len(keys) == 3000 or name == "canonical_fifo"
    for k in keys:
        state = space.decode(k)
        assert type(state) is GlobalState
        assert space.encode(state) == k
        assert fp_key(k) == space.fingerprint(k) == fp_state(state) == fp_state(tuple(state))


@pytest.mark.parametrize("name", SPECS)
def test_packed_successors_are_the_named_ones_in_any_intern_order(name):
    # Model A interns components in breadth-first order, model B in the order of random walks:
    # their keys differ, the named successors they decode to may not.
    a = model_of(name)
    bfs_keys(a.compact(), 2000)
    b = model_of(name)
    for state in random_states(b, walks=40, depth=60, seed=13):
        named = b.successors(state)
        assert named == a.successors(state)
        space = a.compact()
        packed = space.successors(space.encode(state))
        assert [(action, space.decode(k)) for action, k in packed] == named
        assert [action for action, _ in named] == [action for action, _ in packed]


FINGERPRINTS_OF_KEYS = textwrap.dedent("""
    import sys
    sys.path[:0] = [sys.argv[1]]
    from tcpmodel.spec import load
    from tcpmodel.tcp import TcpModel
    space = TcpModel(load(sys.argv[1] + "/specs/rfc9293_faults.toml").config).compact()
    keys = list(space.init_states())
    seen = set(keys)
    for k in keys:
        if len(keys) >= 500:
            break
        for _a, t in space.successors(k):
            if t not in seen:
                seen.add(t)
                keys.append(t)
    fp = space.fingerprinter()
    print([fp(k) for k in keys[:500]])
""")


def test_fingerprints_of_keys_are_the_same_under_every_hash_seed():
    outputs = set()
    for seed in ("0", "1", "random"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outputs.add(subprocess.run([sys.executable, "-c", FINGERPRINTS_OF_KEYS, str(ROOT)], env=env,
                                   capture_output=True, text=True, check=True).stdout)
    assert len(outputs) == 1
    space = model_of("rfc9293_faults").compact()
    fp = make_fingerprint()
    assert outputs.pop().strip() == repr([fp(space.decode(k)) for k in bfs_keys(space, 500)])


class Named:
    """The TCP model without its compact view: the engine explores named states."""

    def __init__(self, model):
        self.model = model
        self.init_states = model.init_states
        self.successors = model.successors
        self.is_terminal = model.is_terminal
        self.format_action = model.format_action


@pytest.mark.parametrize("name", SPECS)
def test_the_engine_finds_the_same_on_keys_and_on_named_states(name):
    spec = load(ROOT / "specs" / f"{name}.toml")
    results = []
    for model in (TcpModel(spec.config), Named(TcpModel(spec.config))):
        for store in ("exact", "fingerprint"):
            r = check(model, build(spec.properties), store=store, max_states=spec.max_states)
            verdicts = {n: (v.status, v.trace and (v.trace.states, v.trace.actions, v.trace.loop_start))
                        for n, v in r.verdicts.items()}
            results.append((r.stats.states, r.stats.transitions, r.stats.depth, r.stats.complete, verdicts))
    assert all(r == results[0] for r in results[1:])


def test_the_kept_graph_holds_named_states():
    spec = load(ROOT / "specs" / "rfc9293.toml")
    packed = check(TcpModel(spec.config), [], keep_graph=True)
    named = check(Named(TcpModel(spec.config)), [], keep_graph=True)
    g, h = packed.state_graph, named.state_graph
    assert len(g.states) == len(h.states) == packed.stats.states
    assert list(g.states) == list(h.states)
    assert g.states[3] == h.states[3] and type(g.states[3]) is GlobalState
    assert list(g.targets) == list(h.targets)
    nodes = packed.graph().nodes(data="state")
    assert [s for _, s in nodes] == list(h.states)


@pytest.mark.parametrize("field, bits", [("tcb_bits", 2), ("channel_bits", 3), ("sent_bits", 1)])
@pytest.mark.parametrize("store", ["exact", "fingerprint"])
def test_an_id_that_outgrows_its_field_widens_the_view_and_the_counts_stay(field, bits, store):
    """A configuration that outgrows a key field is explored again on a wider view: the same
    states, transitions and verdicts as with roomy fields, in both stores; named successors too."""
    config = TcpConfig(channel="fifo", loss=1, dup=1, msl=1)  # 14,872 states, 66 TCBs, 2,386 channels
    roomy = check(TcpModel(config), build(["no_reuse_before_2msl", "eventual_close"]), store=store)
    model = TcpModel(config)
    model._key_widths = {**model._key_widths, field: bits}
    narrow = check(model, build(["no_reuse_before_2msl", "eventual_close"]), store=store)
    assert (narrow.stats.states, narrow.stats.transitions) == (roomy.stats.states, roomy.stats.transitions)
    assert {n: v.status for n, v in narrow.verdicts.items()} == {n: v.status for n, v in roomy.verdicts.items()}
    assert model._key_widths[field] > bits  # it did widen
    fresh = TcpModel(config)
    fresh._key_widths = {**fresh._key_widths, field: bits}
    state = fresh.init_states()[0]
    for _ in range(12):  # the named successors survive the widening as well
        succ = fresh.successors(state)
        assert succ == TcpModel(config).successors(state)
        state = succ[-1][1]


def test_a_configuration_past_the_widest_key_fields_is_a_clear_error(monkeypatch):
    from tcpmodel.tcp import model as tcp_model

    monkeypatch.setattr(tcp_model, "MAX_KEY_WIDTHS", dict(tcp_model.MAX_KEY_WIDTHS, tcb_bits=2))
    model = TcpModel(TcpConfig(channel="fifo", loss=1, dup=1, msl=1))
    model._key_widths = {**model._key_widths, "tcb_bits": 2}
    with pytest.raises(TcpModelError, match=r"more than 4 distinct TCBs, the most the compact state representation holds \(2 bits\)"):
        check(model, [])


def test_fault_budgets_outside_the_key_are_refused():
    model = TcpModel(TcpConfig(loss=1, dup=1))
    state = model.init_states()[0]
    with pytest.raises(TcpModelError, match="fault budgets"):
        model.compact().encode(state._replace(loss=5))


# --------------------------------------------------------------------------------------------
# The batched fingerprint store (numpy): same sets, same hashes, same ids as one at a time


def test_the_fingerprint_table_is_a_set():
    import numpy as np

    from tcpmodel.engine.visited import FingerprintTable

    rng = np.random.default_rng(7)
    table, seen = FingerprintTable(capacity=16), set()
    for _ in range(150):
        # Narrow values: many repeats, many probe collisions, and now and then the value 0.
        batch = np.unique(rng.integers(-3000, 3000, size=int(rng.integers(1, 500))))
        rng.shuffle(batch)
        new = table.add_new(batch)
        assert new.tolist() == [int(x) not in seen for x in batch]
        seen.update(batch.tolist())
        assert len(table) == len(seen)
    assert 0 in seen and table.has_zero


def test_batched_tuple_hashes_are_pythons():
    import numpy as np

    from tcpmodel.engine.fingerprint import tuple_hashes

    rng = random.Random(3)
    rows = [[rng.randrange(2 ** 61 - 1) for _ in range(6)] for _ in range(500)] + [[0] * 6, [2 ** 61 - 2] * 6]
    lanes = [np.array([r[i] for r in rows], dtype=np.uint64) for i in range(6)]
    assert tuple_hashes(lanes).tolist() == [hash(tuple(r)) for r in rows]
    space = model_of("rfc9293_faults").compact()
    keys = bfs_keys(space, 3000)
    assert space.fingerprints(keys).tolist() == [space.fingerprint(k) for k in keys]


@pytest.mark.parametrize("name", SPECS)
@pytest.mark.parametrize("limit", [1, 777, 5000, None])
def test_the_batched_store_numbers_states_as_the_exact_one(name, limit):
    # Safety properties only: the fingerprint store then runs the batched loop.
    spec = load(ROOT / "specs" / f"{name}.toml")
    props = [p for p in build(spec.properties) if p.kind in ("always", "sometimes", "deadlock")]
    results = []
    for store in ("exact", "fingerprint"):
        r = check(TcpModel(spec.config), props, store=store, max_states=limit or spec.max_states)
        verdicts = {n: (v.status, v.trace and (v.trace.states, v.trace.actions)) for n, v in r.verdicts.items()}
        results.append((r.stats.states, r.stats.transitions, r.stats.depth, r.stats.complete, verdicts))
    assert results[0] == results[1]
