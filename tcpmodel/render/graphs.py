"""A counterexample as a path through the global state graph, and the full reachable graph.

Node labels are compact: both TCP states, then the segments in flight per direction.
"""

from __future__ import annotations

from typing import Optional, Tuple

import graphviz

from ..tcp.actions import direction_of, kind, segment_of, timer_of
from ..tcp.tcb import C2S, STATE_NAMES
from .common import BLUE, GREEN, GREY, RED, USER_CALLS, actor, dot_text, short_segment

FULL_GRAPH_LIMIT = 400  # states; a larger graph is skipped with a note (dot would take minutes)


def state_label(state, index: Optional[int] = None):
    head = f"{STATE_NAMES[state.client.state]} | {STATE_NAMES[state.server.state]}"
    return dot_text(f"#{index}  {head}" if index is not None else head, *_network_lines(state))


def _network_lines(state):
    """One line per direction with segments in flight: ``c→s: SYN 100, ACK 101/301``."""
    lines = []
    if state.c2s:
        lines.append("c→s: " + ", ".join(short_segment(x) for x in state.c2s))
    if state.s2c:
        lines.append("s→c: " + ", ".join(short_segment(x) for x in state.s2c))
    return lines


def action_label(action) -> str:
    """A short label for an action: ``c: OPEN``, ``s: rcv SYN 100``, ``tick``, ``lose c→s ACK``."""
    name = kind(action)
    side = "cs"[actor(action)] if actor(action) is not None else ""
    if name in USER_CALLS:
        return f"{side}: {name}"
    if name == "deliver":
        return f"{side}: rcv {short_segment(segment_of(action))}"
    if name in ("lose", "dup"):
        return f"{name} {'c→s' if direction_of(action) == C2S else 's→c'} {short_segment(segment_of(action))}"
    if name == "timeout":
        return f"{side}: {'2MSL' if timer_of(action) == 'time-wait' else 'rexmt'} timeout"
    return name


def state_path(trace, title: str = "", outcome: str = "violation") -> graphviz.Digraph:
    """The trace as a path of global states; the last (bad) state highlighted, a lasso's
    cycle closed back onto the state where it starts."""
    g = graphviz.Digraph("path")
    g.attr(rankdir="TB", fontname="Helvetica", labelloc="t", label=dot_text(title) if title else "",
           ranksep="0.3")
    g.attr("node", fontname="Helvetica", fontsize="10", shape="box", style="rounded")
    g.attr("edge", fontname="Helvetica", fontsize="9")
    n = len(trace)
    last_node = n if not trace.is_lasso else trace.loop_start
    color = {"violation": RED, "witness": GREEN}.get(outcome)
    for i in range(n + 1 if not trace.is_lasso else n):
        attrs = {}
        if i == 0:
            attrs["style"] = "rounded,bold"
        if trace.is_lasso and i >= trace.loop_start:
            attrs.update(color=BLUE)
        if i == last_node and color and not trace.is_lasso:
            attrs.update(color=color, fontcolor=color, penwidth="2", style="rounded,filled", fillcolor="#fdecea"
                         if outcome == "violation" else "#e9f7ef")
        g.node(f"p{i}", state_label(trace.states[i], i), **attrs)
    for i, action in enumerate(trace.actions):
        dst = i + 1 if (not trace.is_lasso or i + 1 < n) else trace.loop_start
        attrs = {}
        if trace.is_lasso and i >= trace.loop_start:
            attrs.update(color=BLUE, fontcolor=BLUE)
        if dst == trace.loop_start and trace.is_lasso and i == n - 1:
            attrs.update(label=dot_text(action_label(action), "(cycle repeats)"), constraint="false", style="bold")
        else:
            attrs["label"] = dot_text(action_label(action))
        g.edge(f"p{i}", f"p{dst}", **attrs)
    return g


def full_graph(graph, title: str = "", limit: int = FULL_GRAPH_LIMIT) -> Tuple[Optional[graphviz.Digraph], str]:
    """The whole reachable graph, clustered by the pair of TCP states; ``(None, why)`` when it
    has more than ``limit`` states."""
    n = len(graph.states)
    if n > limit:
        return None, f"full state graph skipped: {n:,} states is more than the limit of {limit:,} for drawing"
    g = graphviz.Digraph("reachable")
    g.attr(rankdir="TB", fontname="Helvetica", labelloc="t", label=dot_text(title) if title else "",
           compound="true")
    g.attr("node", fontname="Helvetica", fontsize="8", shape="box", style="rounded")
    g.attr("edge", fontname="Helvetica", fontsize="7", color="#777777")
    clusters = {}
    for i, s in enumerate(graph.states):
        clusters.setdefault((s.client.state, s.server.state), []).append(i)
    for k, key in enumerate(sorted(clusters)):
        with g.subgraph(name=f"cluster_{k}") as c:
            client_state, server_state = key
            c.attr(label=dot_text(f"{STATE_NAMES[client_state]} | {STATE_NAMES[server_state]}"), style="rounded",
                   color=GREY, fontsize="10")
            for i in clusters[key]:
                attrs = {"style": "rounded,bold"} if i < graph.n_init else {}
                c.node(f"g{i}", dot_text(f"#{i}", *_network_lines(graph.states[i])), **attrs)
    offsets, targets, aids, actions = graph.offsets, graph.targets, graph.action_ids, graph.actions
    for i in range(n):
        for e in range(offsets[i], offsets[i + 1]):
            g.edge(f"g{i}", f"g{targets[e]}", label=dot_text(action_label(actions[aids[e]])))
    return g, ""
