"""TCP connection management as a transition system: RFC 9293 §3.10 event processing.

A state is ``(client TCB, server TCB, client→server segments, server→client segments,
loss budget left, duplication budget left)``. Actions, grouped by cause:

- user calls (RFC 9293 §3.10.1-§3.10.5): ``("OPEN", side, iss)``, ``("LISTEN", side)``,
  ``("SEND", side)``, ``("CLOSE", side)``, ``("ABORT", side)``;
- segment arrival (§3.10.7): ``("deliver", direction, segment)``;
- timeouts (§3.10.8): ``("timeout", side, "retransmission" | "time-wait")``;
- time: ``("tick",)`` ages every segment and runs every timer down by one;
- faults: ``("lose", direction, segment)``, ``("dup", direction, segment)``, each bounded by
  its budget.

Abstractions, each chosen to keep the state space small while keeping the rules real:
sequence numbers are small integers without wrap-around; each data segment carries one
octet; a FIN travels on its own segment; both windows are the constant ``window`` (no window
updates); segments that arrive out of order are not held for later (RFC 9293 allows holding
them, "MAY") but answered with an ACK, and retransmission recovers them; timers fire exactly
when they reach 0 (time does not pass an expired timer); RTO does not back off.

Time: a tick is possible only while something depends on time (a timer runs or a segment is
in flight), no timer has expired unhandled, and no segment has reached its limit of age (MSL,
or ``max_delay`` for a segment as sent when the spec sets it below MSL: "a prompt network
where only duplicates wander"): a segment that old must be delivered or lost before time
passes (it cannot outlive its limit).

Discretization (``lifetime``), one of two defensible readings of whole ticks. A timer started
at tick t with duration d fires at t + d. With ``half_open`` (the default) a segment sent at
tick t lives in [t, t + limit), as in continuous time: when it reaches its limit in the same
tick as a timer reaches 0, the segment's deadline comes first -- it must be delivered or lost
before the timer may fire. Without this rule a segment sent one tick after TIME-WAIT began (a
reset provoked by a duplicate of the last ACK) would tie with TIME-WAIT's expiry at exactly
2*MSL. With ``closed`` a segment lives in [t, t + limit]: the timer may fire first while the
segment is still in flight (it still cannot outlive the tick). ``tcpmodel sweep`` shows how the
TIME-WAIT frontier moves between the two.
"""

from __future__ import annotations

from typing import Optional

from ..engine.fingerprint import code_of, tuple_hashes
from ..errors import TcpModelError, ViewFull
from . import text
from .actions import TICK, deliver, duplicate, lose, timeout, user_call
from .config import CLIENT_ISS_BASE, SERVER_ISS_BASE, TcpConfig
from .tcb import (
    ACK, APP_CLOSED, C2S, CLIENT, CLOSE_WAIT, CLOSED, CLOSING, DELIVERED,
    ESTABLISHED, FIN, FIN_QUEUED, FIN_RCVD, FIN_SEQ, FIN_WAIT_1, FIN_WAIT_2, INC, IRS, ISS,
    LAST_ACK, LISTEN, PASSIVE, PEER, QUEUED, RCV_NXT, RETRIES, REXMT, RST, S2C, SERVER,
    SND_NXT, SND_UNA, STATE, SYN, SYN_RECEIVED, SYN_SENT,
    TCB, TIME_WAIT, TW, WRITTEN, GlobalState, Segment, idle_tcb,
)

_new_tcb = TCB._make
_new_segment = Segment._make
_tuple_new = tuple.__new__  # GlobalState from six fields, without NamedTuple's _make checks

# States in which the user's SEND is queued and sent (RFC 9293 §3.10.2).
_CAN_SEND = frozenset({ESTABLISHED, CLOSE_WAIT})
# States in which the seventh step ("process the segment text") accepts data.
_ACCEPTS_TEXT = frozenset({ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2})
# RFC 9293 §3.10.4: where CLOSE does something (elsewhere it is an error or a no-op).
_CLOSE_DEFINED = frozenset({LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, CLOSE_WAIT})
# RFC 9293 §3.10.5: ABORT sends <SEQ=SND.NXT><CTL=RST> from these states; from the others
# (LISTEN, SYN-SENT, CLOSING, LAST-ACK, TIME-WAIT) it only deletes the TCB.
_ABORT_SENDS_RST = frozenset({SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT})
# Segment field positions (tcb.Segment): the receiver's key is everything before LIMIT.
_LIMIT, _AGE = 6, 7


def channel(state, direction):
    """The segments in flight in ``direction`` (C2S or S2C) of a global state."""
    return state.channel(direction)


# The compact view's key field widths (bits), the step by which a configuration that outgrows
# one widens it, and the widest they go. Channel fields (None) are as wide as two fit in 64 bits
# beside the fault budgets and the two TCB fields, and at least MIN_CHANNEL_BITS: 22 or 23 bits
# (4-8 M channels) with 8-bit TCB fields. The defaults keep both channel fields within 64 bits
# (the vectorised expansion, CompactTcp.vector) on every shipped spec and the issue-13
# configurations; 2 bits at a time keep them there as long as they can be. Wider fields make
# bigger keys, still exact.
KEY_WIDTHS = {"tcb_bits": 8, "channel_bits": None, "sent_bits": 16}
MIN_CHANNEL_BITS = 22
WIDEN_BY = 2
MAX_KEY_WIDTHS = {"tcb_bits": 26, "channel_bits": 34, "sent_bits": 32}


class TcpModel:
    """Two endpoints, a client that actively opens and a server that listens, over a network
    that may lose, duplicate, reorder and delay segments, as configured by a :class:`TcpConfig`."""

    def __init__(self, config: TcpConfig):
        self.config = config
        rules = config.rules
        self.msl = config.msl
        self.max_delay = config.max_delay_ticks
        self.rto = config.rto if rules.retransmit else -1
        self.syn_rto = config.syn_rto_ticks if rules.retransmit else -1
        self.max_retries = config.max_retries
        self.window = config.window
        self.time_wait_ticks = config.time_wait_ticks
        self.bag = config.channel == "bag"
        self.closed_lifetime = config.lifetime == "closed"
        self.two_way_handshake = rules.two_way_handshake
        self.three_step_close = rules.three_step_close
        self.time_wait_state = rules.time_wait_state
        self.ignore_rst_in_time_wait = rules.ignore_rst_in_time_wait
        self.ack_throttling = rules.ack_throttling
        self.close_any_time = config.close == "any_time"
        self.data = (config.client_data, config.server_data)
        # Memo tables of pure per-endpoint functions: an event's effect on one TCB depends on
        # that TCB (and the segment) only, and recurs across many global states.
        self._arrival_cache = {}
        self._compact = None
        self._key_widths = dict(KEY_WIDTHS)  # widened when a configuration outgrows them

    # ------------------------------------------------------------------ engine interface
    def init_states(self):
        return [GlobalState(idle_tcb(CLOSED), idle_tcb(LISTEN), (), (), self.config.loss, self.config.dup)]

    def is_terminal(self, state) -> bool:
        """A proper end: no connection on either side and nothing in flight."""
        return state.client.state == CLOSED and state.server.state in (CLOSED, LISTEN) and state.idle

    def compact(self) -> "CompactTcp":
        """The model as the engine explores it: interned components and packed int keys
        (:class:`CompactTcp`), built once per model (again, wider, after a ViewFull)."""
        space = self._compact
        if space is None:
            space = self._compact = CompactTcp(self, **self._key_widths)
        return space

    def _outgrown(self, field: str, what: str, bits: int) -> TcpModelError:
        """The compact view's ``field`` (``bits`` wide) is full: widen the next view's fields
        (the engine then explores again on it) and return the error to raise; a plain error
        past the widest."""
        if bits + WIDEN_BY > MAX_KEY_WIDTHS[field]:
            return TcpModelError(f"this configuration reaches more than {1 << bits:,} distinct {what}, "
                                 f"the most the compact state representation holds ({bits} bits)")
        # Only the full field widens: the narrower the key, the longer it fits in 64 bits (the
        # vectorised expansion, CompactTcp.vector) and in a 2-digit Python int.
        self._key_widths = dict(self._key_widths, **{field: bits + WIDEN_BY})
        self._compact = None
        return ViewFull(f"more than {1 << bits:,} distinct {what}: the key fields are widened "
                        f"to {self._key_widths} and the exploration starts again")

    def successors(self, state):
        """``(action, next state)`` pairs of a named global state, in a fixed order. Derived
        from the compact successors (encode, expand, decode): one implementation, so the
        named and the packed views of the model cannot disagree."""
        while True:
            space = self.compact()
            try:
                return [(action, space.decode(k)) for action, k in space.successors(space.encode(state))]
            except ViewFull:
                continue  # the model widened its view: expand again on the new one

    def _timeouts(self, side, tcb):
        """The timeouts due at ``tcb`` (RFC 9293 §3.10.8): (action, new TCB, sent)."""
        out = []
        if tcb.rexmt == 0:
            out.append((timeout(side, "retransmission"), *self._retransmission_timeout(side, tcb)))
        if tcb.tw == 0:
            out.append((timeout(side, "time-wait"), *self._time_wait_timeout(side, tcb)))
        return out

    def _losses(self, direction, chan):
        """The network loses one segment of ``chan``: (action, channel without it)."""
        return [(lose(direction, seg), chan[:i] + chan[i + 1:]) for i, seg in self._distinct(chan)]

    def _duplications(self, direction, chan):
        """The network duplicates one segment of ``chan``: (action, channel with the copy).
        The copy keeps the original's age; a duplicate may live the full MSL."""
        out = []
        for _i, seg in self._distinct(chan):
            copy = seg if seg[_LIMIT] == self.msl else _new_segment(seg[:_LIMIT] + (self.msl, seg[_AGE]))
            out.append((duplicate(direction, seg), self._add(chan, (copy,))))
        return out

    def format_action(self, action, lang: str = "en") -> str:
        return text.format_action(action, lang)

    # ------------------------------------------------------------------ helpers
    def _distinct(self, chan):
        """(index, segment) of each deliverable/losable segment: every distinct one in a bag,
        only the head of a FIFO (for delivery; loss and duplication may hit any)."""
        prev = None
        for i, seg in enumerate(chan):
            if seg != prev:
                yield i, seg
                prev = seg

    def _add(self, chan, segs):
        if not segs:
            return chan
        return tuple(sorted(chan + segs)) if self.bag else chan + segs

    def _effect(self, side, tcb_fields, sent, ghost=None):
        """What an event does at one endpoint: its new TCB and the segments it sends, given
        as (seq, ack, flags, dlen) and stamped here with the ghost fields of the sender's
        connection (or ``ghost``, for a reset answering a segment with no connection)."""
        tcb = _new_tcb(tcb_fields)
        if ghost is None:
            ghost = (tcb.inc, tcb.peer) if side == CLIENT else (tcb.peer, tcb.inc)
        cinc, sconn = ghost
        limit = self.max_delay
        return tcb, tuple(_new_segment((q, a, f, n, cinc, sconn, limit, 0)) for q, a, f, n in sent)

    def _choose_iss(self, side, incarnation):
        """ISS candidates for a new connection (RFC 9293 §3.4.1): a clock-driven ISN grows
        with each incarnation; a constant one repeats (the worst case); ``any`` may pick any
        of a small set, nondeterministically."""
        base = CLIENT_ISS_BASE if side == CLIENT else SERVER_ISS_BASE
        policy = self.config.isn
        if policy == "clock":
            return (base + self.config.isn_stride * (incarnation - 1),)
        if policy == "constant":
            return (base,)
        return tuple(base + off for off in self.config.isn_choices)

    def _new_connection(self, t, incarnation, iss):
        """Fresh connection variables and application view in TCB fields ``t`` (a list)."""
        t[ISS] = iss
        t[SND_UNA] = iss
        t[SND_NXT] = iss + 1
        t[IRS] = t[RCV_NXT] = 0
        t[QUEUED] = 0
        t[FIN_QUEUED] = False
        t[FIN_SEQ] = -1
        t[REXMT] = self.syn_rto  # a SYN or SYN,ACK is about to be sent
        t[RETRIES] = 0
        t[TW] = -1
        t[WRITTEN] = t[DELIVERED] = 0
        t[APP_CLOSED] = t[FIN_RCVD] = False
        t[INC] = incarnation

    @staticmethod
    def _to_closed(t, state=CLOSED):
        """Delete the TCB (RFC: "enter the CLOSED state and delete the TCB"): timers stop,
        queues flush; application and ghost fields stay for the properties to read."""
        t[STATE] = state
        t[REXMT] = t[TW] = -1
        t[QUEUED] = 0
        t[FIN_QUEUED] = False

    def _enter_time_wait(self, t):
        """RFC 9293 §3.10.7.4: enter TIME-WAIT, start the time-wait timer, turn off the others."""
        if self.time_wait_state:
            t[STATE] = TIME_WAIT
            t[TW] = self.time_wait_ticks
            t[REXMT] = -1
            t[RETRIES] = 0
        else:  # variant no_time_wait: the TCB is deleted at once
            self._to_closed(t)

    def _output(self, t):
        """Send what the window allows: queued octets, then the FIN once the user has closed
        and every octet is out (RFC 9293 §3.10.2, §3.10.4). Returns the segments sent."""
        sent = []
        limit = t[SND_UNA] + self.window
        while t[QUEUED] and t[SND_NXT] < limit:
            sent.append((t[SND_NXT], t[RCV_NXT], ACK, 1))
            t[SND_NXT] += 1
            t[QUEUED] -= 1
        if t[FIN_QUEUED] and not t[QUEUED] and t[FIN_SEQ] < 0 and t[SND_NXT] < limit:
            sent.append((t[SND_NXT], t[RCV_NXT], FIN | ACK, 0))
            t[FIN_SEQ] = t[SND_NXT]
            t[SND_NXT] += 1
        if sent and t[REXMT] < 0 and self.rto > 0:
            t[REXMT] = self.rto
            t[RETRIES] = 0
        return sent

    # ------------------------------------------------------------------ user calls
    def _user_calls(self, side, tcb):
        """The applications' scripts. Client: OPEN, SEND its octets, CLOSE; again for each
        incarnation. Server: LISTEN; after the client's FIN (end of data), SEND its octets
        (half-close), then CLOSE; LISTEN again. With ``close = "any_time"`` either application
        may CLOSE wherever RFC 9293 §3.10.4 defines it, written or not; with ``abort`` either
        may ABORT in every state but CLOSED (§3.10.5)."""
        cfg = self.config
        st = tcb.state
        out = []
        if side == CLIENT:
            if st == CLOSED and tcb.inc < cfg.incarnations:
                self._open(side, tcb, tcb.inc + 1, out)
        else:
            if st == CLOSED:
                t = list(tcb)
                t[STATE] = LISTEN
                out.append((user_call("LISTEN", side), *self._effect(side, t, ())))
            elif st == LISTEN and cfg.simultaneous and tcb.inc < cfg.incarnations:
                self._open(side, tcb, tcb.inc + 1, out)
        if st == CLOSED:
            return out
        may_write = side == CLIENT or tcb.fin_rcvd or cfg.simultaneous
        if st != LISTEN and may_write and not tcb.app_closed and tcb.written < self.data[side]:
            if st in _CAN_SEND or (side == SERVER and tcb.fin_rcvd):
                t = list(tcb)
                t[WRITTEN] += 1
                sent = ()
                if st in _CAN_SEND:
                    t[QUEUED] += 1
                    sent = self._output(t)
                # else: RFC 9293 §3.10.2 "error: connection closing"; the octet is lost.
                out.append((user_call("SEND", side), *self._effect(side, t, sent)))
        if not tcb.app_closed:
            # "after_data": the application closes once it has written everything (the
            # three-step-close server's application, whose TCP already sent the FIN, too).
            may_close = (st != LISTEN and may_write and tcb.written >= self.data[side]
                         and (st in _CAN_SEND or (side == SERVER and tcb.fin_rcvd)))
            if self.close_any_time and st in _CLOSE_DEFINED:
                may_close = True
            if may_close:
                out.append((user_call("CLOSE", side), *self._close(side, tcb)))
        if cfg.abort:
            t = list(tcb)
            # RFC 9293 §3.10.5: SYN-RECEIVED and ESTABLISHED..CLOSE-WAIT send <SEQ=SND.NXT><CTL=RST>.
            sent = ((tcb.snd_nxt, 0, RST, 0),) if st in _ABORT_SENDS_RST else ()
            self._to_closed(t)
            out.append((user_call("ABORT", side), *self._effect(side, t, sent)))
        return out

    def _close(self, side, tcb):
        """The user's CLOSE (RFC 9293 §3.10.4)."""
        st = tcb.state
        t = list(tcb)
        t[APP_CLOSED] = True
        sent = ()
        if st == LISTEN or st == SYN_SENT:
            self._to_closed(t)  # "delete the TCB, enter CLOSED"
        elif st == SYN_RECEIVED or st in _CAN_SEND:
            # SYN-RECEIVED (no SEND is queued in this model: SEND waits for ESTABLISHED) and
            # ESTABLISHED -> FIN-WAIT-1, CLOSE-WAIT -> LAST-ACK; the FIN follows the queued octets.
            t[STATE] = LAST_ACK if st == CLOSE_WAIT else FIN_WAIT_1
            t[FIN_QUEUED] = True
            sent = self._output(t)
        # else: the three-step-close server already sent its FIN; its application's CLOSE
        # only records that it is done ("error: connection closing").
        return self._effect(side, t, sent)

    def _open(self, side, tcb, incarnation, out):
        """Active OPEN (RFC 9293 §3.10.1): select an ISS, send <SEQ=ISS><CTL=SYN>, SYN-SENT."""
        for iss in self._choose_iss(side, incarnation):
            t = list(tcb)
            self._new_connection(t, incarnation, iss)
            t[STATE] = SYN_SENT
            t[PASSIVE] = False
            t[PEER] = 0
            out.append((user_call("OPEN", side, iss), *self._effect(side, t, ((iss, 0, SYN, 0),))))

    # ------------------------------------------------------------------ timers and time
    def _retransmission_timeout(self, side, tcb):
        """RFC 9293 §3.10.8 / RFC 6298: resend the oldest unacknowledged segment; after
        ``max_retries`` retransmissions the connection is dropped (§3.8.3, threshold R2)."""
        t = list(tcb)
        if tcb.retries >= self.max_retries:
            self._to_closed(t)
            return self._effect(side, t, ())
        una = tcb.snd_una
        rto = self.rto
        if una == tcb.iss:  # our SYN is not acknowledged yet
            seg = (una, 0, SYN, 0) if tcb.state == SYN_SENT else (una, tcb.rcv_nxt, SYN | ACK, 0)
            rto = self.syn_rto
        elif una == tcb.fin_seq:
            seg = (una, tcb.rcv_nxt, FIN | ACK, 0)
        else:
            seg = (una, tcb.rcv_nxt, ACK, 1)
        t[RETRIES] += 1
        t[REXMT] = rto
        return self._effect(side, t, (seg,))

    def _time_wait_timeout(self, side, tcb):
        """RFC 9293 §3.10.8: when the time-wait timeout expires, delete the TCB, CLOSED."""
        t = list(tcb)
        self._to_closed(t)
        return self._effect(side, t, ())

    @staticmethod
    def _none_at_limit(chan):
        for seg in chan:
            if seg[_AGE] >= seg[_LIMIT]:
                return False
        return True

    @staticmethod
    def _tick_tcb(tcb):
        if tcb.rexmt <= 0 and tcb.tw <= 0:
            return tcb
        t = list(tcb)
        if t[REXMT] > 0:
            t[REXMT] -= 1
        if t[TW] > 0:
            t[TW] -= 1
        return _new_tcb(t)

    @staticmethod
    def _age(chan):
        return tuple(_new_segment(seg[:_AGE] + (seg[_AGE] + 1,)) for seg in chan)

    # ------------------------------------------------------------------ segment arrival
    def _arrivals(self, side, tcb, seg):
        """Every outcome of ``seg`` arriving at ``tcb``: one, except that a SYN reaching
        LISTEN opens a connection whose ISS choice may branch (RFC 9293 §3.10.7.2)."""
        if tcb.state == LISTEN and seg.flags & SYN and not seg.flags & (RST | ACK):
            choices = self._choose_iss(side, tcb.inc + 1)
        else:
            choices = (0,)
        outcomes = []
        for iss in choices:
            t = list(tcb)
            sent, ghost = self._arrive(t, seg, iss, side)
            outcomes.append(self._effect(side, t, sent, ghost))
        return tuple(outcomes)

    def _arrive(self, t, seg, iss, side):
        """SEGMENT ARRIVES (RFC 9293 §3.10.7) at TCB fields ``t`` (a list, edited in place).

        Returns (segments to send as (seq, ack, flags, dlen), ghost override or None).
        """
        seq, ack, flags = seg[0], seg[1], seg[2]
        st = t[STATE]
        if st == CLOSED:
            # §3.10.7.1: an incoming RST is discarded; anything else is answered by a reset.
            if flags & RST:
                return (), None
            if flags & ACK:
                return ((ack, 0, RST, 0),), (seg.cinc, seg.sconn)
            return ((0, seq + seg.seg_len, RST | ACK, 0),), (seg.cinc, seg.sconn)
        if st == LISTEN:
            # §3.10.7.2
            if flags & RST:
                return (), None
            if flags & ACK:
                return ((ack, 0, RST, 0),), (seg.cinc, seg.sconn)
            if flags & SYN:
                self._new_connection(t, t[INC] + 1, iss)
                t[PASSIVE] = True
                t[PEER] = seg.cinc
                t[IRS] = seq
                t[RCV_NXT] = seq + 1
                # Variant two_way_handshake: the server trusts the SYN alone.
                t[STATE] = ESTABLISHED if self.two_way_handshake else SYN_RECEIVED
                return ((iss, seq + 1, SYN | ACK, 0),), None
            return (), None
        if st == SYN_SENT:
            return self._arrive_syn_sent(t, seg, side)
        return self._arrive_synchronized(t, seg)

    def _arrive_syn_sent(self, t, seg, side):
        """§3.10.7.3: the answer to our SYN."""
        seq, ack, flags = seg[0], seg[1], seg[2]
        if flags & ACK and (ack <= t[ISS] or ack > t[SND_NXT]):
            # An ACK of something we never sent: answer with a reset (unless it is one).
            return (() if flags & RST else ((ack, 0, RST, 0),)), (seg.cinc, seg.sconn)
        if flags & RST:
            if flags & ACK:  # acceptable: "error: connection reset"
                self._to_closed(t)
            return (), None
        if not flags & SYN:
            return (), None
        t[IRS] = seq
        t[RCV_NXT] = seq + 1
        t[PEER] = seg.sconn if side == CLIENT else seg.cinc
        if flags & ACK:
            t[SND_UNA] = ack
        if t[SND_UNA] > t[ISS]:
            t[STATE] = ESTABLISHED
            self._acked_all_or_restart(t)
            return tuple(self._output(t)) or ((t[SND_NXT], t[RCV_NXT], ACK, 0),), None
        # Simultaneous open: SYN-RECEIVED, <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
        t[STATE] = SYN_RECEIVED
        return ((t[ISS], t[RCV_NXT], SYN | ACK, 0),), None

    def _acked_all_or_restart(self, t):
        """RFC 6298 §5.2/5.3: all acknowledged -> stop the timer; new data acked -> restart."""
        if t[SND_UNA] == t[SND_NXT]:
            t[REXMT] = -1
        elif self.rto > 0:
            t[REXMT] = self.rto
        t[RETRIES] = 0

    def _arrive_synchronized(self, t, seg):
        """§3.10.7.4: SYN-RECEIVED and every synchronized state."""
        seq, ack, flags, dlen = seg[0], seg[1], seg[2], seg[3]
        st = t[STATE]
        rcv_nxt = t[RCV_NXT]
        seg_len = dlen + (flags & SYN) + ((flags & FIN) >> 2)
        ack_now = (t[SND_NXT], rcv_nxt, ACK, 0)

        if st == TIME_WAIT and flags & FIN and seq + seg_len == rcv_nxt and not flags & RST:
            # The peer retransmitted its FIN (our ACK was lost): "Acknowledge it, and restart
            # the 2 MSL timeout" (§3.10.7.4, TIME-WAIT under "check the ACK field" and "check
            # the FIN bit"). The sequence test below would only acknowledge it, since the FIN
            # is already consumed; RFC 9293 intends the restart, and so do implementations.
            t[TW] = self.time_wait_ticks
            return (ack_now,), None

        # First, check the sequence number (the four acceptability cases; RCV.WND > 0).
        wnd = self.window
        if seg_len == 0:
            acceptable = rcv_nxt <= seq < rcv_nxt + wnd
        else:
            acceptable = rcv_nxt <= seq < rcv_nxt + wnd or rcv_nxt <= seq + seg_len - 1 < rcv_nxt + wnd
        if not acceptable:
            # "If an incoming segment is not acceptable, an acknowledgment should be sent in
            # reply (unless the RST bit is set ...)". With ack_throttling a segment carrying no
            # data, SYN or FIN gets no reply (RFC 5961 §7): it cannot start an ACK war.
            if flags & RST or (self.ack_throttling and not (dlen or flags & (SYN | FIN))):
                return (), None
            return (ack_now,), None

        # Second, check the RST bit (RFC 5961 §3 as adopted by RFC 9293): only an exact match
        # with RCV.NXT resets; an in-window RST gets a challenge ACK.
        if flags & RST:
            if seq != rcv_nxt:
                return (ack_now,), None
            if st == SYN_RECEIVED:
                # Passive OPEN: back to LISTEN; active OPEN: "connection refused", CLOSED.
                self._to_closed(t, LISTEN if t[PASSIVE] else CLOSED)
            elif st == TIME_WAIT and self.ignore_rst_in_time_wait:
                pass  # RFC 1337 fix F1: ignore RST in TIME-WAIT (no TIME-WAIT assassination)
            else:
                self._to_closed(t)
            return (), None

        # Fourth, check the SYN bit.
        if flags & SYN:
            if st == SYN_RECEIVED and t[PASSIVE]:
                self._to_closed(t, LISTEN)
                return (), None
            return (ack_now,), None  # challenge ACK (RFC 5961 §4)

        # Fifth, check the ACK field.
        if not flags & ACK:
            return (), None
        if st == SYN_RECEIVED:
            if not t[SND_UNA] < ack <= t[SND_NXT]:
                return ((ack, 0, RST, 0),), None
            t[STATE] = st = ESTABLISHED
        if st == TIME_WAIT:
            return (), None  # only a retransmitted FIN is expected here (handled above)
        if t[SND_UNA] < ack <= t[SND_NXT]:
            t[SND_UNA] = ack
            self._acked_all_or_restart(t)
        elif ack > t[SND_NXT]:
            return (ack_now,), None  # acknowledges something not yet sent
        fin_acked = t[FIN_SEQ] >= 0 and t[SND_UNA] > t[FIN_SEQ]
        if st == FIN_WAIT_1 and fin_acked:
            t[STATE] = st = FIN_WAIT_2
        elif st == CLOSING:
            if fin_acked:
                self._enter_time_wait(t)
            return (), None
        elif st == LAST_ACK:
            if fin_acked:
                self._to_closed(t)
                return (), None

        # Seventh and eighth: segment text and FIN, processed only in order (a segment that
        # starts beyond RCV.NXT is not held; it is answered with an ACK).
        must_ack = False
        if seg_len and seq != rcv_nxt:
            must_ack = True
        else:
            if dlen and st in _ACCEPTS_TEXT:
                t[RCV_NXT] += dlen
                t[DELIVERED] += dlen
                must_ack = True
            if flags & FIN:
                t[RCV_NXT] = seq + seg_len
                t[FIN_RCVD] = True
                must_ack = True
                if st == ESTABLISHED:
                    if self.three_step_close:
                        # Variant three_step_close: the TCP answers the FIN at once with its
                        # own FIN (FIN+ACK) instead of waiting for its user's CLOSE.
                        t[STATE] = LAST_ACK
                        t[FIN_QUEUED] = True
                    else:
                        t[STATE] = CLOSE_WAIT
                elif st == FIN_WAIT_1:
                    if fin_acked:
                        self._enter_time_wait(t)
                    else:
                        t[STATE] = CLOSING  # simultaneous close
                elif st == FIN_WAIT_2:
                    self._enter_time_wait(t)
        sent = self._output(t) if t[STATE] in (ESTABLISHED, CLOSE_WAIT, LAST_ACK, FIN_WAIT_1, CLOSING) else []
        if must_ack and not sent:
            sent = [(t[SND_NXT], t[RCV_NXT], ACK, 0)]
        return tuple(sent), None

    # ------------------------------------------------------------------ describing steps
    def describe(self, state, action, next_state, lang: str = "en") -> str:
        """One readable line for a step: what happened, the state change, what was sent."""
        return text.describe(state, action, next_state, lang)


def _grown(copy, codes):
    """A uint64 numpy array whose first ``len(codes)`` entries are ``codes``, from ``copy`` (its
    first entries already right, or None): new codes are appended, the capacity doubles when
    needed. Entries beyond ``len(codes)`` are never read (every id is below it)."""
    import numpy as np

    array, have = copy if copy is not None else (None, 0)
    if have == len(codes):
        return copy
    if array is None or len(codes) > len(array):
        bigger = np.zeros(max(1024, 2 * len(codes)), dtype=np.uint64)
        if array is not None:
            bigger[:have] = array[:have]
        array = bigger
    array[have:len(codes)] = np.array(codes[have:], dtype=np.uint64)
    return array, len(codes)


class CompactTcp:
    """The TCP model for the explorer: every TCB and every channel (a tuple of segments) is
    interned once into a table (object -> small id, id -> object), and a global state is one
    Python int packing ``(client id, server id, c2s id, s2c id, loss, dup)`` by shifts.

    Why: CPython does not cache tuple hashes, so a visited-set lookup of a nested state
    re-hashes two 19-field TCBs and every 8-field segment; an int key hashes in a few
    nanoseconds and takes 32-40 bytes. And an event's effect depends on one or two components
    only (RFC 9293 §3.10: a user call or a timeout on one TCB, an arrival on the receiving TCB
    and the segment), so each component transition is computed once, by the model's pure
    per-endpoint functions, and memoised by id; expanding a state is then a few list or dict
    lookups and shifts per successor.

    Per-id tables are lists indexed by id, ``None`` until first needed (filled lazily: most
    ids never need every table). Ids are assigned in discovery order, per model instance:
    keys are not comparable across model instances (fingerprints are).
    """

    def __init__(self, model: TcpModel, tcb_bits: int = 8, channel_bits: Optional[int] = None, sent_bits: int = 16):
        self.model = model
        config = model.config
        # Key layout, low bits first: loss budget, dup budget, client, server, c2s, s2c. The
        # s2c id is the top field, unbounded (a Python int grows); the others have fixed widths
        # (channel ids share one table, so the s2c ids are below 2**channel_bits too).
        # Why this order and these widths: a key below 2**60 is a 2-digit int, 32 bytes, and
        # one above a 3-digit int, 48 bytes with the allocator's rounding; a key below 2**64
        # lets numpy expand a chunk of keys at once (vector()). The reachable TCBs are few
        # (60-100 on the issue-13 configurations: they hold small sequence numbers and
        # counters), the channels many (10^4-10^6).
        loss_bits = max(config.loss, 0).bit_length() or 1
        dup_bits = max(config.dup, 0).bit_length() or 1
        if channel_bits is None:  # as wide as two fit in 64 bits (KEY_WIDTHS)
            channel_bits = max(MIN_CHANNEL_BITS, (64 - loss_bits - dup_bits - 2 * tcb_bits) // 2)
        self.tcb_bits, self.channel_bits, self.sent_bits = tcb_bits, channel_bits, sent_bits
        self.loss_at = 0
        self.loss_mask = (1 << loss_bits) - 1
        self.dup_at = loss_bits
        self.dup_mask = (1 << dup_bits) - 1
        self.tcb_mask = (1 << tcb_bits) - 1
        self.channel_mask = (1 << channel_bits) - 1
        self.client_at = loss_bits + dup_bits
        self.server_at = self.client_at + tcb_bits
        self.c2s_at = self.server_at + tcb_bits
        self.s2c_at = self.c2s_at + channel_bits
        self.loss_one = 1 << self.loss_at
        self.dup_one = 1 << self.dup_at
        self.bag = model.bag
        self.closed_lifetime = model.closed_lifetime
        # Intern tables. Channel 0 is the empty channel, so "nothing in flight" is id 0.
        self.tcbs = []
        self.tcb_ids = {}
        self.channels = []
        self.channel_ids = {}
        self.segments = {}  # segment -> the one object that stands for it in every channel
        self.sents = [()]  # tuples of segments an event sends; 0 = nothing
        self.sent_ids = {(): 0}
        # Per-TCB tables (by id): user calls and timeouts per side, the tick.
        self.user_moves = ([], [])
        self.timeout_moves = ([], [])
        self.ticked = []  # (id after a tick, a timer has expired, a timer runs) or None
        # Per-channel tables (by id).
        self.none_at_limit = []  # no segment has reached its age limit (time may pass)
        self.aged = []  # id after a tick
        self.lost = ([], [])  # per direction: ((action, id without the segment), ...)
        self.duplicated = ([], [])  # per direction: ((action, id with the copy), ...)
        # Per (receiver TCB id, channel id): the arrivals of the channel's deliverable segments.
        self.arrived = ({}, {})  # per direction, key tcb id << channel_bits | channel id
        # Per (channel id, sent id): the channel with the sent segments added (a bag sorts).
        self.inserted = {}
        # 60-bit fingerprint codes by id (filled when fingerprints are asked for).
        self.tcb_codes = []
        self.channel_codes = []
        self.loss_codes = [code_of(i) for i in range(self.loss_mask + 1)]
        self.dup_codes = [code_of(i) for i in range(self.dup_mask + 1)]
        # (numpy copy, entries filled) of the code lists, for fingerprints()
        self._np_tcb_codes = self._np_channel_codes = None
        self._np_loss_codes = self._np_dup_codes = None
        # The lazily filled per-id tables, grown by one entry (None) with every new id.
        self.per_tcb = (*self.user_moves, *self.timeout_moves, self.ticked)
        self.per_channel = (self.aged, *self.lost, *self.duplicated)
        self._vector = None  # the vectorised view, made when first asked for
        self.channel_id(())
        # The fault budgets: (field position, mask, one unit, per-direction table, filler).
        self.budgets = ((self.loss_at, self.loss_mask, self.loss_one, self.lost, self._lose),
                        (self.dup_at, self.dup_mask, self.dup_one, self.duplicated, self._duplicate))

    # ------------------------------------------------------------------ interning
    def _next_id(self, objects, field, what) -> int:
        """The id of a new entry of ``objects``. When it outgrows its key field (``field``,
        e.g. "tcb_bits"), the model widens its next view and the exploration starts again
        on it (ViewFull): the keys already made cannot change."""
        i = len(objects)
        if i >> getattr(self, field):
            raise self.model._outgrown(field, what, getattr(self, field))
        return i

    def tcb_id(self, tcb) -> int:
        i = self.tcb_ids.get(tcb)
        if i is None:
            i = self._next_id(self.tcbs, "tcb_bits", "TCBs")
            tcb = tcb if type(tcb) is TCB else _new_tcb(tcb)
            self.tcb_ids[tcb] = i
            self.tcbs.append(tcb)
            for table in self.per_tcb:
                table.append(None)
        return i

    def channel_id(self, chan) -> int:
        i = self.channel_ids.get(chan)
        if i is None:
            i = self._next_id(self.channels, "channel_bits", "channels")
            # Equal segments in different channels are one object: a FIFO network with MSL >= 2
            # has a channel for every few states, and mostly the same segments in them.
            segments = self.segments
            chan = tuple(segments.setdefault(seg, seg if type(seg) is Segment else _new_segment(seg)) for seg in chan)
            self.channel_ids[chan] = i
            self.channels.append(chan)
            self.none_at_limit.append(TcpModel._none_at_limit(chan))
            for table in self.per_channel:
                table.append(None)
        return i

    def sent_id(self, segs) -> int:
        i = self.sent_ids.get(segs)
        if i is None:
            i = self._next_id(self.sents, "sent_bits", "sets of sent segments")
            self.sent_ids[segs] = i
            self.sents.append(segs)
        return i

    # ------------------------------------------------------------------ engine interface
    def encode(self, state) -> int:
        """The key of a named global state."""
        client, server, c2s, s2c, loss, dup = state
        if not (0 <= loss <= self.loss_mask and 0 <= dup <= self.dup_mask):
            raise TcpModelError(f"fault budgets loss={loss}, dup={dup} do not fit the compact key "
                                f"(at most {self.loss_mask} and {self.dup_mask} for this configuration)")
        return (self.tcb_id(client) << self.client_at | self.tcb_id(server) << self.server_at | self.channel_id(c2s) << self.c2s_at
                | self.channel_id(s2c) << self.s2c_at | loss << self.loss_at | dup << self.dup_at)

    def decode(self, key: int) -> GlobalState:
        """The named global state of a key."""
        tm, cm = self.tcb_mask, self.channel_mask
        return _tuple_new(GlobalState, (
            self.tcbs[key >> self.client_at & tm], self.tcbs[key >> self.server_at & tm],
            self.channels[key >> self.c2s_at & cm], self.channels[key >> self.s2c_at],
            key >> self.loss_at & self.loss_mask, key >> self.dup_at & self.dup_mask))

    def init_states(self):
        return [self.encode(s) for s in self.model.init_states()]

    def is_terminal(self, key: int) -> bool:
        return self.model.is_terminal(self.decode(key))

    def fingerprint(self, key: int) -> int:
        """The fingerprint of the decoded state under ``engine.fingerprint.make_fingerprint``
        (the tuple hash of its components' 60-bit codes), from codes memoised by id."""
        tm, cm = self.tcb_mask, self.channel_mask
        try:
            return hash((self.tcb_codes[key >> self.client_at & tm], self.tcb_codes[key >> self.server_at & tm],
                         self.channel_codes[key >> self.c2s_at & cm], self.channel_codes[key >> self.s2c_at],
                         self.loss_codes[key >> self.loss_at & self.loss_mask],
                         self.dup_codes[key >> self.dup_at & self.dup_mask]))
        except IndexError:  # a component interned since the codes were last brought up to date
            self._fill_codes()
            return self.fingerprint(key)

    def fingerprinter(self):
        """``fingerprint`` with its tables bound as locals (the explorer's hot path)."""
        tm, cm = self.tcb_mask, self.channel_mask
        client_at, server_at, c2s_at, s2c_at = self.client_at, self.server_at, self.c2s_at, self.s2c_at
        loss_at, dup_at = self.loss_at, self.dup_at
        lm, dm = self.loss_mask, self.dup_mask
        tcodes, ccodes, lcodes, dcodes = self.tcb_codes, self.channel_codes, self.loss_codes, self.dup_codes
        fill = self._fill_codes

        def fingerprint(key):
            try:
                return hash((tcodes[key >> client_at & tm], tcodes[key >> server_at & tm], ccodes[key >> c2s_at & cm],
                             ccodes[key >> s2c_at], lcodes[key >> loss_at & lm], dcodes[key >> dup_at & dm]))
            except IndexError:
                fill()
                return fingerprint(key)

        return fingerprint

    def fingerprints(self, keys):
        """``[fingerprint(k) for k in keys]`` as an int64 numpy array, computed by numpy on a
        whole batch (the explorer's batched fingerprint store)."""
        import numpy as np

        self._fill_codes()
        if self._np_loss_codes is None:
            self._np_loss_codes = np.array(self.loss_codes, dtype=np.uint64)
            self._np_dup_codes = np.array(self.dup_codes, dtype=np.uint64)
        # Copies of the code lists, grown by doubling: new components keep appearing (a few a
        # chunk), and copying the whole list each time would cost O(components) a chunk.
        self._np_tcb_codes = _grown(self._np_tcb_codes, self.tcb_codes)
        self._np_channel_codes = _grown(self._np_channel_codes, self.channel_codes)
        tcodes, ccodes = self._np_tcb_codes[0], self._np_channel_codes[0]
        try:
            k = keys if isinstance(keys, np.ndarray) else np.fromiter(keys, dtype=np.uint64, count=len(keys))
        except OverflowError:  # a key of 64 bits or more (s2c ids beyond 2**(64 - s2c_at)): one by one
            fingerprint = self.fingerprinter()
            return np.fromiter(map(fingerprint, keys), dtype=np.int64, count=len(keys))
        u = np.uint64
        tm, cm = u(self.tcb_mask), u(self.channel_mask)
        return tuple_hashes((tcodes[(k >> u(self.client_at)) & tm], tcodes[(k >> u(self.server_at)) & tm],
                             ccodes[(k >> u(self.c2s_at)) & cm], ccodes[k >> u(self.s2c_at)],
                             self._np_loss_codes[(k >> u(self.loss_at)) & u(self.loss_mask)],
                             self._np_dup_codes[(k >> u(self.dup_at)) & u(self.dup_mask)]))

    def vector(self):
        """The view that expands a chunk of keys at once (:class:`~tcpmodel.tcp.vector.VectorTcp`),
        or None when a key of this view does not fit in 64 bits with the s2c field as wide as
        the c2s one (then the engine explores one key at a time)."""
        if self._vector is None:
            fits = (self.s2c_at + self.channel_bits <= 64 and self.tcb_bits + self.channel_bits <= 62
                    and self.channel_bits + self.sent_bits <= 62)
            if not fits:
                return None
            from .vector import VectorTcp

            self._vector = VectorTcp(self)
        return self._vector

    def _fill_codes(self):
        for table, codes in ((self.tcbs, self.tcb_codes), (self.channels, self.channel_codes)):
            codes.extend(code_of(x) for x in table[len(codes):])

    # ------------------------------------------------------------------ memoised component transitions
    def _moves(self, side, tcb_id, moves):
        """(action, new TCB id, sent id) for each (action, new TCB, sent segments)."""
        tcb_id_of, sent_id = self.tcb_id, self.sent_id
        return tuple((action, tcb_id_of(tcb), sent_id(sent)) for action, tcb, sent in moves)

    def _user(self, side, i):
        moves = self.user_moves[side][i] = self._moves(side, i, self.model._user_calls(side, self.tcbs[i]))
        return moves

    def _timeout(self, side, i):
        moves = self.timeout_moves[side][i] = self._moves(side, i, self.model._timeouts(side, self.tcbs[i]))
        return moves

    # Each memoised transition comes in two forms: one that computes (the vectorised view,
    # VectorTcp, keeps its own numpy copy of the outcome and needs no second one here) and one
    # that computes and memoises (for ``successors``).
    def _inserted(self, chan_id, sent_id):
        """The channel ``chan_id`` with the segments ``sent_id`` added."""
        return self.channel_id(self.model._add(self.channels[chan_id], self.sents[sent_id]))

    def _insert(self, chan_id, sent_id):
        j = self.inserted[chan_id << self.sent_bits | sent_id] = self._inserted(chan_id, sent_id)
        return j

    def _arrive(self, direction, tcb_id, chan_id):
        out = self.arrived[direction][tcb_id << self.channel_bits | chan_id] = self._arrivals(direction, tcb_id, chan_id)
        return out

    def _arrivals(self, direction, tcb_id, chan_id):
        """(action, new TCB id, rest channel id, sent id) for each arrival at the receiver of
        ``direction`` (RFC 9293 §3.10.7): every distinct segment of a bag, the head of a FIFO."""
        model = self.model
        side = SERVER if direction == C2S else CLIENT
        tcb = self.tcbs[tcb_id]
        chan = self.channels[chan_id]
        cache = model._arrival_cache
        positions = model._distinct(chan) if self.bag else ((0, chan[0]),)
        out = []
        for i, seg in positions:
            key = (side, tcb, seg[:_LIMIT])  # the age and limit do not matter to the receiver
            outcomes = cache.get(key)
            if outcomes is None:
                outcomes = cache[key] = model._arrivals(side, tcb, seg)
            rest = self.channel_id(chan[:i] + chan[i + 1:])
            action = deliver(direction, seg)
            for new_tcb, sent in outcomes:
                out.append((action, self.tcb_id(new_tcb), rest, self.sent_id(sent)))
        return tuple(out)

    def _tick_tcb(self, i):
        tcb = self.tcbs[i]
        timers = (tcb.rexmt, tcb.tw)
        info = self.ticked[i] = (self.tcb_id(TcpModel._tick_tcb(tcb)), 0 in timers, max(timers) > 0)
        return info

    def _aged(self, i):
        return self.channel_id(TcpModel._age(self.channels[i]))

    def _age(self, i):
        j = self.aged[i] = self._aged(i)
        return j

    def _losses(self, direction, i):
        return tuple((action, self.channel_id(rest)) for action, rest in self.model._losses(direction, self.channels[i]))

    def _lose(self, direction, i):
        out = self.lost[direction][i] = self._losses(direction, i)
        return out

    def _duplications(self, direction, i):
        return tuple((action, self.channel_id(more)) for action, more in self.model._duplications(direction, self.channels[i]))

    def _duplicate(self, direction, i):
        out = self.duplicated[direction][i] = self._duplications(direction, i)
        return out

    # ------------------------------------------------------------------ the hot path
    def _emit_arrivals(self, arrivals, rest, tcb_at, in_at, out_chan, out_at, append):
        """Append the successors of ``arrivals`` ((action, TCB id, rest of the incoming channel,
        sent id)): the receiver's TCB (at ``tcb_at``), its incoming channel (at ``in_at``) and
        its outgoing channel ``out_chan`` (at ``out_at``) change; ``rest`` holds the others."""
        inserted, sent_bits = self.inserted, self.sent_bits
        for action, t, remaining, sent in arrivals:
            if sent:
                new_chan = inserted.get(out_chan << sent_bits | sent)
                if new_chan is None:
                    new_chan = self._insert(out_chan, sent)
            else:
                new_chan = out_chan
            append((action, rest | t << tcb_at | remaining << in_at | new_chan << out_at))

    def _emit(self, moves, rest, tcb_at, chan, chan_at, append):
        """Append the successors of one endpoint's ``moves`` ((action, TCB id, sent id)): its
        TCB (field at ``tcb_at``) and its outgoing channel ``chan`` (at ``chan_at``) change."""
        inserted, sent_bits = self.inserted, self.sent_bits
        for action, t, sent in moves:
            if sent:
                new_chan = inserted.get(chan << sent_bits | sent)
                if new_chan is None:
                    new_chan = self._insert(chan, sent)
            else:
                new_chan = chan
            append((action, rest | t << tcb_at | new_chan << chan_at))

    def successors(self, key: int):
        """``(action, next key)`` pairs, in the order of the named model: user calls (client,
        server), deliveries (c2s, s2c), timeouts (client, server), the tick, losses, duplications."""
        tm, cm = self.tcb_mask, self.channel_mask
        client_at, server_at, c2s_at, s2c_at = self.client_at, self.server_at, self.c2s_at, self.s2c_at
        c = key >> client_at & tm
        s = key >> server_at & tm
        a = key >> c2s_at & cm
        b = key >> s2c_at
        out = []
        append = out.append

        # User calls (RFC 9293 §3.10.1-§3.10.5) and timeouts (§3.10.8): one TCB changes and
        # may send on its outgoing channel. ``*_rest``: the key with those two fields cleared.
        below_s2c = key & ((1 << s2c_at) - 1)
        client_rest = key & ~(tm << client_at | cm << c2s_at)
        server_rest = below_s2c & ~(tm << server_at)
        emit = self._emit
        moves = self.user_moves[CLIENT][c]
        emit(moves if moves is not None else self._user(CLIENT, c), client_rest, client_at, a, c2s_at, append)
        moves = self.user_moves[SERVER][s]
        emit(moves if moves is not None else self._user(SERVER, s), server_rest, server_at, b, s2c_at, append)

        # Segment arrival (§3.10.7): the receiver's TCB and both channels change.
        faults = key & ((1 << client_at) - 1)
        if a:
            arrivals = self.arrived[C2S].get(s << self.channel_bits | a)
            self._emit_arrivals(arrivals if arrivals is not None else self._arrive(C2S, s, a),
                                faults | c << client_at, server_at, c2s_at, b, s2c_at, append)
        if b:
            arrivals = self.arrived[S2C].get(c << self.channel_bits | b)
            self._emit_arrivals(arrivals if arrivals is not None else self._arrive(S2C, c, b),
                                faults | s << server_at, client_at, s2c_at, a, c2s_at, append)

        # Timeouts, unless a segment at its age limit must go first (see the module docstring).
        none_at_limit = self.none_at_limit
        quiet = none_at_limit[a] and none_at_limit[b]
        if self.closed_lifetime or quiet:
            moves = self.timeout_moves[CLIENT][c]
            emit(moves if moves is not None else self._timeout(CLIENT, c), client_rest, client_at, a, c2s_at, append)
            moves = self.timeout_moves[SERVER][s]
            emit(moves if moves is not None else self._timeout(SERVER, s), server_rest, server_at, b, s2c_at, append)

        # The tick: only while something depends on time, no timer has expired unhandled and
        # no segment has reached its limit.
        if quiet:
            tc = self.ticked[c] or self._tick_tcb(c)
            ts = self.ticked[s] or self._tick_tcb(s)
            if not (tc[1] or ts[1]) and (a or b or tc[2] or ts[2]):
                aa = self.aged[a]
                if aa is None:
                    aa = self._age(a)
                ab = self.aged[b]
                if ab is None:
                    ab = self._age(b)
                append((TICK, faults | tc[0] << client_at | ts[0] << server_at | aa << c2s_at | ab << s2c_at))

        # Faults: lose or duplicate one segment, within the budgets (the lowest fields).
        for budget_at, budget_mask, one, made, make in self.budgets:
            if key >> budget_at & budget_mask:
                for_c2s = (key - one) & ~(cm << c2s_at)
                changes = made[C2S][a]
                for action, na in changes if changes is not None else make(C2S, a):
                    append((action, for_c2s | na << c2s_at))
                for_s2c = below_s2c - one
                changes = made[S2C][b]
                for action, nb in changes if changes is not None else make(S2C, b):
                    append((action, for_s2c | nb << s2c_at))
        return out
