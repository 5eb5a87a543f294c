"""The configuration of one TCP model: parameters, fault budgets, timing semantics and the
protocol variant.

A variant is a base name plus any set of *switches* over the same rules (never copies of the
rule code). Each switch changes one rule:

- ``two_way_handshake``: the server is ESTABLISHED as soon as it accepts a SYN.
- ``three_step_close``: the server's TCP answers a FIN at once with FIN+ACK (no CLOSE-WAIT).
- ``no_time_wait``: an endpoint that would enter TIME-WAIT goes straight to CLOSED.
- ``no_retransmit``: the retransmission timer never runs.
- ``rfc1337``: an endpoint in TIME-WAIT ignores RST segments (RFC 1337 §3, fix F1).
- ``ack_throttling``: an unacceptable segment that carries no data, SYN or FIN is dropped
  without the re-ACK that RFC 9293 §3.10.7.4 asks for (RFC 5961 §7's throttling, as stacks do:
  Linux rate-limits ACKs to out-of-window segments). Without it two endpoints that disagree
  about sequence numbers can answer each other's ACKs for ever (an ACK war).

The base names (``VARIANTS``) are the reference ``rfc9293`` and one name per switch, meaning
the reference with that switch. TIME-WAIT's length is a plain parameter (``time_wait``), not a
variant. Combinations that contradict each other are refused (``CONFLICTS``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import FrozenSet, Optional, Tuple

from ..errors import TcpModelError

SWITCHES = {
    "two_way_handshake": "the server is ESTABLISHED on the SYN alone",
    "three_step_close": "the server's TCP answers a FIN at once with FIN+ACK",
    "no_time_wait": "no TIME-WAIT: CLOSED right after the last ACK",
    "no_retransmit": "no retransmission timer",
    "rfc1337": "TIME-WAIT ignores RST (RFC 1337 §3, F1)",
    "ack_throttling": "an unacceptable segment without data, SYN or FIN gets no reply (RFC 5961 §7)",
}
VARIANTS = {"rfc9293": ()} | {name: (name,) for name in SWITCHES}

# Pairs of switches that cannot be combined, with the reason.
CONFLICTS = {
    frozenset({"no_time_wait", "rfc1337"}): "rfc1337 changes how TIME-WAIT treats a RST, and no_time_wait has no TIME-WAIT",
}

ISN_POLICIES = ("clock", "constant", "any")
CHANNELS = ("bag", "fifo")
# When a segment reaches the end of its life in the same tick as a timer expires, which comes
# first (see TcpModel's docstring): "half_open" -- the segment (it lives [t, t+MSL)); "closed"
# -- either (it lives [t, t+MSL], so the timer may fire while it is still in flight).
LIFETIMES = ("half_open", "closed")
# When an application may CLOSE: "after_data" -- once it has written all its data (and, for the
# server, after the client's FIN); "any_time" -- wherever RFC 9293 §3.10.4 defines CLOSE
# (LISTEN, SYN-SENT, SYN-RECEIVED, ESTABLISHED, CLOSE-WAIT), data written or not.
CLOSE_POLICIES = ("after_data", "any_time")

# The bounds of every integer parameter, (least, greatest): the one table that the model's own
# checks, spec files (tcpmodel/spec.py, which says why each maximum is where it is), sweep ranges
# and the command line all read. Each maximum lies far beyond what one run can explore.
BOUNDS = {
    "msl": (1, 8), "max_delay": (1, 8), "rto": (1, 32), "syn_rto": (1, 32), "max_retries": (0, 8),
    "window": (1, 8), "time_wait": (1, 32), "incarnations": (1, 4), "isn_stride": (1, 1000),
    "client_data": (0, 8), "server_data": (0, 8), "loss": (0, 8), "dup": (0, 8),
}

# ISS values: abstract but distinct for client and server so traces read easily.
CLIENT_ISS_BASE = 100
SERVER_ISS_BASE = 300


@dataclass(frozen=True)
class Rules:
    """The rule switches in force, resolved from a variant and its extra switches."""

    two_way_handshake: bool = False
    three_step_close: bool = False
    time_wait_state: bool = True
    retransmit: bool = True
    ignore_rst_in_time_wait: bool = False
    ack_throttling: bool = False

    @classmethod
    def of(cls, names: FrozenSet[str]) -> "Rules":
        return cls(
            two_way_handshake="two_way_handshake" in names,
            three_step_close="three_step_close" in names,
            time_wait_state="no_time_wait" not in names,
            retransmit="no_retransmit" not in names,
            ignore_rst_in_time_wait="rfc1337" in names,
            ack_throttling="ack_throttling" in names,
        )


def _name_list(values) -> str:
    return ", ".join(values)


@dataclass(frozen=True)
class TcpConfig:
    """Everything that defines one model instance. Times are in ticks."""

    variant: str = "rfc9293"
    switches: Tuple[str, ...] = ()   # extra switches on top of the variant (SWITCHES)
    msl: int = 2                     # MSL: the longest a segment lives in the network
    max_delay: Optional[int] = None  # the longest an original segment is delayed; None = MSL.
    #                                  Duplicates may always live MSL.
    rto: int = 2                     # retransmission timeout for data and FIN
    syn_rto: Optional[int] = None    # retransmission timeout for SYN and SYN,ACK (RFC 6298
    #                                  §2.1's conservative initial RTO); None = rto
    max_retries: int = 2             # retransmissions before the connection is dropped
    window: int = 2                  # RCV.WND of both endpoints (and so each one's SND.WND)
    time_wait: Optional[int] = None  # TIME-WAIT length; None means 2*MSL (RFC 9293 §3.6.1)
    lifetime: str = "half_open"      # tie rule between a segment's deadline and a timer (LIFETIMES)
    incarnations: int = 1            # how many times the client may open the 4-tuple
    isn: str = "clock"               # ISN policy: clock, constant or any
    isn_stride: int = 10             # how far the ISN clock moves between two incarnations
    isn_choices: Tuple[int, ...] = (0, 1)  # offsets the "any" policy picks from
    channel: str = "bag"             # bag: reordering; fifo: in order
    loss: int = 0                    # loss budget: segments the network may drop
    dup: int = 0                     # duplication budget
    client_data: int = 1             # octets the client application sends before CLOSE
    server_data: int = 1             # octets the server sends after the client's FIN
    close: str = "after_data"        # when the applications may CLOSE (CLOSE_POLICIES)
    abort: bool = False              # may the applications ABORT (in every state, §3.10.5)?
    simultaneous: bool = False       # may the server actively OPEN and CLOSE first?
    rules: Rules = field(default=None, init=False, compare=False)

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise TcpModelError(f"unknown variant {self.variant!r}; allowed: {_name_list(VARIANTS)}")
        extra = tuple(self.switches)
        object.__setattr__(self, "switches", extra)
        for name in extra:
            if name not in SWITCHES:
                raise TcpModelError(f"unknown switch {name!r}; allowed: {_name_list(SWITCHES)}")
        if len(set(extra)) != len(extra):
            raise TcpModelError(f"switches repeat: {list(extra)}")
        for name in VARIANTS[self.variant]:
            if name in extra:
                raise TcpModelError(f"switch {name!r} is already the variant {self.variant!r}")
        active = self.active_switches
        for pair, why in CONFLICTS.items():
            if pair <= active:
                raise TcpModelError(f"switches {' and '.join(sorted(pair))} cannot be combined: {why}")
        if "no_time_wait" in active and self.time_wait is not None:
            raise TcpModelError("time_wait means nothing with no_time_wait (there is no TIME-WAIT)")
        object.__setattr__(self, "rules", Rules.of(active))
        for name, (least, greatest) in BOUNDS.items():
            value = getattr(self, name)
            if value is not None and not least <= value <= greatest:
                raise TcpModelError(f"{name} must be from {least} to {greatest}, got {value}")
        if self.max_delay is not None and self.max_delay > self.msl:
            raise TcpModelError(f"max_delay must be from 1 to msl = {self.msl}, got {self.max_delay}")
        if self.isn not in ISN_POLICIES:
            raise TcpModelError(f"unknown isn policy {self.isn!r}; allowed: {_name_list(ISN_POLICIES)}")
        if self.channel not in CHANNELS:
            raise TcpModelError(f"unknown channel {self.channel!r}; allowed: {_name_list(CHANNELS)}")
        if self.lifetime not in LIFETIMES:
            raise TcpModelError(f"unknown lifetime {self.lifetime!r}; allowed: {_name_list(LIFETIMES)}")
        if self.close not in CLOSE_POLICIES:
            raise TcpModelError(f"unknown close policy {self.close!r}; allowed: {_name_list(CLOSE_POLICIES)}")
        object.__setattr__(self, "isn_choices", tuple(self.isn_choices))
        if not self.isn_choices:
            raise TcpModelError("isn_choices must not be empty")

    @property
    def active_switches(self) -> FrozenSet[str]:
        """Every switch in force: the variant's and the extra ones."""
        return frozenset(VARIANTS[self.variant]) | frozenset(self.switches)

    @property
    def label(self) -> str:
        """The variant as a reader should see it: ``rfc9293+rfc1337+ack_throttling``."""
        return "+".join((self.variant,) + self.switches)

    @property
    def time_wait_ticks(self) -> int:
        """How long TIME-WAIT lasts: 2*MSL unless the configuration says otherwise."""
        return 2 * self.msl if self.time_wait is None else self.time_wait

    @property
    def max_delay_ticks(self) -> int:
        """The longest an original segment may stay in the network."""
        return self.msl if self.max_delay is None else self.max_delay

    @property
    def syn_rto_ticks(self) -> int:
        """The retransmission timeout of a SYN or SYN,ACK."""
        return self.rto if self.syn_rto is None else self.syn_rto

    def replace(self, **changes) -> "TcpConfig":
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        values.update(changes)
        return TcpConfig(**values)
