"""Teaching mode: one page per question a TCP course asks -- why three segments to open, four
to close, why TIME-WAIT lasts 2*MSL (both reasons), why retransmission timers.

Each question is answered by one or more *contrasts*: a broken variant is checked, its
shortest counterexample is replayed event by event through the real protocol (same
settings, same faults), and the real protocol then goes on by itself, without faults, until
nothing is connected or in flight. Every fact a page states -- the decisive step, step
numbers, state counts, verdicts, parameters, which segment the network lost or duplicated,
what is remarkable in the real run -- is read from those runs: change the model and the
lesson changes with it. Only the question and the two or three sentences naming the
mechanism are fixed text, and they state no number.

The decisive step (computed, tested): replaying the variant's run, a step *deviates* when
the acting endpoint is in the same situation in both runs (the same TCB, apart from how far
its timers have run, receiving the same segment or making the same call) and the variant
does something the real protocol does not: it enters another state, sends other segments,
or takes a step the real protocol cannot take there. The decisive step is the last
deviation at or before the violation; when there is none and the variant's run is a dead
end, it is the last step, after which the variant is stuck and the real protocol still acts.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

from .engine import Trace
from .engine.properties import ALWAYS, STEP
from .errors import TcpModelError
from .library import catalogue_dir
from .run import run_spec
from .spec import load
from .tcp import TcpModel
from .tcp.actions import actor, direction_of, kind, segment_of, sent_segments
from .tcp.properties import CATALOGUE
from .tcp.tcb import CLIENT, RST, SERVER, STATE_NAMES, TIME_WAIT, format_segment
from .tcp.text import describe, words


@dataclass(frozen=True)
class Contrast:
    """One broken variant against the real protocol under the same settings."""

    key: str                 # "lost-ack", "old-duplicates", ...: names the part's texts
    spec: str                # the broken variant's spec, in the built-in catalogue
    property: str            # the property the variant breaks
    real_changes: tuple = ()  # how the real protocol's configuration differs: (key, value) pairs
    real_spec: str = ""      # or: the real protocol's own spec, which must differ in variant only


@dataclass(frozen=True)
class Topic:
    name: str
    contrasts: Tuple[Contrast, ...]


_RFC9293 = (("variant", "rfc9293"),)
TOPICS = {
    "handshake": Topic("handshake", (Contrast("old-syn", "two_way_handshake.toml", "no_bogus_open", _RFC9293),)),
    "close": Topic("close", (Contrast("half-close", "three_step_close.toml", "close_delivers_all", _RFC9293),)),
    "time-wait": Topic("time-wait", (
        Contrast("lost-ack", "no_time_wait.toml", "graceful_end", real_spec="rfc1337_lost_ack.toml"),
        Contrast("old-duplicates", "short_time_wait.toml", "no_stale_delivery", (("time_wait", None),)),
    )),
    "retransmission": Topic("retransmission", (Contrast("lost-syn", "no_retransmit.toml", "eventual_close", _RFC9293),)),
}

# The fixed texts: the question and the mechanism (no numbers: those come from the runs).
_TEXT = {
    "en": {
        "title": {
            "handshake": "Why three segments to open a connection",
            "close": "Why four segments to close a connection",
            "time-wait": "Why TIME-WAIT lasts 2*MSL",
            "retransmission": "Why TCP needs retransmission timers",
        },
        "question": {
            "handshake": "Why does TCP open a connection with three segments (SYN, SYN,ACK, ACK) and not with two?",
            "close": "Opening takes three segments: why does closing usually take four (FIN, ACK, FIN, ACK)?",
            "time-wait": "Why does the side that closes first wait in TIME-WAIT, and why for 2*MSL?",
            "retransmission": "Why does TCP need a retransmission timer?",
        },
        "concept": {
            "handshake": "A SYN may be an old duplicate of an earlier connection, still wandering in the network. "
                         "With three segments the server answers a SYN with SYN,ACK and waits: only the client's ACK "
                         "of the server's own sequence number proves that a live client wants this connection, and a "
                         "client that did not ask for it answers with RST. With two segments the server is ESTABLISHED "
                         "on the SYN alone and cannot tell an old SYN from a new one.",
            "close": "A FIN only says that one side has nothing more to send; the other side may still have data "
                     "to send (half-close: the server waits in CLOSE-WAIT). So the server acknowledges the client's "
                     "FIN at once and sends its own FIN only when its application closes: the server's ACK and FIN "
                     "cannot be merged while it still has data to send.",
            "time-wait": "The side that closes first stays in TIME-WAIT for 2*MSL before it forgets the connection, "
                         "for two reasons. Its last ACK may be lost: the peer then retransmits its FIN, and only an "
                         "endpoint that still remembers the connection answers it with an ACK instead of a RST. And "
                         "segments of this connection may still be in the network: they must die out (a segment "
                         "lives at most MSL) before the same 4-tuple is used again.",
            "retransmission": "The network may lose any segment and tells nobody. So TCP keeps every segment that "
                              "takes sequence space (SYN, data, FIN) until it is acknowledged, and sends it again "
                              "when the retransmission timer expires. Without the timer one lost segment leaves the "
                              "connection waiting for ever.",
        },
        "part_heading": {
            "lost-ack": "Reason 1: the last ACK may be lost",
            "old-duplicates": "Reason 2: old duplicates must die out before the 4-tuple is reused",
        },
        "fifo": "a FIFO network (segments arrive in the order sent)",
        "bag": "a reordering network (segments may overtake each other)",
        "tw_none": "none", "tw_ticks": "{n} ticks",
        "settings": "Both runs have the same settings: {network}; MSL = {msl} ticks; a segment as sent arrives "
                    "within {delay}; RTO = {rto} ticks; the network may lose {loss} and duplicate {dup} "
                    "segment(s). TIME-WAIT: {vtw} in the variant, {rtw} in the real protocol.",
        "variant": "The broken variant ({variant}) violates {prop}: {desc}. The checker's shortest counterexample "
                   "has {n} steps.",
        "fault_lose": "Step {i}: the network loses the {dir} segment {seg}.",
        "fault_dup": "Step {i}: the network duplicates the {dir} segment {seg}.",
        "dirs": ("client→server", "server→client"),
        "decisive": "The decisive step is step {i}, “{v}”. In the same situation the real protocol does “{r}”.",
        "decisive_blocked": "The decisive step is step {i}, “{v}”. In the same situation the real protocol cannot "
                            "do this; it does “{r}” instead.",
        "decisive_dead": "The decisive step is step {i}, “{v}”. After it the variant can do nothing more "
                         "(client {c}, server {s}); the real protocol still acts: “{r}”.",
        "violation": "Step {i} breaks {prop}: “{v}”.",
        "real": "The real protocol ({real}) under the same events: {verdict}. It replays the variant's steps "
                "1 to {replayed}, then goes on by itself without faults until nothing is connected or in flight "
                "({m} steps in all).",
        "real_blocked": "The real protocol ({real}) under the same events: {verdict}. It replays the variant's "
                        "steps 1 to {replayed}; it cannot take step {next}, and goes on by itself without faults "
                        "until nothing is connected or in flight ({m} steps in all).",
        "clean": "Nothing else happens in the real run: no RST ends a connection, no data is lost, and it settles.",
        "unavoidable": "No faultless continuation of the replayed events avoids this (the checker searched them "
                       "all): it is how the real protocol behaves here, not a choice of the lesson.",
        "remark_assassination": "Remark: at step {i}, “{step}”, a RST ends the {side}'s TIME-WAIT early "
                                "(TIME-WAIT assassination, RFC 1337).",
        "remark_property": "Remark: at step {i}, “{step}”, the real run breaks {prop} ({desc}).",
        "remark_lost": "Remark: the {side}'s application wrote {written} octet(s), the peer received {delivered}.",
        "remark_unsettled": "Remark: the real run does not settle within {m} steps.",
        "old_gone": "In the real run the last segment of the first connection leaves the network at step {gone}; "
                    "the client's TIME-WAIT ends at step {tw}, after it: only then may the 4-tuple be reused.",
        "conclusion_ok": "Conclusion: the variant breaks {prop} at step {n}; the real protocol, under the same events, keeps it.",
        "conclusion_both": "Conclusion: the variant breaks {prop}; under these settings the real protocol's verdict is “{status}”.",
        "labels": ("variant", "real protocol (RFC 9293)"),
        "verdict": {"holds": "{prop} holds in all {states:,} reachable states", "violated": "{prop} is violated too",
                    "unknown": "{prop} is not decided (the check did not complete)"},
    },
    "zh": {
        "title": {
            "handshake": "为什么建立连接需要三个报文段（三次握手）",
            "close": "为什么关闭连接需要四个报文段（四次挥手）",
            "time-wait": "为什么 TIME-WAIT 要持续 2*MSL",
            "retransmission": "为什么 TCP 需要重传定时器",
        },
        "question": {
            "handshake": "为什么 TCP 建立连接要用三个报文段（SYN、SYN,ACK、ACK），两个不行吗？",
            "close": "建立连接只要三个报文段，为什么关闭连接通常要四个（FIN、ACK、FIN、ACK）？",
            "time-wait": "为什么先关闭连接的一方要进入 TIME-WAIT，而且要等 2*MSL 这么久？",
            "retransmission": "为什么 TCP 需要重传定时器？",
        },
        "concept": {
            "handshake": "网络中可能还滞留着早先连接的旧 SYN，也就是重复报文段。三次握手时，服务器收到 SYN 只回一个 "
                         "SYN,ACK，然后等待：只有客户端确认了服务器自己的序号，才能证明确实有一个活着的客户端要建立这条连接；"
                         "并没有发起连接的客户端会回以 RST。如果只握手两次，服务器一收到 SYN 就进入 ESTABLISHED，"
                         "分不清旧 SYN 和新 SYN。",
            "close": "FIN 只表示一方不再发送数据，另一方可能还有数据要发（半关闭：服务器停在 CLOSE-WAIT）。"
                     "所以服务器先立即确认客户端的 FIN，等自己的应用关闭连接时再发送自己的 FIN。"
                     "只要服务器还有数据要发，它的 ACK 和 FIN 就不能合并成一个报文段。",
            "time-wait": "先关闭连接的一方要在 TIME-WAIT 状态等待 2*MSL，才能忘掉这条连接，原因有两个。"
                         "第一，它发出的最后一个 ACK 可能丢失，对方会重传 FIN；只有还记得这条连接的端点，才能用 ACK "
                         "而不是 RST 来回应。第二，这条连接的报文段可能还在网络中；同一个四元组再次使用之前，"
                         "它们必须全部消失（一个报文段最多存活 MSL）。",
            "retransmission": "网络可能丢失任何一个报文段，而且不会通知任何人。所以 TCP 会保留每个占用序号的报文段"
                              "（SYN、数据、FIN），直到它被确认；重传定时器一到期就重发。没有这个定时器，"
                              "只要丢失一个报文段，连接就会永远等下去。",
        },
        "part_heading": {
            "lost-ack": "原因一：最后一个 ACK 可能丢失",
            "old-duplicates": "原因二：四元组再次使用之前，旧的重复报文段必须消失",
        },
        "fifo": "保序网络（报文段按发送顺序到达）",
        "bag": "可乱序网络（报文段可以互相超越）",
        "tw_none": "没有这一状态", "tw_ticks": "持续 {n} 个时间单位",
        "settings": "两次运行的设置完全相同：{network}；MSL = {msl} 个时间单位；报文段发出后最多 {delay} "
                    "个时间单位到达；重传超时 RTO = {rto} 个时间单位；网络最多丢失 {loss} 个、重复投递 {dup} "
                    "个报文段。TIME-WAIT：变体{vtw}，真实协议{rtw}。",
        "variant": "有缺陷的变体（{variant}）违反了性质 {prop}：{desc}。检查器找到的最短反例共 {n} 步。",
        "fault_lose": "第 {i} 步：网络丢失了{dir}报文段 {seg}。",
        "fault_dup": "第 {i} 步：网络把{dir}报文段 {seg} 重复投递了一次。",
        "dirs": ("客户端发往服务器的", "服务器发往客户端的"),
        "decisive": "关键的一步是第 {i} 步「{v}」。在同样的情况下，真实协议的做法是「{r}」。",
        "decisive_blocked": "关键的一步是第 {i} 步「{v}」。在同样的情况下，真实协议不会这样做，而是「{r}」。",
        "decisive_dead": "关键的一步是第 {i} 步「{v}」。此后变体再也无法动作（客户端 {c}，服务器 {s}），"
                         "而真实协议还能继续执行「{r}」。",
        "violation": "第 {i} 步「{v}」违反了 {prop}。",
        "real": "在同样的事件下运行真实协议（{real}）：{verdict}。"
                "它先重演变体的第 1 到第 {replayed} 步，然后在没有故障的网络中自行运行，"
                "直到没有连接、网络中也没有报文段为止（共 {m} 步）。",
        "real_blocked": "在同样的事件下运行真实协议（{real}）：{verdict}。"
                        "它先重演变体的第 1 到第 {replayed} 步，但无法执行第 {next} 步，于是在没有故障的网络中自行运行，"
                        "直到没有连接、网络中也没有报文段为止（共 {m} 步）。",
        "clean": "真实协议的运行中没有别的异常：没有连接被 RST 终止，没有数据丢失，最终一切归于平静。",
        "unavoidable": "从重演的事件出发，真实协议在没有故障的网络中无论怎样继续，都免不了出现这种情况"
                       "（检查器已全部搜索过）：这是真实协议在此处的行为，不是本课的选择。",
        "remark_assassination": "注意：第 {i} 步「{step}」，一个 RST 提前结束了{side}的 TIME-WAIT"
                                "（即 RFC 1337 所说的 TIME-WAIT 暗杀）。",
        "remark_property": "注意：第 {i} 步「{step}」，真实协议的这次运行违反了 {prop}（{desc}）。",
        "remark_lost": "注意：{side}的应用写入了 {written} 个字节，对方只收到 {delivered} 个。",
        "remark_unsettled": "注意：真实协议的这次运行在 {m} 步之内没有归于平静。",
        "old_gone": "在真实协议的运行中，第一个连接实例的最后一个报文段在第 {gone} 步离开网络；客户端的 "
                    "TIME-WAIT 在第 {tw} 步才结束，晚于前者：此后这个四元组才能再次使用。",
        "conclusion_ok": "结论：变体在第 {n} 步违反了 {prop}；在同样的事件下，真实协议始终满足这一性质。",
        "conclusion_both": "结论：变体违反了 {prop}；在这组设置下，真实协议的结论是「{status}」。",
        "labels": ("变体", "真实协议（RFC 9293）"),
        "verdict": {"holds": "性质 {prop} 在全部 {states} 个可达状态上都成立", "violated": "性质 {prop} 同样被违反",
                    "unknown": "性质 {prop} 未能判定（检查没有完成）"},
    },
}
# Property descriptions in Chinese (the English ones are the properties' own).
_PROPERTY_ZH = {
    "no_bogus_open": "端点进入 ESTABLISHED 时，对端必须有一个连接实例确实发起了这条连接",
    "close_delivers_all": "端点收到对端的 FIN 时，对端应用在关闭连接之前写入的数据它必须已经全部收到",
    "no_stale_delivery": "早先连接实例的数据或 FIN 绝不能被后来的连接实例接受",
    "no_reuse_before_2msl": "只要网络中还有早先连接实例的报文段，同一个四元组就不能开始新的连接实例",
    "graceful_end": "处于同步状态（ESTABLISHED 到 TIME-WAIT）的端点不会因为收到 RST 而结束连接",
    "quiescent_agreement": "网络中没有报文段、也没有待重传的报文段时，一方处于 ESTABLISHED 当且仅当另一方也是",
    "eventual_close": "每个连接最终都会结束（客户端回到 CLOSED，服务器回到 CLOSED 或 LISTEN）",
}
_STATUS = {"en": {"holds": "holds", "violated": "violated", "unknown": "unknown"},
           "zh": {"holds": "成立", "violated": "被违反", "unknown": "未知"}}
_CONTINUE_STEPS = 80        # the real protocol's continuation: at most this many steps
_CONTINUE_STATES = 20000    # and this many states searched for a clean one


@dataclass(frozen=True)
class Remark:
    """Something a teacher must be told about the real protocol's run."""

    kind: str   # "assassination" | "property" | "lost" | "unsettled" | "expired"
    step: int   # 1-based step of the real run (0 when it concerns the run's end)
    text: str


@dataclass
class Part:
    """One contrast, as data: both runs, the decisive step, the real run's remarks, the text."""

    key: str
    heading: str
    property: str
    variant_model: TcpModel
    real_model: TcpModel
    variant_status: str
    real_status: str
    variant_trace: Trace
    real_trace: Trace
    decisive_step: int                    # 1-based step of the variant trace (see the module doc)
    decisive_kind: str                    # "deviation" | "blocked" | "dead_end"
    deviations: List[int]                 # every deviating step, 1-based
    replayed: int                         # steps of real_trace that replay the variant's actions
    blocked: Optional[int]                # 1-based variant step the real protocol cannot take
    variant_name: str
    real_name: str
    spec: str
    real_states: int
    variant_states: int
    remarks: List[Remark] = field(default_factory=list)
    settings: str = ""                                      # the settings both runs share
    variant_text: List[str] = field(default_factory=list)  # what the variant does, where it breaks
    real_text: List[str] = field(default_factory=list)     # the real protocol under the same events
    variant_steps: List[str] = field(default_factory=list)
    real_steps: List[str] = field(default_factory=list)
    conclusion: str = ""
    unavoidable: bool = False   # the remarks: no faultless continuation of the real run avoids them

    @property
    def msl(self) -> int:
        return self.variant_model.config.msl

    @property
    def paragraphs(self) -> List[str]:
        return [self.settings] + self.variant_text + self.real_text


def _from_main(name):
    """A lesson's attribute read from its first part."""
    return property(lambda self: getattr(self.main, name))


@dataclass
class Lesson:
    """A page: the question, the mechanism, one or more parts, each with its conclusion.

    The first part's facts are also the lesson's own (``variant_trace``, ``parting_step``,
    ...), as ``explain --json`` and notebooks read them."""

    topic: str
    lang: str
    title: str
    question: str
    concept: str
    parts: List[Part]

    @property
    def main(self) -> Part:
        return self.parts[0]

    variant_model = _from_main("variant_model")
    real_model = _from_main("real_model")
    variant_status = _from_main("variant_status")
    real_status = _from_main("real_status")
    variant_trace = _from_main("variant_trace")
    real_trace = _from_main("real_trace")
    parting_step = _from_main("decisive_step")
    decisive_step = _from_main("decisive_step")
    variant_name = _from_main("variant_name")
    real_name = _from_main("real_name")
    variant_steps = _from_main("variant_steps")
    real_steps = _from_main("real_steps")
    real_states = _from_main("real_states")
    replayed = _from_main("replayed")
    spec = _from_main("spec")

    @property
    def paragraphs(self) -> List[str]:
        """The whole text in reading order: question, mechanism, each part, its conclusion."""
        out = [self.question, self.concept]
        for part in self.parts:
            out += ([part.heading] if part.heading else []) + part.paragraphs + [part.conclusion]
        return out

    @property
    def labels(self):
        """The headings of the two step lists: (variant, real protocol), in the lesson's language."""
        return _TEXT[self.lang]["labels"]

    def _repr_html_(self) -> str:
        """The lesson in a notebook: its text and both step lists, the decisive step marked."""
        parts = [f"<h3>{html.escape(self.title)}</h3>"] + [f"<p>{html.escape(p)}</p>" for p in self.paragraphs]
        for label, steps in zip(self.labels, (self.variant_steps, self.real_steps)):
            rows = "".join(f"<tr><td>{i}</td><td>{'<b>' if i == self.parting_step else ''}{html.escape(s)}"
                           f"{'</b>' if i == self.parting_step else ''}</td></tr>" for i, s in enumerate(steps, 1))
            parts.append(f"<p><i>{html.escape(label)}</i></p><table>{rows}</table>")
        return "<div class='tcpmodel-lesson'>" + "".join(parts) + "</div>"

    property = _from_main("property")  # last: it shadows the builtin in the class body


# ------------------------------------------------------------------ the runs
def _situation(tcb):
    """What an endpoint's behaviour may depend on, apart from how far its timers have run
    (TIME-WAIT's length is what the time-wait variant changes; the step that *uses* the timer,
    its expiry, is compared as an action)."""
    return tcb._replace(rexmt=tcb.rexmt >= 0, retries=0, tw=tcb.tw >= 0)


def _replay(real: TcpModel, variant_trace: Trace):
    """Replay the variant's actions in the real model for as long as each is enabled there.

    Returns (real states, real actions, deviating step indices (0-based), index of the first
    variant action the real protocol cannot take, or None). See the module doc for what
    deviates; a step taken from another situation is a consequence, not a deviation.
    """
    states = [real.init_states()[0]]
    actions, deviations = [], []
    vs = variant_trace.states
    for i, (a, v_after) in enumerate(zip(variant_trace.actions, vs[1:])):
        r_before, v_before = states[-1], vs[i]
        side = actor(a)
        same = side is not None and _situation(r_before.tcb(side)) == _situation(v_before.tcb(side))
        taken = [t for b, t in real.successors(r_before) if b == a]
        if not taken:
            # A segment the real run never sent cannot arrive: that is a consequence. A call
            # or a timeout the real endpoint does not make in the same situation deviates.
            if same and (kind(a) != "deliver" or segment_of(a) in r_before.channel(direction_of(a))):
                deviations.append(i)
            return states, actions, deviations, i
        t = taken[0]
        if same and (t.tcb(side).state != v_after.tcb(side).state
                     or sent_segments(r_before, a, t) != sent_segments(v_before, a, v_after)):
            deviations.append(i)
        states.append(t)
        actions.append(a)
    return states, actions, deviations, None


def _safety_checks():
    """The catalogue's safety properties, as (name, kind, predicate, description)."""
    out = []
    for name, make in CATALOGUE.items():
        p = make()
        if p.kind in (ALWAYS, STEP):
            out.append((name, p.kind, p.predicate, p.description))
    return out


_SAFETY = _safety_checks()


def _step_faults(s, a, t):
    """What is wrong with one step of the real run: ("assassination", side) for a RST that
    ends TIME-WAIT (RFC 1337 §2), ("property", name) for a broken safety property."""
    found = []
    side = actor(a)
    if (kind(a) == "deliver" and segment_of(a).flags & RST and s.tcb(side).state == TIME_WAIT
            and t.tcb(side).state != TIME_WAIT):
        found.append(("assassination", side))
    for name, k, pred, _ in _SAFETY:
        ok = pred(t) if k == ALWAYS else pred(s, a, t)
        if not ok and not (found and name == "graceful_end"):  # the assassination says it
            found.append(("property", name))
    return found


def _lost_data(state):
    """(side, written, delivered) for each endpoint whose octets the peer of the same
    connection did not receive."""
    c, s = state.client, state.server
    if not (c.inc and c.inc == s.peer and c.peer == s.inc):
        return []
    return [(side, snd.written, rcv.delivered) for side, snd, rcv in ((CLIENT, c, s), (SERVER, s, c))
            if rcv.delivered < snd.written]


def _rank(pair):
    """The natural order of a well-behaved network: expired timers first, then the oldest
    segment in flight, then the applications, and only then does time pass."""
    a, _next = pair
    k = kind(a)
    if k == "timeout":
        return (0, 0)
    if k == "deliver":
        return (1, -segment_of(a).age)
    if k == "tick":
        return (3, 0)
    return (2, 0)


def _continue_to_settle(real: TcpModel, state):
    """The real protocol going on from ``state`` without faults until it settles (nothing
    connected, nothing in flight). Moves are tried in their natural order (``_rank``); a
    continuation in which nothing goes wrong (no RST into TIME-WAIT, no broken safety
    property, no lost data) is preferred when one exists within the search bounds, else the
    natural one is taken and its faults are reported. Returns (steps, whether no clean
    continuation exists: every one of at most _CONTINUE_STEPS steps was searched)."""
    seen = {state: 0}  # the least depth each state was searched from: a deeper visit finds nothing new
    budget = [_CONTINUE_STATES]

    def clean(s, depth):
        if real.is_terminal(s):
            return [] if not _lost_data(s) else None
        if depth == _CONTINUE_STEPS or budget[0] <= 0:
            return None
        moves = sorted(((a, t) for a, t in real.successors(s) if kind(a) not in ("lose", "dup")), key=_rank)
        for a, t in moves:
            if seen.get(t, _CONTINUE_STEPS + 1) <= depth + 1 or _step_faults(s, a, t):
                continue
            seen[t] = depth + 1
            budget[0] -= 1
            rest = clean(t, depth + 1)
            if rest is not None:
                return [(a, t)] + rest
        return None

    path = clean(state, 0)
    if path is not None:
        return path, True
    # Every faultless continuation (of at most _CONTINUE_STEPS steps) was searched when the
    # state budget held: then none is clean.
    exhaustive = budget[0] > 0
    path = []
    for _ in range(_CONTINUE_STEPS):
        if real.is_terminal(state):
            break
        moves = [(a, t) for a, t in real.successors(state) if kind(a) not in ("lose", "dup")]
        if not moves:
            break
        a, state = min(moves, key=_rank)
        path.append((a, state))
    return path, exhaustive


def _old_segments_gone(trace: Trace):
    """(1-based step after which no segment of the client's first incarnation is in flight,
    1-based step at which the client's TIME-WAIT ends), each None when it does not happen."""
    gone = tw_end = None
    for i, s, a, t in trace.steps():
        had = any(seg.cinc == 1 for d in (0, 1) for seg in s.channel(d))
        if had and not any(seg.cinc == 1 for d in (0, 1) for seg in t.channel(d)):
            gone = i + 1
        if tw_end is None and s.client.state == TIME_WAIT and t.client.state != TIME_WAIT:
            tw_end = i + 1
    return gone, tw_end


def _config_name(cfg, other) -> str:
    """A configuration's variant with its switches, and its TIME-WAIT when ``other``'s differs."""
    if cfg.time_wait_ticks != other.time_wait_ticks:
        return f"{cfg.label}, time_wait={cfg.time_wait_ticks}"
    return cfg.label


def _real_name(cfg) -> str:
    """The real protocol as configured: RFC 9293 and the switches in force on top of it."""
    on = [name for name in (cfg.variant,) + cfg.switches if name != "rfc9293"]
    return " + ".join(["RFC 9293"] + on)


def _real_config(contrast: Contrast, variant_cfg, specs_dir: Path):
    """The real protocol's configuration: the variant's with ``real_changes``, or the
    ``real_spec``'s, which must agree with the variant's in everything but the variant."""
    if not contrast.real_spec:
        return variant_cfg.replace(**dict(contrast.real_changes))
    real_cfg = load(specs_dir / contrast.real_spec).config
    if variant_cfg.replace(variant=real_cfg.variant, switches=real_cfg.switches) != real_cfg:
        raise TcpModelError(f"{contrast.real_spec}: its settings must equal {contrast.spec}'s except "
                            f"variant and switches, so that both run under the same events")
    return real_cfg


# The two runs of a part depend on the spec and the property, not on the language: a lesson
# written in en and zh checks each once. Bounded: a few lessons' runs (no state graphs).
_RUNS: "dict" = {}
_RUNS_KEPT = 8


def _runs(spec, prop: str, real_cfg):
    """The variant's and the real protocol's runs of ``prop`` (memoised per process)."""
    key = (str(spec.path), spec.config, prop, real_cfg)
    runs = _RUNS.get(key)
    if runs is None:
        runs = (run_spec(spec, properties=[prop]), run_spec(spec, properties=[prop], config=real_cfg))
        if len(_RUNS) >= _RUNS_KEPT:
            _RUNS.pop(next(iter(_RUNS)))
        _RUNS[key] = runs
    return runs


def _part(topic: str, contrast: Contrast, lang: str, specs_dir: Path) -> Part:
    spec = load(specs_dir / contrast.spec)
    variant_cfg = spec.config
    real_cfg = _real_config(contrast, variant_cfg, specs_dir)
    prop = contrast.property
    v_run, r_run = _runs(spec, prop, real_cfg)
    v_verdict, r_verdict = v_run.result[prop], r_run.result[prop]
    if v_verdict.trace is None:
        raise TcpModelError(f"topic {topic}: the variant {variant_cfg.label} ({contrast.spec}) does not "
                            f"violate {prop}; nothing to explain")
    vtrace = v_verdict.trace
    real_model = r_run.model
    states, actions, deviations, blocked = _replay(real_model, vtrace)
    replayed = len(actions)
    continuation, unavoidable = _continue_to_settle(real_model, states[-1])
    for a, t in continuation:
        actions.append(a)
        states.append(t)
    real_trace = Trace(tuple(states), tuple(actions))
    last = len(vtrace.actions) - 1
    up_to_last = [i for i in deviations if i <= last]
    if up_to_last:
        decisive, how = up_to_last[-1], ("blocked" if up_to_last[-1] == blocked else "deviation")
    else:
        decisive, how = last, "dead_end"
    part = Part(contrast.key, _TEXT[lang]["part_heading"].get(contrast.key, ""), prop, v_run.model, real_model,
                v_verdict.status, r_verdict.status, vtrace, real_trace, decisive + 1, how,
                [i + 1 for i in deviations], replayed, None if blocked is None else blocked + 1,
                _config_name(variant_cfg, real_cfg), _real_name(real_cfg), Path(contrast.spec).stem,
                r_run.result.stats.states, v_run.result.stats.states)
    part.variant_steps = [describe(s, a, t, lang) for _, s, a, t in vtrace.steps()]
    part.real_steps = [describe(s, a, t, lang) for _, s, a, t in real_trace.steps()]
    part.remarks = _remarks(part, lang)
    part.unavoidable = unavoidable and bool(part.remarks)
    _write(part, lang, v_verdict.description, r_verdict.status)
    return part


def _describe_property(name, lang, english):
    return _PROPERTY_ZH.get(name, english) if lang == "zh" else english


def _remarks(part: Part, lang: str) -> List[Remark]:
    """What the real run does that is not clean, each as a sentence; for the old-duplicates
    reason also when the first connection's segments die out."""
    T, w = _TEXT[lang], words(lang)
    out = []
    trace = part.real_trace
    for i, s, a, t in trace.steps():
        for what, which in _step_faults(s, a, t):
            if what == "assassination":
                out.append(Remark(what, i + 1, T["remark_assassination"].format(
                    i=i + 1, side=w["client" if which == CLIENT else "server"], step=part.real_steps[i])))
            else:
                desc = next(d for n, _, _, d in _SAFETY if n == which)
                out.append(Remark(what, i + 1, T["remark_property"].format(
                    i=i + 1, prop=which, desc=_describe_property(which, lang, desc), step=part.real_steps[i])))
    end = trace.states[-1]
    for side, written, delivered in _lost_data(end):
        out.append(Remark("lost", 0, T["remark_lost"].format(side=w["client" if side == CLIENT else "server"],
                                                              written=written, delivered=delivered)))
    if not part.real_model.is_terminal(end):
        out.append(Remark("unsettled", 0, T["remark_unsettled"].format(m=len(trace))))
    return out


def _write(part: Part, lang: str, english_desc: str, r_status: str) -> None:
    """The part's paragraphs and conclusion, every number from the runs."""
    T, w = _TEXT[lang], words(lang)
    vcfg, rcfg = part.variant_model.config, part.real_model.config

    def tw(cfg):
        if "no_time_wait" in cfg.active_switches or cfg.time_wait_ticks == 0:
            return T["tw_none"]
        n = cfg.time_wait_ticks
        return T["tw_ticks"].format(n=n) if lang != "en" or n != 1 else "1 tick"

    delay = vcfg.max_delay_ticks
    if lang == "en":
        delay = f"{delay} tick" + ("s" if delay != 1 else "")
    part.settings = T["settings"].format(network=T[vcfg.channel], msl=vcfg.msl, delay=delay, rto=vcfg.rto,
                                         loss=vcfg.loss, dup=vcfg.dup, vtw=tw(vcfg), rtw=tw(rcfg))
    p = part.variant_text
    vtrace = part.variant_trace
    p.append(T["variant"].format(variant=part.variant_name, prop=part.property,
                                 desc=_describe_property(part.property, lang, english_desc), n=len(vtrace)))
    for i, a in enumerate(vtrace.actions):
        if kind(a) in ("lose", "dup"):
            frame = T["fault_lose"] if kind(a) == "lose" else T["fault_dup"]
            p.append(frame.format(i=i + 1, dir=T["dirs"][direction_of(a)], seg=format_segment(segment_of(a))))
    k = part.decisive_step - 1
    v = part.variant_steps[k]
    if part.decisive_kind == "deviation":
        p.append(T["decisive"].format(i=k + 1, v=v, r=part.real_steps[k]))
    else:
        instead = next((j for j in range(part.replayed, len(part.real_trace.actions))
                        if kind(part.real_trace.actions[j]) != "tick"), None)
        r = part.real_steps[instead] if instead is not None else "-"
        if part.decisive_kind == "blocked":
            p.append(T["decisive_blocked"].format(i=k + 1, v=v, r=r))
        else:
            end = vtrace.states[-1]
            p.append(T["decisive_dead"].format(i=k + 1, v=v, r=r, c=STATE_NAMES[end.client.state],
                                               s=STATE_NAMES[end.server.state]))
    if not vtrace.dead_end and not vtrace.is_lasso and part.decisive_step != len(vtrace):
        p.append(T["violation"].format(i=len(vtrace), prop=part.property, v=part.variant_steps[-1]))
    p = part.real_text
    verdict = T["verdict"][part.real_status].format(prop=part.property, states=part.real_states)
    frame = T["real"] if part.blocked is None else T["real_blocked"]
    p.append(frame.format(real=part.real_name, verdict=verdict, replayed=part.replayed, next=part.blocked,
                          m=len(part.real_trace)))
    if part.key == "old-duplicates":
        gone, tw_end = _old_segments_gone(part.real_trace)
        if gone is not None and tw_end is not None:
            p.append(T["old_gone"].format(gone=gone, tw=tw_end))
    p += [r.text for r in part.remarks] or [T["clean"]]
    if part.unavoidable:
        p.append(T["unavoidable"])
    if r_status == "holds":
        part.conclusion = T["conclusion_ok"].format(prop=part.property, n=len(vtrace))
    else:
        part.conclusion = T["conclusion_both"].format(prop=part.property, status=_STATUS[lang][r_status])


def explain(topic_name: str, lang: str = "en", specs_dir: Optional[Path] = None) -> Lesson:
    """Run a topic's contrasts (variant and real protocol) and build the lesson."""
    if topic_name not in TOPICS:
        raise TcpModelError(f"unknown topic {topic_name!r}; allowed: {', '.join(TOPICS)}")
    if lang not in _TEXT:
        raise TcpModelError(f"unknown language {lang!r}; allowed: {', '.join(_TEXT)}")
    T = _TEXT[lang]
    specs = Path(specs_dir or catalogue_dir())
    parts = [_part(topic_name, c, lang, specs) for c in TOPICS[topic_name].contrasts]
    return Lesson(topic_name, lang, T["title"][topic_name], T["question"][topic_name], T["concept"][topic_name], parts)
