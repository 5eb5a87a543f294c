"""Engine misuse: every broken contract is a ModelDefinitionError that names it (never a bare
TypeError), and the verdicts decided before it are kept in the error's result."""

import gc

import pytest
from toymodels import Blinker, Chain, Grid, Jumps

from tcpmodel.engine import (
    HOLDS,
    UNKNOWN,
    VIOLATED,
    Always,
    Eventually,
    NoDeadlock,
    Sometimes,
    Step,
    WeakFairness,
    check,
)
from tcpmodel.engine.explore import CHUNK
from tcpmodel.errors import ModelDefinitionError, ReplayError


class Broken:
    """A chain 0 -> 1 -> ... whose successors break the contract from state ``at`` on."""

    def __init__(self, bad, at=0, length=10 ** 6):
        self.bad = bad
        self.at = at
        self.length = length

    def init_states(self):
        return [(0,)]

    def successors(self, s):
        if s[0] >= self.at:
            return self.bad(s)
        return [("inc", (s[0] + 1,))] if s[0] < self.length else []


BAD_SUCCESSORS = [
    ("none", lambda s: None, "returned None"),
    ("generator", lambda s: (x for x in [("inc", (s[0] + 1,))]), "returned a generator"),
    ("bare states", lambda s: [(s[0] + 1,)], "not an \\(action, next_state\\) pair"),
    ("triples", lambda s: [("inc", (s[0] + 1,), "extra")], "not an \\(action, next_state\\) pair"),
    ("unhashable state", lambda s: [("inc", [s[0] + 1])], "states must be hashable"),
    ("unhashable action", lambda s: [(["inc"], (s[0] + 1,))], "actions must be hashable"),
    ("a set", lambda s: {("inc", (s[0] + 1,))}, "returned a set"),
]


@pytest.mark.parametrize("name,bad,message", BAD_SUCCESSORS, ids=[b[0] for b in BAD_SUCCESSORS])
@pytest.mark.parametrize("store", ["exact", "fingerprint"])
def test_bad_successors_from_the_first_state(name, bad, message, store):
    with pytest.raises(ModelDefinitionError, match=message):
        check(Broken(bad), [Always("small", lambda s: s[0] < 3)], store=store)


# Deep in the run, a set of pairs or an unhashable action (when no transition is stored) goes
# unnoticed: the loop checks nothing itself; only what makes it fail is diagnosed.
DEEP = [b for b in BAD_SUCCESSORS if b[0] not in ("unhashable action", "a set")]


@pytest.mark.parametrize("name,bad,message", DEEP, ids=[b[0] for b in DEEP])
@pytest.mark.parametrize("store", ["exact", "fingerprint"])
def test_bad_successors_deep_in_the_run_keep_the_verdicts_found(name, bad, message, store):
    # Past the first chunk nothing is validated eagerly: the loop's failure is re-diagnosed.
    at = 3 * CHUNK
    props = [Always("below_5", lambda s: s[0] < 5), Always("nonnegative", lambda s: s[0] >= 0),
             Sometimes("reaches_7", lambda s: s[0] == 7)]
    with pytest.raises(ModelDefinitionError, match=message) as err:
        check(Broken(bad, at=at), props, store=store)
    assert f"({at},)" in str(err.value)  # the state is shown
    result = err.value.result
    assert result is not None and not result.complete and result.stats.stop_reason == "model error"
    assert result["below_5"].status == VIOLATED and result["below_5"].trace.actions == ("inc",) * 5
    assert result["reaches_7"].status == HOLDS and len(result["reaches_7"].trace) == 7
    assert result["nonnegative"].status == UNKNOWN
    assert result.stats.states == at + 1


def test_unhashable_actions_deep_in_the_run_with_liveness():
    # Actions are hashed only when transitions are stored (liveness).
    with pytest.raises(ModelDefinitionError, match="actions must be hashable"):
        check(Broken(lambda s: [(["inc"], (s[0] + 1,))], at=2 * CHUNK), [Eventually("never", lambda s: False)])


class NoInit:
    def __init__(self, init):
        self.init = init

    def init_states(self):
        return self.init

    def successors(self, s):
        return []


def test_bad_initial_states():
    with pytest.raises(ModelDefinitionError, match=r"init_states\(\) returned None"):
        check(NoInit(None), [])
    with pytest.raises(ModelDefinitionError, match="no initial state"):
        check(NoInit([]), [])
    with pytest.raises(ModelDefinitionError, match="states must be hashable"):
        check(NoInit([[0]]), [])
    with pytest.raises(ModelDefinitionError, match=r"returned 5"):
        check(NoInit(5), [])


def test_a_model_without_successors():
    class Half:
        def init_states(self):
            return [(0,)]

    with pytest.raises(ModelDefinitionError, match=r"no successors\(\) method"):
        check(Half(), [])
    with pytest.raises(ModelDefinitionError, match=r"no init_states\(\) method"):
        check(object(), [])


def test_raising_predicates_name_the_property_and_the_state():
    def boom(s):
        if s[0] == 4:
            raise KeyError("no such field")
        return True

    with pytest.raises(ModelDefinitionError, match=r"property 'fragile': its predicate raised KeyError.*\(4,\)") as err:
        check(Chain(10), [Always("early", lambda s: s[0] < 2), Always("fragile", boom)])
    assert err.value.result["early"].status == VIOLATED  # decided before: kept
    with pytest.raises(ModelDefinitionError, match="property 'st': its predicate raised ZeroDivisionError"):
        check(Chain(10), [Step("st", lambda s, a, t: 1 / (t[0] - 5))])
    with pytest.raises(ModelDefinitionError, match="property 'ev': its goal raised"):
        check(Chain(10), [Eventually("ev", lambda s: 1 / (s[0] - 5))])
    # An initial state is checked like any other.
    with pytest.raises(ModelDefinitionError, match=r"property 'init': its predicate raised.*\(0,\)"):
        check(Chain(10), [Always("init", lambda s: 1 / s[0])])


def test_a_raising_predicate_on_a_huge_state_is_shown_truncated():
    class Huge:
        def init_states(self):
            return [tuple(range(100_000))]

        def successors(self, s):
            return []

    with pytest.raises(ModelDefinitionError) as err:
        check(Huge(), [Always("p", lambda s: s["x"])])
    assert len(str(err.value)) < 1000 and "characters)" in str(err.value)


def test_raising_fairness_predicates():
    with pytest.raises(ModelDefinitionError, match="fairness 'f': its actions raised") as err:
        check(Blinker(), [Always("fine", lambda s: True),
                          Eventually("g", lambda s: s[0] == "G", [WeakFairness("f", lambda a: a["x"])])])
    assert err.value.result["fine"].status == HOLDS  # the safety verdict is kept
    with pytest.raises(ModelDefinitionError, match="fairness 'f' enabled predicate raised"):
        check(Blinker(), [Eventually("g", lambda s: s[0] == "G",
                                     [WeakFairness("f", lambda a: True, enabled=lambda s: s["x"])])])


def test_raising_is_terminal_and_progress():
    class BadEnd(Chain):
        def is_terminal(self, s):
            raise RuntimeError("undecided")

    with pytest.raises(ModelDefinitionError, match="is_terminal raised RuntimeError"):
        check(BadEnd(5), [NoDeadlock()])

    def progress(p):
        raise ValueError("no terminal")

    with pytest.raises(ModelDefinitionError, match="progress callback raised ValueError") as err:
        check(Grid(300, 300), [Always("x_small", lambda s: s[0] < 1)], progress=progress, progress_interval=0)
    # The first report comes after the first chunk (the initial state), which found a violation.
    assert err.value.result["x_small"].status == VIOLATED and err.value.result["x_small"].trace.actions == ("right",)


def test_bad_arguments():
    with pytest.raises(ModelDefinitionError, match="max_states must be an int"):
        check(Jumps(), [], max_states="10")
    with pytest.raises(ModelDefinitionError, match="max_seconds"):
        check(Jumps(), [], max_seconds=float("nan"))
    with pytest.raises(ModelDefinitionError, match="max_memory"):
        check(Jumps(), [], max_memory=-1)
    with pytest.raises(ModelDefinitionError, match="single Property 'one'"):
        check(Jumps(), Always("one", lambda s: True))
    with pytest.raises(ModelDefinitionError, match="properties must be a list"):
        check(Jumps(), "always")
    with pytest.raises(ModelDefinitionError, match="progress must be callable"):
        check(Jumps(), [], progress=5)


def test_replay_errors_stay_their_own_class():
    from toymodels import Fickle

    with pytest.raises(ReplayError) as err:
        check(Fickle(), [Always("not_9", lambda s: s != (9,))])
    assert not isinstance(err.value, ModelDefinitionError)


# --------------------------------------------------------------------------------------------
# Memory guard and garbage collection


def test_memory_limit_stops_cleanly_with_the_verdicts_found():
    # Looked at between chunks: it stops after the first (the initial state, expanded).
    result = check(Grid(300, 300), [Always("x_small", lambda s: s[0] < 1), Always("fine", lambda s: True)],
                   max_memory=1)
    assert not result.complete and result.stats.stop_reason == "memory limit"
    assert result["x_small"].status == VIOLATED and result["x_small"].trace.actions == ("right",)
    assert result.stats.states == 3
    assert result["fine"].status == UNKNOWN
    assert result.stats.states < 300 * 300


@pytest.mark.parametrize("store", ["exact", "fingerprint"])
def test_memory_error_stops_cleanly(store):
    def out_of_memory(s):
        raise MemoryError

    result = check(Broken(out_of_memory, at=2 * CHUNK), [Always("below_5", lambda s: s[0] < 5)], store=store)
    assert not result.complete and result.stats.stop_reason == "memory limit"
    assert result["below_5"].status == VIOLATED


def test_cyclic_gc_is_off_while_exploring_and_restored_after():
    seen = []

    class Watch(Chain):
        def successors(self, s):
            seen.append(gc.isenabled())
            return super().successors(s)

    assert gc.isenabled()
    check(Watch(50), [])
    assert seen and not any(seen) and gc.isenabled()
    seen.clear()
    with pytest.raises(ModelDefinitionError):
        check(Watch(50), [Always("bad", lambda s: 1 / (s[0] - 20))])
    assert not any(seen[:20]) and gc.isenabled()  # (the diagnosis after the loop runs with it on)
    gc.disable()
    try:
        check(Watch(5), [])
        assert not gc.isenabled()  # a caller's choice is left as it was
    finally:
        gc.enable()
