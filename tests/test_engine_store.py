"""The fingerprint store: same counts, verdicts and counterexamples as the exact store; the
fingerprints themselves are the same in every process and under every PYTHONHASHSEED."""

import enum
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from toymodels import (
    AlternatingBit,
    Blinker,
    Chain,
    CounterLoop,
    DiningPhilosophers,
    Fork,
    Grid,
    Jumps,
    NaiveLock,
    Peterson,
    RequestResponse,
    TwoLoops,
    abp_in_order,
    naive_mutex,
    peterson_mutex,
)

from tcpmodel.engine import (
    Always,
    Eventually,
    LeadsTo,
    NoDeadlock,
    Sometimes,
    SometimesStep,
    Step,
    StrongFairness,
    WeakFairness,
    check,
)
from tcpmodel.engine.fingerprint import code_of, collision_probability, encode, make_fingerprint
from tcpmodel.errors import ModelDefinitionError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def every(a):
    return True


TOYS = [
    ("peterson", Peterson, lambda: [Always("mutex", peterson_mutex), NoDeadlock(),
                                    Eventually("p0_enters", lambda s: s[0] == 3, [WeakFairness("all", every)])]),
    ("naive_lock", NaiveLock, lambda: [Always("mutex", naive_mutex), Step("no_double", lambda s, a, t: True)]),
    ("philosophers", lambda: DiningPhilosophers(3), lambda: [NoDeadlock(), Sometimes("someone_eats", lambda s: 2 in s)]),
    ("abp", lambda: AlternatingBit(2, 2), lambda: [Always("in_order", abp_in_order), NoDeadlock()]),
    ("abp_no_bit", lambda: AlternatingBit(2, 2, check_bit=False), lambda: [Always("in_order", abp_in_order)]),
    ("counter_loop", CounterLoop, lambda: [Eventually("three", lambda s: s[0] == 3),
                                           Eventually("three_fair", lambda s: s[0] == 3, [WeakFairness("all", every)])]),
    ("blinker", Blinker, lambda: [Eventually("g", lambda s: s[0] == "G", [WeakFairness("go", lambda a: a == "go")]),
                                  Eventually("g_strong", lambda s: s[0] == "G", [StrongFairness("go", lambda a: a == "go")])]),
    ("fork", Fork, lambda: [Eventually("done", lambda s: s[0] == "done"), NoDeadlock()]),
    ("request_response", lambda: RequestResponse(3), lambda: [
        LeadsTo("served", lambda s: True, lambda s: True), NoDeadlock()]),
    ("two_loops", TwoLoops, lambda: [Eventually("g", lambda s: s[0] == "G", [StrongFairness("go", lambda a: a == "go"),
                                                                            StrongFairness("bc", lambda a: a == "bc")])]),
    ("jumps", Jumps, lambda: [SometimesStep("a_jump", lambda s, a, t: a == "jump"), Always("below_9", lambda s: s[0] < 9)]),
    ("grid", lambda: Grid(40, 30), lambda: [Always("not_corner", lambda s: s != (39, 29))]),
    ("chain", lambda: Chain(300), lambda: [NoDeadlock(), Sometimes("at_200", lambda s: s[0] == 200)]),
]


def summary(result):
    s = result.stats
    verdicts = {name: (v.status, v.trace and (v.trace.states, v.trace.actions, v.trace.loop_start, v.trace.dead_end))
                for name, v in result.verdicts.items()}
    return s.states, s.transitions, s.depth, s.complete, verdicts


@pytest.mark.parametrize("name,make,props", TOYS, ids=[t[0] for t in TOYS])
def test_both_stores_agree_on_toy_models(name, make, props):
    exact = check(make(), props(), store="exact")
    fp = check(make(), props(), store="fingerprint")
    assert summary(exact) == summary(fp)
    assert exact.stats.store == "exact" and fp.stats.store == "fingerprint"
    assert exact.stats.collision_probability == 0.0
    generated = fp.stats.transitions + len(make().init_states())
    assert fp.stats.collision_probability == fp.stats.states * (generated - fp.stats.states) / 2.0 ** 64


def test_both_stores_agree_under_limits():
    for limit in (1, 7, 100, 1000):
        exact = check(Grid(60, 60), [Always("x", lambda s: s[0] < 50)], max_states=limit)
        fp = check(Grid(60, 60), [Always("x", lambda s: s[0] < 50)], max_states=limit, store="fingerprint")
        assert summary(exact) == summary(fp)


def shipped_specs():
    return sorted((ROOT / "specs").glob("*.toml"))


@pytest.mark.parametrize("path", shipped_specs(), ids=lambda p: p.stem)
def test_both_stores_agree_on_every_shipped_spec(path):
    from tcpmodel.spec import load
    from tcpmodel.tcp import TcpModel, build

    spec = load(path)
    results = [check(TcpModel(spec.config), build(spec.properties), store=store,
                     max_states=spec.max_states, max_seconds=None) for store in ("exact", "fingerprint")]
    assert summary(results[0]) == summary(results[1])
    assert results[1].stats.collision_probability < 1e-6
    # Without step properties the fingerprint store runs its batched loop (numpy table), with
    # the edges stored when there is a liveness property.
    for kinds in (("always", "sometimes", "deadlock"), ("always", "sometimes", "deadlock", "leads_to")):
        results = [check(TcpModel(spec.config), [p for p in build(spec.properties) if p.kind in kinds], store=store,
                         max_states=spec.max_states, max_seconds=None) for store in ("exact", "fingerprint")]
        assert summary(results[0]) == summary(results[1])


def test_the_fingerprint_store_keeps_no_graph():
    with pytest.raises(ModelDefinitionError, match="keep_graph"):
        check(Jumps(), [], keep_graph=True, store="fingerprint")
    with pytest.raises(ModelDefinitionError, match="store must be one of"):
        check(Jumps(), [], store="bloom")


# --------------------------------------------------------------------------------------------
# The fingerprint function


class Colour(enum.Enum):
    RED = 1
    GREEN = 2


SAMPLES = [
    (0,), (-1,), (-2,), (2 ** 61 - 1,), (0, 2 ** 61 - 1), (2 ** 64 + 5,), (None,), ("syn",), ("ack",), (b"syn",),
    ((1, 2), (3,)), ((1,), (2, 3)), (frozenset({"a", "b", "c"}),), (Colour.RED,), (Colour.GREEN,), (1.5,),
    ("client", ("SYN-SENT", -1, None), ()), 7, "state", (),
]


def test_fingerprints_separate_what_hash_confuses():
    fp = make_fingerprint()
    values = [fp(s) for s in SAMPLES]
    assert len(set(values)) == len(values)
    assert hash((-1,)) == hash((-2,))  # why plain hash() is not a fingerprint
    assert fp((-1,)) != fp((-2,))
    assert fp((0,)) != fp((2 ** 61 - 1,))  # equal hashes (modulo 2**61 - 1)


def test_fingerprints_follow_equality():
    from collections import namedtuple

    fp = make_fingerprint()
    Pair = namedtuple("Pair", "a b")
    assert fp((1, True, 2.0)) == fp((1, 1, 2))  # equal states, one fingerprint (as the exact store)
    assert fp(Pair(1, 2)) == fp((1, 2)) and fp((Pair(1, 2),)) == fp(((1, 2),))
    assert fp((frozenset({3, 1, 2}),)) == fp((frozenset({1, 2, 3}),))
    assert encode("a") != encode(b"a") and encode(1) != encode("1")
    # A memoised component and a fresh one give the same code.
    assert code_of(("x", 1)) == code_of(("x", 1))


def test_unencodable_components_are_a_definition_error():
    class Opaque:
        pass

    class Model:
        def init_states(self):
            return [(Opaque(),)]

        def successors(self, s):
            return []

    with pytest.raises(ModelDefinitionError, match="store='exact'"):
        check(Model(), [], store="fingerprint")
    assert check(Model(), []).stats.states == 1  # the exact store takes any hashable state


PRINT_FINGERPRINTS = textwrap.dedent("""
    import sys
    sys.path[:0] = [sys.argv[1], sys.argv[1] + "/tests"]
    from test_engine_store import SAMPLES
    from tcpmodel.engine.fingerprint import make_fingerprint
    from tcpmodel.spec import load
    from tcpmodel.tcp import TcpModel
    fp = make_fingerprint()
    print([fp(s) for s in SAMPLES])
    model = TcpModel(load(sys.argv[1] + "/specs/rfc9293_faults.toml").config)
    state = model.init_states()[0]
    seen = [fp(state)]
    for _ in range(6):
        action, state = model.successors(state)[-1]
        seen.append(fp(state))
    print(seen)
""")


def test_fingerprints_are_the_same_under_every_hash_seed():
    outputs = set()
    for seed in ("0", "1", "4242", "random"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, "-c", PRINT_FINGERPRINTS, str(ROOT)], env=env,
                             capture_output=True, text=True, check=True).stdout
        outputs.add(out)
    assert len(outputs) == 1
    # and the same as in this process
    fp = make_fingerprint()
    assert outputs.pop().splitlines()[0] == repr([fp(s) for s in SAMPLES])


def test_collision_probability_is_tlcs_optimistic_estimate():
    assert collision_probability(0, 0) == 0.0
    assert collision_probability(2 ** 20, 2 ** 20 + 2 ** 12) == 2 ** 32 / 2 ** 64
    assert collision_probability(10, 5) == 0.0  # never negative


@pytest.mark.parametrize("calls", [1, 2, 5, 300, 1500])
def test_both_stores_agree_after_an_interrupt(calls):
    from toymodels import InterruptAfter

    props = lambda: [Always("x", lambda s: s[0] < 30), Eventually("far", lambda s: s == (59, 59))]  # noqa: E731
    exact = check(InterruptAfter(Grid(60, 60), calls), props())
    fp = check(InterruptAfter(Grid(60, 60), calls), props(), store="fingerprint")
    assert exact.stats.stop_reason == fp.stats.stop_reason == "interrupted"
    assert summary(exact) == summary(fp)


def test_both_stores_stop_at_a_memory_limit_alike():
    exact = check(Grid(100, 100), [Always("x", lambda s: s[0] < 1)], max_memory=1)
    fp = check(Grid(100, 100), [Always("x", lambda s: s[0] < 1)], max_memory=1, store="fingerprint")
    assert exact.stats.stop_reason == fp.stats.stop_reason == "memory limit"
    assert summary(exact) == summary(fp)
