"""Stopping early (state limit, time limit, Ctrl-C) and progress reports."""

from reference import BFS, assert_is_run
from toymodels import Chain, Grid, InterruptAfter, Peterson

from tcpmodel.engine import (
    HOLDS,
    UNKNOWN,
    VIOLATED,
    Always,
    Eventually,
    NoDeadlock,
    Progress,
    Sometimes,
    Step,
    check,
)
from tcpmodel.engine.explore import CHUNK


def chain_properties():
    return [
        Always("below_10", lambda s: s[0] < 10),  # violated early: still reported
        Always("nonnegative", lambda s: s[0] >= 0),  # not violated so far: unknown
        Sometimes("reaches_5", lambda s: s[0] == 5),  # witness found early
        Sometimes("reaches_end", lambda s: s[0] == 4999),  # not reached: unknown
        NoDeadlock(),  # the dead end is not reached: unknown
        Eventually("ends", lambda s: s[0] == 4999),  # liveness: never decided on a partial graph
    ]


def assert_partial_verdicts(result):
    assert result["below_10"].status == VIOLATED
    assert result["below_10"].trace.actions == ("inc",) * 10
    assert result["nonnegative"].status == UNKNOWN and result["nonnegative"].trace is None
    assert result["reaches_5"].status == HOLDS and len(result["reaches_5"].trace) == 5
    assert result["reaches_end"].status == UNKNOWN
    assert result["no_deadlock"].status == UNKNOWN
    assert result["ends"].status == UNKNOWN and result["ends"].trace is None


def test_state_limit():
    result = check(Chain(5000), chain_properties(), max_states=100)
    stats = result.stats
    assert not result.complete and not stats.complete
    assert stats.stop_reason == "state limit"
    # One state per BFS level, so the limit is checked after each state: it stops as soon as
    # 100 states are known (0..99), having expanded 0..98.
    assert stats.states == 100
    assert stats.transitions == 99
    assert stats.depth == 99  # the depth of state 99, discovered but not expanded
    assert_partial_verdicts(result)


def test_state_limit_on_a_wide_model():
    # Levels wider than a chunk: the limit is looked at between chunks, so the count may pass
    # it by at most a chunk's worth of expansions (each adds at most 2 states here).
    model = Grid(200, 200)
    result = check(model, [Always("in_grid", lambda s: s[0] < 200 and s[1] < 200)], max_states=3000)
    assert not result.complete and result.stats.stop_reason == "state limit"
    assert 3000 <= result.stats.states < 3000 + 2 * CHUNK
    assert result["in_grid"].status == UNKNOWN
    # What was explored is a prefix of the breadth-first order.
    bfs = BFS(Grid(200, 200))
    assert result.stats.depth == bfs.dist[bfs.order[result.stats.states - 1]]


def test_time_limit():
    # The clock is looked at after every chunk; a chunk never crosses a level, and level 0 is
    # the single initial state: with no time at all, the search stops after expanding it.
    result = check(Chain(5000), chain_properties() + [Step("up", lambda s, a, t: t[0] > s[0])], max_seconds=0.0)
    assert not result.complete and result.stats.stop_reason == "time limit"
    assert (result.stats.states, result.stats.transitions, result.stats.depth) == (2, 1, 1)
    assert result["nonnegative"].status == UNKNOWN
    assert result["up"].status == UNKNOWN
    assert result["ends"].status == UNKNOWN


def test_a_finished_search_is_complete_even_at_the_limit():
    # Everything is explored in the first chunk: no work is left when the limits are looked
    # at, so the result is complete and the verdicts are decided.
    class Stuck:
        def init_states(self):
            return [("a",), ("b",)]

        def successors(self, s):
            return []

    for limits in ({"max_states": 1}, {"max_states": 2}, {"max_seconds": 0.0}):
        result = check(Stuck(), [Always("any", lambda s: True), NoDeadlock()], **limits)
        assert result.complete and result.stats.stop_reason == "", limits
        assert result["any"].status == HOLDS
        assert result["no_deadlock"].status == VIOLATED
    # A limit above the state count changes nothing.
    result = check(Peterson(), [Always("any", lambda s: True)], max_states=21, max_seconds=60.0)
    assert result.complete and (result.stats.states, result.stats.transitions) == (20, 34)


def test_progress_callback():
    calls = []
    model = Grid(60, 60)
    result = check(model, [Always("in_grid", lambda s: s[0] < 60)], progress=calls.append, progress_interval=0.0)
    assert result.complete
    # With a zero interval it reports after every chunk; every BFS level (119 of them) is at
    # least one chunk.
    assert len(calls) >= 119
    assert all(isinstance(p, Progress) for p in calls)
    states = [p.states for p in calls]
    assert states == sorted(states)
    assert [p.depth for p in calls] == sorted(p.depth for p in calls)
    last = calls[-1]
    assert (last.states, last.transitions, last.queue) == (3600, result.stats.transitions, 0)
    assert last.depth == result.stats.depth == 118
    assert all(p.seconds >= 0 and p.states_per_second >= 0 for p in calls)
    assert all(0 <= p.queue <= p.states and p.transitions <= result.stats.transitions for p in calls)


def test_no_progress_report_before_the_interval():
    calls = []
    check(Peterson(), [], progress=calls.append, progress_interval=3600.0)
    assert calls == []


def test_keyboard_interrupt_gives_a_clean_incomplete_result():
    model = InterruptAfter(Grid(60, 60), n=500)
    result = check(model, [
        Always("in_grid", lambda s: s[0] < 60),
        Sometimes("diagonal_3", lambda s: s == (3, 3)),
        Eventually("corner", lambda s: s == (59, 59)),
    ], keep_graph=True)
    assert model.calls >= 500
    stats = result.stats
    assert not result.complete and stats.stop_reason == "interrupted"
    assert result["in_grid"].status == UNKNOWN
    assert result["corner"].status == UNKNOWN
    w = result["diagonal_3"]
    assert w.status == HOLDS and len(w.trace) == 6
    assert_is_run(Grid(60, 60), w.trace)
    # The counts describe what was explored: the states known (a prefix of the BFS order), and
    # the transitions of the states fully expanded, which are exactly the edges kept.
    bfs = BFS(Grid(60, 60))
    assert 0 < stats.states < 3600
    assert stats.depth == bfs.dist[bfs.order[stats.states - 1]]
    g = result.graph()
    assert g.number_of_nodes() == stats.states
    assert g.number_of_edges() == stats.transitions
    assert [g.nodes[i]["state"] for i in range(stats.states)] == bfs.order[: stats.states]


def test_keyboard_interrupt_without_stored_edges():
    # The plain loop (invariants only, no edges kept) stops as cleanly.
    model = InterruptAfter(Chain(5000), n=50)
    result = check(model, [Always("small", lambda s: s[0] < 20), Always("any", lambda s: True)])
    assert not result.complete and result.stats.stop_reason == "interrupted"
    assert result["small"].status == VIOLATED and len(result["small"].trace) == 20
    assert result["any"].status == UNKNOWN
    # States 0..49 were expanded (the 50th call raised before expanding state 49): 0..49 known.
    assert (result.stats.states, result.stats.transitions, result.stats.depth) == (50, 49, 49)


def test_keyboard_interrupt_on_the_first_call():
    result = check(InterruptAfter(Peterson(), n=1), [Always("any", lambda s: True)])
    assert result.stats.stop_reason == "interrupted"
    assert (result.stats.states, result.stats.transitions, result.stats.depth) == (1, 0, 0)
    assert result["any"].status == UNKNOWN
