"""Small helpers shared by the diagram builders: labels, colours, segment bookkeeping.

Everything here is deterministic: names come from positions in a trace or a graph, never
from ``id()``, hashes or dict order of unordered data.
"""

from __future__ import annotations

import graphviz

from ..tcp.tcb import ACK, C2S, CLIENT, CLOSED, FIN, LISTEN, RST, SERVER, SIDE_NAMES, SYN, format_flags
from ..tcp.actions import actor, added_segments, sent_segments  # noqa: F401  (re-exported for the renderers)

RED = "#c0392b"
GREEN = "#1e8449"
ORANGE = "#d35400"
BLUE = "#2e86c1"
GREY = "#999999"

SIDE_LABELS = SIDE_NAMES
# The user calls (RFC 9293 §3.10.1-§3.10.5) as the diagrams name the event, after Figure 5.
USER_CALLS = {"OPEN": "active OPEN", "LISTEN": "passive OPEN", "SEND": "SEND", "CLOSE": "CLOSE", "ABORT": "ABORT"}


# Where `tcpmodel explore` listens unless that port is taken (then it prints where it went):
# report and lesson pages link a trace to the explorer there.
EXPLORER_PORT = 8742


def explorer_address(spec: str, trace: str, step: int = None, lang: str = None) -> str:
    """The address of ``spec``'s ``trace`` (at ``step``, default its last) in a running
    explorer (`tcpmodel explore`), for the report and lesson pages."""
    from urllib.parse import urlencode

    query = [("spec", spec), ("trace", trace)]
    if step is not None:
        query.append(("step", str(step)))
    if lang is not None:
        query.append(("lang", lang))
    return f"http://127.0.0.1:{EXPLORER_PORT}/?" + urlencode(query)


def dot_text(*lines: str) -> str:
    """A DOT label of several centred lines (``\\n``), safe for quoting (no HTML-like labels)."""
    text = "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines if line is not None)
    return graphviz.nohtml(text)


def short_segment(seg) -> str:
    """``SYN 100``, ``SYN,ACK 300/101``, ``ACK 101/301 +1``: compact, for state labels."""
    text = f"{format_flags(seg.flags)} {seg.seq}"
    if seg.flags & ACK:
        text += f"/{seg.ack}"
    if seg.dlen:
        text += f" +{seg.dlen}"
    return text


def new_in_channel(before, after, removed=None):
    """Segments of ``after`` that are not in ``before`` (as multisets): the TCP layer's fact."""
    return added_segments(before, after, removed)


def is_stale(seg, direction, state) -> bool:
    """Does ``seg`` belong to another connection than the receiver's current one?

    The ghost fields name the sender's connection: ``cinc`` the client incarnation, ``sconn``
    the server connection. A receiver with a connection compares them with its own
    (client: ``(inc, peer)``; server: ``(peer, inc)``), ignoring a 0 that only means "not
    known yet". A receiver without one (CLOSED, LISTEN) cannot tell; then a segment is stale
    when its sender has since moved on to a newer incarnation.
    """
    client, server = state.client, state.server
    if direction == C2S:
        recv = server
        if recv.state not in (CLOSED, LISTEN) and recv.peer:
            if seg.cinc != recv.peer:
                return True
            return bool(seg.sconn) and seg.sconn != recv.inc
        # no connection: an older client incarnation, a client incarnation this server has
        # already served, or an earlier server connection
        return (seg.cinc < client.inc or (bool(recv.peer) and seg.cinc <= recv.peer)
                or (bool(seg.sconn) and seg.sconn <= recv.inc))
    recv = client
    if recv.state != CLOSED:
        if seg.cinc and seg.cinc != recv.inc:  # 0: the server opened actively, knows no client yet
            return True
        return bool(seg.sconn and recv.peer) and seg.sconn != recv.peer
    return seg.cinc < client.inc


__all__ = [
    "ACK", "FIN", "RST", "SYN", "CLIENT", "SERVER", "RED", "GREEN", "ORANGE", "BLUE", "GREY",
    "dot_text", "short_segment", "explorer_address", "EXPLORER_PORT", "actor", "sent_segments", "new_in_channel", "is_stale", "USER_CALLS",
]
