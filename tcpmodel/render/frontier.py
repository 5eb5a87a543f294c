"""The TIME-WAIT frontier (tcpmodel.frontier) as an HTML fragment, a page and files.

``frontier_section_html(frontier, lang)`` is one ``<section>`` (en or zh) that a lesson page
can take as it is: a few sentences filled from the computed facts, a table per reason
(TIME-WAIT x tie rule and RTO; the frontier cell and the 2*MSL row marked) and two inline SVG
plots drawn here (the verdicts over TIME-WAIT; the frontier over RTO). ``write_declared``
writes each declared sweep with render.sweep_plot.write_sweep and the fragment as the
standalone pages ``sweep/time-wait-frontier.<lang>.html``. Deterministic: the same facts give
the same bytes.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from ..frontier import FOUND, NONE, UNDECIDED, DeclaredSweep, FrontierLine, TimeWaitFrontier
from .sweep_plot import COLOURS, write_sweep

LANGS = ("en", "zh")
PAGE_NAME = "time-wait-frontier.{lang}.html"

_W = {
    "en": {
        "title": "Why TIME-WAIT lasts 2*MSL: the frontier computed by the checker",
        "reason": {"lost_ack": "lost last ACK", "old_duplicates": "old duplicates"},
        "lifetime": {"half_open": "half_open", "closed": "closed"},
        "status": {"holds": "holds", "violated": "violated", "unknown": "undecided"},
        "mark": {"holds": "✓", "violated": "✗", "unknown": "?"},
        "frontier": "frontier", "two_msl": "= 2*MSL", "tw": "TIME-WAIT (ticks)", "rto": "RTO (ticks)",
        "not_swept": "not swept", "col": "{lifetime}, RTO {rto}",
        "row": "{reason} · {lifetime} · RTO {rto}",
        "caption": "{reason} ({prop}, spec {spec}): verdict per TIME-WAIT; the frontier is the smallest "
                   "TIME-WAIT at which it holds there and at every larger one swept.",
        "grid_title": "Verdict per TIME-WAIT (frontier outlined; dashed: TIME-WAIT reaches 2*MSL)",
        "rto_title": "Lost last ACK: frontier over RTO",
        "worst": "ACK delay + RTO + FIN delay", "legend_frontier": "frontier ({lifetime})",
        "rules": "Tie rules: half_open, a segment sent at t lives [t, t+limit) and goes before a timer that "
                 "expires in the same tick; closed, it lives [t, t+limit] and the timer may fire first.",
        "outcome": {NONE: "none: the largest TIME-WAIT swept does not hold",
                    UNDECIDED: "undecided: a point stopped by a limit could move it"},
    },
    "zh": {
        "title": "TIME-WAIT 为什么要持续 2MSL：由检查器算出的临界值",
        "reason": {"lost_ack": "最后的 ACK 丢失", "old_duplicates": "旧的重复报文段"},
        "lifetime": {"half_open": "半开区间规则", "closed": "闭区间规则"},
        "status": {"holds": "成立", "violated": "被违反", "unknown": "未判定"},
        "mark": {"holds": "✓", "violated": "✗", "unknown": "？"},
        "frontier": "临界值", "two_msl": "＝2MSL", "tw": "TIME-WAIT（时间单位）", "rto": "RTO（时间单位）",
        "not_swept": "未扫描", "col": "{lifetime}，RTO {rto}",
        "row": "{reason}・{lifetime}・RTO {rto}",
        "caption": "{reason}（性质 {prop}，规格 {spec}）：每个 TIME-WAIT 长度下的判定结果；临界值是使性质在该长度"
                   "及所有更大的已扫描长度下都成立的最小 TIME-WAIT。",
        "grid_title": "各 TIME-WAIT 长度下的判定（粗框为临界值，虚线处 TIME-WAIT 达到 2MSL）",
        "rto_title": "最后的 ACK 丢失：临界值随 RTO 的变化",
        "worst": "ACK 时延＋RTO＋FIN 时延", "legend_frontier": "临界值（{lifetime}）",
        "rules": "两种区间规则：半开区间规则下，t 时刻发出的报文段只存在到 t＋上限之前（不含 t＋上限），若它的寿命与某个"
                 "定时器在同一个时间单位内到期，先处理报文段；闭区间规则下，它可以存在到 t＋上限（含），定时器可能先到期。",
        "outcome": {NONE: "无：扫描到的最大 TIME-WAIT 下性质仍不成立",
                    UNDECIDED: "未判定：有扫描点因资源上限而停止，可能改变结果"},
    },
}


def _check_lang(lang: str) -> dict:
    if lang not in _W:
        raise ValueError(f"unknown language {lang!r}; allowed: {', '.join(_W)}")
    return _W[lang]


# ------------------------------------------------------------------ the sentences
# The sentence frames of each language; the logic that picks and fills them is written once.
_S = {
    "en": {
        "glue": " ", "and": " and ", "semi": "; ", "list": ", ", "end": ".",
        "rel": {"=": "=", "<": "<", ">": ">"},
        "lost": "Lost last ACK: the peer retransmits its FIN when its retransmission timer expires, so the FIN "
                "reaches TIME-WAIT at the latest ACK delay + RTO + FIN delay = {a} + {r} + {fin} = {worst} ticks after "
                "the last ACK was sent ({rel} 2*MSL = {two}; MSL {msl}, max delay {md}).",
        "found": "The sweep finds the smallest TIME-WAIT that keeps the close graceful at {parts}.",
        "part": "{value} under {lifetime}",
        "tie": "Under half_open the FIN that arrives exactly {worst} ticks late still finds TIME-WAIT; under closed "
               "the TIME-WAIT timer may expire in that same tick, so one more tick is needed: {c}{not_two}",
        "not_two": ", not exactly 2*MSL = {two}.",
        "tie_moves": "The tie rule moves the frontier from {h} to {c}.",
        "rto": "Over RTO {rtos} the frontier is {parts}",
        "rto_part": "{values} under {lifetime}",
        "rto_follows": ": it moves with the RTO as ACK delay + RTO + FIN delay = {md} + RTO + {md}{extra}.",
        "rto_extra": " (plus one tick under closed)",
        "rto_bound": "So 2*MSL = {two} suffices under half_open when RTO ≤ 2*MSL − 2 × max delay = {bound}: "
                     "when the retransmission timeout is short against MSL.",
        "old": "Old duplicates (RTO {rto}{why}): the smallest TIME-WAIT at which no old segment is accepted by the "
               "next connection instance is {parts}",
        "old_why": ", above the round trip of originals 2 × max delay = {rt}, so that no retransmission is spurious "
                   "under either tie rule",
        "old_equal": ", which is 2*MSL = {two}.",
        "old_not": ", not 2*MSL = {two}",
        "old_holds": "; 2*MSL holds under every tie rule swept.",
        "dup": "at TIME-WAIT {tw} under {lifetime} the duplicate is {age} {ticks} old when the new connection accepts "
               "it, and it may live {limit} = MSL",
        "dups": "In the counterexamples, {pieces}.",
        "mechanism": "The whole first connection may run within one tick, so a copy of its data is at least TIME-WAIT "
                     "ticks old when the next connection instance can first receive it: TIME-WAIT = MSL is enough "
                     "under half_open, MSL + 1 under closed (a segment may still arrive at age MSL). The other MSL of "
                     "2*MSL is for the peer's segments sent after the last ACK, such as the retransmitted FIN of the "
                     "first reason.",
    },
    "zh": {
        "glue": "", "and": "，", "semi": "；", "list": "、", "end": "。",
        "rel": {"=": "＝", "<": "＜", ">": "＞"},
        "lost": "最后的 ACK 丢失时，对端在重传定时器到期后重发 FIN；这个 FIN 最晚在最后的 ACK 发出后 "
                "ACK 时延＋RTO＋FIN 时延＝{a}＋{r}＋{fin}＝{worst} 个时间单位到达 TIME-WAIT"
                "（{rel}2MSL＝{two}；MSL 为 {msl}，最大时延为 {md}）。",
        "found": "扫描得到的、能使连接正常关闭的最小 TIME-WAIT {parts}。",
        "part": "在{lifetime}下为 {value}",
        "tie": "在半开区间规则下，恰好晚到 {worst} 个时间单位的 FIN 仍能遇到 TIME-WAIT；在闭区间规则下，"
               "TIME-WAIT 定时器可能在同一个时间单位内先到期，所以还要多等一个时间单位，临界值为 {c}{not_two}",
        "not_two": "，并不恰好等于 2MSL＝{two}。",
        "tie_moves": "区间规则把临界值从 {h} 移到了 {c}。",
        "rto": "RTO 取 {rtos} 时，临界值{parts}",
        "rto_part": "在{lifetime}下依次为 {values}",
        "rto_follows": "，随 RTO 按 ACK 时延＋RTO＋FIN 时延＝{md}＋RTO＋{md} 变化{extra}。",
        "rto_extra": "（闭区间规则下再加一个时间单位）",
        "rto_bound": "所以在半开区间规则下，只有当 RTO ≤ 2MSL − 2 × 最大时延＝{bound} 时，2MSL＝{two} 才够用，"
                     "也就是说，重传超时必须比 MSL 短。",
        "old": "旧的重复报文段（RTO 为 {rto}{why}）：使旧报文段不被下一个连接实例接受的最小 TIME-WAIT {parts}",
        "old_why": "，大于原始报文段的往返时间 2 × 最大时延＝{rt}，因此在两种区间规则下都不会有多余的重传",
        "old_equal": "，恰好是 2MSL＝{two}。",
        "old_not": "，并不是 2MSL＝{two}",
        "old_holds": "；在所扫描的每种区间规则下，TIME-WAIT＝2MSL 时性质都成立。",
        "dup": "{lifetime}下 TIME-WAIT 为 {tw} 时，新连接接受该重复报文段时它已存在 {age} 个时间单位，"
               "而它最多可存在 {limit}＝MSL 个时间单位",
        "dups": "在反例中，{pieces}。",
        "mechanism": "第一个连接可以在一个时间单位内全部完成，所以它的数据的副本在下一个连接实例最早能收到它时，"
                     "至少已存在 TIME-WAIT 个时间单位：半开区间规则下 TIME-WAIT＝MSL 就够了，闭区间规则下需要 MSL＋1"
                     "（报文段在存在满 MSL 时仍可能到达）。2MSL 中的另一个 MSL 是留给对端在最后的 ACK 之后发出的报文段的，"
                     "例如第一个原因中重传的 FIN。",
    },
}


def _frontier_word(line: FrontierLine, w) -> str:
    return str(line.frontier) if line.outcome == FOUND else w["outcome"][line.outcome]


def _lost_ack_sentences(f: TimeWaitFrontier, lang: str) -> List[str]:
    w, t = _W[lang], _S[lang]
    lines = f.lines_of("lost_ack")
    if not lines:
        return []
    base_rto = min(f.rtos("lost_ack"))
    at_base = {x.lifetime: x for x in lines if x.rto == base_rto}
    x0 = next(iter(at_base.values()))
    worst, two = x0.worst_case, x0.two_msl
    rel = "=" if worst == two else ("<" if worst < two else ">")
    out = [t["lost"].format(a=x0.ack_delay, r=x0.rto, fin=x0.fin_delay, worst=worst, rel=t["rel"][rel], two=two,
                            msl=x0.msl, md=x0.max_delay)]
    parts = [t["part"].format(value=_frontier_word(x, w), lifetime=w["lifetime"][name]) for name, x in at_base.items()]
    out.append(t["found"].format(parts=t["and"].join(parts)))
    half, closed = at_base.get("half_open"), at_base.get("closed")
    if half and closed and half.outcome == closed.outcome == FOUND:
        h, c = half.frontier, closed.frontier
        if h == worst and c == worst + 1:
            out.append(t["tie"].format(worst=worst, c=c, not_two=t["not_two"].format(two=two) if c != two else t["end"]))
        elif h != c:
            out.append(t["tie_moves"].format(h=h, c=c))
    if len(f.rtos("lost_ack")) > 1:
        out.append(_rto_sentence(f, lang))
    return out


def _rto_sentence(f: TimeWaitFrontier, lang: str) -> str:
    w, t = _W[lang], _S[lang]
    parts, follows = [], True
    for lifetime in f.lifetimes("lost_ack"):
        lines = sorted((x for x in f.lines_of("lost_ack") if x.lifetime == lifetime), key=lambda x: x.rto)
        extra = 0 if lifetime == "half_open" else 1  # closed gives the tie to the timer
        follows &= all(x.outcome == FOUND and x.frontier == x.worst_case + extra for x in lines)
        parts.append(t["rto_part"].format(values=t["list"].join(_frontier_word(x, w) for x in lines),
                                          lifetime=w["lifetime"][lifetime]))
    x = f.lines_of("lost_ack")[0]
    s = t["rto"].format(rtos=t["list"].join(map(str, f.rtos("lost_ack"))), parts=t["semi"].join(parts))
    if not follows:
        return s + t["end"]
    s += t["rto_follows"].format(md=x.max_delay, extra=t["rto_extra"] if "closed" in f.lifetimes("lost_ack") else "")
    if "half_open" in f.lifetimes("lost_ack"):
        s += t["glue"] + t["rto_bound"].format(two=x.two_msl, bound=x.two_msl - 2 * x.max_delay)
    return s


def _old_duplicate_sentences(f: TimeWaitFrontier, lang: str) -> List[str]:
    w, t = _W[lang], _S[lang]
    lines = f.lines_of("old_duplicates")
    if not lines:
        return []
    x0 = lines[0]
    round_trip = 2 * x0.max_delay
    why = t["old_why"].format(rt=round_trip) if x0.rto > round_trip else ""
    parts = [t["part"].format(value=_frontier_word(x, w), lifetime=w["lifetime"][x.lifetime]) for x in lines]
    s = t["old"].format(rto=x0.rto, why=why, parts=t["and"].join(parts))
    if all(x.equals_two_msl for x in lines):
        s += t["old_equal"].format(two=x0.two_msl)
    else:
        holds_at_two = all(dict(x.statuses).get(x.two_msl) == "holds" for x in lines)
        s += t["old_not"].format(two=x0.two_msl) + (t["old_holds"] if holds_at_two else t["end"])
    out = [s]
    dup = [x for x in lines if x.duplicate is not None]
    if dup:
        pieces = [t["dup"].format(tw=x.duplicate.time_wait, lifetime=w["lifetime"][x.lifetime], age=x.duplicate.age,
                                  ticks="tick" if x.duplicate.age == 1 else "ticks", limit=x.duplicate.limit)
                  for x in dup]
        out.append(t["dups"].format(pieces=t["semi"].join(pieces)))
    # The mechanism only when the runs show it: the frontier is MSL under half_open and MSL + 1
    # under closed, and each counterexample's duplicate aged only while TIME-WAIT lasted.
    if all(x.frontier == x.msl + (0 if x.lifetime == "half_open" else 1) for x in lines) and all(
            x.duplicate.age == x.duplicate.time_wait for x in dup):
        out.append(t["mechanism"])
    return out


def explanation(frontier: TimeWaitFrontier, lang: str) -> List[str]:
    """The paragraphs of the section, every number from ``frontier``."""
    _check_lang(lang)
    glue = _S[lang]["glue"]  # Chinese sentences end in 。 and need no space
    paras = [_lost_ack_sentences(frontier, lang), _old_duplicate_sentences(frontier, lang)]
    return [glue.join(p) for p in paras if p]


# ------------------------------------------------------------------ the tables
def _reason_table(frontier: TimeWaitFrontier, reason: str, lang: str) -> str:
    w = _W[lang]
    e = html.escape
    lines = sorted(frontier.lines_of(reason), key=lambda x: (x.rto, x.lifetime != "half_open"))
    if not lines:
        return ""
    x0 = lines[0]
    tws = sorted({tw for x in lines for tw, _ in x.statuses})
    head = "".join(f"<th>{e(w['col'].format(lifetime=w['lifetime'][x.lifetime], rto=x.rto))}</th>" for x in lines)
    rows = []
    for tw in tws:
        two = any(tw == x.two_msl for x in lines)
        label = f"{tw}" + (f" <span class='two-msl'>{e(w['two_msl'])}</span>" if two else "")
        cells = []
        for x in lines:
            status = dict(x.statuses).get(tw)
            if status is None:
                cells.append(f"<td class='not-swept'>{e(w['not_swept'])}</td>")
                continue
            mark = f"{w['mark'][status]} {e(w['status'][status])}"
            cls = status
            if x.outcome == FOUND and x.frontier == tw:
                cls += " frontier"
                mark += f" <b>← {e(w['frontier'])}</b>"
            cells.append(f"<td class='{cls}' data-tw='{tw}' data-lifetime='{x.lifetime}' data-rto='{x.rto}'>{mark}</td>")
        row_class = " class='two-msl-row'" if two else ""
        rows.append(f"<tr{row_class}><th>{label}</th>{''.join(cells)}</tr>")
    notes = [f"<li>{e(w['col'].format(lifetime=w['lifetime'][x.lifetime], rto=x.rto))}: {e(w['outcome'][x.outcome])}</li>"
             for x in lines if x.outcome != FOUND]
    caption = w["caption"].format(reason=w["reason"][reason], prop=x0.property, spec=x0.spec_name)
    return (f"<table class='tw-frontier' data-reason='{reason}'><caption>{e(caption)}</caption>"
            f"<tr><th>{e(w['tw'])}</th>{head}</tr>{''.join(rows)}</table>"
            + (f"<ul>{''.join(notes)}</ul>" if notes else ""))


# ------------------------------------------------------------------ the plots (inline SVG)
def _svg_text(x, y, text, size=12, anchor="start", weight="normal") -> str:
    return (f"<text x='{x:g}' y='{y:g}' font-size='{size}' text-anchor='{anchor}' font-weight='{weight}'>"
            f"{html.escape(text)}</text>")


def grid_svg(frontier: TimeWaitFrontier, lang: str) -> str:
    """Every line as a row of cells over TIME-WAIT: colour = verdict, the frontier outlined, a
    dashed line where TIME-WAIT reaches 2*MSL."""
    w = _check_lang(lang)
    lines = [x for r in ("lost_ack", "old_duplicates")
             for x in sorted(frontier.lines_of(r), key=lambda x: (x.rto, x.lifetime != "half_open"))]
    tws = list(frontier.time_waits)
    cw, ch, left, top = 40, 22, 300, 40
    width = left + cw * len(tws) + 20
    height = top + ch * len(lines) + 40
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}' "
           f"font-family='Helvetica, Arial, Noto Sans CJK SC, sans-serif' role='img'>",
           f"<title>{html.escape(w['grid_title'])}</title>",
           _svg_text(4, 16, w["grid_title"], 13, weight="bold")]
    for i, x in enumerate(lines):
        y = top + i * ch
        label = w["row"].format(reason=w["reason"][x.reason], lifetime=w["lifetime"][x.lifetime], rto=x.rto)
        out.append(_svg_text(left - 8, y + ch * 0.7, label, 11, anchor="end"))
        statuses = dict(x.statuses)
        for j, tw in enumerate(tws):
            status = statuses.get(tw)
            cx = left + j * cw
            if status is None:
                out.append(f"<rect x='{cx + 2}' y='{y + 2}' width='{cw - 4}' height='{ch - 4}' fill='none' "
                           f"stroke='#dddddd'/>")
                continue
            out.append(f"<rect class='{status}' x='{cx + 2}' y='{y + 2}' width='{cw - 4}' height='{ch - 4}' "
                       f"fill='{COLOURS[status]}'/>")
            out.append(f"<text x='{cx + cw / 2:g}' y='{y + ch * 0.7:g}' font-size='11' text-anchor='middle' "
                       f"fill='#ffffff'>{html.escape(w['mark'][status])}</text>")
            if x.outcome == FOUND and x.frontier == tw:
                out.append(f"<rect class='frontier' x='{cx + 1}' y='{y + 1}' width='{cw - 2}' height='{ch - 2}' "
                           f"fill='none' stroke='#000000' stroke-width='3'/>")
    bottom = top + ch * len(lines)
    for j, tw in enumerate(tws):
        out.append(_svg_text(left + j * cw + cw / 2, bottom + 16, str(tw), 11, anchor="middle"))
    out.append(_svg_text(left + cw * len(tws) / 2, bottom + 32, w["tw"], 11, anchor="middle"))
    twos = sorted({x.two_msl for x in lines})
    for two in twos:
        if two in tws:
            lx = left + tws.index(two) * cw
            out.append(f"<line class='two-msl' x1='{lx}' y1='{top - 6}' x2='{lx}' y2='{bottom}' stroke='#000000' "
                       f"stroke-dasharray='5,3' stroke-width='1.5'/>")
            out.append(_svg_text(lx + 3, top - 9, f"2MSL = {two}" if lang == "zh" else f"2*MSL = {two}", 11))
    out.append("</svg>")
    return "\n".join(out)


def rto_svg(frontier: TimeWaitFrontier, lang: str) -> str:
    """The lost-last-ACK frontier over RTO, per tie rule, beside ACK delay + RTO + FIN delay
    and 2*MSL ("" when fewer than two RTOs were swept)."""
    w = _check_lang(lang)
    lines = frontier.lines_of("lost_ack")
    rtos = list(frontier.rtos("lost_ack"))
    if len(rtos) < 2:
        return ""
    values = [x.frontier for x in lines if x.frontier is not None] + [x.worst_case for x in lines]
    values += [x.two_msl for x in lines]
    ymax = max(values) + 1
    left, top, pw, ph = 60, 36, 60 * (len(rtos) - 1) + 60, 200
    width, height = left + pw + 230, top + ph + 50

    def px(rto):
        return left + 30 + (rtos.index(rto)) * 60

    def py(v):
        return top + ph - ph * v / ymax

    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}' "
           f"font-family='Helvetica, Arial, Noto Sans CJK SC, sans-serif' role='img'>",
           f"<title>{html.escape(w['rto_title'])}</title>",
           _svg_text(4, 16, w["rto_title"], 13, weight="bold"),
           f"<line x1='{left}' y1='{top + ph}' x2='{left + pw}' y2='{top + ph}' stroke='#000000'/>",
           f"<line x1='{left}' y1='{top}' x2='{left}' y2='{top + ph}' stroke='#000000'/>"]
    for v in range(0, ymax + 1):
        out.append(f"<line x1='{left - 4}' y1='{py(v):g}' x2='{left}' y2='{py(v):g}' stroke='#000000'/>")
        out.append(_svg_text(left - 7, py(v) + 4, str(v), 10, anchor="end"))
    for r in rtos:
        out.append(_svg_text(px(r), top + ph + 15, str(r), 10, anchor="middle"))
    out.append(_svg_text(left + pw / 2, top + ph + 32, w["rto"], 11, anchor="middle"))
    out.append(_svg_text(12, top - 8, w["tw"], 11))
    legend_y = top + 10
    two = lines[0].two_msl
    out.append(f"<line class='two-msl' x1='{left}' y1='{py(two):g}' x2='{left + pw}' y2='{py(two):g}' "
               f"stroke='#000000' stroke-dasharray='5,3'/>")
    out.append(_svg_text(left + pw + 6, py(two) + 4, "2MSL" if lang == "zh" else "2*MSL", 10))
    worst = sorted({(x.rto, x.worst_case) for x in lines})
    out.append("<polyline class='worst-case' fill='none' stroke='#777777' stroke-dasharray='2,3' stroke-width='2' points='"
               + " ".join(f"{px(r)},{py(v):g}" for r, v in worst) + "'/>")
    styles = {"half_open": ("#2e86c1", "circle"), "closed": ("#d35400", "square")}
    for k, lifetime in enumerate(frontier.lifetimes("lost_ack")):
        colour, shape = styles.get(lifetime, ("#444444", "circle"))
        pts = sorted((x.rto, x.frontier) for x in lines if x.lifetime == lifetime and x.frontier is not None)
        if len(pts) > 1:
            out.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='"
                       + " ".join(f"{px(r)},{py(v):g}" for r, v in pts) + "'/>")
        for r, v in pts:
            if shape == "circle":
                out.append(f"<circle class='frontier {lifetime}' cx='{px(r)}' cy='{py(v):g}' r='4' fill='{colour}'/>")
            else:
                out.append(f"<rect class='frontier {lifetime}' x='{px(r) - 4}' y='{py(v) - 4:g}' width='8' height='8' "
                           f"fill='{colour}'/>")
            out.append(_svg_text(px(r) + 7, py(v) - 5, str(v), 10))
        ly = legend_y + 18 * k
        out.append(f"<line x1='{left + pw + 50}' y1='{ly}' x2='{left + pw + 70}' y2='{ly}' stroke='{colour}' stroke-width='2'/>")
        out.append(_svg_text(left + pw + 75, ly + 4, w["legend_frontier"].format(lifetime=w["lifetime"][lifetime]), 10))
    ly = legend_y + 18 * len(frontier.lifetimes("lost_ack"))
    out.append(f"<line x1='{left + pw + 50}' y1='{ly}' x2='{left + pw + 70}' y2='{ly}' stroke='#777777' "
               f"stroke-dasharray='2,3' stroke-width='2'/>")
    out.append(_svg_text(left + pw + 75, ly + 4, w["worst"], 10))
    out.append("</svg>")
    return "\n".join(out)


# ------------------------------------------------------------------ the fragment and the page
STYLE = (".tw-frontier-section table{border-collapse:collapse;margin:0.6em 0 1.2em}"
         ".tw-frontier-section td,.tw-frontier-section th{border:1px solid #ccc;padding:2px 8px;text-align:center}"
         ".tw-frontier-section caption{caption-side:top;text-align:left;font-size:90%;padding-bottom:4px}"
         f".tw-frontier-section td.holds{{background:{COLOURS['holds']};color:#fff}}"
         f".tw-frontier-section td.violated{{background:{COLOURS['violated']};color:#fff}}"
         f".tw-frontier-section td.unknown{{background:{COLOURS['unknown']};color:#fff}}"
         ".tw-frontier-section td.frontier{outline:3px solid #000;outline-offset:-3px}"
         ".tw-frontier-section tr.two-msl-row th{border-top:2px dashed #000}"
         ".tw-frontier-section .not-swept{color:#999}"
         ".tw-frontier-section svg{max-width:100%;height:auto;display:block;margin:0.6em 0}")


def frontier_section_html(frontier: TimeWaitFrontier, lang: str, heading: bool = True) -> str:
    """The TIME-WAIT frontier as one ``<section>`` in ``lang`` (en, zh), with its own style;
    without its ``<h2>`` when ``heading`` is False (a page that gives the heading itself)."""
    w = _check_lang(lang)
    e = html.escape
    paras = "".join(f"<p>{e(p)}</p>" for p in explanation(frontier, lang))
    tables = "".join(_reason_table(frontier, r, lang) for r in ("lost_ack", "old_duplicates"))
    plots = grid_svg(frontier, lang) + rto_svg(frontier, lang) if frontier.lines else ""
    title = f"<h2>{e(w['title'])}</h2>" if heading else ""
    return (f"<section class='tw-frontier-section' lang='{lang}'><style>{STYLE}</style>"
            f"{title}{paras}<p class='rules'>{e(w['rules'])}</p>{tables}{plots}</section>\n")


def lesson_sections(topic: str, lang: str, frontier: Optional[TimeWaitFrontier]) -> List[Tuple[str, str]]:
    """The extra sections of a lesson page (``write_lesson(..., extra_sections=...)``): the
    time-wait lesson ends with the frontier, when there is one; other topics have none."""
    if topic != "time-wait" or frontier is None or not frontier.lines:
        return []
    return [(_check_lang(lang)["title"], frontier_section_html(frontier, lang, heading=False))]


def frontier_page_html(frontier: TimeWaitFrontier, lang: str) -> str:
    """The section as a standalone page."""
    w = _check_lang(lang)
    return (f"<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{html.escape(w['title'])}</title>"
            "<style>body{font-family:Helvetica,Arial,\"Noto Sans CJK SC\",sans-serif;margin:1.5em;max-width:60em}</style>"
            f"</head><body>\n{frontier_section_html(frontier, lang)}</body></html>\n")


def write_declared(out_dir, sweeps: Sequence[DeclaredSweep], frontier: Optional[TimeWaitFrontier]) -> List[str]:
    """Write each declared sweep to ``out_dir/sweep/<spec>/`` and, when the sweeps gave any
    frontier line, the pages ``out_dir/sweep/time-wait-frontier.<lang>.html``; returns notes."""
    notes = []
    for declared in sweeps:
        written = write_sweep(out_dir, declared.result)
        notes += written.notes
    if frontier is not None and frontier.lines:
        root = Path(out_dir) / "sweep"
        root.mkdir(parents=True, exist_ok=True)
        for lang in LANGS:
            path = root / PAGE_NAME.format(lang=lang)
            tmp = path.with_name("." + path.name + ".tmp")
            tmp.write_text(frontier_page_html(frontier, lang), encoding="utf-8")
            os.replace(tmp, path)  # whole or not at all
    return list(dict.fromkeys(notes))
