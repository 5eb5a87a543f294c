"""The vocabulary of the TCP model: connection states, control bits, segments and the TCB.

Everything here is plain data in RFC 9293's words. States of the model are tuples of these.
"""

from __future__ import annotations

from typing import NamedTuple

# --- Connection states (RFC 9293 §3.3.2), as small ints so states stay cheap to hash. ------
CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED = 0, 1, 2, 3, 4
FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT = 5, 6, 7, 8, 9, 10

STATE_NAMES = (
    "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED",
    "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
)

# "Synchronized" states: the connection is established or being closed (RFC 9293 §3.5.2).
SYNCHRONIZED = frozenset({ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT})

# --- Control bits (RFC 9293 §3.1), as a bit mask. ------------------------------------------
SYN, ACK, FIN, RST = 1, 2, 4, 8
FLAG_NAMES = ((SYN, "SYN"), (RST, "RST"), (FIN, "FIN"), (ACK, "ACK"))

# --- Endpoints and directions. -------------------------------------------------------------
CLIENT, SERVER = 0, 1
SIDE_NAMES = ("client", "server")
C2S, S2C = 0, 1  # network direction: client->server, server->client
DIRECTION_NAMES = ("client→server", "server→client")


class Segment(NamedTuple):
    """A segment in flight. ``cinc``/``sconn`` are ghost fields only properties read.

    ``cinc`` is the client incarnation of the connection the sender belongs to (the client's
    own number, or for the server the number carried by the SYN it accepted); ``sconn`` is the
    server connection number (the server's own, or for the client the one it learned from the
    server's SYN; 0 while unknown). A reset sent from a CLOSED or LISTEN endpoint carries the
    ghost fields of the segment it answers. ``limit`` is the most ticks this segment may spend
    in the network: the configuration's ``max_delay`` for a segment as sent, MSL for a
    duplicate (equal unless the spec sets max_delay below MSL). ``age`` is the ticks spent in
    the network so far.
    """

    seq: int
    ack: int
    flags: int
    dlen: int
    cinc: int
    sconn: int
    limit: int
    age: int

    @property
    def at_limit(self) -> bool:
        """The segment has lived as long as it may: it must be delivered or lost before time passes."""
        return self.age >= self.limit

    @property
    def seg_len(self) -> int:
        """SEG.LEN: data octets plus one for SYN and one for FIN (RFC 9293 §3.4)."""
        return self.dlen + (self.flags & SYN) + ((self.flags & FIN) >> 2)

    @property
    def content(self) -> tuple:
        """The segment without its network timing (``limit``, ``age``): what its receiver
        reads, and its identity from sending to delivery (a tick changes the age, a
        duplication gives the copy MSL as its limit)."""
        return self[:6]


class TCB(NamedTuple):
    """One endpoint: its transmission control block plus its application and ghost fields.

    When the endpoint is CLOSED the TCB does not exist in RFC terms; the record keeps the
    application and ghost fields of the last connection, which properties read.
    """

    state: int
    iss: int          # ISS: initial send sequence number
    irs: int          # IRS: initial receive sequence number
    snd_una: int      # SND.UNA: oldest unacknowledged sequence number
    snd_nxt: int      # SND.NXT: next sequence number to send
    rcv_nxt: int      # RCV.NXT: next sequence number expected
    queued: int       # octets the user has SENT that TCP has not yet transmitted
    fin_queued: bool  # the user has called CLOSE; a FIN follows the queued octets
    fin_seq: int      # sequence number of our FIN once sent, else -1
    rexmt: int        # retransmission timer: ticks left, -1 when not running
    retries: int      # retransmissions of the oldest unacknowledged segment so far
    tw: int           # TIME-WAIT timer: ticks left, -1 when not running
    passive: bool     # this connection came from LISTEN (passive OPEN), RFC 9293 §3.10.7.4
    # The application's view.
    written: int      # octets the application passed to SEND in this connection
    app_closed: bool  # the application has called CLOSE in this connection
    delivered: int    # octets delivered to the application, in order
    fin_rcvd: bool    # the peer's FIN has been accepted (the application saw end of data)
    # Ghost fields.
    inc: int          # own incarnation: client OPENs so far / server connections accepted
    peer: int         # the peer incarnation this TCB is synchronized with (0 = none)


class GlobalState(NamedTuple):
    """A global state of the model: both endpoints, the network, and the faults left.

    A channel is a tuple of :class:`Segment`, sorted in a bag (reordering) network, in
    sending order in a FIFO one. The fault budgets count what the network may still do.
    """

    client: TCB
    server: TCB
    c2s: tuple  # segments in flight client -> server
    s2c: tuple  # segments in flight server -> client
    loss: int   # losses the network may still cause
    dup: int    # duplications the network may still cause

    def tcb(self, side: int) -> TCB:
        """The TCB of endpoint ``side`` (CLIENT or SERVER)."""
        return self.server if side else self.client

    def channel(self, direction: int) -> tuple:
        """The segments in flight in ``direction`` (C2S or S2C)."""
        return self.s2c if direction else self.c2s

    @property
    def idle(self) -> bool:
        """Nothing in flight either way."""
        return not self.c2s and not self.s2c

    @property
    def no_connection(self) -> bool:
        """Neither endpoint has a connection: the client CLOSED, the server CLOSED or LISTEN."""
        return client_unconnected(self.client) and server_unconnected(self.server)

    @property
    def time_matters(self) -> bool:
        """Something depends on time: a segment is in flight or a timer runs (or has expired)."""
        return bool(self.c2s or self.s2c) or timer_runs(self.client) or timer_runs(self.server)


# Facts of one component, of which facts of a global state are made (written once: the
# properties above use them, and so do their component forms below).
def client_unconnected(tcb: TCB) -> bool:
    """The client has no connection: CLOSED."""
    return tcb.state == CLOSED


def server_unconnected(tcb: TCB) -> bool:
    """The server has no connection: CLOSED or LISTEN."""
    return tcb.state in (CLOSED, LISTEN)


def timer_runs(tcb: TCB) -> bool:
    """The retransmission or the TIME-WAIT timer runs (or has expired, unhandled)."""
    return tcb.rexmt >= 0 or tcb.tw >= 0


def in_flight(channel: tuple) -> bool:
    return bool(channel)


class ComponentForm(NamedTuple):
    """A state predicate written as per-component facts: ``all`` (or, if not ``all``, any) of
    ``client(state.client)``, ``server(state.server)``, ``c2s(state.c2s)``, ``s2c(state.s2c)``
    (None: that component does not matter), negated when ``negate``. The compact view then
    evaluates it on a chunk of keys from per-component tables (``tcp.vector``)."""

    all: bool
    negate: bool
    client: object
    server: object
    c2s: object
    s2c: object


# The predicates with a component form (tcp/properties.py adds the ones it defines).
COMPONENT_FORMS = {
    GlobalState.no_connection.fget: ComponentForm(True, False, client_unconnected, server_unconnected, None, None),
    GlobalState.time_matters.fget: ComponentForm(False, False, timer_runs, timer_runs, in_flight, in_flight),
}


def connection_of(tcb: TCB, side: int) -> tuple:
    """(client incarnation, server connection) of the connection endpoint ``side``'s TCB
    belongs to: the ghost fields its segments carry (``Segment.cinc``, ``Segment.sconn``)."""
    return (tcb.inc, tcb.peer) if side == CLIENT else (tcb.peer, tcb.inc)


def idle_tcb(state: int) -> TCB:
    """A TCB with no connection (CLOSED or LISTEN), as at the start of a run."""
    return TCB(state, 0, 0, 0, 0, 0, 0, False, -1, -1, 0, -1, False, 0, False, 0, False, 0, 0)


# Field positions, for the model's in-place edits of a TCB as a list (fast and explicit).
(STATE, ISS, IRS, SND_UNA, SND_NXT, RCV_NXT, QUEUED, FIN_QUEUED, FIN_SEQ, REXMT, RETRIES, TW,
 PASSIVE, WRITTEN, APP_CLOSED, DELIVERED, FIN_RCVD, INC, PEER) = range(len(TCB._fields))


def format_flags(flags: int) -> str:
    return ",".join(name for bit, name in FLAG_NAMES if flags & bit) or "none"


def format_segment(seg: Segment, rfc: bool = False) -> str:
    """``SYN,ACK seq=300 ack=101`` or, with ``rfc``, RFC 9293 figure style ``<SEQ=300><ACK=101><CTL=SYN,ACK>``."""
    flags = format_flags(seg.flags)
    has_ack = bool(seg.flags & ACK)
    if rfc:
        text = f"<SEQ={seg.seq}>" + (f"<ACK={seg.ack}>" if has_ack else "") + f"<CTL={flags}>"
        return text + ("<DATA>" if seg.dlen else "")
    text = f"{flags} seq={seg.seq}" + (f" ack={seg.ack}" if has_ack else "")
    return text + (f" data={seg.dlen}" if seg.dlen else "")
