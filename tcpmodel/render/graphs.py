"""A counterexample as a path through the global state graph, and the full reachable graph.

Node labels are compact: both TCP states, then the segments in flight per direction.
"""

from __future__ import annotations

from typing import Optional, Tuple

import graphviz

from ..tcp.tcb import STATE_NAMES
from .common import BLUE, GREEN, GREY, RED, USER_CALLS, actor, dot_text, short_segment

FULL_GRAPH_LIMIT = 400  # states; a larger graph is skipped with a note (dot would take minutes)


def state_label(state, index: Optional[int] = None):
    client, server, c2s, s2c = state[0], state[1], state[2], state[3]
    head = f"{STATE_NAMES[client.state]} | {STATE_NAMES[server.state]}"
    lines = [f"#{index}  {head}" if index is not None else head]
    if c2s:
        lines.append("c→s: " + ", ".join(short_segment(x) for x in c2s))
    if s2c:
        lines.append("s→c: " + ", ".join(short_segment(x) for x in s2c))
    return dot_text(*lines)


def action_label(action) -> str:
    """A short label for an action: ``c: OPEN``, ``s: rcv SYN 100``, ``tick``, ``lose c→s ACK``."""
    kind = action[0]
    side = "cs"[actor(action)] if actor(action) is not None else ""
    if kind in USER_CALLS:
        return f"{side}: {kind}"
    if kind == "deliver":
        return f"{side}: rcv {short_segment(action[2])}"
    if kind in ("lose", "dup"):
        return f"{kind} {'c→s' if action[1] == 0 else 's→c'} {short_segment(action[2])}"
    if kind == "timeout":
        return f"{side}: {'2MSL' if action[2] == 'time-wait' else 'rexmt'} timeout"
    return kind


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
        clusters.setdefault((s[0].state, s[1].state), []).append(i)
    for k, key in enumerate(sorted(clusters)):
        with g.subgraph(name=f"cluster_{k}") as c:
            c.attr(label=dot_text(f"{STATE_NAMES[key[0]]} | {STATE_NAMES[key[1]]}"), style="rounded",
                   color=GREY, fontsize="10")
            for i in clusters[key]:
                s = graph.states[i]
                lines = []
                if s[2]:
                    lines.append("c→s: " + ", ".join(short_segment(x) for x in s[2]))
                if s[3]:
                    lines.append("s→c: " + ", ".join(short_segment(x) for x in s[3]))
                attrs = {"style": "rounded,bold"} if i < graph.n_init else {}
                c.node(f"g{i}", dot_text(f"#{i}", *lines), **attrs)
    offsets, targets, aids, actions = graph.offsets, graph.targets, graph.action_ids, graph.actions
    for i in range(n):
        for e in range(offsets[i], offsets[i + 1]):
            g.edge(f"g{i}", f"g{targets[e]}", label=dot_text(action_label(actions[aids[e]])))
    return g, ""
