"""States, segments and actions of the TCP model as plain, named data (flags and states by
name, actions structured). The one place outside tcp/ that knows the layout of a global state
and of an action tuple (tcpmodel/tcp/model.py documents both); every format builds on it.
"""

from __future__ import annotations

import dataclasses

from ..tcp.tcb import DIRECTION_NAMES, FLAG_NAMES, SIDE_NAMES, STATE_NAMES, format_segment
from ..tcp.text import actor

# The version of every document in docs/formats.md: major changes break readers.
FORMAT_VERSION = "1.0"

# The global state, by position (tcpmodel/tcp/model.py): the two TCBs, the two channels, the
# fault budgets left.
STATE_FIELDS = ("client", "server", DIRECTION_NAMES[0], DIRECTION_NAMES[1], "loss_budget_left", "dup_budget_left")


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
    client, server, c2s, s2c, loss_left, dup_left = state
    return {
        "client": tcb_data(client),
        "server": tcb_data(server),
        "network": {DIRECTION_NAMES[0]: [segment_data(s) for s in c2s],
                    DIRECTION_NAMES[1]: [segment_data(s) for s in s2c]},
        "loss_budget_left": loss_left,
        "dup_budget_left": dup_left,
    }


def action_data(action, text: str) -> dict:
    """An action structured: ``kind`` (OPEN, LISTEN, SEND, CLOSE, ABORT, deliver, lose, dup,
    timeout, tick), ``actor`` (the endpoint whose TCB it changes, or null), and as the kind
    has them ``direction``, ``segment``, ``iss``, ``timer``; ``text`` is the display text."""
    kind = action[0]
    side = actor(action)
    d = {"kind": kind, "actor": None if side is None else SIDE_NAMES[side], "text": text}
    if kind in ("deliver", "lose", "dup"):
        d["direction"] = DIRECTION_NAMES[action[1]]
        d["segment"] = segment_data(action[2])
    elif kind == "OPEN":
        d["iss"] = action[2]
    elif kind == "timeout":
        d["timer"] = action[2]
    return d
