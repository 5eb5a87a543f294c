"""Ladder (message-sequence) diagrams of traces and lassos, drawn as a textbook prints them.

Two lifelines, the client on the left and the server on the right; time runs down. The
vertical axis is a time axis in ticks: each tick of the trace opens a band (labelled
``t=1``, ``t=2``, ... on the left, with a dotted rule across), and the steps that happen
within a tick are rows inside its band, in order. A segment sent at tick t and delivered at
tick t+d is a straight arrow from its sender's row in band t to its receiver's row in band
t+d, so delays show as slanted arrows. A lost segment ends in a cross in the middle; a
duplicate starts from the network (dashed); a segment still in flight at the end is dotted.

States are written beside the lifelines where they are entered (bold), user calls and timer
expiries above them; a purple bracket outside a lifeline marks each stay in TIME-WAIT with
the length of its timer (2MSL unless the variant says otherwise). Only segments sent by a
retransmission timeout are tagged "rexmt": a fresh reply that happens to repeat an earlier
segment (an ACK answering an old duplicate) is not a retransmission.

The drawing uses Graphviz's neato with every node pinned (``pos="x,y!"``) and
``splines=false``, so each arrow is straight and the geometry is the one computed here.
Fonts are 12 pt and the drawing is at most 800 pt wide, so labels stay at least 12 px high
when the figure is shown 800 px wide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import graphviz

from ..tcp.tcb import ACK, C2S, CLIENT, S2C, SERVER, STATE_NAMES, TIME_WAIT, format_flags
from ..tcp.actions import direction_of, iss_of, kind as kind_of, segment_of, timer_of
from ..tcp.text import words
from .common import BLUE, GREEN, GREY, ORANGE, RED, actor, dot_text, is_stale, new_in_channel

PURPLE = "#6c3483"
DECISIVE_FILL = "#f5b04159"  # the decisive step's band: orange, translucent
REMARK_FILL = "#e74c3c33"    # a remarked step's band: red, translucent

# Words of the drawing, per language (protocol names stay as they are).
WORDS = {
    "en": {
        "client": "client", "server": "server", "tick": "tick", "step": "step",
        "active OPEN": "active OPEN, ISS={iss}", "passive OPEN": "passive OPEN",
        "SEND": "SEND", "CLOSE": "CLOSE", "ABORT": "ABORT",
        "retransmission": "retransmission timeout", "time-wait": "TIME-WAIT timeout",
        "dup": "dup", "rexmt": "rexmt", "old incarnation": "old incarnation", "lost": "lost",
        "in flight": "in flight", "violation": "violation", "witness": "witness",
        "cycle": "cycle repeats", "back to": "back to step {step}",
        "2msl": "2MSL = {n} ticks", "tw timer": "timer {n} ticks", "tw": "TIME-WAIT",
        "tw restarted": "TIME-WAIT (restarted)", "data": "data", "notes": "({})", "note_sep": ", ",
        "decisive": "decisive step", "remark": "remark",
    },
    "zh": {
        "client": "客户端", "server": "服务器", "tick": "时间", "step": "步",
        "active OPEN": "主动打开，ISS={iss}", "passive OPEN": "被动打开",
        "SEND": "应用写入数据", "CLOSE": "应用关闭连接", "ABORT": "应用中止连接",
        "retransmission": "重传超时", "time-wait": "TIME-WAIT 超时",
        "dup": "重复报文段", "rexmt": "重传", "old incarnation": "旧连接实例", "lost": "丢失",
        "in flight": "仍在途中", "violation": "违反", "witness": "示例",
        "cycle": "此后循环往复", "back to": "回到第 {step} 步",
        "2msl": "2MSL = {n} 个时间单位", "tw timer": "计时 {n} 个时间单位", "tw": "TIME-WAIT",
        "tw restarted": "TIME-WAIT（重新计时）", "data": "数据", "notes": "（{}）", "note_sep": "，",
        "decisive": "关键的一步", "remark": "注意",
    },
}

# Geometry, in points (y grows downwards here; Graphviz's grows upwards).
X_TICK, X_STEP, X_C, X_S = 22, 72, 260, 600
X_MID = (X_C + X_S) / 2
NOTE_W = 150          # width of the annotation column beside each lifeline
ROW = 30              # one step
MIN_BAND = 70         # one tick, however few steps it holds
TOP = 44              # first band, below the lifelines' headers
CHAR_W, LINE_H = 7.2, 15  # estimated size of 12 pt Helvetica, to keep labels apart


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
    """Every segment's life through ``trace``, in order of entry into the network.

    A segment enters when an endpoint sends it (node ``c<step>``/``s<step>``) or the network
    duplicates it (``n<step>``), and leaves when delivered (receiver's node) or lost (``n<step>``)."""
    flights: List[Flight] = []
    live: List[Flight] = []
    for i, s, a, t in trace.steps():
        rank = i + 1
        kind = kind_of(a)
        if kind == "tick":
            for f in live:
                f.seg = f.seg._replace(age=f.seg.age + 1)
        elif kind in ("deliver", "lose"):
            direction, seg = direction_of(a), segment_of(a)
            match = next((f for f in live if f.direction == direction and f.seg == seg), None)
            if match is None:  # tolerate a model that ages differently: match without the age
                bare = seg._replace(limit=0, age=0)
                match = next((f for f in live if f.direction == direction and f.seg._replace(limit=0, age=0) == bare),
                             None)
            if match is not None:
                live.remove(match)
                match.end, match.end_step = kind, rank
                if kind == "deliver":
                    match.dst = f"{'s' if direction == C2S else 'c'}{rank}"
                    match.stale = is_stale(seg, direction, s)
                else:
                    match.dst = f"n{rank}"
        elif kind == "dup":
            # The copy is the segment new in the channel: it keeps the original's age but may
            # live the full MSL (its ``limit``), so it can differ from the segment duplicated.
            direction, seg = direction_of(a), segment_of(a)
            added = new_in_channel([f.seg for f in live if f.direction == direction], t.channel(direction))
            f = Flight(added[0] if added else seg, direction, f"n{rank}", rank, dup=True)
            flights.append(f)
            live.append(f)
        # Only a retransmission timeout retransmits (RFC 9293 §3.8.1); any other send is new.
        rexmt = timer_of(a) == "retransmission"
        for direction in (C2S, S2C):
            in_flight = [f.seg for f in live if f.direction == direction]
            for seg in new_in_channel(in_flight, t.channel(direction)):
                sender = CLIENT if direction == C2S else SERVER
                f = Flight(seg, direction, f"{'c' if sender == CLIENT else 's'}{rank}", rank, rexmt=rexmt)
                flights.append(f)
                live.append(f)
    return flights


def segment_text(seg, w=WORDS["en"]) -> Tuple[str, str]:
    """Two short lines for an arrow: ``FIN,ACK`` and ``seq=302 ack=103``."""
    flags = format_flags(seg.flags)
    if seg.dlen:
        flags += f" + {w['data']}"
    numbers = f"seq={seg.seq}" + (f" ack={seg.ack}" if seg.flags & ACK else "")
    return flags, numbers


def _segment_lines(f: Flight, w) -> List[str]:
    notes = []
    if f.dup:
        notes.append(w["dup"])
    if f.rexmt:
        notes.append(w["rexmt"])
    if f.stale:
        notes.append(w["old incarnation"])
    if f.end == "lose":
        notes.append(w["lost"])
    if not f.end:
        notes.append(w["in flight"])
    lines = list(segment_text(f.seg, w))
    if notes:
        lines.append(w["notes"].format(w["note_sep"].join(notes)))
    return lines


def _width(lines) -> float:
    return max(len(x) * (CHAR_W * 1.7 if any(ord(c) > 0x2e7f for c in x) else CHAR_W) for x in lines) + 12


class _Layout:
    """Rows and tick bands of a trace: ``y[rank]`` for each step that is not a tick, and the
    top of each tick band."""

    def __init__(self, trace):
        self.y: Dict[int, float] = {}
        self.band_top: List[float] = []
        self.tick_step: List[int] = []  # the step number of each tick (band k > 0 starts at it)
        rows: List[List[int]] = [[]]
        for i, _, a, _ in trace.steps():
            if kind_of(a) == "tick":
                rows.append([])
                self.tick_step.append(i + 1)
            else:
                rows[-1].append(i + 1)
        top = TOP
        for band in rows:
            self.band_top.append(top)
            for j, rank in enumerate(band):
                self.y[rank] = top + 8 + ROW * (j + 0.5)
            top += max(MIN_BAND, len(band) * ROW + 16)
        self.bottom = top
        self.end = top + 10
        if not trace.states[-1].idle:
            self.end += 40  # room for the segments still in flight, and their labels

    def of(self, rank: int) -> float:
        """y of a step; a tick (no row) is at the top of the band it opens."""
        if rank in self.y:
            return self.y[rank]
        return self.band_top[self.tick_step.index(rank) + 1] if rank in self.tick_step else self.end


def _pos(x: float, y: float) -> str:
    return f"{x:.1f},{-y:.1f}!"


def ladder(trace, title: str = "", outcome: str = "violation", lang: str = "en",
           msl: Optional[int] = None, decisive: Optional[int] = None, remarks=()) -> graphviz.Digraph:
    """The ladder diagram of ``trace``. ``outcome`` is ``violation`` (last step in red),
    ``witness`` (last step in green) or ``none``. ``msl``, when given, lets the TIME-WAIT
    bracket say whether its timer is 2MSL. ``decisive``, a 1-based step, is marked: a band
    across its row, its number tagged, the acting endpoint's notes and the segments it sent
    in orange. ``remarks``, 1-based steps a lesson comments on (a RST into TIME-WAIT in the
    real protocol's run), get a red band and their number tagged."""
    words(lang)  # one message for an unknown language, the same as the step texts
    w = WORDS[lang]
    n = len(trace)
    lay = _Layout(trace)
    g = graphviz.Digraph("ladder")
    g.attr(layout="neato", inputscale="72", splines="false", overlap="true", outputorder="edgesfirst",
           fontname="Helvetica", fontsize="14", labelloc="t", pad="0.15", label=dot_text(title) if title else "")
    g.attr("node", fontname="Helvetica", fontsize="12", shape="plaintext", margin="0.02,0.01")
    g.attr("edge", fontname="Helvetica", fontsize="12", arrowsize="0.7")
    highlight = {"violation": RED, "witness": GREEN}.get(outcome) if not trace.is_lasso else None
    cycle = set(range(trace.loop_start + 1, n + 1)) if trace.is_lasso else set()
    x_of = {"c": X_C, "s": X_S}

    def point(name, x, y, **attrs):
        g.node(name, "", shape="point", width="0.02", height="0.02", style="invis", pos=_pos(x, y), **attrs)

    def note(name, x_edge, y, lines, side, **attrs):
        """Text beside a lifeline: right-justified left of the client, left-justified right of the server."""
        just = "\\r" if side == CLIENT else "\\l"
        cx = x_edge - NOTE_W / 2 if side == CLIENT else x_edge + NOTE_W / 2
        label = graphviz.nohtml("".join(line.replace("\\", "\\\\").replace('"', '\\"') + just for line in lines))
        g.node(name, label, pos=_pos(cx, y), width=f"{NOTE_W / 72:.3f}", fixedsize="true",
               height=f"{LINE_H * len(lines) / 72:.3f}", **attrs)

    # headers, lifelines, the time axis
    s0 = trace.states[0]
    g.node("t0", dot_text(w["tick"]), pos=_pos(X_TICK, 14), fontcolor=GREY)
    g.node("n0", dot_text(w["step"]), pos=_pos(X_STEP, 14), fontcolor=GREY)
    for side, name, x in ((CLIENT, "c", X_C), (SERVER, "s", X_S)):
        g.node(f"{name}0", dot_text(w["client" if side == CLIENT else "server"], STATE_NAMES[s0.tcb(side).state]),
               shape="box", style="bold", pos=_pos(x, 10))
        point(f"{name}_end", x, lay.end)
        g.edge(f"{name}0", f"{name}_end", arrowhead="none", color="#aaaaaa", penwidth="1.5")
    for k, top in enumerate(lay.band_top):
        g.node(f"tick{k}", dot_text(f"t={k}"), pos=_pos(X_TICK, top), fontcolor=GREY)
        if k:
            g.node(f"t{lay.tick_step[k - 1]}", dot_text(str(lay.tick_step[k - 1])), pos=_pos(X_STEP, top),
                   fontcolor=BLUE if lay.tick_step[k - 1] in cycle else "#bbbbbb")
            point(f"rule{k}a", X_TICK + 18, top)
            point(f"rule{k}b", X_S + NOTE_W, top)
            g.edge(f"rule{k}a", f"rule{k}b", arrowhead="none", style="dotted", color="#cccccc")

    # bands first of the nodes, so the texts are drawn over them; translucent, so the arrows
    # (drawn before every node) show through
    bands = [("decisive_band", decisive, DECISIVE_FILL)] + [(f"remark_band{r}", r, REMARK_FILL) for r in remarks]
    left, right = X_TICK + 18, X_S + NOTE_W
    for name, rank, fill in bands:
        if rank is not None and rank in lay.y:
            g.node(name, "", shape="box", style="filled", color=fill, fillcolor=fill,
                   pos=_pos((left + right) / 2, lay.y[rank]), width=f"{(right - left) / 72:.3f}",
                   height=f"{(ROW - 2) / 72:.3f}", fixedsize="true")

    # one row per step that is not a tick
    for i, s, a, t in trace.steps():
        rank = i + 1
        kind = kind_of(a)
        if kind == "tick":
            continue
        y = lay.y[rank]
        hot = highlight if rank == n else (ORANGE if rank == decisive else None)
        step_lines = ([str(rank)] + (w["decisive"].split(" ") if rank == decisive else [])
                      + ([w["remark"]] if rank in remarks else [])
                      + ([w[outcome]] if rank == n and highlight else []))
        if rank in remarks and not hot:
            hot = RED
        g.node(f"t{rank}", dot_text(*step_lines), pos=_pos(X_STEP, y),
               fontcolor=hot or (BLUE if rank in cycle else GREY),
               fontname="Helvetica-Bold" if rank == decisive else "Helvetica")
        who = actor(a)
        for side, name in ((CLIENT, "c"), (SERVER, "s")):
            x = x_of[name]
            point(f"{name}{rank}", x, y)
            events = []
            if who == side:
                if kind == "OPEN":
                    events.append(w["active OPEN"].format(iss=iss_of(a)))
                elif kind == "LISTEN":
                    events.append(w["passive OPEN"])
                elif kind in ("SEND", "CLOSE", "ABORT"):
                    events.append(w[kind])
                elif kind == "timeout":
                    events.append(w[timer_of(a)])
            changed = s.tcb(side).state != t.tcb(side).state
            color = hot if hot and who == side else None
            edge_x = x - 16 if side == CLIENT else x + 16
            if events and changed:
                note(f"{name}{rank}e", edge_x, y - LINE_H / 2, events, side,
                     fontcolor=color or (PURPLE if kind == "timeout" else "black"))
                note(f"{name}{rank}st", edge_x, y + LINE_H / 2, [STATE_NAMES[t.tcb(side).state]], side,
                     fontname="Helvetica-Bold", fontcolor=color or "black")
            elif events:
                note(f"{name}{rank}e", edge_x, y, events, side,
                     fontcolor=color or (PURPLE if kind == "timeout" else "black"))
            elif changed:
                note(f"{name}{rank}st", edge_x, y, [STATE_NAMES[t.tcb(side).state]], side,
                     fontname="Helvetica-Bold", fontcolor=color or "black")
        if kind == "lose":
            g.node(f"n{rank}", dot_text("✕"), pos=_pos(X_MID, y), fontcolor=hot or RED, fontsize="18")
        elif kind == "dup":
            g.node(f"n{rank}", dot_text(w["dup"]), pos=_pos(X_MID, y), shape="ellipse", style="dashed",
                   fontcolor=hot or ORANGE, color=hot or ORANGE, height="0.25", width="0.45")

    _brackets(g, trace, lay, w, msl)
    _arrows(g, trace, lay, w, highlight, n, decisive)

    if trace.is_lasso:
        start = trace.loop_start + 1
        y1, y2 = lay.of(start) - 10, lay.of(n) + 10
        point("loop_a", 6, y1)
        point("loop_b", 6, y2)
        g.edge("loop_b", "loop_a", color=BLUE, penwidth="2", constraint="false")
        g.node("loop", dot_text(w["cycle"], w["back to"].format(step=start)), pos=_pos(X_STEP + 6, lay.end + 14),
               fontcolor=BLUE)
    return g


def _brackets(g, trace, lay, w, msl):
    """A bracket outside the lifeline for each stay in TIME-WAIT, labelled with its timer."""
    for side, name, x, sign in ((CLIENT, "c", X_C, -1), (SERVER, "s", X_S, 1)):
        start = None
        length = 0
        restarted = False
        stays = []
        for i, s, a, t in trace.steps():
            rank = i + 1
            before, after = s.tcb(side), t.tcb(side)
            if after.state == TIME_WAIT and before.state != TIME_WAIT:
                start, length, restarted = rank, after.tw, False
            elif start is not None and after.state == TIME_WAIT and kind_of(a) != "tick" and after.tw > before.tw:
                # A retransmitted FIN restarts the 2MSL timer (§3.10.7.4): a new bracket from here.
                stays.append((start, rank, length, restarted))
                start, length, restarted = rank, after.tw, True
            elif start is not None and after.state != TIME_WAIT:
                stays.append((start, rank, length, restarted))
                start = None
        if start is not None:
            stays.append((start, None, length, restarted))
        for k, (first, last, length, again) in enumerate(stays):
            y1 = lay.of(first)
            y2 = lay.of(last) if last is not None else lay.bottom
            bx = x + sign * 9
            for tag, px, py in (("a", x + sign * 3, y1), ("b", bx, y1), ("c", bx, y2), ("d", x + sign * 3, y2)):
                g.node(f"tw{name}{k}{tag}", "", shape="point", width="0.02", height="0.02", style="invis",
                       pos=_pos(px, py))
            for u, v in (("a", "b"), ("b", "c"), ("c", "d")):
                g.edge(f"tw{name}{k}{u}", f"tw{name}{k}{v}", arrowhead="none", color=PURPLE, penwidth="2")
            text = (w["2msl"] if msl and length == 2 * msl else w["tw timer"]).format(n=length)
            lines = [w["tw restarted"] if again else w["tw"], text]
            cx = bx - 6 - NOTE_W / 2 if side == CLIENT else bx + 6 + NOTE_W / 2
            just = "\\r" if side == CLIENT else "\\l"
            g.node(f"tw{name}{k}", graphviz.nohtml("".join(line + just for line in lines)),
                   pos=_pos(cx, (y1 + y2) / 2 + (LINE_H if last is None else 0)), width=f"{NOTE_W / 72:.3f}",
                   height=f"{LINE_H * len(lines) / 72:.3f}", fixedsize="true", fontcolor=PURPLE)


def _arrows(g, trace, lay, w, highlight, n, decisive=None):
    """Straight arrows for the segments, each label placed along its arrow clear of the others."""
    # the network's marks (a loss's cross, a duplication's ellipse) stay visible
    placed: List[Tuple[float, float, float, float]] = [
        (X_MID - 18, lay.y[i + 1] - 10, X_MID + 18, lay.y[i + 1] + 10)
        for i, a in enumerate(trace.actions) if kind_of(a) in ("lose", "dup")]

    def overlap(box) -> float:
        """How much ``box`` covers the labels placed so far (a lifeline counts as covered)."""
        x1, y1, x2, y2 = box
        if x1 < X_C + 4 or x2 > X_S - 4:
            return float("inf")
        return sum(max(0.0, min(x2, a2) - max(x1, a1)) * max(0.0, min(y2, b2) - max(y1, b1))
                   for a1, b1, a2, b2 in placed)

    waiting = [0, 0]  # segments still in flight so far, per direction: each ends at its own point
    for k, f in enumerate(follow_segments(trace)):
        x0 = X_C if f.src.startswith("c") else X_S if f.src.startswith("s") else X_MID
        y0 = lay.of(f.sent_step)
        toward_server = f.direction == C2S
        if f.end == "deliver":
            x1, y1 = (X_S if toward_server else X_C), lay.of(f.end_step)
        elif f.end == "lose":
            x1, y1 = X_MID, lay.of(f.end_step)
        else:
            spread = 30 + 50 * waiting[f.direction]
            waiting[f.direction] += 1
            x1, y1 = X_MID + (spread if toward_server else -spread), lay.end
        dst = f.dst
        if not f.end:
            dst = f"f{k}"
            g.node(dst, "", shape="point", width="0.06", color=GREY, pos=_pos(x1, y1))
        color = ORANGE if f.stale else "black"
        attrs = {}
        if f.dup:
            attrs["style"] = "dashed"
        if f.end == "lose":
            attrs["arrowhead"] = "none"
        if not f.end:
            attrs["style"] = "dotted"
            color = GREY
        if decisive is not None and f.sent_step == decisive:
            color = ORANGE
            attrs["penwidth"] = "2.5"
        if highlight and f.end_step == n:
            color = highlight
            attrs["penwidth"] = "2"
        g.edge(f.src, dst, color=color, **attrs)
        lines = _segment_lines(f, w)
        wd, ht = _width(lines), LINE_H * len(lines) + 2
        best = None
        # the middle first, then the clearest; a segment still in flight near its loose end
        fracs = (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.12, 0.88) if f.end else (0.85, 0.7, 0.55, 0.4, 0.25)
        for frac in fracs:
            cx, cy = x0 + (x1 - x0) * frac, y0 + (y1 - y0) * frac
            box = (cx - wd / 2, cy - ht / 2, cx + wd / 2, cy + ht / 2)
            cost = overlap(box)
            if best is None or cost < best[0]:
                best = (cost, cx, cy, box)
            if cost == 0:
                break
        _, cx, cy, box = best
        placed.append(box)
        g.node(f"lab{k}", dot_text(*lines), pos=_pos(cx, cy), shape="box", style="filled", color="white",
               fillcolor="white", fontcolor=color, margin="0.02,0.0", height="0.1", width="0.1")
