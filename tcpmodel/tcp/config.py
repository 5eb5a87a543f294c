"""The configuration of one TCP model: parameters, fault budgets and the protocol variant.

Variants are named sets of switches over the same rules (never copies of the rule code):

- ``rfc9293``: the reference, RFC 9293 §3.10 event processing.
- ``two_way_handshake``: the server is ESTABLISHED as soon as it accepts a SYN.
- ``three_step_close``: the server's TCP answers a FIN at once with FIN+ACK (no CLOSE-WAIT).
- ``no_time_wait``: an endpoint that would enter TIME-WAIT goes straight to CLOSED.
- ``short_time_wait``: TIME-WAIT lasts ``time_wait`` ticks (the spec sets it below 2*MSL).
- ``no_retransmit``: the retransmission timer never runs.
- ``rfc1337``: an endpoint in TIME-WAIT ignores RST segments (RFC 1337 §3, fix F1).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Optional, Tuple

from ..errors import TcpModelError

VARIANTS = {
    "rfc9293": {},
    "two_way_handshake": {"two_way_handshake": True},
    "three_step_close": {"three_step_close": True},
    "no_time_wait": {"time_wait_state": False},
    "short_time_wait": {},  # the TIME-WAIT length itself is the parameter ``time_wait``
    "no_retransmit": {"retransmit": False},
    "rfc1337": {"ignore_rst_in_time_wait": True},
}

ISN_POLICIES = ("clock", "constant", "any")
CHANNELS = ("bag", "fifo")

# ISS values: abstract but distinct for client and server so traces read easily.
CLIENT_ISS_BASE = 100
SERVER_ISS_BASE = 300
ISN_CLOCK_STRIDE = 10  # how far the ISN clock moves between two incarnations


@dataclass(frozen=True)
class Switches:
    """The rule switches a variant sets (all False/True for the reference protocol)."""

    two_way_handshake: bool = False
    three_step_close: bool = False
    time_wait_state: bool = True
    retransmit: bool = True
    ignore_rst_in_time_wait: bool = False


@dataclass(frozen=True)
class TcpConfig:
    """Everything that defines one model instance. Times are in ticks."""

    variant: str = "rfc9293"
    msl: int = 2                     # MSL: the longest a segment lives in the network
    rto: int = 2                     # retransmission timeout
    max_retries: int = 2             # retransmissions before the connection is dropped
    window: int = 2                  # RCV.WND of both endpoints (and so each one's SND.WND)
    time_wait: Optional[int] = None  # TIME-WAIT length; None means 2*MSL (RFC 9293 §3.6.1)
    incarnations: int = 1            # how many times the client may open the 4-tuple
    isn: str = "clock"               # ISN policy: clock, constant or any
    isn_choices: Tuple[int, ...] = (0, 1)  # offsets the "any" policy picks from
    channel: str = "bag"             # bag: reordering; fifo: in order
    loss: int = 0                    # loss budget: segments the network may drop
    dup: int = 0                     # duplication budget
    client_data: int = 1             # octets the client application sends before CLOSE
    server_data: int = 1             # octets the server sends after the client's FIN
    abort: bool = False              # may the applications ABORT?
    simultaneous: bool = False       # may the server actively OPEN and CLOSE first?
    switches: Switches = field(default_factory=Switches)

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise TcpModelError(f"unknown variant {self.variant!r}; allowed: {', '.join(VARIANTS)}")
        object.__setattr__(self, "switches", Switches(**VARIANTS[self.variant]))
        for name in ("msl", "rto", "window", "incarnations"):
            if getattr(self, name) < 1:
                raise TcpModelError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("max_retries", "loss", "dup", "client_data", "server_data"):
            if getattr(self, name) < 0:
                raise TcpModelError(f"{name} must be at least 0, got {getattr(self, name)}")
        if self.time_wait is not None and self.time_wait < 1:
            raise TcpModelError(f"time_wait must be at least 1 tick, got {self.time_wait}")
        if self.isn not in ISN_POLICIES:
            raise TcpModelError(f"unknown isn policy {self.isn!r}; allowed: {', '.join(ISN_POLICIES)}")
        if self.channel not in CHANNELS:
            raise TcpModelError(f"unknown channel {self.channel!r}; allowed: {', '.join(CHANNELS)}")
        object.__setattr__(self, "isn_choices", tuple(self.isn_choices))
        if not self.isn_choices:
            raise TcpModelError("isn_choices must not be empty")

    @property
    def time_wait_ticks(self) -> int:
        """How long TIME-WAIT lasts: 2*MSL unless the configuration says otherwise."""
        return 2 * self.msl if self.time_wait is None else self.time_wait

    def replace(self, **changes) -> "TcpConfig":
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "switches"}
        values.update(changes)
        return TcpConfig(**values)
