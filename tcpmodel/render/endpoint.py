"""Per-endpoint state diagrams: the reachable graph projected onto one endpoint's TCP state.

Each transition of the global graph that changes the endpoint's state becomes an edge
``from -> to`` labelled ``event / action`` in the words of RFC 9293 Figure 5 ("rcv SYN /
snd SYN,ACK", "CLOSE / snd FIN", "rcv ACK of FIN / x", "timeout=2MSL / delete TCB").

The event says what the step *did* to the TCB, not which bits the segment carried: a FIN
that arrives out of order is only acknowledged (RFC 9293 §3.10.7.4, eighth step: the FIN is
processed only when it is in sequence), so if it also acknowledges our FIN the edge
FIN-WAIT-1 -> FIN-WAIT-2 reads "rcv ACK of FIN", not "rcv FIN". Edges are matched to
Figure 5 by ``(from, event, to)``; the diagrams are laid out like Figure 5 (two CLOSED boxes,
the opening at the top, the closing at the bottom), with Figure 5 edges the configuration
never exercised dashed grey, and edges beyond the figure (resets, ABORT, giving up after
retransmissions, the variants' shortcuts) in blue.
"""

from __future__ import annotations

from collections import Counter
from typing import Dict, Iterable, List, Mapping, NamedTuple, Tuple

import graphviz

from ..tcp.tcb import (ACK, CLOSE_WAIT, CLOSED, CLOSING, ESTABLISHED, FIN, FIN_WAIT_1, FIN_WAIT_2, LAST_ACK,
                       LISTEN, RST, STATE_NAMES, SYN, SYN_RECEIVED, SYN_SENT, TIME_WAIT, format_flags)
from ..tcp.actions import delivered_segment, kind, timer_of
from .common import BLUE, GREY, SIDE_LABELS, USER_CALLS, actor, dot_text, sent_segments

# RFC 9293 Figure 5 ("TCP Connection State Diagram"), as data: (from, event, to, action).
FIGURE5 = (
    (CLOSED, "passive OPEN", LISTEN, "create TCB"),
    (CLOSED, "active OPEN", SYN_SENT, "create TCB, snd SYN"),
    (LISTEN, "CLOSE", CLOSED, "delete TCB"),
    (LISTEN, "rcv SYN", SYN_RECEIVED, "snd SYN,ACK"),
    (LISTEN, "SEND", SYN_SENT, "snd SYN"),
    (SYN_SENT, "CLOSE", CLOSED, "delete TCB"),
    (SYN_SENT, "rcv SYN", SYN_RECEIVED, "snd SYN,ACK"),
    (SYN_SENT, "rcv SYN,ACK", ESTABLISHED, "snd ACK"),
    (SYN_RECEIVED, "rcv RST", LISTEN, "x"),  # note 1: only after a passive OPEN
    (SYN_RECEIVED, "rcv ACK of SYN", ESTABLISHED, "x"),
    (SYN_RECEIVED, "CLOSE", FIN_WAIT_1, "snd FIN"),
    (ESTABLISHED, "CLOSE", FIN_WAIT_1, "snd FIN"),
    (ESTABLISHED, "rcv FIN", CLOSE_WAIT, "snd ACK"),
    (FIN_WAIT_1, "rcv ACK of FIN", FIN_WAIT_2, "x"),
    (FIN_WAIT_1, "rcv FIN", CLOSING, "snd ACK"),
    (FIN_WAIT_2, "rcv FIN", TIME_WAIT, "snd ACK"),
    (CLOSE_WAIT, "CLOSE", LAST_ACK, "snd FIN"),
    (CLOSING, "rcv ACK of FIN", TIME_WAIT, "x"),
    (LAST_ACK, "rcv ACK of FIN", CLOSED, "x"),
    (TIME_WAIT, "timeout=2MSL", CLOSED, "delete TCB"),
)

# Edges the RFC's text defines beside the figure. RFC 9293 §3.10.7.4, eighth step, FIN-WAIT-1:
# "If our FIN has been ACKed (perhaps in this segment), then enter TIME-WAIT, start the
# time-wait timer, turn off the other timers; otherwise, enter the CLOSING state."
TEXT_EDGES = (
    (FIN_WAIT_1, "rcv FIN + ACK of FIN", TIME_WAIT, "snd ACK"),
)

# Figure 5 edges the current model cannot take, and why (the coverage test asserts that
# exactly these are never exercised by the shipped specs). CLOSE out of LISTEN, SYN-SENT and
# SYN-RECEIVED is taken with close = "any_time" (specs/early_close*.toml).
FIGURE5_UNREACHED = {
    (LISTEN, "SEND", SYN_SENT): "the model's applications SEND only once the handshake is done, never in LISTEN "
                                "(RFC 9293 §3.10.2 lets a SEND in LISTEN turn the passive OPEN into an active "
                                "one); the simultaneous-open server leaves LISTEN for SYN-SENT by an active OPEN "
                                "instead (rfc9293_simultaneous, drawn beyond the figure)",
}

Edge = Tuple[int, str, int]  # (from, event, to)


class Coverage(NamedTuple):
    """One edge of Figure 5 (or of the text beside it) and the specs that exercised it."""

    edge: Edge
    action: str
    source: str                # "Figure 5" or "§3.10.7.4"
    specs: Tuple[str, ...]     # names of the runs that exercised it, sorted
    reason: str                # why the model cannot reach it ("" if it is in no table)


def event_of(before, action, after) -> str:
    """What ``action`` did to an endpoint's TCB ``before`` -> ``after``, in Figure 5's words.

    For a segment arrival the event names what was *accepted*: the SYN taken (LISTEN or
    SYN-SENT), our SYN acknowledged, the FIN processed (in sequence, §3.10.7.4 eighth step),
    our FIN acknowledged, data delivered, a reset obeyed. A FIN that only had its ACK field
    processed is "rcv ACK of FIN"."""
    name = kind(action)
    if name in USER_CALLS:
        return USER_CALLS[name]
    if name == "timeout":
        return "timeout=2MSL" if timer_of(action) == "time-wait" else "retransmission timeout"
    seg = delivered_segment(action)
    if seg is None:
        return name
    b, a = before.state, after.state
    if seg.flags & RST and a in (CLOSED, LISTEN) and b not in (CLOSED, LISTEN):
        return "rcv RST"
    if b in (LISTEN, SYN_SENT) and seg.flags & SYN and a not in (CLOSED, LISTEN, b):
        # RFC 9293 §3.10.7.3: a SYN,ACK that acknowledges our SYN makes SYN-SENT ESTABLISHED.
        acked = b == SYN_SENT and before.snd_una == before.iss and after.snd_una > after.iss
        return "rcv SYN,ACK" if acked else "rcv SYN"
    parts: List[str] = []
    if b == SYN_RECEIVED and a not in (CLOSED, LISTEN, SYN_RECEIVED):
        parts.append("ACK of SYN")
    fin = after.fin_rcvd and not before.fin_rcvd
    acks_fin = before.fin_seq >= 0 and before.snd_una <= before.fin_seq < after.snd_una
    if fin:
        parts.append("FIN")
    if acks_fin:
        parts.append("ACK of FIN")
    if not parts and after.delivered > before.delivered:
        parts.append("data")  # data that rides with a state change is not what changed it
    if not parts:  # the state changed for another reason (e.g. a SYN in SYN-RECEIVED, §3.10.7.4)
        parts.append(format_flags(seg.flags))
    return "rcv " + " + ".join(parts)


def action_of(kind, before, after, sent) -> str:
    """What the endpoint did in Figure 5's words: "snd SYN,ACK", "create TCB", "delete TCB", "x"."""
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
    """Counter of ``(from, event, to, action)`` over every transition of ``graph`` that changes
    endpoint ``side``'s TCP state."""
    counts: Counter = Counter()
    states, offsets, targets, aids, actions = graph.states, graph.offsets, graph.targets, graph.action_ids, graph.actions
    actors = [actor(a) for a in actions]
    cache: Dict = {}
    for i, s in enumerate(states):
        before = s.tcb(side)
        for e in range(offsets[i], offsets[i + 1]):
            aid = aids[e]
            if actors[aid] != side:
                continue
            t = states[targets[e]]
            after = t.tcb(side)
            if after.state == before.state:
                continue
            a = actions[aid]
            sent = tuple(sent_segments(s, a, t))
            seg = delivered_segment(a)
            # What event_of and action_of read: the TCBs, the action (of a delivery only the
            # segment's content, not its timing) and the control bits and data of what was sent.
            key = (before, after, kind(a), a if seg is None else seg.content, tuple((x.flags, x.dlen) for x in sent))
            edge = cache.get(key)
            if edge is None:
                edge = cache[key] = (before.state, event_of(before, a, after), after.state,
                                     action_of(kind(a), before.state, after.state, sent))
            counts[edge] += 1
    return counts


def merge(counters: Iterable[Counter]) -> Counter:
    total: Counter = Counter()
    for c in counters:
        total.update(c)
    return total


def exercised(counts: Counter) -> set:
    """The ``(from, event, to)`` triples some projected transition realises."""
    return {(f, ev, t) for f, ev, t, _ in counts}


def figure5_exercised(counts: Counter) -> set:
    """The Figure 5 edges (and the text's edges) ``(from, event, to)`` that ``counts`` realises."""
    seen = exercised(counts)
    return {(f, ev, t) for f, ev, t, _ in FIGURE5 + TEXT_EDGES if (f, ev, t) in seen}


def figure5_coverage(graphs: Mapping[str, object]) -> Tuple[Coverage, ...]:
    """For every Figure 5 edge and the text's FIN-WAIT-1 -> TIME-WAIT edge: which of the
    checked runs ``graphs`` (name -> reachable graph, client and server both projected)
    exercised it, and the reason the model cannot when it is listed in FIGURE5_UNREACHED."""
    seen_by: Dict[Edge, List[str]] = {}
    for name in sorted(graphs):
        graph = graphs[name]
        found = set()
        for side in (0, 1):
            found |= figure5_exercised(project(graph, side))
        for edge in found:
            seen_by.setdefault(edge, []).append(name)
    rows = []
    for table, source in ((FIGURE5, "Figure 5"), (TEXT_EDGES, "§3.10.7.4")):
        for f, ev, t, act in table:
            edge = (f, ev, t)
            rows.append(Coverage(edge, act, source, tuple(seen_by.get(edge, ())), FIGURE5_UNREACHED.get(edge, "")))
    return tuple(rows)


def coverage_markdown(coverage: Iterable[Coverage]) -> str:
    """The coverage table as Markdown (for the README): edge, where it is defined, the specs
    that exercise it or why none can."""
    lines = ["| from | event / action | to | defined in | exercised by |", "|---|---|---|---|---|"]
    for row in coverage:
        f, ev, t = row.edge
        where = ", ".join(row.specs) if row.specs else f"unreachable: {row.reason or 'no shipped spec reaches it'}"
        lines.append(f"| {STATE_NAMES[f]} | {ev} / {row.action} | {STATE_NAMES[t]} | {row.source} | {where} |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- drawing
# Positions (points) of the boxes as in Figure 5: CLOSED at the top, LISTEN under it, SYN-RCVD
# and SYN-SENT left and right, ESTAB in the middle, the closing states below, TIME-WAIT and a
# second CLOSED at the bottom.
_COL = (60, 345, 630)
_ROW = (840, 700, 550, 410, 270, 135, 0)
_POS = {
    CLOSED: (_COL[1], _ROW[0]), LISTEN: (_COL[1], _ROW[1]),
    SYN_RECEIVED: (_COL[0], _ROW[2]), SYN_SENT: (_COL[2], _ROW[2]),
    ESTABLISHED: (_COL[1], _ROW[3]),
    FIN_WAIT_1: (_COL[0], _ROW[4]), CLOSE_WAIT: (_COL[2], _ROW[4]),
    FIN_WAIT_2: (_COL[0], _ROW[5]), CLOSING: (_COL[1], _ROW[5]), LAST_ACK: (_COL[2], _ROW[5]),
    TIME_WAIT: (_COL[1], _ROW[6]),
}
_CLOSED_BELOW = (_COL[2], _ROW[6])
# Edges from these states into CLOSED end at the bottom CLOSED box, as in Figure 5.
_CLOSING_STATES = frozenset({FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT})


def _node(state: int, to: bool = False, frm: int = -1) -> str:
    if state == CLOSED and to and frm in _CLOSING_STATES:
        return "closed_end"
    return f"st{state}"


def endpoint_diagram(counts: Counter, side, title: str = "", show_counts: bool = True) -> graphviz.Digraph:
    """The state diagram of one endpoint (``side`` 0/1) or of both merged (``side`` None),
    laid out like RFC 9293 Figure 5. ``show_counts`` adds the number of global transitions
    behind each edge."""
    name = SIDE_LABELS[side] if side is not None else "tcp"
    g = graphviz.Digraph(f"{name}_states")
    g.attr(layout="neato", inputscale="72", splines="true", overlap="true", fontname="Helvetica",
           fontsize="14", labelloc="t", sep="+4", esep="+2",
           label=dot_text(*(title or f"{name}: TCP states reached (laid out like RFC 9293 Figure 5)").split("\n")))
    g.attr("node", fontname="Helvetica", fontsize="14", shape="box", style="rounded", width="1.5", height="0.45")
    g.attr("edge", fontname="Helvetica", fontsize="13", arrowsize="0.8")
    reached = {f for f, _, _, _ in counts} | {t for _, _, t, _ in counts}
    for st, (x, y) in _POS.items():
        attrs = {} if st in reached else {"color": GREY, "fontcolor": GREY, "style": "rounded,dashed"}
        g.node(f"st{st}", dot_text(STATE_NAMES[st]), pos=f"{x},{y}!", **attrs)
    g.node("closed_end", dot_text(STATE_NAMES[CLOSED]), pos=f"{_CLOSED_BELOW[0]},{_CLOSED_BELOW[1]}!",
           **({} if CLOSED in reached else {"color": GREY, "fontcolor": GREY, "style": "rounded,dashed"}))
    known = {(f, ev, t) for f, ev, t, _ in FIGURE5 + TEXT_EDGES}
    # One arrow per (from, to, kind); its label lists every "event / action" behind it.
    arrows: Dict[Tuple[int, int, str], List[str]] = {}
    for (f, ev, t, act), n in sorted(counts.items()):
        kind = "figure" if (f, ev, t) in known else "beyond"
        text = f"{ev} / {act}" + (f" ({n:,})" if show_counts else "")
        arrows.setdefault((f, t, kind), []).append(text)
    seen = exercised(counts)
    for f, ev, t, act in FIGURE5 + TEXT_EDGES:
        if (f, ev, t) not in seen:
            arrows.setdefault((f, t, "never"), []).append(f"{ev} / {act}")
    for (f, t, kind), lines in sorted(arrows.items()):
        attrs = {}
        if kind == "never":
            attrs = {"style": "dashed", "color": GREY, "fontcolor": GREY}
            lines = lines + ["(never exercised)"]
        elif kind == "beyond":
            attrs = {"color": BLUE, "fontcolor": BLUE}
        g.edge(_node(f), _node(t, to=True, frm=f), xlabel=dot_text(*lines), **attrs)
    return g
