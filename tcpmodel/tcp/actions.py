"""The facts about the model's actions, written once: which actions are user calls, who acts,
who receives a direction's segments, and which segments a step sent.

Actions are tuples, grouped by cause (RFC 9293 §3.10): user calls ``("OPEN", side, iss)``,
``("LISTEN", side)``, ``("SEND", side)``, ``("CLOSE", side)``, ``("ABORT", side)``; segment
arrival ``("deliver", direction, segment)``; timeouts ``("timeout", side, "retransmission" |
"time-wait")``; time ``("tick",)``; faults ``("lose", direction, segment)``, ``("dup",
direction, segment)``. Everything outside the TCP layer reads them through these functions.
"""

from __future__ import annotations

from .tcb import C2S, CLIENT, SERVER

# The user calls (RFC 9293 §3.10.1-§3.10.5), in the order the RFC lists them.
USER_CALLS = ("OPEN", "LISTEN", "SEND", "CLOSE", "ABORT")
_SIDE_ACTIONS = frozenset(USER_CALLS) | {"timeout"}


def is_user_call(action) -> bool:
    return action[0] in _SIDE_ACTIONS and action[0] != "timeout"


def receiver(direction: int) -> int:
    """The endpoint that receives the segments of ``direction``."""
    return SERVER if direction == C2S else CLIENT


def actor(action):
    """The endpoint whose TCB an action changes (None for network faults and ticks)."""
    kind = action[0]
    if kind == "deliver":
        return receiver(action[1])
    if kind in _SIDE_ACTIONS:
        return action[1]
    return None


def added_segments(before, after, removed=None):
    """Segments of channel ``after`` that are not in channel ``before`` (as multisets), in
    ``after``'s order; ``removed`` (a delivered or lost segment) is taken out of ``before`` first."""
    remaining = list(before)
    if removed is not None and removed in remaining:
        remaining.remove(removed)
    new = []
    for seg in after:
        if seg in remaining:
            remaining.remove(seg)
        else:
            new.append(seg)
    return new


def sent_segments(state, action, next_state):
    """Segments the acting endpoint sent in this step (its outgoing channel's new segments)."""
    from .model import channel

    side = actor(action)
    if side is None:
        return []
    return added_segments(channel(state, side), channel(next_state, side))
