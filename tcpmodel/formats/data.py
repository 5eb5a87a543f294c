"""States, segments and actions of the TCP model as plain, named data (flags and states by
name, actions structured); every format builds on it. It reads a global state by its fields
(tcpmodel/tcp/tcb.py GlobalState) and an action through tcpmodel/tcp/actions.py's readers,
never by position.
"""

from __future__ import annotations

import dataclasses

from ..tcp.actions import actor, direction_of, iss_of, kind, segment_of, timer_of
from ..tcp.tcb import C2S, DIRECTION_NAMES, FLAG_NAMES, S2C, SIDE_NAMES, STATE_NAMES, format_segment

# The version of every document in docs/formats.md: major changes break readers.
FORMAT_VERSION = "1.0"

# The global state's fields as documents name them (tcb.GlobalState: the two TCBs, the two
# channels, the fault budgets left).
STATE_FIELDS = ("client", "server", DIRECTION_NAMES[C2S], DIRECTION_NAMES[S2C], "loss_budget_left", "dup_budget_left")


def flag_names(flags: int) -> list:
    """Control bits by name, in RFC 9293 header order: ``["SYN", "ACK"]``."""
    return [name for bit, name in FLAG_NAMES if flags & bit]


def record_data(record) -> dict:
    """A named record (NamedTuple or dataclass) as a dict of its fields, in field order."""
    if hasattr(record, "_asdict"):
        return dict(record._asdict())
    if dataclasses.is_dataclass(record):
        return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    raise TypeError(f"not a named record: {record!r}")


def segment_data(seg) -> dict:
    """A segment as named fields, its flags by name, and its display text."""
    d = record_data(seg)
    d["flags"] = flag_names(seg.flags)
    d["text"] = format_segment(seg)
    return d


def tcb_data(tcb) -> dict:
    """A TCB as named fields, its state by RFC name."""
    d = record_data(tcb)
    d["state"] = STATE_NAMES[tcb.state]
    return d


def state_data(state) -> dict:
    """A global state: ``client``, ``server`` (TCBs), ``network`` (segments per direction),
    ``loss_budget_left``, ``dup_budget_left``."""
    return {
        "client": tcb_data(state.client),
        "server": tcb_data(state.server),
        "network": {DIRECTION_NAMES[direction]: [segment_data(s) for s in state.channel(direction)]
                    for direction in (C2S, S2C)},
        "loss_budget_left": state.loss,
        "dup_budget_left": state.dup,
    }


def action_data(action, text: str) -> dict:
    """An action structured: ``kind`` (OPEN, LISTEN, SEND, CLOSE, ABORT, deliver, lose, dup,
    timeout, tick), ``actor`` (the endpoint whose TCB it changes, or null), and as the kind
    has them ``direction``, ``segment``, ``iss``, ``timer``; ``text`` is the display text."""
    name = kind(action)
    side = actor(action)
    d = {"kind": name, "actor": None if side is None else SIDE_NAMES[side], "text": text}
    seg = segment_of(action)
    if seg is not None:
        d["direction"] = DIRECTION_NAMES[direction_of(action)]
        d["segment"] = segment_data(seg)
    elif name == "OPEN":
        d["iss"] = iss_of(action)
    elif name == "timeout":
        d["timer"] = timer_of(action)
    return d
