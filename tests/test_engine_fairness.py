"""Fairness corner cases that catch engine mutants: fair-SCC numbering across refinement
rounds, the lasso's fairness re-check, the replay's action check; per-action fairness
(fair_each); and numpy/scipy loaded only when liveness runs."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from toymodels import Blinker, Fickle, Jumps, Segments, TwoRounds

from tcpmodel.engine import (
    HOLDS,
    VIOLATED,
    Eventually,
    Step,
    StrongFairness,
    Trace,
    WeakFairness,
    check,
    fair_each,
)
from tcpmodel.engine import liveness
from tcpmodel.errors import ModelDefinitionError, ReplayError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def two_rounds_property():
    return Eventually("reaches_G", lambda s: s[0] == "G",
                      [StrongFairness("exit", lambda a: a == "exit"),
                       WeakFairness("w", lambda a: a in ("xa", "xb", "y31"))])


@pytest.mark.parametrize("store", ["exact", "fingerprint"])
def test_fair_sccs_from_two_refinement_rounds_get_distinct_ids(store):
    prop = two_rounds_property()
    result = check(TwoRounds(), [prop], keep_graph=store == "exact", store=store)
    v = result["reaches_G"]
    assert v.status == VIOLATED
    # The nearest fair SCC is X; the cycle stays inside it (with the SCCs of both rounds
    # numbered alike, y2 -- disabled for w -- would be required of a cycle through x1).
    assert v.trace.actions == ("toX", "xa", "xb") and v.trace.loop_start == 1


def test_fair_components_labels_directly():
    result = check(TwoRounds(), [], keep_graph=True)
    graph = result._graph
    prop = two_rounds_property()
    ar = liveness._Arrays(graph)
    ids = {graph.states[i][0]: i for i in range(len(graph))}
    groups = []
    for f, kind, member, _ in liveness.fairness_groups(prop.fairness, graph.actions):
        groups.append((kind, member, ar.enabled(member)))
    candidates = np.array([s[0] != "G" for s in graph.states])
    fair = liveness.fair_components(ar, candidates, groups)
    x = {fair[ids["x1"]], fair[ids["x2"]]}
    y = {fair[ids["y2"]], fair[ids["y3"]]}
    assert len(x) == 1 and len(y) == 1 and x != y and min(x | y) >= 0
    assert fair[ids["y1"]] == -1 and fair[ids["s"]] == -1


def test_the_lasso_fairness_recheck_rejects_an_unfair_cycle():
    model = Blinker()
    strong = Eventually("g", lambda s: s[0] == "G", [StrongFairness("go", lambda a: a == "go")])
    weak = Eventually("g", lambda s: s[0] == "G", [WeakFairness("go", lambda a: a == "go")])
    # A <-> B forever: "go" is enabled in A only, never taken.
    run = check(model, [weak])["g"].trace
    assert run.is_lasso
    liveness.recheck(model, weak, run)  # weakly fair: go is not enabled all along
    with pytest.raises(ReplayError, match="not strongly fair to 'go'"):
        liveness.recheck(model, strong, run)
    assert check(model, [strong])["g"].status == HOLDS


@pytest.mark.parametrize("store", ["exact", "fingerprint"])
def test_replay_keeps_the_action_found_among_parallel_edges(store):
    # 8 -> 9 by "step" and by "inc": the violating step is the "inc" one.
    result = check(Jumps(), [Step("no_inc", lambda s, a, t: a != "inc")], store=store)
    v = result["no_inc"]
    assert v.status == VIOLATED
    assert v.trace.actions == ("step", "step", "step", "jump", "step", "step", "inc")
    assert v.trace.states[-2:] == ((8,), (9,))


@pytest.mark.parametrize("store", ["exact", "fingerprint"])
def test_replay_checks_the_action_not_only_the_next_state(store):
    # Explored: 1 -bad-> 9; replayed: 1 -renamed-> 9. Same state, other action: not a replay.
    with pytest.raises(ReplayError, match="the step bad"):
        check(Fickle(relabel=True), [Step("no_bad", lambda s, a, t: a != "bad")], store=store)


def test_replay_keeps_the_action_of_a_lasso_edge():
    # Segments: both (deliver 0) and ... the cycle must use the recorded actions, re-checked.
    result = check(Segments(), [Eventually("one", lambda s: s[1] == 1, [WeakFairness("d", lambda a: a[0] == "deliver")])])
    v = result["one"]
    assert v.status == VIOLATED
    assert v.trace.actions == (("deliver", 0), ("resend", 0)) and v.trace.loop_start == 0


# --------------------------------------------------------------------------------------------
# fair_each: per-action fairness


def per_segment(kind="weak"):
    return fair_each("per_segment", key=lambda a: a[1], kind=kind, actions=lambda a: a[0] == "deliver")


@pytest.mark.parametrize("store", ["exact", "fingerprint"])
def test_fair_each_is_one_constraint_per_key(store):
    one = Eventually("one", lambda s: s[1] == 1, [WeakFairness("d", lambda a: a[0] == "deliver")])
    each = Eventually("each", lambda s: s[1] == 1, [per_segment()])
    strong_each = Eventually("strong_each", lambda s: s[1] == 1, [per_segment("strong")])
    result = check(Segments(), [one, each, strong_each], store=store)
    assert result["one"].status == VIOLATED
    assert result["each"].status == HOLDS
    assert result["strong_each"].status == HOLDS


def test_fair_each_violation_is_fair_to_every_key():
    # Nothing is ever the goal: the lasso must still be fair to segment 0 and segment 1.
    never = Eventually("never", lambda s: False, [per_segment()])
    v = check(Segments(), [never])["never"]
    assert v.status == VIOLATED
    assert v.trace.dead_end or v.trace.is_lasso
    liveness.recheck(Segments(), never, v.trace)
    # The recheck applies each key: a cycle that leaves segment 1 waiting is unfair.
    unfair = Trace(((0, 0), (1, 0), (0, 0)), (("deliver", 0), ("resend", 0)), loop_start=0)
    with pytest.raises(ReplayError, match="per_segment"):
        liveness.recheck(Segments(), Eventually("one", lambda s: s[1] == 1, [per_segment()]), unfair)


def test_fair_each_takes_no_enabled_predicate():
    from tcpmodel.engine import Fairness

    with pytest.raises(ModelDefinitionError, match="fair_each takes no enabled"):
        Fairness("f", lambda a: True, "weak", lambda s: True, lambda a: a)
    with pytest.raises(ModelDefinitionError, match="key must be callable"):
        fair_each("f", key=5)


# --------------------------------------------------------------------------------------------
# numpy and scipy only for liveness


def test_importing_the_engine_loads_neither_numpy_nor_scipy():
    code = textwrap.dedent("""
        import sys
        sys.path.insert(0, sys.argv[1])
        sys.path.insert(0, sys.argv[1] + "/tests")
        import tcpmodel.engine
        from tcpmodel.engine import Always, Eventually, check, simulate
        from toymodels import Peterson
        heavy = lambda: sorted(m for m in ("numpy", "scipy") if m in sys.modules)
        print(heavy())
        check(Peterson(), [Always("a", lambda s: True)])
        check(Peterson(), [Always("a", lambda s: True)], store="fingerprint")
        simulate(Peterson(), [Always("a", lambda s: True)], walks=3, max_depth=5, seed=1)
        print(heavy())
        check(Peterson(), [Eventually("e", lambda s: True)])
        print(heavy())
    """)
    out = subprocess.run([sys.executable, "-c", code, ROOT], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:3] == ["[]", "[]", "['numpy', 'scipy']"]
