"""Brute-force reference explorers, written independently of the engine.

They are slow and simple on purpose: a recursive depth-first closure for the state count, and a
plain breadth-first search with a parent map for depths and shortest traces. Only small models
go through them.
"""

from __future__ import annotations

import sys
from collections import deque


def dfs_closure(model):
    """The set of reachable states by recursive depth-first search, and the transition count."""
    seen = set()
    transitions = [0]
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 10_000))

    def visit(s):
        seen.add(s)
        succs = model.successors(s)
        transitions[0] += len(succs)
        for _a, t in succs:
            if t not in seen:
                visit(t)

    try:
        for s in model.init_states():
            if s not in seen:
                visit(s)
    finally:
        sys.setrecursionlimit(old_limit)
    return seen, transitions[0]


class BFS:
    """Breadth-first search from the initial states, in the model's successor order.

    ``order`` is the discovery order, ``dist`` the distance from an initial state, and
    ``parent[t] = (s, action)`` the first transition that discovered ``t``.
    """

    def __init__(self, model):
        self.model = model
        self.order = []
        self.dist = {}
        self.parent = {}
        self.transitions = 0
        queue = deque()
        for s in model.init_states():
            if s not in self.dist:
                self.dist[s] = 0
                self.parent[s] = None
                self.order.append(s)
                queue.append(s)
        while queue:
            s = queue.popleft()
            succs = model.successors(s)
            self.transitions += len(succs)
            for a, t in succs:
                if t not in self.dist:
                    self.dist[t] = self.dist[s] + 1
                    self.parent[t] = (s, a)
                    self.order.append(t)
                    queue.append(t)

    @property
    def depth(self):
        return max(self.dist.values())

    def path_to(self, target):
        """``(states, actions)`` of the BFS-tree path to ``target``."""
        states, actions = [target], []
        while self.parent[states[-1]] is not None:
            s, a = self.parent[states[-1]]
            states.append(s)
            actions.append(a)
        return tuple(reversed(states)), tuple(reversed(actions))

    def first_state(self, pred):
        """The first state in discovery order satisfying ``pred`` (a shortest one), or None."""
        return next((s for s in self.order if pred(s)), None)

    def first_transition(self, pred):
        """The first transition ``(s, a, t)`` in expansion order with ``pred(s, a, t)``, or None."""
        for s in self.order:
            for a, t in self.model.successors(s):
                if pred(s, a, t):
                    return s, a, t
        return None

    def dead_ends(self):
        return [s for s in self.order if not self.model.successors(s)]


def reachable_cycle_avoiding(model, start_pred, avoid):
    """Whether some run reaches a state with ``start_pred`` and then cycles forever in states
    that are not ``avoid`` (no fairness): a brute-force answer for liveness without fairness.

    For every reachable start state, it collects the states reachable from it through states
    that are not ``avoid``, and looks for a state among them that can get back to itself.
    """
    bfs = BFS(model)
    for start in bfs.order:
        if not start_pred(start) or avoid(start):
            continue
        region = _reach(model, [start], avoid)
        for s in region:
            if s in _reach(model, [t for _a, t in model.successors(s) if not avoid(t)], avoid):
                return True
    return False


def _reach(model, roots, avoid):
    seen = set(roots)
    stack = list(roots)
    while stack:
        s = stack.pop()
        for _a, t in model.successors(s):
            if not avoid(t) and t not in seen:
                seen.add(t)
                stack.append(t)
    return seen


def expected_counts(model):
    """``(states, transitions, depth)`` by two independent brute-force searches that must agree."""
    seen, transitions = dfs_closure(model)
    bfs = BFS(model)
    assert set(bfs.order) == seen and bfs.transitions == transitions
    return len(seen), transitions, bfs.depth


def assert_is_run(model, trace):
    """The trace starts at an initial state and every step is one of the model's transitions."""
    assert trace.states[0] in model.init_states()
    assert len(trace.states) == len(trace.actions) + 1
    for s, a, t in zip(trace.states, trace.actions, trace.states[1:]):
        assert (a, t) in model.successors(s), (s, a, t)
    if trace.loop_start is not None:
        assert trace.states[-1] == trace.states[trace.loop_start]
        assert trace.loop_start < len(trace.actions)
    if trace.dead_end:
        assert trace.loop_start is None and model.successors(trace.states[-1]) == []
