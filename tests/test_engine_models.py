"""The engine on classic toy models whose answers are known independently.

Every count is asserted twice: as a literal (worked out by hand where that is practical, see
the comments) and against the brute-force reference searches of ``reference.py``, which do not
use the engine.
"""

import pytest
from reference import BFS, assert_is_run, expected_counts, reachable_cycle_avoiding
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
    HOLDS,
    VIOLATED,
    Always,
    Eventually,
    LeadsTo,
    NoDeadlock,
    Step,
    StrongFairness,
    WeakFairness,
    check,
)


def assert_counts(result, model, states, transitions, depth):
    assert expected_counts(model) == (states, transitions, depth)
    assert (result.stats.states, result.stats.transitions, result.stats.depth) == (states, transitions, depth)
    assert result.complete and result.stats.stop_reason == ""


# --------------------------------------------------------------------------------------------
# 1. Peterson


def test_peterson_mutual_exclusion_holds():
    model = Peterson()
    result = check(model, [Always("mutex", peterson_mutex), NoDeadlock()])
    assert result["mutex"].status == HOLDS and result["mutex"].trace is None
    assert result["no_deadlock"].status == HOLDS
    # (pc0, pc1, turn) with the flags fixed by the pcs: 4 * 4 * 2 = 32 combinations, of which
    # 20 are reachable; every state has one or two enabled processes.
    assert_counts(result, model, states=20, transitions=34, depth=6)
    # The reference agrees that no reachable state has both processes critical.
    assert all(peterson_mutex(s) for s in BFS(model).order)


# --------------------------------------------------------------------------------------------
# 2. Naive test-then-set lock


def test_naive_lock_violates_mutual_exclusion_with_shortest_trace():
    model = NaiveLock()
    result = check(model, [Always("mutex", naive_mutex)])
    verdict = result["mutex"]
    assert verdict.status == VIOLATED
    trace = verdict.trace
    # Both must read the flag free before either sets it: three steps each, six in all.
    assert trace.actions == ("p0:read_free", "p1:read_free", "p0:set", "p0:enter", "p1:set", "p1:enter")
    assert len(trace) == 6
    assert trace.states[-1] == (3, 3, 1)
    assert trace.loop_start is None and not trace.dead_end
    assert_is_run(model, trace)
    # The reference BFS finds the same shortest path (same successor order, first discovery).
    bfs = BFS(model)
    bad = bfs.first_state(lambda s: not naive_mutex(s))
    assert bfs.dist[bad] == 6
    assert bfs.path_to(bad) == (trace.states, trace.actions)
    # Each process always has exactly one move (a spin when the flag is busy): 2 per state.
    assert_counts(result, model, states=24, transitions=48, depth=8)


# --------------------------------------------------------------------------------------------
# 3. Dining philosophers


def test_dining_philosophers_deadlock():
    model = DiningPhilosophers(3)
    result = check(model, [NoDeadlock()])
    verdict = result["no_deadlock"]
    assert verdict.status == VIOLATED
    trace = verdict.trace
    assert trace.actions == ("p0:take_left", "p1:take_left", "p2:take_left")
    assert len(trace) == 3
    assert trace.states[-1] == (1, 1, 1)
    assert model.successors(trace.states[-1]) == []
    assert_is_run(model, trace)
    # By hand: pcs in {0,1,2}^3 where no philosopher eats (2) while its right neighbour holds
    # its own left fork (>= 1): 8 with no one eating + 3 * 2 with one eating (its right
    # neighbour thinking, its left one free) + 0 with two eating = 14, all reachable.
    assert_counts(result, model, states=14, transitions=27, depth=3)
    bfs = BFS(model)
    assert bfs.dead_ends() == [(1, 1, 1)]
    assert bfs.path_to((1, 1, 1)) == (trace.states, trace.actions)


# --------------------------------------------------------------------------------------------
# 4. Alternating-bit protocol

ALL_DELIVERED = "all_delivered"


def abp_done(s):
    return len(s[3]) == 2


def only(name):
    return lambda action: action == name


def test_abp_safety_holds_and_counts():
    model = AlternatingBit(n_msgs=2, capacity=2)
    result = check(model, [Always("in_order", abp_in_order), NoDeadlock()])
    assert result["in_order"].status == HOLDS
    assert result["no_deadlock"].status == HOLDS
    assert_counts(result, model, states=72, transitions=348, depth=12)
    small = AlternatingBit(n_msgs=2, capacity=1)
    assert_counts(check(small, [Always("in_order", abp_in_order)]), small, states=26, transitions=79, depth=10)


def test_abp_without_the_bit_delivers_a_duplicate():
    # The safety property is not vacuous: a receiver that ignores the bit delivers message 0
    # twice when the sender resends it.
    model = AlternatingBit(check_bit=False)
    verdict = check(model, [Always("in_order", abp_in_order)])["in_order"]
    assert verdict.status == VIOLATED
    assert verdict.trace.actions == ("send", "send", "recv", "recv")
    assert verdict.trace.states[-1][3] == (0, 0)
    assert_is_run(model, verdict.trace)


def test_abp_delivery_fails_without_fairness_on_a_loss_cycle():
    model = AlternatingBit()
    result = check(model, [
        Eventually(ALL_DELIVERED, abp_done),
        LeadsTo("sent_0_delivered", lambda s: any(m == 0 for _b, m in s[4]), lambda s: 0 in s[3]),
    ])
    trace = result[ALL_DELIVERED].trace
    assert result[ALL_DELIVERED].status == VIOLATED
    assert trace.is_lasso and trace.loop_start == 0
    assert trace.states[-1] == trace.states[trace.loop_start]
    # The sender sends, the channel loses it, forever.
    assert trace.cycle_actions == ("send", "lose_msg")
    assert trace.prefix_actions == ()
    assert_is_run(model, trace)

    trace = result["sent_0_delivered"].trace
    assert result["sent_0_delivered"].status == VIOLATED
    assert trace.loop_start == 1 and trace.states[-1] == trace.states[1]
    assert trace.prefix_actions == ("send",)
    assert trace.cycle_actions == ("send", "lose_msg")
    assert_is_run(model, trace)
    # Brute force agrees: some run cycles forever without delivering everything.
    assert reachable_cycle_avoiding(model, lambda s: s == model.init_states()[0], abp_done)


def test_abp_delivery_weak_fairness_is_not_enough():
    # Weak fairness on every protocol action still allows a run that never delivers: the
    # channel loses every message before the receiver takes it, so "recv" is enabled
    # infinitely often but never continuously (it is disabled whenever the channel is empty),
    # and weak fairness says nothing about it. The same goes for "recv_ack" and lost acks.
    model = AlternatingBit()
    fairness = [WeakFairness(name, only(name)) for name in ("send", "recv", "ack", "recv_ack")]
    result = check(model, [Eventually(ALL_DELIVERED, abp_done, fairness)])
    verdict = result[ALL_DELIVERED]
    assert verdict.status == VIOLATED
    trace = verdict.trace
    assert trace.loop_start == 0 and trace.states[-1] == trace.states[0]
    assert trace.cycle_actions == ("send", "send", "lose_msg", "lose_msg", "ack", "ack", "recv_ack", "recv_ack")
    assert_is_run(model, trace)
    # The cycle is weakly fair: send, ack and recv_ack are taken; recv is disabled in a state
    # of the cycle (the one where both messages have been lost).
    cycle_states = trace.states[trace.loop_start:-1]
    assert any(not any(a == "recv" for a, _t in model.successors(s)) for s in cycle_states)
    # One weak (or strong) fairness group for all non-loss actions is no better: "send" is
    # taken on the cycle send/lose, which satisfies the group.
    for kind in (WeakFairness, StrongFairness):
        group = [kind("protocol", lambda a: not a.startswith("lose"))]
        v = check(model, [Eventually(ALL_DELIVERED, abp_done, group)])[ALL_DELIVERED]
        assert v.status == VIOLATED and v.trace.cycle_actions == ("send", "lose_msg")


def test_abp_delivery_holds_under_strong_fairness_on_receipt():
    # Strong fairness on receiving (a message, an ack) -- enabled infinitely often implies taken
    # infinitely often -- plus weak fairness on (re)sending messages and acks suffices: the
    # channel cannot lose every copy forever.
    model = AlternatingBit()
    fairness = [
        WeakFairness("send", only("send")),
        WeakFairness("ack", only("ack")),
        StrongFairness("recv", only("recv")),
        StrongFairness("recv_ack", only("recv_ack")),
    ]
    sent_0 = LeadsTo("sent_0_delivered", lambda s: any(m == 0 for _b, m in s[4]), lambda s: 0 in s[3], fairness)
    result = check(model, [Eventually(ALL_DELIVERED, abp_done, fairness), sent_0])
    assert result[ALL_DELIVERED].status == HOLDS and result[ALL_DELIVERED].trace is None
    assert result["sent_0_delivered"].status == HOLDS

    # Each part is needed. Without strong fairness on recv_ack the sender may never learn of
    # the delivery of message 0 (acks lost forever): the first message is still delivered,
    # not both. Without weak fairness on send, nothing is ever sent.
    no_sf_ack = fairness[:3]
    result = check(model, [Eventually(ALL_DELIVERED, abp_done, no_sf_ack),
                           LeadsTo("sent_0_delivered", sent_0.predicate, sent_0.goal, no_sf_ack)])
    assert result[ALL_DELIVERED].status == VIOLATED
    assert result["sent_0_delivered"].status == HOLDS
    assert "recv_ack" not in result[ALL_DELIVERED].trace.cycle_actions
    no_send = fairness[1:]
    verdict = check(model, [Eventually(ALL_DELIVERED, abp_done, no_send)])[ALL_DELIVERED]
    assert verdict.status == VIOLATED
    assert "send" not in verdict.trace.actions
    # Weakly fair to "ack": it is taken (and, with two acks in flight, also disabled).
    assert verdict.trace.prefix_actions == ()
    assert verdict.trace.cycle_actions == ("ack", "ack", "recv_ack", "recv_ack")


def test_abp_the_kind_of_fairness_on_recv_decides():
    # Everything else fixed (weak on send and ack, strong on recv_ack), only the kind of
    # fairness on "recv" changes the verdict: weak allows "send, lose" forever, strong does not.
    model = AlternatingBit()
    base = [WeakFairness("send", only("send")), WeakFairness("ack", only("ack")), StrongFairness("recv_ack", only("recv_ack"))]
    sent_0 = lambda s: any(m == 0 for _b, m in s[4])  # noqa: E731
    delivered_0 = lambda s: 0 in s[3]  # noqa: E731
    verdicts = {}
    for kind in (WeakFairness, StrongFairness):
        fairness = base + [kind("recv", only("recv"))]
        result = check(model, [Eventually(ALL_DELIVERED, abp_done, fairness), LeadsTo("sent_0", sent_0, delivered_0, fairness)])
        verdicts[kind] = result
    weak = verdicts[WeakFairness]
    assert weak[ALL_DELIVERED].status == VIOLATED and weak["sent_0"].status == VIOLATED
    trace = weak["sent_0"].trace
    assert trace.prefix_actions == ("send",)
    assert trace.cycle_actions == ("send", "ack", "ack", "lose_msg", "lose_msg", "recv_ack", "recv_ack", "send")
    assert "recv" not in trace.actions
    assert_is_run(model, trace)
    strong = verdicts[StrongFairness]
    assert strong[ALL_DELIVERED].status == HOLDS and strong["sent_0"].status == HOLDS


# --------------------------------------------------------------------------------------------
# 5. "Eventually" that fails only on a cycle


def test_eventually_fails_on_a_cycle_not_at_a_dead_end():
    model = CounterLoop(cycle=True)
    goal = lambda s: s[0] == 3  # noqa: E731
    bfs = BFS(model)
    # Every dead end satisfies the goal: checking only dead ends would say "holds".
    assert bfs.dead_ends() == [(3,)] and all(goal(s) for s in bfs.dead_ends())
    assert reachable_cycle_avoiding(model, lambda s: s == (0,), goal)

    result = check(model, [Eventually("reaches_3", goal)])
    verdict = result["reaches_3"]
    assert verdict.status == VIOLATED
    trace = verdict.trace
    assert trace.is_lasso and not trace.dead_end
    assert trace.loop_start == 0 and trace.states[-1] == trace.states[0] == (0,)
    assert trace.actions == ("inc", "inc", "reset") == trace.cycle_actions
    assert trace.states == ((0,), (1,), (2,), (0,))
    assert_is_run(model, trace)
    assert_counts(result, model, states=4, transitions=4, depth=3)

    broken = CounterLoop(cycle=False)
    assert not reachable_cycle_avoiding(broken, lambda s: s == (0,), goal)
    result = check(broken, [Eventually("reaches_3", goal)])
    assert result["reaches_3"].status == HOLDS and result["reaches_3"].trace is None
    assert_counts(result, broken, states=4, transitions=3, depth=3)


# --------------------------------------------------------------------------------------------
# 6. Exact counts of every toy model: literal, brute-force reference, and the engine


COUNTS = [
    # model, (states, transitions, depth)
    (Peterson(), (20, 34, 6)),
    (NaiveLock(), (24, 48, 8)),  # 2 moves in every state
    (DiningPhilosophers(3), (14, 27, 3)),
    (DiningPhilosophers(4), (34, 88, 4)),
    (DiningPhilosophers(5), (82, 265, 5)),
    (AlternatingBit(n_msgs=2, capacity=2), (72, 348, 12)),
    (AlternatingBit(n_msgs=2, capacity=1), (26, 79, 10)),
    (AlternatingBit(n_msgs=3, capacity=2), (108, 528, 16)),
    (AlternatingBit(check_bit=False), (198, 897, 14)),
    (CounterLoop(cycle=True), (4, 4, 3)),
    (CounterLoop(cycle=False), (4, 3, 3)),
    (Blinker(), (3, 3, 1)),
    (Fork(), (3, 2, 1)),
    (TwoLoops(), (4, 5, 3)),
    (RequestResponse(), (8, 8, 6)),  # idle0 w1 s1 idle1 w2 {s2, lost2} idle2
    (RequestResponse(lost_is_dead_end=True), (8, 7, 6)),
    (RequestResponse(n=1), (4, 3, 3)),
    (Jumps(), (10, 13, 6)),  # depth: 8 is 0..3, jump to 6, 7, 8
    (Chain(5), (5, 4, 4)),
    (Grid(60, 60), (3600, 2 * 60 * 59, 118)),
]


@pytest.mark.parametrize("model, counts", COUNTS, ids=lambda x: type(x).__name__ if not isinstance(x, tuple) else str(x))
def test_exact_counts(model, counts):
    result = check(model, [NoDeadlock()])
    assert_counts(result, model, *counts)
    # The same counts when every transition is stored (the other exploration loop).
    kept = check(model, [Step("any", lambda s, a, t: True)], keep_graph=True)
    assert (kept.stats.states, kept.stats.transitions, kept.stats.depth) == counts


def transfer_trace(n):
    """Consistent fork assignments of n dining philosophers, counted by a transfer matrix.

    Going round the table, a philosopher who eats (2) must be followed by one who thinks (0);
    one who thinks or holds its left fork (0, 1) may be followed by anyone. The number of
    cyclic sequences is the trace of T^n.
    """
    t = [[1, 1, 1], [1, 1, 1], [1, 0, 0]]
    m = [[int(i == j) for j in range(3)] for i in range(3)]
    for _ in range(n):
        m = [[sum(m[i][k] * t[k][j] for k in range(3)) for j in range(3)] for i in range(3)]
    return sum(m[i][i] for i in range(3))


def test_dining_philosophers_reach_every_consistent_configuration():
    for n, states in ((3, 14), (4, 34), (5, 82)):
        assert transfer_trace(n) == states
        assert check(DiningPhilosophers(n), []).stats.states == states
