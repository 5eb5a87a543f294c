"""Ladder (message-sequence) diagrams of traces and lassos, in the style of RFC 9293 §3.5/§3.6.

Layout: one rank per step. Each rank holds four nodes, left to right: the step number
``t<i>``, the client lifeline ``c<i>``, the network ``n<i>`` and the server lifeline ``s<i>``;
rank 0 holds the initial states, a last rank ``end`` the lifelines' ends and the segments
still in flight. Lifelines are heavy edges ``c<i> -> c<i+1>`` so ``dot`` keeps them straight.

Segments are followed through the trace as a multiset per direction: a segment appears in a
channel after a step (sent by an endpoint, or copied by a "dup") and leaves by "deliver" or
"lose"; a tick ages every segment in flight. Each one becomes an arrow from the node where it
entered the network to the node where it left it: the receiver's lifeline, a cross in the
network column (lost), or a point below the last step (still in flight).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import graphviz

from ..tcp.tcb import C2S, CLIENT, S2C, SERVER, STATE_NAMES, format_segment
from .common import BLUE, GREEN, GREY, ORANGE, RED, USER_CALLS as _EVENT, actor, dot_text, is_stale, new_in_channel


@dataclass
class Flight:
    """One segment's life in the network, for one arrow."""

    seg: object          # the segment as it is now (its age grows with ticks)
    direction: int
    src: str             # node where it entered the network
    sent_step: int
    dup: bool = False
    rexmt: bool = False
    dst: Optional[str] = None
    end: str = ""        # "deliver" | "lose" | "" (still in flight)
    end_step: int = -1
    stale: bool = False


def follow_segments(trace) -> List[Flight]:
    """Every segment's life through ``trace``, in order of entry into the network."""
    flights: List[Flight] = []
    live: List[Flight] = []
    seen = (set(), set())  # segments (without age) each side has sent, to spot retransmissions
    for i, s, a, t in trace.steps():
        rank = i + 1
        kind = a[0]
        if kind == "tick":
            for f in live:
                f.seg = f.seg._replace(age=f.seg.age + 1)
        elif kind in ("deliver", "lose"):
            direction, seg = a[1], a[2]
            match = next((f for f in live if f.direction == direction and f.seg == seg), None)
            if match is None:  # tolerate a model that ages differently: match without the age
                match = next((f for f in live if f.direction == direction and f.seg[:6] == seg[:6]), None)
            if match is not None:
                live.remove(match)
                match.end, match.end_step = kind, rank
                if kind == "deliver":
                    match.dst = f"{'s' if direction == C2S else 'c'}{rank}"
                    match.stale = is_stale(seg, direction, s)
                else:
                    match.dst = f"n{rank}"
        elif kind == "dup":
            direction, seg = a[1], a[2]
            f = Flight(seg, direction, f"n{rank}", rank, dup=True)
            flights.append(f)
            live.append(f)
        for direction in (C2S, S2C):
            in_flight = [f.seg for f in live if f.direction == direction]
            for seg in new_in_channel(in_flight, t[2 + direction]):
                sender = CLIENT if direction == C2S else SERVER
                key = seg[:6]
                f = Flight(seg, direction, f"{'c' if sender == CLIENT else 's'}{rank}", rank,
                           rexmt=key in seen[sender])
                seen[sender].add(key)
                flights.append(f)
                live.append(f)
    return flights


def _segment_label(f: Flight) -> str:
    text = format_segment(f.seg, rfc=True)
    notes = []
    if f.dup:
        notes.append("dup")
    if f.rexmt:
        notes.append("rexmt")
    if f.stale:
        notes.append("old incarnation")
    if f.end == "lose":
        notes.append("lost")
    if not f.end:
        notes.append("in flight")
    return dot_text(text, f"({', '.join(notes)})" if notes else None)


def ladder(trace, title: str = "", outcome: str = "violation") -> graphviz.Digraph:
    """The ladder diagram of ``trace``. ``outcome`` is ``violation`` (last step in red),
    ``witness`` (last step in green) or ``none``."""
    n = len(trace)
    g = graphviz.Digraph("ladder")
    g.attr(rankdir="TB", ranksep="0.22", nodesep="0.5", newrank="true", fontname="Helvetica",
           labelloc="t", label=dot_text(title) if title else "")
    g.attr("node", fontname="Helvetica", fontsize="10")
    g.attr("edge", fontname="Helvetica", fontsize="9")
    highlight = {"violation": RED, "witness": GREEN}.get(outcome) if not trace.is_lasso else None
    last = n
    cycle = set(range(trace.loop_start + 1, n + 1)) if trace.is_lasso else set()

    # rank 0: headers with the initial states
    s0 = trace.states[0]
    with g.subgraph() as r:
        r.attr(rank="same")
        r.node("t0", dot_text("step"), shape="plaintext", fontcolor=GREY)
        r.node("c0", dot_text("client", STATE_NAMES[s0[0].state]), shape="box", style="bold")
        r.node("n0", dot_text("network"), shape="plaintext", fontcolor=GREY)
        r.node("s0", dot_text("server", STATE_NAMES[s0[1].state]), shape="box", style="bold")
        r.edge("t0", "c0", style="invis")
        r.edge("c0", "n0", style="invis")
        r.edge("n0", "s0", style="invis")

    flights = follow_segments(trace)
    in_flight = [f for f in flights if not f.end]

    for i, s, a, t in trace.steps():
        rank = i + 1
        kind = a[0]
        hot = highlight if rank == last else None
        with g.subgraph() as r:
            r.attr(rank="same")
            step_attrs = {"shape": "plaintext", "fontcolor": GREY}
            if rank in cycle:
                step_attrs.update(fontcolor=BLUE)
            if hot:
                step_attrs.update(fontcolor=hot)
            step_text = f"{rank}"
            if hot:
                step_text += "  " + outcome
            r.node(f"t{rank}", dot_text(step_text), **step_attrs)
            for side, name in ((CLIENT, "c"), (SERVER, "s")):
                lines = []
                if actor(a) == side and kind in _EVENT:
                    lines.append(_EVENT[kind] + (f" ISS={a[2]}" if kind == "OPEN" else ""))
                elif actor(a) == side and kind == "timeout":
                    lines.append("timeout=2MSL" if a[2] == "time-wait" else "retransmission timeout")
                changed = s[side].state != t[side].state
                if changed:
                    lines.append(STATE_NAMES[t[side].state])
                color = hot if (hot and actor(a) == side) else None
                if changed:
                    r.node(f"{name}{rank}", dot_text(*lines), shape="box", style="rounded",
                           **({"color": color, "fontcolor": color, "penwidth": "2"} if color else {}))
                elif lines:
                    r.node(f"{name}{rank}", dot_text(*lines), shape="plaintext",
                           fontcolor=color or ("#6c3483" if kind == "timeout" else "black"))
                else:
                    r.node(f"{name}{rank}", "", shape="point", width="0.03",
                           **({"color": color} if color else {}))
            if kind == "lose":
                r.node(f"n{rank}", dot_text("✕"), shape="plaintext", fontcolor=hot or RED, fontsize="18")
            elif kind == "dup":
                r.node(f"n{rank}", dot_text("dup"), shape="ellipse", style="dashed", fontcolor=hot or ORANGE,
                       color=hot or ORANGE, fontsize="9", height="0.2", width="0.3")
            elif kind == "tick":
                r.node(f"n{rank}", dot_text("tick"), shape="plaintext", fontcolor=hot or GREY, fontsize="9")
            else:
                r.node(f"n{rank}", "", shape="point", style="invis", width="0.01")
            r.edge(f"t{rank}", f"c{rank}", style="invis")
            r.edge(f"c{rank}", f"n{rank}", style="invis")
            r.edge(f"n{rank}", f"s{rank}", style="invis")

    # end rank: lifeline ends and the segments still in flight (arrows to nowhere)
    end = n + 1
    with g.subgraph() as r:
        r.attr(rank="same")
        r.node(f"t{end}", "", shape="point", style="invis", width="0.01")
        r.node(f"c{end}", "", shape="point", width="0.03", color=GREY)
        r.node(f"n{end}", "", shape="point", style="invis", width="0.01")
        r.node(f"s{end}", "", shape="point", width="0.03", color=GREY)
        order = [f"t{end}", f"c{end}"]
        order += [f"f{k}" for k, f in enumerate(in_flight) if f.direction == S2C]
        order.append(f"n{end}")
        order += [f"f{k}" for k, f in enumerate(in_flight) if f.direction == C2S]
        order.append(f"s{end}")
        for k in range(len(in_flight)):
            r.node(f"f{k}", "", shape="point", width="0.06", color=GREY)
        for a_, b_ in zip(order, order[1:]):
            r.edge(a_, b_, style="invis")

    # lifelines and the step column
    for name in ("t", "c", "n", "s"):
        for rank in range(end):
            if name in "cs":
                g.edge(f"{name}{rank}", f"{name}{rank + 1}", arrowhead="none", color="#bbbbbb", weight="100")
            else:
                g.edge(f"{name}{rank}", f"{name}{rank + 1}", style="invis", weight="100")

    # segments
    k_flight = 0
    for f in flights:
        color = "black"
        attrs = {}
        if f.stale:
            color = ORANGE
        if f.dup:
            attrs["style"] = "dashed"
        if f.end == "lose":
            attrs["arrowhead"] = "none"
        dst = f.dst
        if not f.end:
            dst = f"f{k_flight}"
            k_flight += 1
            attrs["style"] = "dotted"
            color = GREY
        if highlight and f.end_step == last:
            color = highlight
            attrs["penwidth"] = "2"
        g.edge(f.src, dst, label=_segment_label(f), color=color, fontcolor=color, constraint="true", **attrs)

    if trace.is_lasso:
        start = trace.loop_start + 1
        g.edge(f"t{n}", f"t{start}", label=dot_text("cycle repeats", f"(back to step {start})"),
               color=BLUE, fontcolor=BLUE, constraint="false", style="bold", dir="forward")
    return g
