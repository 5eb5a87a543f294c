"""Exact tests for corners of tcpmodel/engine/liveness.py that the mutation campaign found
unguarded (docs/mutation.md, "Engine: tcpmodel/engine/liveness.py"): error messages of a
raising predicate, fair_each grouping, ties in the shortest-prefix search, the predecessor
dtype of that search, and the lasso re-check (fair_each families, hand-made bad lassos)."""

import types

import numpy as np
import pytest
from toymodels import Blinker

from tcpmodel.engine import (
    HOLDS,
    VIOLATED,
    Eventually,
    LeadsTo,
    Trace,
    WeakFairness,
    check,
    fair_each,
)
from tcpmodel.engine import liveness
from tcpmodel.errors import ModelDefinitionError, ReplayError

A, B = ("A",), ("B",)


class TwoDeadEnds:
    """``s --a--> A`` and ``s --b--> B``; A and B are dead ends, both one step away."""

    def init_states(self):
        return [("s",)]

    def successors(self, s):
        return [("a", ("A",)), ("b", ("B",))] if s == ("s",) else []


class GoalThenLoop:
    """``i --x--> g --y--> l --z--> l``: the trigger holds everywhere, the goal only at g."""

    def init_states(self):
        return [("i",)]

    def successors(self, s):
        return {"i": [("x", ("g",))], "g": [("y", ("l",))], "l": [("z", ("l",))]}[s[0]]


# --------------------------------------------------------------------------------------------
# Error messages of raising predicates


def test_a_raising_goal_names_the_state_it_raised_on():
    def goal(s):
        if s == B:
            raise ValueError("boom")
        return False

    with pytest.raises(ModelDefinitionError) as info:
        check(Blinker(), [Eventually("g", goal)])
    assert str(info.value) == "property 'g': its goal raised ValueError: boom on the state ('B',)"


def test_a_raising_goal_message_is_cut_at_800_characters():
    def goal(s):
        raise ValueError("x" * 2000)

    with pytest.raises(ModelDefinitionError) as info:
        check(Blinker(), [Eventually("g", goal)])
    message = str(info.value)
    assert message == ("property 'g': its goal raised ValueError: " + "x" * 2000)[:800]
    assert len(message) == 800


def test_a_raising_fairness_message_is_cut_at_600_characters():
    def actions(a):
        raise ValueError("y" * 2000)

    with pytest.raises(ModelDefinitionError) as info:
        check(Blinker(), [Eventually("g", lambda s: False, [WeakFairness("w", actions)])])
    message = str(info.value)
    assert message == ("fairness 'w': its actions raised ValueError: " + "y" * 2000)[:600]
    assert len(message) == 600


# --------------------------------------------------------------------------------------------
# fair_each groups


def test_fair_each_groups_by_first_appearance_without_merging_or_none():
    # Key "a" appears again after "b": it must keep its id (a new id would collide with "c");
    # "skip" is outside the family (key None) and belongs to no group.
    actions = [("a", 1), ("b", 1), ("a", 2), ("c", 1), ("skip", 1)]
    family = fair_each("per", key=lambda a: a[0], kind="weak", actions=lambda a: a[0] != "skip")
    groups = liveness.fairness_groups([family], actions)
    assert [(f.name, kind, key) for f, kind, _, key in groups] == [
        ("per", "weak", "a"), ("per", "weak", "b"), ("per", "weak", "c")]
    assert [member.tolist() for _, _, member, _ in groups] == [
        [True, False, True, False, False],
        [False, True, False, False, False],
        [False, False, False, True, False],
    ]


# --------------------------------------------------------------------------------------------
# The shortest prefix


@pytest.mark.parametrize("store", ["exact", "fingerprint"])
def test_of_two_bad_places_equally_near_the_first_explored_is_reported(store):
    v = check(TwoDeadEnds(), [Eventually("never", lambda s: False)], store=store)["never"]
    assert v.status == VIOLATED
    assert v.trace.states == (("s",), A) and v.trace.actions == ("a",)
    assert v.trace.dead_end and v.trace.loop_start is None


class _Stop(Exception):
    pass


@pytest.mark.parametrize("n, dtype", [(2 ** 30 + 1, np.int64), (2 ** 31 - 1, np.int64)])
def test_predecessors_use_int64_once_node_numbers_pass_int32(monkeypatch, n, dtype):
    # 2n nodes: node 2n - 1 >= 2**31 does not fit an int32. The arrays are not allocated:
    # numpy's zeros is stubbed and full records the predecessors' dtype, then stops. (Their
    # sizes are not asserted: a larger array would change nothing but memory.)
    seen = {}

    def zeros(size, dtype=None):
        return None

    def full(size, value, dtype=None):
        seen["value"], seen["dtype"] = value, dtype
        raise _Stop

    proxy = types.SimpleNamespace(**{name: getattr(np, name) for name in ("int32", "int64")},
                                  zeros=zeros, full=full)
    monkeypatch.setattr(liveness, "np", proxy)
    ar = types.SimpleNamespace(n=n, offsets=None, tgt=None)
    with pytest.raises(_Stop):
        liveness._shortest_prefix(ar, 1, None, None, None, True)
    assert seen == {"value": -1, "dtype": dtype}


# --------------------------------------------------------------------------------------------
# The lasso re-check


def go_each(kind):
    return fair_each("each", key=lambda a: a, kind=kind, actions=lambda a: a == "go")


def test_weak_fair_each_allows_a_cycle_where_its_key_is_enabled_only_sometimes():
    # A <-> B: "go" is enabled in A only, never taken: weakly fair to the family, not strongly.
    weak = Eventually("g", lambda s: s[0] == "G", [go_each("weak")])
    strong = Eventually("g", lambda s: s[0] == "G", [go_each("strong")])
    v = check(Blinker(), [weak])["g"]  # the replay re-checks the lasso: it must pass
    assert v.status == VIOLATED
    assert v.trace.states == (A, B, A) and v.trace.actions == ("tick", "tock") and v.trace.loop_start == 0
    assert liveness.recheck(Blinker(), weak, v.trace) is None
    with pytest.raises(ReplayError) as info:
        liveness.recheck(Blinker(), strong, v.trace)
    assert str(info.value) == "property 'g': the counterexample's cycle is not strongly fair to 'each'"
    assert check(Blinker(), [strong])["g"].status == HOLDS


def test_recheck_of_eventually_rejects_a_goal_anywhere_in_the_lasso():
    prop = Eventually("b", lambda s: s == B)
    lasso = Trace((A, B, A), ("tick", "tock"), 0)
    with pytest.raises(ReplayError) as info:
        liveness.recheck(Blinker(), prop, lasso)
    assert str(info.value) == "property 'b': the counterexample meets the goal after the trigger"


def test_a_trigger_on_the_last_goal_state_is_answered_there():
    prop = LeadsTo("t", lambda s: True, lambda s: s == ("g",))
    v = check(GoalThenLoop(), [prop])["t"]  # the replay re-checks the lasso: it must pass
    assert v.status == VIOLATED
    assert v.trace.states == (("i",), ("g",), ("l",), ("l",))
    assert v.trace.actions == ("x", "y", "z") and v.trace.loop_start == 2
    assert liveness.recheck(GoalThenLoop(), prop, v.trace) is None


@pytest.mark.parametrize("lasso", [
    Trace((A, B), ("tick",), 0),                # the last state is not the loop's first
    Trace((A, B, A), ("tick", "tock"), 2),      # an empty cycle
    Trace((A, B, A), ("tick", "tock"), None),   # no loop at all
], ids=["open", "empty-cycle", "no-loop"])
def test_recheck_rejects_a_lasso_that_does_not_close(lasso):
    prop = Eventually("never", lambda s: False)
    with pytest.raises(ReplayError) as info:
        liveness.recheck(Blinker(), prop, lasso)
    assert str(info.value) == "property 'never': the counterexample is not a closed lasso"
    # The closed one passes.
    assert liveness.recheck(Blinker(), prop, Trace((A, B, A), ("tick", "tock"), 0)) is None
