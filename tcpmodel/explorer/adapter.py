"""The one module of the explorer that reads the TCP model's states and actions.

Everything the page shows about a state goes through :func:`state_view`
(named fields: TCB field names, direction names, budgets); everything about an action goes
through the TCP layer's own readers (``kind``, ``actor``, ``direction_of``, ``segment_of``,
``sent_segments``, ``format_action``, ``describe``). The rest of the explorer only sees the
plain dicts built here.
"""

from __future__ import annotations

from ..engine.properties import ALWAYS, DEADLOCK, LEADS_TO, SOMETIMES, SOMETIMES_STEP, STEP
from ..formats.data import tcb_data
from ..tcp.tcb import C2S, S2C
from ..tcp.tcb import DIRECTION_NAMES, SIDE_NAMES, format_segment
from ..tcp.actions import USER_CALLS, actor, direction_of, kind, outgoing, segment_of, sent_segments, timer_of
from ..tcp.text import LANGS

# The groups the page shows enabled actions in, in this order (issue 12): user calls
# (RFC 9293 §3.10.1-§3.10.5), segment arrivals (§3.10.7), timeouts (§3.10.8), time, faults.
GROUPS = ("user", "deliver", "timer", "tick", "fault")
_GROUP_OF_KIND = {
    **{call: "user" for call in USER_CALLS},
    "deliver": "deliver", "timeout": "timer", "tick": "tick", "lose": "fault", "dup": "fault",
}

# How the page treats each kind of property (engine/properties.py): evaluated on the current
# state, on the last step, or only by the exhaustive checker.
PROPERTY_SCOPE = {
    ALWAYS: "state", STEP: "step", SOMETIMES: "witness_state", SOMETIMES_STEP: "witness_step",
    DEADLOCK: "deadlock", LEADS_TO: "check_only",
}


def segment_key(seg) -> str:
    """A segment's identity in flight, ``seq/ack/flags/dlen/cinc/sconn``: its content without
    its age and limit (``Segment.content``); the page's ladder follows a segment from its
    sending to its delivery or loss by this key."""
    return "/".join(map(str, seg.content))


def _segment(seg) -> dict:
    d = dict(seg._asdict())
    d["text"] = format_segment(seg)
    d["key"] = segment_key(seg)
    return d


def state_view(state) -> dict:
    """A state as the page shows it: both TCBs (RFC state names), the segments in flight per
    direction (each with its display text and key), and the fault budgets left."""
    view = {"client": tcb_data(state.client), "server": tcb_data(state.server)}
    for direction in (C2S, S2C):
        view[DIRECTION_NAMES[direction]] = [_segment(seg) for seg in state.channel(direction)]
    view["loss_budget_left"], view["dup_budget_left"] = state.loss, state.dup
    return view


def action_kind(action) -> str:
    return kind(action)


def action_group(action) -> str:
    return _GROUP_OF_KIND[kind(action)]


def edge_view(model, props, state, action, next_state) -> dict:
    """One transition as the page shows it: its label and step text in every language, its
    group, who acts, the segment it delivers/loses/copies, the segments it sends, and the
    step properties it violates and the witnesses it reaches."""
    name = kind(action)
    side = actor(action)
    direction, seg = direction_of(action), segment_of(action)
    edge = {
        "label": {lang: model.format_action(action, lang) for lang in LANGS},
        "text": {lang: model.describe(state, action, next_state, lang) for lang in LANGS},
        "group": _GROUP_OF_KIND[name],
        "kind": name,
        "actor": None if side is None else SIDE_NAMES[side],
        "direction": None if direction is None else DIRECTION_NAMES[direction],
        "segment": None if seg is None else _segment(seg),
        "timer": timer_of(action),
        "sent": [],
    }
    if side is not None:
        out_dir = DIRECTION_NAMES[outgoing(side)]
        edge["sent"] = [dict(_segment(seg), direction=out_dir) for seg in sent_segments(state, action, next_state)]
    violated, reached = [], []
    for p in props:
        if p.kind == STEP and not p.predicate(state, action, next_state):
            violated.append(p.name)
        elif p.kind == SOMETIMES_STEP and p.predicate(state, action, next_state):
            reached.append(p.name)
    edge["violated"] = violated
    edge["reached"] = reached
    return edge


def node_view(model, props, state) -> dict:
    """One state as the page shows it: the state, the state invariants it violates, the
    state witnesses it reaches, and whether the model calls it a proper end."""
    violated, reached = [], []
    for p in props:
        if p.kind == ALWAYS and not p.predicate(state):
            violated.append(p.name)
        elif p.kind == SOMETIMES and p.predicate(state):
            reached.append(p.name)
    return {"state": state_view(state), "violated": violated, "reached": reached,
            "terminal": bool(model.is_terminal(state))}


def property_info(props, expect: dict, explain: dict) -> list:
    """The spec's properties in its order, with how the page evaluates each."""
    return [{"name": p.name, "kind": p.kind, "scope": PROPERTY_SCOPE[p.kind], "expected": expect.get(p.name, ""),
             "description": p.description, "explain": explain.get(p.name, "")}
            for p in props]


def budgets_override(config, loss, dup):
    """The configuration with other fault budgets (the page lets a teacher add faults)."""
    changes = {}
    if loss is not None:
        changes["loss"] = loss
    if dup is not None:
        changes["dup"] = dup
    return config.replace(**changes) if changes else config


def parameters(config) -> dict:
    """The parameters the page shows beside the spec's name (``time_wait`` is None when the
    variant has no TIME-WAIT)."""
    return {"variant": config.label, "msl": config.msl, "max_delay": config.max_delay_ticks, "rto": config.rto,
            "syn_rto": config.syn_rto_ticks, "max_retries": config.max_retries,
            "window": config.window, "time_wait": config.time_wait_ticks if config.rules.time_wait_state else None, "channel": config.channel,
            "loss": config.loss, "dup": config.dup}


SIDES = tuple(SIDE_NAMES)
DIRECTIONS = tuple(DIRECTION_NAMES)
