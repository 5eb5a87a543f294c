"""Each kind of property on small models: step, sometimes, deadlock, leads-to, fairness."""

from reference import BFS, assert_is_run
from toymodels import (
    Blinker,
    Chain,
    Fork,
    Jumps,
    NaiveLock,
    Peterson,
    RequestResponse,
    TwoLoops,
)

from tcpmodel.engine import (
    HOLDS,
    UNKNOWN,
    VIOLATED,
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


def only(name):
    return lambda action: action == name


# --------------------------------------------------------------------------------------------
# Step properties


def test_step_violation_is_the_shortest_violating_transition():
    model = Jumps()
    unit = lambda s, a, t: t[0] - s[0] <= 1  # noqa: E731
    result = check(model, [Step("unit_moves", unit), Step("forward", lambda s, a, t: t[0] >= s[0])])
    verdict = result["unit_moves"]
    assert verdict.status == VIOLATED and verdict.kind == "step"
    trace = verdict.trace
    # 0 -> 1 -> 2 -> 3 by "step", then the first jump 3 -> 6.
    assert trace.actions == ("step", "step", "step", "jump")
    assert trace.states == ((0,), (1,), (2,), (3,), (6,))
    assert_is_run(model, trace)
    bfs = BFS(model)
    s, a, t = bfs.first_transition(lambda s, a, t: not unit(s, a, t))
    states, actions = bfs.path_to(s)
    assert trace.states == states + (t,) and trace.actions == actions + (a,)
    assert result["forward"].status == HOLDS and result["forward"].trace is None


def test_step_violation_on_a_transition_to_a_known_state():
    # The self-loop 0 --stay--> 0 never discovers a state; the violation is still found, as
    # the very first transition explored.
    verdict = check(Jumps(), [Step("moves", lambda s, a, t: t != s)])["moves"]
    assert verdict.status == VIOLATED
    assert verdict.trace.actions == ("stay",) and verdict.trace.states == ((0,), (0,))


def test_step_on_the_naive_lock():
    # "A process enters only when the other is out of its critical section", as a step property.
    model = NaiveLock()
    enter_alone = lambda s, a, t: not (a.endswith(":enter") and t[0] == 3 and t[1] == 3)  # noqa: E731
    verdict = check(model, [Step("enter_alone", enter_alone)])["enter_alone"]
    assert verdict.status == VIOLATED
    assert verdict.trace.actions == ("p0:read_free", "p1:read_free", "p0:set", "p0:enter", "p1:set", "p1:enter")
    assert_is_run(model, verdict.trace)


# --------------------------------------------------------------------------------------------
# Sometimes / SometimesStep


def test_sometimes_witnesses_are_shortest():
    model = Peterson()
    both_wait = lambda s: s[0] == 2 and s[1] == 2  # noqa: E731
    p1_enters_past_p0 = lambda s, a, t: s[0] == 2 and a == "p1:enter"  # noqa: E731
    result = check(model, [
        Sometimes("both_wait", both_wait),
        SometimesStep("p1_enters_while_p0_waits", p1_enters_past_p0),
        Sometimes("both_critical", lambda s: s[0] == 3 and s[1] == 3),
        SometimesStep("p0_exits_from_waiting", lambda s, a, t: s[0] == 2 and a == "p0:exit"),
        Sometimes("initially_idle", lambda s: s[0] == 0 and s[1] == 0),
    ])
    w = result["both_wait"]
    assert w.status == HOLDS and w.is_witness and w.holds is True
    assert w.trace.actions == ("p0:want", "p0:yield", "p1:want", "p1:yield")
    assert w.trace.states[-1] == (2, 2, 1, 1, 0)
    bfs = BFS(model)
    assert bfs.path_to(bfs.first_state(both_wait)) == (w.trace.states, w.trace.actions)

    w = result["p1_enters_while_p0_waits"]
    assert w.status == HOLDS and w.kind == "sometimes_step"
    # p1 must yield after p0 (turn = 0 ... then p0 yields: turn = 1), then p1 may enter.
    assert w.trace.actions == ("p0:want", "p1:want", "p1:yield", "p0:yield", "p1:enter")
    s, a, t = bfs.first_transition(p1_enters_past_p0)
    states, actions = bfs.path_to(s)
    assert (w.trace.states, w.trace.actions) == (states + (t,), actions + (a,))

    # Unreachable: "violated" means no witness exists (not a failure trace).
    for name in ("both_critical", "p0_exits_from_waiting"):
        assert result[name].status == VIOLATED and result[name].trace is None
    # A witness at an initial state is a trace of no steps.
    w = result["initially_idle"]
    assert w.status == HOLDS and w.trace.actions == () and len(w.trace) == 0


# --------------------------------------------------------------------------------------------
# Deadlock and terminal states


def test_terminal_dead_ends_are_not_deadlocks():
    assert check(Chain(5, terminal_end=True), [NoDeadlock()])["no_deadlock"].status == HOLDS
    verdict = check(Chain(5), [NoDeadlock()])["no_deadlock"]
    assert verdict.status == VIOLATED
    assert verdict.trace.actions == ("inc",) * 4 and verdict.trace.states[-1] == (4,)

    # Fork: "done" is terminal, "broken" is not.
    verdict = check(Fork(), [NoDeadlock("stuck")])["stuck"]
    assert verdict.status == VIOLATED and verdict.trace.actions == ("fail",)
    # RequestResponse: idle after the last request is terminal; a dropped request that stops
    # the server is a deadlock.
    assert check(RequestResponse(), [NoDeadlock()])["no_deadlock"].status == HOLDS
    verdict = check(RequestResponse(lost_is_dead_end=True), [NoDeadlock()])["no_deadlock"]
    assert verdict.status == VIOLATED
    assert verdict.trace.actions == ("request", "serve", "done", "request", "drop")


def test_dead_end_at_an_initial_state():
    class Stuck:
        def init_states(self):
            return [("s",)]

        def successors(self, s):
            return []

    result = check(Stuck(), [NoDeadlock(), Eventually("never", lambda s: False)])
    assert result["no_deadlock"].status == VIOLATED and result["no_deadlock"].trace.actions == ()
    assert result["never"].status == VIOLATED and result["never"].trace.dead_end
    assert (result.stats.states, result.stats.transitions, result.stats.depth) == (1, 0, 0)


# --------------------------------------------------------------------------------------------
# Liveness


def test_liveness_violation_ending_at_a_dead_end():
    model = Fork()
    verdict = check(model, [Eventually("done", lambda s: s[0] == "done")])["done"]
    assert verdict.status == VIOLATED
    trace = verdict.trace
    assert trace.dead_end and trace.loop_start is None and not trace.is_lasso
    assert trace.actions == ("fail",) and trace.states[-1] == ("broken",)
    assert trace.cycle_actions == () and trace.prefix_actions == ("fail",)
    assert_is_run(model, trace)


def test_leads_to_with_a_trigger_after_the_start():
    # The trigger ("waiting") first holds after one step, is answered ("served"), then holds
    # again for the second request, which may be dropped: the shortest counterexample passes
    # through a goal state before its last trigger.
    model = RequestResponse()
    waiting = lambda s: s[0] == "waiting"  # noqa: E731
    served = lambda s: s[0] == "served"  # noqa: E731
    verdict = check(model, [LeadsTo("answered", waiting, served)])["answered"]
    assert verdict.status == VIOLATED
    trace = verdict.trace
    assert trace.actions == ("request", "serve", "done", "request", "drop", "spin")
    assert trace.loop_start == 5 and trace.cycle_actions == ("spin",)
    assert trace.states[-1] == trace.states[5] == ("lost", 2)
    assert_is_run(model, trace)

    # The same at a dead end instead of a self-loop.
    model = RequestResponse(lost_is_dead_end=True)
    verdict = check(model, [LeadsTo("answered", waiting, served)])["answered"]
    assert verdict.status == VIOLATED and verdict.trace.dead_end
    assert verdict.trace.actions == ("request", "serve", "done", "request", "drop")
    assert_is_run(model, verdict.trace)

    # Only one request: never dropped, so the property holds; and "eventually served" (from
    # the initial state) holds in both models, because the first request is always served.
    assert check(RequestResponse(n=1), [LeadsTo("answered", waiting, served)])["answered"].status == HOLDS
    assert check(RequestResponse(), [Eventually("served", served)])["served"].status == HOLDS
    # A trigger that never holds: holds vacuously.
    assert check(model, [LeadsTo("x", lambda s: s[0] == "nowhere", served)])["x"].status == HOLDS


def test_leads_to_trigger_in_the_middle_ignores_cycles_before_it():
    # Jumps has a self-loop at 0, before the trigger "x == 4": it does not count.
    model = Jumps()
    result = check(model, [
        LeadsTo("4_to_9", lambda s: s[0] == 4, lambda s: s[0] == 9),
        Eventually("reaches_9", lambda s: s[0] == 9),
        Eventually("reaches_9_wf", lambda s: s[0] == 9, [WeakFairness("step", only("step"))]),
    ])
    assert result["4_to_9"].status == HOLDS
    trace = result["reaches_9"].trace
    assert result["reaches_9"].status == VIOLATED
    assert trace.loop_start == 0 and trace.actions == ("stay",)
    # Weak fairness on "step" (always enabled at 0) excludes staying forever.
    assert result["reaches_9_wf"].status == HOLDS


def test_weak_versus_strong_fairness():
    model = Blinker()
    goal = lambda s: s[0] == "G"  # noqa: E731
    result = check(model, [
        Eventually("unfair", goal),
        Eventually("weak", goal, [WeakFairness("go", only("go"))]),
        Eventually("strong", goal, [StrongFairness("go", only("go"))]),
    ])
    for name in ("unfair", "weak"):
        trace = result[name].trace
        assert result[name].status == VIOLATED
        assert trace.loop_start == 0 and trace.cycle_actions == ("tick", "tock")
        assert trace.states == (("A",), ("B",), ("A",))
        assert_is_run(model, trace)
    # "go" is enabled in A, disabled in B: enabled infinitely often, never continuously.
    assert result["strong"].status == HOLDS


def test_strong_fairness_refines_components():
    # The SCC {A, B, C} is unfair to strong "go" (enabled in C, never taken inside); a checker
    # that dropped the whole component would say "holds", but the A/B loop inside it never
    # enables "go" and is fair.
    model = TwoLoops()
    goal = lambda s: s[0] == "G"  # noqa: E731
    sf_go = StrongFairness("go", only("go"))
    result = check(model, [
        Eventually("sf_go", goal, [sf_go]),
        Eventually("sf_go_sf_bc", goal, [sf_go, StrongFairness("bc", only("bc"))]),
        Eventually("sf_go_wf_bc", goal, [sf_go, WeakFairness("bc", only("bc"))]),
    ])
    for name in ("sf_go", "sf_go_wf_bc"):
        assert result[name].status == VIOLATED
        assert result[name].trace.cycle_actions == ("ab", "ba")
        assert_is_run(model, result[name].trace)
    # Strong fairness on "bc" (enabled in B on the A/B loop) forces a visit to C, and then
    # strong fairness on "go" forces the goal.
    assert result["sf_go_sf_bc"].status == HOLDS


def test_fair_lasso_takes_every_required_group():
    # In the A/B/C component of TwoLoops without "go" fairness but with strong fairness on
    # "bc" and "cb", the lasso must take both inside its cycle.
    model = TwoLoops()
    verdict = check(model, [Eventually("g", lambda s: s[0] == "G",
                                       [StrongFairness("bc", only("bc")), StrongFairness("cb", only("cb"))])])["g"]
    assert verdict.status == VIOLATED
    cycle = verdict.trace.cycle_actions
    assert "bc" in cycle and "cb" in cycle and "go" not in cycle
    assert_is_run(model, verdict.trace)


def test_liveness_is_unknown_on_an_incomplete_run():
    result = check(Chain(5000), [Eventually("end", lambda s: s[0] == 4999)], max_states=10)
    assert not result.complete and result["end"].status == UNKNOWN and result["end"].holds is None


class TwoStarts:
    """Two initial states (one listed twice): x reaches the goal g and stays; y loops forever."""

    def init_states(self):
        return [("x",), ("y",), ("x",)]

    def successors(self, s):
        return {"x": [("to_goal", ("g",))], "g": [("stay", ("g",))], "y": [("loop", ("y",))]}[s[0]]


def test_several_initial_states():
    model = TwoStarts()
    goal = lambda s: s[0] == "g"  # noqa: E731
    result = check(model, [
        Eventually("goal", goal),
        Always("not_y", lambda s: s[0] != "y"),
        Sometimes("at_goal", goal),
    ])
    assert (result.stats.states, result.stats.transitions, result.stats.depth) == (3, 3, 1)
    # The violation starts at the second initial state; the cycle after the goal (g --stay-->
    # g) is not one.
    trace = result["goal"].trace
    assert result["goal"].status == VIOLATED
    assert trace.states == (("y",), ("y",)) and trace.loop_start == 0 and trace.actions == ("loop",)
    # An invariant broken in an initial state: a trace of no steps.
    assert result["not_y"].status == VIOLATED and result["not_y"].trace.states == (("y",),)
    assert result["at_goal"].trace.actions == ("to_goal",)
    # A goal that holds initially, or a loop only after the goal: holds.
    result = check(model, [Eventually("start", lambda s: s[0] in "xy"), LeadsTo("x_to_g", lambda s: s[0] == "x", goal)])
    assert result["start"].status == HOLDS and result["x_to_g"].status == HOLDS


def test_fairness_with_a_state_enabledness_rejects_a_cycle_that_never_takes_the_group():
    """A cycle a <-> b that never 'ticks' although the tick is 'due' in both states is unfair
    under WeakFairness(..., enabled=...), even though no tick edge leaves the cycle's states."""
    from tcpmodel.engine import LeadsTo, VIOLATED, HOLDS, WeakFairness, check

    class M:
        def init_states(self):
            return ["a"]

        def successors(self, s):
            return {"a": [("ping", "b"), ("tick", "done")], "b": [("pong", "a")], "done": []}[s]

        def is_terminal(self, s):
            return s == "done"

    busy = lambda s: s != "done"
    idle = lambda s: s == "done"
    plain = LeadsTo("plain", busy, idle, [WeakFairness("time", lambda a: a == "tick")])
    due = LeadsTo("due", busy, idle, [WeakFairness("time", lambda a: a == "tick", enabled=busy)])
    result = check(M(), [plain, due])
    # Without the state predicate the tick is not enabled in b, so a <-> b is weakly fair.
    assert result["plain"].status == VIOLATED
    assert result["plain"].trace.actions == ("ping", "pong")
    assert result["due"].status == HOLDS
