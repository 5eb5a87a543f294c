"""Random walks through the TCP model, cross-checked against the exhaustive explorer.

For a few small configurations the explorer computes the reachable set and the verdicts of
the state invariants (and step properties). Hypothesis then draws walks (a successor index at
each step) and checks: every state on a walk is in the reachable set, no invariant the
explorer says holds is broken on the walk, and successors are deterministic.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcpmodel.engine import check
from tcpmodel.tcp import TcpConfig, TcpModel, build

CONFIGS = {
    # the reference protocol over a reordering network, no faults
    "rfc9293_bag": TcpConfig(msl=1, rto=3, channel="bag"),
    # one loss and one duplication, in-order network
    "rfc9293_faults": TcpConfig(msl=1, rto=3, channel="fifo", loss=1, dup=1),
    # both sides may open and close first; the 4-tuple is reused once
    "simultaneous_reuse": TcpConfig(msl=1, rto=3, channel="fifo", simultaneous=True, incarnations=2,
                                    client_data=0, server_data=0),
    # the applications may ABORT
    "abort": TcpConfig(msl=1, rto=3, channel="fifo", abort=True),
}
SAFETY = ["no_bogus_open", "no_stale_delivery", "no_reuse_before_2msl", "close_delivers_all",
          "graceful_end", "quiescent_agreement"]


class Explored:
    def __init__(self, config):
        self.model = TcpModel(config)
        props = build(SAFETY + ["no_deadlock"])
        self.result = check(self.model, props, keep_graph=True)
        self.no_deadlock = self.result.verdicts["no_deadlock"].status == "holds"
        assert self.result.complete
        graph = self.result.graph()
        self.reachable = {data["state"] for _, data in graph.nodes(data=True)}
        assert len(self.reachable) == self.result.stats.states
        holding = {p.name for p in props if self.result.verdicts[p.name].status == "holds"}
        self.invariants = [p for p in props if p.kind == "always" and p.name in holding]
        self.steps = [p for p in props if p.kind == "step" and p.name in holding]


_EXPLORED = {}


def explored(name):
    if name not in _EXPLORED:
        _EXPLORED[name] = Explored(CONFIGS[name])
    return _EXPLORED[name]


def test_the_configurations_have_invariants_to_check():
    # The cross-check is only worth something if the explorer says some properties hold.
    for name in CONFIGS:
        e = explored(name)
        assert e.invariants, name
        assert e.no_deadlock, name
    assert {p.name for p in explored("rfc9293_bag").invariants} == {
        "no_reuse_before_2msl", "close_delivers_all", "quiescent_agreement"}


WALK = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@WALK
@given(name=st.sampled_from(sorted(CONFIGS)),
       choices=st.lists(st.integers(min_value=0, max_value=2**16), min_size=40, max_size=100))
def test_random_walks_stay_in_the_reachable_set_and_keep_the_invariants(name, choices):
    e = explored(name)
    model = e.model
    inits = model.init_states()
    s = inits[choices[0] % len(inits)]
    assert s in e.reachable
    for choice in choices[1:]:
        succ = model.successors(s)
        # deterministic: the same list (order included) every time, from any instance
        assert succ == model.successors(s)
        assert succ == TcpModel(model.config).successors(s)
        if not succ:
            if e.no_deadlock:
                assert model.is_terminal(s)  # a dead end is a proper end
            break
        action, t = succ[choice % len(succ)]
        assert t in e.reachable, model.describe(s, action, t)
        for p in e.invariants:
            assert p.predicate(t), (p.name, model.describe(s, action, t))
        for p in e.steps:
            assert p.predicate(s, action, t), (p.name, model.describe(s, action, t))
        s = t


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_successor_of_a_reachable_state_is_reachable(name):
    """The explorer's set is closed under successors (sampled: every 97th state)."""
    e = explored(name)
    states = sorted(e.reachable, key=repr)[::97]
    for s in states:
        for _, t in e.model.successors(s):
            assert t in e.reachable
