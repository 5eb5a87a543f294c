"""Per-endpoint state diagrams: the reachable graph projected onto one endpoint's TCP state.

Each transition of the global graph that changes the endpoint's state becomes an edge
``from -> to`` labelled ``event / action`` in the words of RFC 9293 Figure 5 ("rcv SYN /
snd SYN,ACK", "CLOSE / snd FIN", "rcv ACK of FIN / x", "timeout=2MSL / delete TCB"), with
the number of global transitions behind it. The edges of Figure 5 that the configuration
never exercised are drawn dashed grey.
"""

from __future__ import annotations

from collections import Counter
from typing import Dict, Iterable, Tuple

import graphviz

from ..tcp.tcb import (ACK, CLOSE_WAIT, CLOSED, CLOSING, ESTABLISHED, FIN, FIN_WAIT_1, FIN_WAIT_2, LAST_ACK,
                       LISTEN, RST, STATE_NAMES, SYN, SYN_RECEIVED, SYN_SENT, TIME_WAIT, format_flags)
from .common import GREY, SIDE_LABELS, USER_CALLS, actor, dot_text, sent_segments

# RFC 9293 Figure 5 ("TCP Connection State Diagram"), as data: (from, to, event, action).
FIGURE5 = (
    (CLOSED, LISTEN, "passive OPEN", "create TCB"),
    (CLOSED, SYN_SENT, "active OPEN", "create TCB, snd SYN"),
    (LISTEN, CLOSED, "CLOSE", "delete TCB"),
    (LISTEN, SYN_RECEIVED, "rcv SYN", "snd SYN,ACK"),
    (LISTEN, SYN_SENT, "SEND", "snd SYN"),
    (SYN_SENT, CLOSED, "CLOSE", "delete TCB"),
    (SYN_SENT, SYN_RECEIVED, "rcv SYN", "snd SYN,ACK"),
    (SYN_SENT, ESTABLISHED, "rcv SYN,ACK", "snd ACK"),
    (SYN_RECEIVED, LISTEN, "rcv RST (note 1)", "x"),
    (SYN_RECEIVED, ESTABLISHED, "rcv ACK of SYN", "x"),
    (SYN_RECEIVED, FIN_WAIT_1, "CLOSE", "snd FIN"),
    (ESTABLISHED, FIN_WAIT_1, "CLOSE", "snd FIN"),
    (ESTABLISHED, CLOSE_WAIT, "rcv FIN", "snd ACK"),
    (FIN_WAIT_1, FIN_WAIT_2, "rcv ACK of FIN", "x"),
    (FIN_WAIT_1, CLOSING, "rcv FIN", "snd ACK"),
    (FIN_WAIT_2, TIME_WAIT, "rcv FIN", "snd ACK"),
    (CLOSE_WAIT, LAST_ACK, "CLOSE", "snd FIN"),
    (CLOSING, TIME_WAIT, "rcv ACK of FIN", "x"),
    (LAST_ACK, CLOSED, "rcv ACK of FIN", "x"),
    (TIME_WAIT, CLOSED, "timeout=2MSL", "delete TCB"),
)

# Edge = (from state, to state, label)
Edge = Tuple[int, int, str]


def event_of(side, tcb, action) -> str:
    kind = action[0]
    if kind in USER_CALLS:
        return USER_CALLS[kind]
    if kind == "timeout":
        return "timeout=2MSL" if action[2] == "time-wait" else "retransmission timeout"
    if kind == "deliver":
        seg = action[2]
        flags = seg.flags
        acks_fin = bool(flags & ACK) and tcb.fin_seq >= 0 and tcb.snd_una <= tcb.fin_seq < seg.ack
        if flags & RST:
            return "rcv RST"
        if flags & SYN:
            return "rcv " + format_flags(flags)
        if flags & FIN:
            return "rcv FIN" + (" + ACK of FIN" if acks_fin else "")
        if seg.dlen:
            return "rcv data" + (" + ACK of FIN" if acks_fin else "")
        if tcb.state == SYN_RECEIVED:
            return "rcv ACK of SYN"
        if acks_fin:
            return "rcv ACK of FIN"
        return "rcv ACK"
    return kind


def action_of(kind, before, after, sent) -> str:
    parts = []
    if kind in ("OPEN", "LISTEN"):
        parts.append("create TCB")
    if sent:
        names = []
        for seg in sent:
            name = format_flags(seg.flags & ~ACK) if seg.flags & (SYN | FIN | RST) else "ACK"
            if seg.flags & SYN and seg.flags & ACK:
                name = "SYN,ACK"
            if seg.dlen:
                name = "data"
            if name not in names:
                names.append(name)
        parts.append("snd " + "; ".join(names))
    if after == CLOSED and before not in (CLOSED, LISTEN) and kind in ("CLOSE", "ABORT", "timeout"):
        parts.append("delete TCB")
    if after == CLOSED and before == LISTEN:
        parts.append("delete TCB")
    return ", ".join(parts) if parts else "x"


def project(graph, side: int) -> Counter:
    """Counter of ``(from, to, "event / action")`` over every transition of ``graph`` that
    changes endpoint ``side``'s TCP state."""
    counts: Counter = Counter()
    states, offsets, targets, aids, actions = graph.states, graph.offsets, graph.targets, graph.action_ids, graph.actions
    actors = [actor(a) for a in actions]
    cache: Dict = {}
    for i, s in enumerate(states):
        before = s[side]
        for e in range(offsets[i], offsets[i + 1]):
            aid = aids[e]
            if actors[aid] != side:
                continue
            t = states[targets[e]]
            after = t[side]
            if after.state == before.state:
                continue
            a = actions[aid]
            sent = tuple(sent_segments(s, a, t))
            key = (before, after.state, a[0], a[2][:6] if a[0] == "deliver" else a, tuple(x[:4] for x in sent))
            label = cache.get(key)
            if label is None:
                label = cache[key] = f"{event_of(side, before, a)} / {action_of(a[0], before.state, after.state, sent)}"
            counts[(before.state, after.state, label)] += 1
    return counts


def figure5_exercised(counts: Counter) -> set:
    """The (from, to) pairs of Figure 5 that some projected edge realises."""
    pairs = {(f, t) for f, t, _ in counts}
    return {(f, t) for f, t, *_ in FIGURE5 if (f, t) in pairs}


def endpoint_diagram(counts: Counter, side: int, title: str = "") -> graphviz.Digraph:
    g = graphviz.Digraph(f"{SIDE_LABELS[side]}_states")
    g.attr(rankdir="TB", fontname="Helvetica", labelloc="t", nodesep="0.4", ranksep="0.45",
           label=dot_text(title or f"{SIDE_LABELS[side]}: TCP states reached (RFC 9293 Figure 5 style)"))
    g.attr("node", fontname="Helvetica", fontsize="11", shape="box", style="rounded")
    g.attr("edge", fontname="Helvetica", fontsize="9")
    reached = sorted({f for f, _, _ in counts} | {t for _, t, _ in counts})
    for st in range(len(STATE_NAMES)):
        if st in reached:
            g.node(f"st{st}", dot_text(STATE_NAMES[st]), style="rounded,bold" if st == CLOSED else "rounded")
        else:
            g.node(f"st{st}", dot_text(STATE_NAMES[st]), color=GREY, fontcolor=GREY, style="rounded,dashed")
    exercised = figure5_exercised(counts)
    for (f, t, label), n in sorted(counts.items()):
        g.edge(f"st{f}", f"st{t}", label=dot_text(label, f"({n:,})"))
    for f, t, event, act in FIGURE5:
        if (f, t) not in exercised:
            g.edge(f"st{f}", f"st{t}", label=dot_text(f"{event} / {act}", "(never exercised)"),
                   style="dashed", color=GREY, fontcolor=GREY)
    return g


def merge(counters: Iterable[Counter]) -> Counter:
    total: Counter = Counter()
    for c in counters:
        total.update(c)
    return total
