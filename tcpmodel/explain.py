"""Teaching mode: why three segments to open, four to close, why TIME-WAIT lasts 2*MSL, why
timers. Each topic checks a broken variant and the real protocol under the same faults, then
replays the variant's counterexample through the real protocol to find the step where the
two part, and lets the real protocol go on from there until it settles. Every sentence of
the lesson is filled from those runs: change the model and the lesson changes with it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from .engine import Trace
from .errors import TcpModelError
from .library import catalogue_dir
from .run import run_spec
from .spec import load
from .tcp import TcpModel
from .tcp.tcb import STATE_NAMES
from .tcp.text import actor, describe, sent_segments, words


@dataclass(frozen=True)
class Topic:
    name: str
    spec: str            # the broken variant's spec, in the built-in catalogue
    property: str        # the property the variant breaks
    real_changes: tuple  # how the real protocol's configuration differs: (key, value) pairs


TOPICS = {
    "handshake": Topic("handshake", "two_way_handshake.toml", "no_bogus_open", (("variant", "rfc9293"),)),
    "close": Topic("close", "three_step_close.toml", "close_delivers_all", (("variant", "rfc9293"),)),
    "time-wait": Topic("time-wait", "short_time_wait.toml", "no_stale_delivery", (("time_wait", None),)),
    "retransmission": Topic("retransmission", "no_retransmit.toml", "eventual_close", (("variant", "rfc9293"),)),
}

_TEXT = {
    "en": {
        "title": {
            "handshake": "Why three segments to open a connection",
            "close": "Why four segments to close a connection",
            "time-wait": "Why TIME-WAIT lasts 2*MSL",
            "retransmission": "Why TCP needs retransmission timers",
        },
        "setup": "Both runs use the same network: {faults}. The broken variant is {variant}; the real protocol is {real}{real_note}.",
        "faults_none": "no loss and no duplication, segments reordered and delayed up to {delay} ticks (MSL={msl})",
        "faults": "loss budget {loss}, duplication budget {dup}, {channel} network, MSL={msl} ticks",
        "broke": "In the variant, the property {prop} ({desc}) is violated: the checker's shortest counterexample has {n} steps.",
        "held": "In the real protocol the same property holds over all {states:,} reachable states.",
        "what": "What happened in the variant:",
        "fault": "The fault that makes it possible: step {i}, {step}.",
        "end_bad": "The step that breaks {prop}: step {i}, {step}.",
        "end_dead": "After step {i} the variant can do nothing more: {state}. The run is stuck.",
        "part": "Where the two part: at step {i} the variant does \"{v}\"; the real protocol, given the same event, does \"{r}\".",
        "part_missing": "Where the two part: after step {i} the real protocol can still act: \"{r}\"; the variant cannot.",
        "part_blocked": "Where the two part: at step {i} the variant does \"{v}\"; in the real protocol that step cannot happen here. Instead: \"{r}\".",
        "differs": "Step {i} differs: the variant does \"{v}\", the real protocol \"{r}\".",
        "then": "From there the real protocol goes on by itself (no more faults) until nothing is connected or in flight; its steps are listed beside the variant's.",
        "verdicts": "Verdicts: variant {v_status}, real protocol {r_status}.",
        "real_note_tw": " with TIME-WAIT of 2*MSL = {tw} ticks (the variant has {vtw})",
        "labels": ("variant", "real protocol (RFC 9293)"),
    },
    "zh": {
        "title": {
            "handshake": "为什么建立连接需要三个报文段（三次握手）",
            "close": "为什么关闭连接需要四个报文段（四次挥手）",
            "time-wait": "为什么 TIME-WAIT 要持续 2*MSL",
            "retransmission": "为什么 TCP 需要重传定时器",
        },
        "setup": "两次运行使用同一个网络：{faults}。有缺陷的变体是 {variant}；真实协议是 {real}{real_note}。",
        "faults_none": "不丢包、不重复，报文段可以乱序，并最多延迟 {delay} 个时间单位（MSL={msl}）",
        "faults": "丢包预算 {loss}，重复预算 {dup}，{channel} 网络，MSL={msl} 个时间单位",
        "broke": "在变体中，性质 {prop}（{desc}）被违反：检查器给出的最短反例共 {n} 步。",
        "held": "在真实协议中，同一性质在全部 {states:,} 个可达状态上都成立。",
        "what": "变体中发生了什么：",
        "fault": "使之成为可能的故障：第 {i} 步，{step}。",
        "end_bad": "破坏 {prop} 的那一步：第 {i} 步，{step}。",
        "end_dead": "第 {i} 步之后，变体再也无法动作：{state}。运行卡死。",
        "part": "两者分歧之处：第 {i} 步，变体执行“{v}”；真实协议遇到同一事件时执行“{r}”。",
        "part_missing": "两者分歧之处：第 {i} 步之后，真实协议还能动作：“{r}”；变体却不能。",
        "part_blocked": "两者分歧之处：第 {i} 步，变体执行“{v}”；在真实协议中这一步此时不可能发生，取而代之的是：“{r}”。",
        "differs": "第 {i} 步不同：变体执行“{v}”，真实协议执行“{r}”。",
        "then": "此后真实协议自行继续（不再有故障），直到没有连接、网络中也没有报文段；其步骤与变体的步骤并列给出。",
        "verdicts": "结论：变体 {v_status}，真实协议 {r_status}。",
        "real_note_tw": "，TIME-WAIT 为 2*MSL = {tw} 个时间单位（变体只有 {vtw}）",
        "labels": ("变体", "真实协议（RFC 9293）"),  # as tcp/text.py words "real protocol"
    },
}
# Property descriptions in Chinese (the English ones are the properties' own).
_PROPERTY_ZH = {
    "no_bogus_open": "端点只有在对端的某一代连接确实发起了本连接时，才会进入 ESTABLISHED（对端当前这一代，或者在与之同步时发出、完成了握手的那个报文段所属的一代）",
    "close_delivers_all": "端点收到对端的 FIN 时，已经收到对端应用在 CLOSE 之前写入的全部数据",
    "no_stale_delivery": "早先一代连接的数据或 FIN 绝不会被后来一代连接接受",
    "eventual_close": "每个连接最终都会结束：客户端 CLOSED，服务器 CLOSED 或 LISTEN（对应用、投递、定时器和时间假设弱公平；对故障不假设）",
}
_STATUS = {"en": {"holds": "holds", "violated": "violated", "unknown": "unknown"},
           "zh": {"holds": "成立", "violated": "被违反", "unknown": "未知"}}


@dataclass
class Lesson:
    """Everything a lesson says, as data; ``paragraphs`` and the step lists are the text."""

    topic: str
    lang: str
    title: str
    property: str
    variant_model: TcpModel
    real_model: TcpModel
    variant_status: str
    real_status: str
    variant_trace: Trace
    real_trace: Trace
    parting_step: int                     # 1-based step of the variant trace where they part
    variant_name: str = ""                # the variant as configured: "three_step_close", "rfc1337+ack_throttling, time_wait=1"
    real_name: str = ""                   # the real protocol as configured: "RFC 9293", "RFC 9293 + rfc1337 + ack_throttling"
    paragraphs: List[str] = field(default_factory=list)
    variant_steps: List[str] = field(default_factory=list)
    real_steps: List[str] = field(default_factory=list)
    real_states: int = 0
    replayed: int = 0                     # steps of real_trace that replay the variant's actions
    spec: str = ""                        # the broken variant's spec name (its trace opens in the explorer)

    @property
    def labels(self):
        """The headings of the two step lists: (variant, real protocol), in the lesson's language."""
        return _TEXT[self.lang]["labels"]

    def _repr_html_(self) -> str:
        """The lesson in a notebook: its text and both step lists, the parting step marked."""
        parts = [f"<h3>{html.escape(self.title)}</h3>"] + [f"<p>{html.escape(p)}</p>" for p in self.paragraphs]
        for label, steps in zip(self.labels, (self.variant_steps, self.real_steps)):
            rows = "".join(f"<tr><td>{i}</td><td>{'<b>' if i == self.parting_step else ''}{html.escape(s)}"
                           f"{'</b>' if i == self.parting_step else ''}</td></tr>" for i, s in enumerate(steps, 1))
            parts.append(f"<p><i>{html.escape(label)}</i></p><table>{rows}</table>")
        return "<div class='tcpmodel-lesson'>" + "".join(parts) + "</div>"


def _replay(real: TcpModel, variant_trace: Trace):
    """Replay the variant's actions in the real model for as long as each is enabled there.

    Returns (real states, real actions, differing step indices, index of the first variant
    action the real protocol cannot take, or None). A step differs when the acting
    endpoint ends in another TCP state or sends other segments.
    """
    states = [real.init_states()[0]]
    actions, differing = [], []
    vs = variant_trace.states
    for i, (a, v_after) in enumerate(zip(variant_trace.actions, vs[1:])):
        nxt = [t for b, t in real.successors(states[-1]) if b == a]
        if not nxt:
            return states, actions, differing, i
        t = nxt[0]
        side = actor(a)
        if side is not None and (
            t[side].state != v_after[side].state
            or [x[:4] for x in sent_segments(states[-1], a, t)] != [x[:4] for x in sent_segments(vs[i], a, v_after)]
        ):
            differing.append(i)
        states.append(t)
        actions.append(a)
    return states, actions, differing, None


def _continue_to_settle(real: TcpModel, state, max_steps: int = 60):
    """The real protocol going on from ``state`` over a well-behaved network (no faults):
    expired timers fire first, then the oldest segment in flight is delivered, then the
    applications act, and only then does time pass; until nothing is connected or in flight."""
    path = []
    for _ in range(max_steps):
        if real.is_terminal(state):
            break
        moves = [(a, t) for a, t in real.successors(state) if a[0] not in ("lose", "dup")]
        if not moves:
            break

        def rank(move):
            a = move[0]
            if a[0] == "timeout":
                return (0, 0)
            if a[0] == "deliver":
                return (1, -a[2].age)
            if a[0] == "tick":
                return (3, 0)
            return (2, 0)

        a, state = min(moves, key=rank)
        path.append((a, state))
    return path


def _config_name(cfg, other) -> str:
    """A configuration's variant with its switches, and its TIME-WAIT when ``other``'s differs."""
    if cfg.time_wait_ticks != other.time_wait_ticks:
        return f"{cfg.label}, time_wait={cfg.time_wait_ticks}"
    return cfg.label


def _real_name(cfg) -> str:
    """The real protocol as configured: RFC 9293 and the switches in force on top of it."""
    on = [name for name in (cfg.variant,) + cfg.switches if name != "rfc9293"]
    return " + ".join(["RFC 9293"] + on)


def explain(topic_name: str, lang: str = "en", specs_dir: Optional[Path] = None) -> Lesson:
    """Run a topic's variant and real protocol and build the lesson."""
    if topic_name not in TOPICS:
        raise TcpModelError(f"unknown topic {topic_name!r}; allowed: {', '.join(TOPICS)}")
    if lang not in _TEXT:
        raise TcpModelError(f"unknown language {lang!r}; allowed: {', '.join(_TEXT)}")
    topic = TOPICS[topic_name]
    spec = load((specs_dir or catalogue_dir()) / topic.spec)
    variant_cfg = spec.config
    real_cfg = variant_cfg.replace(**dict(topic.real_changes))
    v_run = run_spec(spec, properties=[topic.property])
    r_run = run_spec(spec, properties=[topic.property], config=real_cfg)
    variant_model, real_model = v_run.model, r_run.model
    v_result, r_result = v_run.result, r_run.result
    v_verdict, r_verdict = v_result[topic.property], r_result[topic.property]
    if v_verdict.trace is None:
        raise TcpModelError(f"topic {topic_name}: the variant {variant_cfg.variant} does not violate {topic.property}; nothing to explain")
    vtrace = v_verdict.trace

    states, actions, differing, blocked = _replay(real_model, vtrace)
    replayed = len(actions)
    for a, t in _continue_to_settle(real_model, states[-1]):
        actions.append(a)
        states.append(t)
    real_trace = Trace(tuple(states), tuple(actions))
    # Where they part: the variant's violating step if the real protocol takes it another
    # way; else the last step before that where the two differ; else the step the real
    # protocol cannot take; else the end of the variant's run (a dead end).
    last = len(vtrace.actions) - 1
    if differing and differing[-1] == last:
        part = last
    elif differing:
        part = differing[-1]
    elif blocked is not None:
        part = blocked
    else:
        part = replayed
    T = _TEXT[lang]
    w = words(lang)
    lesson = Lesson(topic_name, lang, T["title"][topic_name], topic.property, variant_model, real_model,
                    v_verdict.status, r_verdict.status, vtrace, real_trace, part + 1, real_states=r_result.stats.states,
                    replayed=replayed, variant_name=_config_name(variant_cfg, real_cfg),
                    real_name=_real_name(real_cfg), spec=Path(topic.spec).stem)
    lesson.variant_steps = [describe(s, a, t, lang) for _, s, a, t in vtrace.steps()]
    lesson.real_steps = [describe(s, a, t, lang) for _, s, a, t in real_trace.steps()]

    cfg = variant_cfg
    faults = (T["faults_none"].format(delay=cfg.max_delay_ticks, msl=cfg.msl) if not (cfg.loss or cfg.dup) and cfg.channel == "bag"
              else T["faults"].format(loss=cfg.loss, dup=cfg.dup, channel=cfg.channel, msl=cfg.msl))
    real_note = ""
    if real_cfg.time_wait_ticks != cfg.time_wait_ticks:
        real_note = T["real_note_tw"].format(tw=real_cfg.time_wait_ticks, vtw=cfg.time_wait_ticks)
    p = lesson.paragraphs
    p.append(T["setup"].format(faults=faults, variant=cfg.label, real=lesson.real_name, real_note=real_note))
    desc = _PROPERTY_ZH.get(topic.property, v_verdict.description) if lang == "zh" else v_verdict.description
    p.append(T["broke"].format(prop=topic.property, desc=desc, n=len(vtrace)))
    if r_verdict.status == "holds":
        p.append(T["held"].format(states=r_result.stats.states))
    fault_steps = [i for i, a in enumerate(vtrace.actions) if a[0] in ("lose", "dup")]
    for i in fault_steps:
        p.append(T["fault"].format(i=i + 1, step=lesson.variant_steps[i]))
    last = len(vtrace)
    if vtrace.dead_end:
        s = vtrace.states[-1]
        where = f"{w['client']} {STATE_NAMES[s[0].state]}{w['sep']}{w['server']} {STATE_NAMES[s[1].state]}"
        p.append(T["end_dead"].format(i=last, state=where))
    else:
        p.append(T["end_bad"].format(i=last, prop=topic.property, step=lesson.variant_steps[-1]))
    for i in [i for i in differing if i != part][:4]:
        p.append(T["differs"].format(i=i + 1, v=lesson.variant_steps[i], r=lesson.real_steps[i]))
    if part < replayed:
        p.append(T["part"].format(i=part + 1, v=lesson.variant_steps[part], r=lesson.real_steps[part]))
    else:
        # The real protocol cannot take the variant's step (or the variant has no step left):
        # say what the real protocol does instead, naming its first act that is not a tick.
        instead = next((k for k in range(replayed, len(real_trace.actions)) if real_trace.actions[k][0] != "tick"), None)
        r = lesson.real_steps[instead] if instead is not None else "-"
        if part < len(vtrace.actions):
            p.append(T["part_blocked"].format(i=part + 1, v=lesson.variant_steps[part], r=r))
        else:
            p.append(T["part_missing"].format(i=part, r=r))
    if len(real_trace.actions) > replayed:
        p.append(T["then"])
    p.append(T["verdicts"].format(v_status=_STATUS[lang][v_verdict.status], r_status=_STATUS[lang][r_verdict.status]))
    return lesson
