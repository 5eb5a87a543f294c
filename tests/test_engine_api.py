"""The kept graph, determinism, and the errors the engine raises on purpose."""

import os
import subprocess
import sys
import textwrap
from collections import Counter

import networkx as nx
import pytest
from reference import BFS
from toymodels import (
    AlternatingBit,
    Blinker,
    DiningPhilosophers,
    Fickle,
    Jumps,
    NaiveLock,
    Peterson,
    RequestResponse,
    abp_in_order,
    naive_mutex,
)

from tcpmodel.engine import (
    Always,
    Eventually,
    Fairness,
    LeadsTo,
    NoDeadlock,
    Property,
    Sometimes,
    SometimesStep,
    Step,
    StrongFairness,
    WeakFairness,
    check,
)
from tcpmodel.errors import ModelDefinitionError, ReplayError, TcpModelError

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# --------------------------------------------------------------------------------------------
# The kept graph


def reference_edges(model):
    bfs = BFS(model)
    return Counter((s, a, t) for s in bfs.order for a, t in model.successors(s))


def graph_edges(g):
    return Counter((g.nodes[u]["state"], d["action"], g.nodes[v]["state"]) for u, v, d in g.edges(data=True))


def test_keep_graph_gives_a_networkx_multidigraph():
    model = Jumps()
    result = check(model, [], keep_graph=True)
    g = result.graph()
    assert isinstance(g, nx.MultiDiGraph)
    # 10 states; 13 transitions, among them the self-loop 0 --stay--> 0 and two parallel edges
    # 8 --step--> 9 and 8 --inc--> 9.
    assert (g.number_of_nodes(), g.number_of_edges()) == (10, 13) == (result.stats.states, result.stats.transitions)
    node = {g.nodes[i]["state"]: i for i in g.nodes}
    assert g.number_of_edges(node[(0,)], node[(0,)]) == 1
    assert g.number_of_edges(node[(8,)], node[(9,)]) == 2
    assert graph_edges(g) == reference_edges(model)
    # Nodes are numbered in breadth-first discovery order; the initial state is marked.
    assert [g.nodes[i]["state"] for i in range(10)] == BFS(model).order
    assert [i for i in g.nodes if g.nodes[i]["initial"]] == [0]


def test_keep_graph_on_larger_models():
    for model, n, m in ((AlternatingBit(), 72, 348), (Peterson(), 20, 34), (DiningPhilosophers(3), 14, 27)):
        g = check(model, [], keep_graph=True).graph()
        assert (g.number_of_nodes(), g.number_of_edges()) == (n, m)
        assert graph_edges(g) == reference_edges(model)


def test_graph_not_kept_is_an_error():
    result = check(Peterson(), [Eventually("e", lambda s: True)])
    with pytest.raises(TcpModelError, match="keep_graph"):
        result.graph()


# --------------------------------------------------------------------------------------------
# Determinism


def fingerprint(result):
    return (
        (result.stats.states, result.stats.transitions, result.stats.depth, result.stats.complete),
        [(v.name, v.status, v.trace) for v in result.verdicts.values()],
    )


def abp_properties():
    fair = [WeakFairness(n, (lambda n: lambda a: a == n)(n)) for n in ("send", "recv", "ack", "recv_ack")]
    return [
        Always("in_order", abp_in_order),
        Sometimes("one_delivered", lambda s: len(s[3]) == 1),
        SometimesStep("ack_lost", lambda s, a, t: a == "lose_ack"),
        Eventually("delivered_wf", lambda s: len(s[3]) == 2, fair),
        LeadsTo("sent_0", lambda s: any(m == 0 for _b, m in s[4]), lambda s: 0 in s[3]),
    ]


def test_two_runs_are_identical():
    for model, props in (
        (AlternatingBit(), abp_properties),
        (NaiveLock(), lambda: [Always("mutex", naive_mutex), Step("s", lambda s, a, t: t[2] >= s[2])]),
        (DiningPhilosophers(3), lambda: [NoDeadlock()]),
    ):
        a = fingerprint(check(model, props(), keep_graph=True))
        b = fingerprint(check(model, props()))
        assert a == b


SCRIPT = textwrap.dedent("""
    import sys
    sys.path[:0] = [{root!r}, {here!r}]
    from toymodels import AlternatingBit, Blinker, RequestResponse
    from test_engine_api import abp_properties, fingerprint
    from tcpmodel.engine import Eventually, LeadsTo, check
    out = [fingerprint(check(AlternatingBit(), abp_properties()))]
    out.append(fingerprint(check(Blinker(), [Eventually("g", lambda s: s[0] == "G")])))
    out.append(fingerprint(check(RequestResponse(), [LeadsTo("a", lambda s: s[0] == "waiting", lambda s: s[0] == "served")])))
    print(repr(out))
""")


def test_runs_do_not_depend_on_the_hash_seed():
    script = SCRIPT.format(root=ROOT, here=HERE)
    outputs = []
    for seed in ("0", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert "violated" in outputs[0]


# --------------------------------------------------------------------------------------------
# Model definition errors


def test_duplicate_property_names():
    with pytest.raises(ModelDefinitionError, match="'p'"):
        check(Peterson(), [Always("p", lambda s: True), Sometimes("p", lambda s: True)])


@pytest.mark.parametrize("make", [
    lambda: Always("x", 3),
    lambda: Step("x", None),
    lambda: Sometimes("x", "s[0] == 1"),
    lambda: SometimesStep("x", 1.5),
    lambda: Eventually("x", None),
    lambda: LeadsTo("x", lambda s: True, "goal"),
    lambda: LeadsTo("x", None, lambda s: True),
])
def test_non_callable_predicates(make):
    with pytest.raises(ModelDefinitionError, match="callable"):
        make()


def test_fairness_only_on_liveness():
    wf = WeakFairness("all", lambda a: True)
    for kind in ("always", "step", "sometimes", "sometimes_step"):
        with pytest.raises(ModelDefinitionError, match="only liveness"):
            Property("x", kind, lambda *args: True, fairness=(wf,))
    with pytest.raises(ModelDefinitionError, match="only liveness"):
        Property("x", "deadlock", None, fairness=(wf,))
    # On a liveness property it is fine.
    assert Eventually("x", lambda s: True, [wf]).fairness == (wf,)


def test_other_definition_errors():
    with pytest.raises(ModelDefinitionError):
        Always("", lambda s: True)
    with pytest.raises(ModelDefinitionError):
        Property("x", "invariant", lambda s: True)
    with pytest.raises(ModelDefinitionError):
        WeakFairness("f", "send")
    with pytest.raises(ModelDefinitionError):
        Fairness("f", lambda a: True, "fair")
    with pytest.raises(ModelDefinitionError, match="Fairness"):
        Eventually("x", lambda s: True, [lambda a: True])
    with pytest.raises(ModelDefinitionError, match="repeat"):
        Eventually("x", lambda s: True, [WeakFairness("f", bool), StrongFairness("f", bool)])
    with pytest.raises(ModelDefinitionError, match="not a property"):
        check(Peterson(), [lambda s: True])

    class Empty:
        def init_states(self):
            return []

        def successors(self, s):
            return []

    with pytest.raises(ModelDefinitionError, match="initial"):
        check(Empty(), [])
    assert issubclass(ModelDefinitionError, TcpModelError) and issubclass(ReplayError, TcpModelError)


# --------------------------------------------------------------------------------------------
# Replay errors


def test_nondeterministic_successors_fail_replay():
    # Exploration sees 0 -> 1 -> 9; replaying the path, 0 now goes to 2.
    with pytest.raises(ReplayError, match="deterministic"):
        check(Fickle(), [Always("not_9", lambda s: s != (9,))])
    with pytest.raises(ReplayError):
        check(Fickle(), [NoDeadlock()])
    with pytest.raises(ReplayError):
        check(Fickle(), [Eventually("never", lambda s: False)])
    # Nothing to replay, nothing noticed: the verdict is simply "holds".
    assert check(Fickle(), [Always("any", lambda s: True)])["any"].status == "holds"


def test_nondeterministic_predicate_fails_recheck():
    calls = []

    def flaky(s):  # false the first time it sees state 1, true afterwards
        calls.append(s)
        return not (s == (1,) and calls.count(s) == 1)

    with pytest.raises(ReplayError, match="predicate"):
        check(Jumps(), [Always("flaky", flaky)])


def test_model_actions_may_be_any_hashable():
    # Tuple actions and a Blinker/RequestResponse run with strings in states both work.
    class TupleActions:
        def init_states(self):
            return [(0,)]

        def successors(self, s):
            return [(("add", 1), (s[0] + 1,))] if s[0] < 3 else []

    result = check(TupleActions(), [NoDeadlock(), Eventually("three", lambda s: s[0] == 3)], keep_graph=True)
    assert result["no_deadlock"].trace.actions == (("add", 1),) * 3
    assert result["three"].status == "holds"
    assert check(Blinker(), [NoDeadlock()])["no_deadlock"].status == "holds"
    assert check(RequestResponse(), [NoDeadlock()])["no_deadlock"].status == "holds"
