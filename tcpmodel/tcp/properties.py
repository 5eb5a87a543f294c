"""The property catalogue (DESIGN.md "Properties"): each a named engine property.

Properties read the ghost fields (incarnation numbers on TCBs and segments); the protocol
rules never do. Connection identity: the client's incarnation number ``inc`` (one per active
OPEN) and the server's connection number ``inc`` (one per SYN accepted in LISTEN, or per
active OPEN). A TCB's ``peer`` is the peer number it synchronized with (0 = not yet).
"""

from __future__ import annotations

from ..engine import Always, LeadsTo, NoDeadlock, SometimesStep, Step, WeakFairness
from .actions import actor, delivered_segment, direction_of, is_user_call, kind, sent_segments, timer_of
from .tcb import (
    ACK, C2S, CLIENT, CLOSED, CLOSING, ESTABLISHED, FIN, LAST_ACK, LISTEN, RST, S2C, SERVER, SYN_RECEIVED,
    SYN_SENT, SYNCHRONIZED, TIME_WAIT, COMPONENT_FORMS, GlobalState, connection_of,
)


# ------------------------------------------------------------------ safety
def _no_bogus_open(s, a, t):
    """An endpoint that becomes ESTABLISHED does so with a peer incarnation that agreed to this
    very connection. Either the peer's current incarnation is the one it synchronized with
    (and that incarnation has not synchronized with another connection of ours), or the
    segment that completed the handshake was sent by that peer incarnation *while it was
    synchronized with this connection* -- its ghost fields name both ends of it.

    The second case is a half-open connection, not a bogus one: the client sends the
    handshake's last ACK, then ABORTs (its RST is still in flight) and opens again; the ACK
    completes the server's side of a connection that the client really opened, and the RST
    will end it (RFC 9293 §3.5.2). Without this case the property fired on exactly that run
    (abort enabled, no loss or duplication, 6 steps): a wrong definition, fixed here. What it
    must catch is a connection no live incarnation asked for: the old duplicate SYN of a
    two-way handshake (RFC 9293 §3.5, Figure 8), or with a constant ISN an old SYN that the
    new incarnation cannot tell from its own.
    """
    client, server = t.client, t.server
    if client.state == ESTABLISHED and s.client.state != ESTABLISHED and not _agreed(CLIENT, client, server, a):
        return False
    if server.state == ESTABLISHED and s.server.state != ESTABLISHED and not _agreed(SERVER, server, client, a):
        return False
    return True


def _agreed(side, me, other, a):
    """Endpoint ``side`` (TCB ``me``) just became ESTABLISHED: did a peer incarnation agree to it?"""
    if me.peer == other.inc and other.peer in (0, me.inc):
        return True
    seg = delivered_segment(a)
    return seg is not None and (seg.cinc, seg.sconn) == connection_of(me, side) and 0 not in (seg.cinc, seg.sconn)


def no_bogus_open():
    return Step(
        "no_bogus_open", _no_bogus_open,
        "an endpoint becomes ESTABLISHED only with a peer incarnation that opened this very connection "
        "(its current one, or the one whose segment, sent while synchronized with it, completed the handshake)",
    )


def _no_stale_delivery(s, a, t):
    seg = delivered_segment(a)
    if seg is None or not (seg.dlen or seg.flags & FIN):
        return True
    side = actor(a)  # the receiver of the delivery
    before, after = s.tcb(side), t.tcb(side)
    accepted = after.delivered > before.delivered or (after.fin_rcvd and not before.fin_rcvd)
    if not accepted:
        return True
    # The octet or FIN was written by the sender incarnation named in the segment (the client's
    # number for client data, the server's connection number for server data). It is stale when
    # that incarnation is *earlier* than the peer incarnation the receiver is synchronized with.
    # Which connection the sender believed it was talking to does not make its data old: a new
    # incarnation that synchronized with a stale SYN,ACK (indistinguishable under a constant
    # ISN) still sends new data -- that confusion is no_bogus_open's to report.
    sender_incarnation = seg.cinc if side == SERVER else seg.sconn
    return sender_incarnation >= after.peer


def no_stale_delivery():
    """Counts the segments that carry something for the application: data octets and FIN,
    judged by the incarnation that wrote them. A
    stale SYN, ACK or RST is not a delivery (its harm, if any, is what no_bogus_open and
    graceful_end catch); a stale data octet or FIN accepted by a later incarnation is."""
    return Step(
        "no_stale_delivery", _no_stale_delivery,
        "no data or FIN of an earlier incarnation is accepted by a later one",
    )


def _no_reuse_before_2msl(state):
    k = state.client.inc
    if k < 2:
        return True
    for chan in (state.c2s, state.s2c):
        for seg in chan:
            if seg.cinc < k:
                return False
    return True


def no_reuse_before_2msl():
    """Counts every segment in the network, of any kind (SYN, ACK, data, FIN, RST), whose ghost
    client incarnation is older than the client's current one -- including replies that a
    CLOSED or TIME-WAIT endpoint sends to an old segment, which carry the incarnation of the
    segment they answer. The 4-tuple is "reused" when the client opens incarnation k >= 2."""
    return Always(
        "no_reuse_before_2msl", _no_reuse_before_2msl,
        "a new incarnation of the 4-tuple never exists while a segment of an earlier one is in the network",
    )


def _close_delivers_all(state):
    client, server = state.client, state.server
    if not (client.inc and client.inc == server.peer and client.peer == server.inc):
        return True  # the two TCBs do not describe the same connection
    for receiver, sender in ((client, server), (server, client)):
        if receiver.fin_rcvd and sender.app_closed and receiver.delivered < sender.written:
            return False
    return True


def close_delivers_all():
    return Always(
        "close_delivers_all", _close_delivers_all,
        "when an endpoint has the peer's FIN, it has every octet the peer's application wrote before its CLOSE",
    )


def _graceful_end(s, a, t):
    seg = delivered_segment(a)
    if seg is None or not seg.flags & RST:
        return True
    side = actor(a)  # the receiver of the reset
    return not (s.tcb(side).state in SYNCHRONIZED and t.tcb(side).state in (CLOSED, LISTEN))


def graceful_end():
    return Step(
        "graceful_end", _graceful_end,
        "no endpoint in a synchronized state (ESTABLISHED..TIME-WAIT) ends its connection because of a reset",
    )


def _quiescent_agreement(state):
    client, server = state.client, state.server
    if state.c2s or state.s2c or client.rexmt >= 0 or server.rexmt >= 0:
        return True
    return (client.state == ESTABLISHED) == (server.state == ESTABLISHED)


def quiescent_agreement():
    return Always(
        "quiescent_agreement", _quiescent_agreement,
        "with nothing in flight and no retransmission pending, one side is ESTABLISHED exactly when the other is",
    )


# ------------------------------------------------------------------ liveness
# Whether a connection exists is the state's own fact; its getter is called directly, as the
# checker evaluates it on every state.
_idle = GlobalState.no_connection.fget


def _busy(state):
    return not _idle(state)


COMPONENT_FORMS[_busy] = COMPONENT_FORMS[_idle]._replace(negate=True)


def _is_user(side):
    return lambda a: is_user_call(a) and actor(a) == side


def _is_delivery(direction):
    return lambda a: kind(a) == "deliver" and direction_of(a) == direction


def _is_timeout(side):
    return lambda a: kind(a) == "timeout" and actor(a) == side


def _is_tick(a):
    return kind(a) == "tick"


time_matters = GlobalState.time_matters.fget  # (state) -> bool, the state's own fact


EVENTUAL_CLOSE_FAIRNESS = (
    WeakFairness("client application", _is_user(CLIENT)),
    WeakFairness("server application", _is_user(SERVER)),
    WeakFairness("delivery client→server", _is_delivery(C2S)),
    WeakFairness("delivery server→client", _is_delivery(S2C)),
    WeakFairness("client timers", _is_timeout(CLIENT)),
    WeakFairness("server timers", _is_timeout(SERVER)),
    # Time diverges: weak fairness of the tick, counted as enabled wherever something depends on
    # time -- also where the tick is not offered yet because a segment has reached its limit or
    # a timer has expired. A run that stays for ever in such states without a tick stops time
    # (a segment at MSL age neither delivered nor lost while other segments ping-pong): it is
    # not a run of a real network (Zeno) and so no counterexample.
    WeakFairness("time", _is_tick, enabled=time_matters),
)


def eventual_close():
    """Whenever a connection exists, both sides later end up with none: the client CLOSED and
    the server CLOSED or LISTEN.

    Fairness assumed (weak, per group): each application keeps calling while it can (it
    does not stop half-way), each direction of the network keeps delivering while it holds
    a segment, each endpoint's expired timers fire, and time diverges -- a run either reaches
    a state where nothing depends on time or ticks infinitely often (see ``time_matters``).
    Loss and duplication get no fairness: they happen at most their budgets, so every
    fault-free suffix is fair. A violation is a run that stops (a dead end) or cycles forever,
    time passing, with a connection still open.
    """
    return LeadsTo(
        "eventual_close", _busy, _idle, EVENTUAL_CLOSE_FAIRNESS,
        "every connection ends with the client CLOSED and the server CLOSED or LISTEN (weak fairness on "
        "applications, delivery, timers and time; none on faults)",
    )


def no_deadlock():
    return NoDeadlock("no_deadlock", "every dead end has both sides without a connection and nothing in flight")


# ------------------------------------------------------------------ witnesses
def _entered(before, after, before_states, after_state):
    """One endpoint's TCB went from one of ``before_states`` to ``after_state``."""
    return before.state in before_states and after.state == after_state


def _three_way_handshake(s, a, t):
    # The server's SYN-RECEIVED -> ESTABLISHED on the ACK of its SYN, the client already there.
    return _entered(s.server, t.server, (SYN_RECEIVED,), ESTABLISHED) and t.client.state == ESTABLISHED


def _four_step_close(s, a, t):
    return _entered(s.server, t.server, (LAST_ACK,), CLOSED) and t.client.state == TIME_WAIT


def _simultaneous_open(s, a, t):
    return (_entered(s.client, t.client, (SYN_SENT,), SYN_RECEIVED)
            or _entered(s.server, t.server, (SYN_SENT,), SYN_RECEIVED))


def _simultaneous_close(s, a, t):
    return ((t.client.state == CLOSING and s.client.state != CLOSING)
            or (t.server.state == CLOSING and s.server.state != CLOSING))


def _ack_answers_ack(s, a, t):
    seg = delivered_segment(a)
    if seg is None:
        return False
    if seg.flags != ACK or seg.dlen:
        return False
    return any(r.flags == ACK and not r.dlen for r in sent_segments(s, a, t))


def _time_wait_completed(s, a, t):
    return timer_of(a) == "time-wait"


WITNESSES = {
    "three_way_handshake": (_three_way_handshake, "the server reaches ESTABLISHED by SYN, SYN-ACK, ACK"),
    "four_step_close": (_four_step_close, "the close completes with FIN, ACK, FIN, ACK: server LAST-ACK -> CLOSED, client in TIME-WAIT"),
    "simultaneous_open": (_simultaneous_open, "an endpoint goes SYN-SENT -> SYN-RECEIVED on a crossing SYN"),
    "simultaneous_close": (_simultaneous_close, "an endpoint enters CLOSING on a crossing FIN"),
    "time_wait_completed": (_time_wait_completed, "TIME-WAIT runs its full length and the endpoint is CLOSED"),
    "ack_answers_ack": (_ack_answers_ack, "an endpoint answers a pure ACK with a pure ACK (RFC 9293's re-ACK of an "
                        "unacceptable segment; the move an ACK war repeats and ack_throttling removes)"),
}


def _witness(name):
    predicate, description = WITNESSES[name]
    return lambda: SometimesStep(name, predicate, description)


CATALOGUE = {
    "no_bogus_open": no_bogus_open,
    "no_stale_delivery": no_stale_delivery,
    "no_reuse_before_2msl": no_reuse_before_2msl,
    "close_delivers_all": close_delivers_all,
    "graceful_end": graceful_end,
    "quiescent_agreement": quiescent_agreement,
    "eventual_close": eventual_close,
    "no_deadlock": no_deadlock,
    **{name: _witness(name) for name in WITNESSES},
}


def build(names):
    """Engine properties for the given catalogue names, in the given order."""
    return [CATALOGUE[name]() for name in names]
