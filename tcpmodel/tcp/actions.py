"""The facts about the model's actions, written once: which actions are user calls, who acts,
who receives a direction's segments, and which segments a step sent.

Actions are tuples, grouped by cause (RFC 9293 §3.10): user calls ``("OPEN", side, iss)``,
``("LISTEN", side)``, ``("SEND", side)``, ``("CLOSE", side)``, ``("ABORT", side)``; segment
arrival ``("deliver", direction, segment)``; timeouts ``("timeout", side, "retransmission" |
"time-wait")``; time ``("tick",)``; faults ``("lose", direction, segment)``, ``("dup",
direction, segment)``. Everything outside tcb.py, model.py and this module builds and reads
them through these functions, never by position (tests/test_names.py checks it).
"""

from __future__ import annotations

from .tcb import C2S, CLIENT, S2C, SERVER

# The user calls (RFC 9293 §3.10.1-§3.10.5), in the order the RFC lists them.
USER_CALLS = ("OPEN", "LISTEN", "SEND", "CLOSE", "ABORT")
_SIDE_ACTIONS = frozenset(USER_CALLS) | {"timeout"}


# --- Constructors: the only place that knows an action's layout. ------------------------------
def user_call(name: str, side: int, *args) -> tuple:
    """A user call (one of USER_CALLS) by endpoint ``side``; OPEN also carries its ISS."""
    return (name, side, *args)


def deliver(direction: int, segment) -> tuple:
    """SEGMENT ARRIVES (RFC 9293 §3.10.7): ``segment`` leaves ``direction`` for its receiver."""
    return ("deliver", direction, segment)


def timeout(side: int, timer: str) -> tuple:
    """A timeout (RFC 9293 §3.10.8) of endpoint ``side``: "retransmission" or "time-wait"."""
    return ("timeout", side, timer)


TICK = ("tick",)  # one unit of time passes for every timer and every segment in flight


def lose(direction: int, segment) -> tuple:
    """The network loses ``segment`` (one of the loss budget)."""
    return ("lose", direction, segment)


def duplicate(direction: int, segment) -> tuple:
    """The network duplicates ``segment`` (one of the duplication budget)."""
    return ("dup", direction, segment)


# --- Readers. -------------------------------------------------------------------------------
def kind(action) -> str:
    """"OPEN" ... "ABORT", "deliver", "timeout", "tick", "lose" or "dup"."""
    return action[0]


def direction_of(action):
    """The network direction a deliver/lose/dup acts on (None for other actions)."""
    return action[1] if action[0] in ("deliver", "lose", "dup") else None


def segment_of(action):
    """The segment a deliver/lose/dup acts on (None for other actions)."""
    return action[2] if action[0] in ("deliver", "lose", "dup") else None


def delivered_segment(action):
    """The segment a deliver action hands to its receiver (None for every other action)."""
    return action[2] if action[0] == "deliver" else None


def timer_of(action):
    """"retransmission" or "time-wait" for a timeout (None for other actions)."""
    return action[2] if action[0] == "timeout" else None


def iss_of(action):
    """The ISS an OPEN chose (None for other actions)."""
    return action[2] if action[0] == "OPEN" else None


def is_user_call(action) -> bool:
    return action[0] in _SIDE_ACTIONS and action[0] != "timeout"


def receiver(direction: int) -> int:
    """The endpoint that receives the segments of ``direction``."""
    return SERVER if direction == C2S else CLIENT


def outgoing(side: int) -> int:
    """The direction on which endpoint ``side`` sends."""
    return C2S if side == CLIENT else S2C


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
    side = actor(action)
    if side is None:
        return []
    direction = outgoing(side)
    return added_segments(state.channel(direction), next_state.channel(direction))
