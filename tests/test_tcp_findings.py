"""Every shipped explanation is a claim: each test here checks the mechanism in the checker's
counterexample (who sent what, which timer expired, which segment was stale), and each broken
variant is contrasted with the real protocol under the very same settings.

The explanations themselves are in the specs' [explain] tables; a test below names the spec and
property it backs, and the last test makes sure none is left without one.
"""

from functools import lru_cache
from pathlib import Path

import pytest

from tcpmodel.engine import check
from tcpmodel.run import run_spec
from tcpmodel.spec import load
from tcpmodel.tcp import TcpModel, build
from tcpmodel.tcp.actions import direction_of, kind, segment_of, timeout, user_call
from tcpmodel.tcp.tcb import (
    ACK, C2S, CLIENT, CLOSED, ESTABLISHED, FIN, FIN_WAIT_1, LAST_ACK, LISTEN, RST, S2C, SERVER, SYN,
    SYN_RECEIVED, SYN_SENT, TIME_WAIT,
)
from tcpmodel.tcp.text import actor, sent_segments

SPECS = Path(__file__).resolve().parent.parent / "specs"
H, V = "holds", "violated"


@lru_cache(maxsize=None)
def run(name):
    return run_spec(load(SPECS / f"{name}.toml"))


def steps(name, prop):
    """[(state, action, next state), ...] of the counterexample of ``name``.``prop``."""
    r = run(name)
    verdict = r.result.verdicts[prop]
    assert verdict.status == V and verdict.trace is not None
    return [(s, a, t) for _, s, a, t in verdict.trace.steps()]


def is_delivery(a, direction=None):
    return kind(a) == "deliver" and (direction is None or direction_of(a) == direction)


def flags(seg):
    return seg.flags


def first(items, pred, start=0):
    """Index of the first item from ``start`` on that satisfies ``pred``."""
    return next(i for i in range(start, len(items)) if pred(*items[i]))


def holds_with(name, prop, **changes):
    """Check ``prop`` on the spec's configuration with ``changes``: the contrast."""
    config = run(name).spec.config.replace(**changes)
    result = check(TcpModel(config), build([prop]))
    assert result.stats.complete
    return result[prop].status


def assassination(trace, who=CLIENT):
    """The last step: a RST delivered to ``who`` ends its TIME-WAIT; returns that RST."""
    s, a, t = trace[-1]
    assert is_delivery(a, C2S if who == SERVER else S2C) and flags(segment_of(a)) & RST
    assert s.tcb(who).state == TIME_WAIT and t.tcb(who).state == CLOSED
    rst = segment_of(a)
    assert rst.seq == s.tcb(who).rcv_nxt  # it matches RCV.NXT exactly (RFC 5961 §3)
    return rst


def rst_sent_by_closed_server(trace):
    """Index of the step where the CLOSED server answers a segment with a RST."""
    return first(trace, lambda s, a, t: actor(a) == SERVER and s.server.state == CLOSED
                 and any(seg.flags & RST for seg in sent_segments(s, a, t)))


# ------------------------------------------------------------------ TIME-WAIT assassination
@pytest.mark.parametrize("name", ["rfc9293", "rfc9293_old_syn"])
def test_assassination_from_a_reordered_old_ack(name):
    trace = steps(name, "graceful_end")
    assert not any(kind(a) in ("lose", "dup") for _, a, _ in trace)  # reordering alone
    rst = assassination(trace)
    # The client, in TIME-WAIT, answers an old pure ACK with an ACK (the RFC text's re-ACK) ...
    i = first(trace, lambda s, a, t: is_delivery(a, S2C) and s.client.state == TIME_WAIT
              and segment_of(a).flags == ACK and not segment_of(a).dlen)
    answer = sent_segments(*trace[i])
    assert [seg.flags for seg in answer] == [ACK]
    # ... and the CLOSED server answers that ACK with the RST that ends TIME-WAIT.
    j = rst_sent_by_closed_server(trace)
    assert j > i and segment_of(trace[j][1]) == answer[0]._replace(age=segment_of(trace[j][1]).age)
    assert sent_segments(*trace[j]) == [rst._replace(age=sent_segments(*trace[j])[0].age)]


def test_assassination_is_gone_with_rfc1337_or_ack_throttling():
    assert run("rfc1337").result["graceful_end"].status == H
    assert run("rfc9293_throttled").result["graceful_end"].status == H
    assert holds_with("rfc9293", "graceful_end", variant="rfc1337") == H


def test_rfc9293_faults_assassination_from_the_clients_duplicated_last_ack():
    trace = steps("rfc9293_faults", "graceful_end")
    rst = assassination(trace)
    d = first(trace, lambda s, a, t: kind(a) == "dup" and direction_of(a) == C2S)
    duplicated = segment_of(trace[d][1])
    assert duplicated.flags == ACK and duplicated.ack == trace[d][0][CLIENT].rcv_nxt  # the last ACK
    assert trace[d][0][CLIENT].state == TIME_WAIT
    j = rst_sent_by_closed_server(trace)
    assert segment_of(trace[j][1])[:6] == duplicated[:6]  # the RST answers the copy
    assert rst.seq == duplicated.ack


def test_rfc9293_lost_ack_assassination_from_a_legitimate_retransmission():
    trace = steps("rfc9293_lost_ack", "graceful_end")
    assassination(trace)
    lost = first(trace, lambda s, a, t: kind(a) == "lose")
    assert direction_of(trace[lost][1]) == C2S and segment_of(trace[lost][1]).flags == ACK  # the ACK of the server's data
    r = first(trace, lambda s, a, t: a == timeout(SERVER, "retransmission"))
    (resent,) = sent_segments(*trace[r])
    assert resent.dlen == 1  # the server's data octet, sent again
    k = first(trace, lambda s, a, t: is_delivery(a, S2C) and segment_of(a).content == resent.content, r)
    assert trace[k][0][CLIENT].state == TIME_WAIT and [x.flags for x in sent_segments(*trace[k])] == [ACK]
    assert rst_sent_by_closed_server(trace) > k
    assert holds_with("rfc9293_lost_ack", "graceful_end", variant="rfc1337") == H


# ------------------------------------------------------------------ why TIME-WAIT: the lost last ACK
def _lost_last_ack_then_rst(trace):
    """The client's last ACK is lost, the server retransmits its FIN, the client answers with a
    RST and that RST ends the server's LAST-ACK. Returns the index of the retransmission."""
    lost = first(trace, lambda s, a, t: kind(a) == "lose")
    seg = segment_of(trace[lost][1])
    assert direction_of(trace[lost][1]) == C2S and seg.flags == ACK
    assert seg.ack == trace[lost][0][SERVER].snd_nxt  # it acknowledges the server's FIN
    r = first(trace, lambda s, a, t: a == timeout(SERVER, "retransmission"), lost)
    (fin,) = sent_segments(*trace[r])
    assert fin.flags == FIN | ACK
    k = first(trace, lambda s, a, t: is_delivery(a, S2C) and segment_of(a).content == fin.content, r)
    s, a, t = trace[k]
    assert s.client.state == CLOSED and [x.flags for x in sent_segments(s, a, t)] == [RST]
    s, a, t = trace[-1]
    assert is_delivery(a, C2S) and segment_of(a).flags == RST
    assert s.server.state == LAST_ACK and t.server.state == CLOSED
    return r


def test_no_time_wait_lost_last_ack_meets_no_tcb():
    trace = steps("no_time_wait", "graceful_end")
    _lost_last_ack_then_rst(trace)
    assert not any(t.client.state == TIME_WAIT for _, _, t in trace)
    # The contrast: the same network with TIME-WAIT (and RFC 1337) holds.
    assert run("rfc1337_lost_ack").spec.config.replace(variant="no_time_wait") == run("no_time_wait").spec.config
    assert run("rfc1337_lost_ack").result["graceful_end"].status == H


def test_long_rto_the_fin_comes_back_after_time_wait_ended():
    trace = steps("rfc1337_long_rto", "graceful_end")
    r = _lost_last_ack_then_rst(trace)
    tw_end = first(trace, lambda s, a, t: a == timeout(CLIENT, "time-wait"))
    assert tw_end < r  # TIME-WAIT (2*MSL = 2 ticks) is over before the RTO (3 ticks) fires
    cfg = run("rfc1337_long_rto").spec.config
    assert cfg.rto > cfg.msl and cfg.time_wait_ticks == 2 * cfg.msl


def test_closed_lifetime_timer_wins_the_tie_with_the_retransmitted_fin():
    trace = steps("rfc1337_closed_lifetime", "graceful_end")
    r = _lost_last_ack_then_rst(trace)
    tw_end = first(trace, lambda s, a, t: a == timeout(CLIENT, "time-wait"), r)
    (fin,) = sent_segments(*trace[r])
    in_flight = [seg for seg in trace[tw_end][0].channel(S2C) if seg.content == fin.content]
    assert in_flight and in_flight[0].at_limit  # the FIN is due this very tick
    # Half-open lifetimes give the segment's deadline precedence: the same settings hold.
    assert run("rfc1337_lost_ack").spec.config.replace(lifetime="closed") == run("rfc1337_closed_lifetime").spec.config
    assert run("rfc1337_lost_ack").result["graceful_end"].status == H


# ------------------------------------------------------------------ why three steps to open
def test_two_way_handshake_old_duplicate_syn_opens_a_connection_nobody_asked_for():
    trace = steps("two_way_handshake", "no_bogus_open")
    d = first(trace, lambda s, a, t: kind(a) == "dup")
    assert direction_of(trace[d][1]) == C2S and segment_of(trace[d][1]).flags == SYN
    s, a, t = trace[-1]
    assert is_delivery(a, C2S) and segment_of(a).flags == SYN and segment_of(a).cinc == 1
    assert s.server.state == LISTEN and t.server.state == ESTABLISHED and t.server.inc == 2
    assert s.client.state not in (SYN_SENT, ESTABLISHED)  # the first connection is over
    # Three steps, same network: the old SYN only gets the server to SYN-RECEIVED.
    assert holds_with("two_way_handshake", "no_bogus_open", variant="rfc9293") == H
    assert run("rfc9293_old_syn").spec.config == run("two_way_handshake").spec.config.replace(variant="rfc9293")


def test_rfc9293_old_syn_the_old_syn_only_reaches_syn_received():
    """The contrast's own mechanism: replaying the broken variant's counterexample in the real
    protocol, the duplicate SYN takes the re-listening server to SYN-RECEIVED, not ESTABLISHED;
    from there the server can only be established by an ACK of its new SYN,ACK, which no client
    incarnation sends, and it returns to LISTEN on the client's RST once the client is CLOSED."""
    model = run("rfc9293_old_syn").model
    state = model.init_states()[0]
    for _, a, _ in steps("two_way_handshake", "no_bogus_open"):
        (state,) = [t for b, t in model.successors(state) if b == a]
    assert state.server.state == SYN_RECEIVED and state.server.peer == 1 and state.server.inc == 2
    # Breadth-first from there: the server goes back to LISTEN by a RST, never to ESTABLISHED.
    frontier, seen, back = [state], {state}, False
    for _ in range(12):
        nxt = []
        for s in frontier:
            for a, t in model.successors(s):
                if s.server.inc == 2 and t.server.state == ESTABLISHED and t.server.inc == 2:
                    raise AssertionError("the stale server connection became ESTABLISHED")
                if (s.server.state == SYN_RECEIVED and t.server.state == LISTEN and is_delivery(a, C2S)
                        and segment_of(a).flags & RST and s.client.state == CLOSED):
                    back = True
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        frontier = nxt
    assert back


# ------------------------------------------------------------------ why four steps to close
def test_three_step_close_the_servers_data_is_written_after_its_fin():
    trace = steps("three_step_close", "close_delivers_all")
    i = first(trace, lambda s, a, t: is_delivery(a, C2S) and segment_of(a).flags & FIN)
    s, a, t = trace[i]
    assert t.server.state == LAST_ACK and [x.flags for x in sent_segments(s, a, t)] == [FIN | ACK]
    j = first(trace, lambda s, a, t: a == user_call("SEND", SERVER), i)
    assert sent_segments(*trace[j]) == []  # "connection closing": the octet is refused
    last = trace[-1][2]
    assert last.client.fin_rcvd and last.server.app_closed and last.client.delivered < last.server.written
    assert holds_with("three_step_close", "close_delivers_all", variant="rfc9293") == H


# ------------------------------------------------------------------ why retransmission
def test_no_retransmit_a_lost_syn_strands_the_client():
    for prop in ("eventual_close", "no_deadlock"):
        trace = steps("no_retransmit", prop)
        assert [kind(a) for _, a, _ in trace] == ["OPEN", "lose"]
        end = trace[-1][2]
        assert end[CLIENT].state == SYN_SENT and end[CLIENT].rexmt == -1 and not end.channel(C2S)
    assert run("no_retransmit").result["eventual_close"].trace.dead_end
    assert holds_with("no_retransmit", "eventual_close", variant="rfc9293") == H


# ------------------------------------------------------------------ why 2*MSL: old duplicates
def test_short_time_wait_an_old_octet_is_accepted_by_the_new_connection():
    trace = steps("short_time_wait", "no_stale_delivery")
    d = first(trace, lambda s, a, t: kind(a) == "dup")
    copy = segment_of(trace[d][1])
    assert copy.dlen == 1 and copy.cinc == 1
    tw = first(trace, lambda s, a, t: a == timeout(CLIENT, "time-wait"))
    ticks = sum(1 for _, a, _ in trace[d:] if kind(a) == "tick")
    assert ticks < 2 * run("short_time_wait").spec.config.msl  # the copy lives within MSL
    s, a, t = trace[-1]
    assert tw < len(trace) - 1 and is_delivery(a, C2S) and segment_of(a).content == copy.content
    assert t.server.delivered == s.server.delivered + 1 and t.server.peer == 2
    # The same settings with TIME-WAIT of 2*MSL accept no old octet.
    assert holds_with("short_time_wait", "no_stale_delivery", time_wait=None) == H
    assert run("rfc1337_reuse_constant_isn").spec.config == run("short_time_wait").spec.config.replace(time_wait=None)


def test_short_time_wait_reuse_with_an_old_segment_in_flight():
    trace = steps("short_time_wait", "no_reuse_before_2msl")
    tw_start = first(trace, lambda s, a, t: t.client.state == TIME_WAIT)
    tw_end = first(trace, lambda s, a, t: a == timeout(CLIENT, "time-wait"))
    assert sum(1 for _, a, _ in trace[tw_start:tw_end] if kind(a) == "tick") == 1
    s, a, t = trace[-1]
    assert kind(a) == "OPEN" and t.client.inc == 2
    assert any(seg.cinc == 1 for seg in t.channel(C2S) + t.channel(S2C))


@pytest.mark.parametrize("name", ["short_time_wait", "rfc1337_reuse_constant_isn"])
def test_constant_isn_a_stale_syn_and_an_old_ack_open_a_connection(name):
    trace = steps(name, "no_bogus_open")
    d = first(trace, lambda s, a, t: kind(a) == "dup")
    assert segment_of(trace[d][1]).flags == SYN and segment_of(trace[d][1]).cinc == 1
    i = first(trace, lambda s, a, t: is_delivery(a, C2S) and segment_of(a).flags == SYN and t.server.inc == 2)
    assert trace[i][0][SERVER].state == LISTEN and trace[i][0][CLIENT].state == TIME_WAIT
    s, a, t = trace[-1]
    ack = segment_of(a)
    assert is_delivery(a, C2S) and ack.flags == ACK and (ack.cinc, ack.sconn) == (1, 1)  # the first handshake's ACK
    assert s.server.state == SYN_RECEIVED and t.server.state == ESTABLISHED and t.server.iss == 300
    # With a clock-driven ISN the old ACK is refused.
    assert holds_with(name, "no_bogus_open", isn="clock") == H


def test_constant_isn_the_half_open_server_is_never_cleaned_up():
    for prop in ("eventual_close", "no_deadlock"):
        trace = steps("rfc1337_reuse_constant_isn", prop)
        end = trace[-1][2]
        assert end[SERVER].state == ESTABLISHED and end[CLIENT].state == CLOSED
        assert end[CLIENT].inc == run("rfc1337_reuse_constant_isn").spec.config.incarnations
        assert not end.channel(C2S) and not end.channel(S2C) and end[SERVER].rexmt == -1
        assert trace[-1][1] == timeout(CLIENT, "retransmission")  # the client gave up
        # Each challenge ACK of the half-open server is dropped by the new SYN-SENT client.
        challenged = [(s, a, t) for s, a, t in trace
                      if is_delivery(a, S2C) and s.client.state == SYN_SENT and s.client.inc == 2]
        assert challenged and all(t.client == s.client and not sent_segments(s, a, t) for s, a, t in challenged)
        assert all(segment_of(a).ack == s.client.iss + 1 for s, a, t in challenged)
    trace = steps("rfc1337_reuse_constant_isn", "quiescent_agreement")
    end = trace[-1][2]
    assert end[SERVER].state == ESTABLISHED and end[CLIENT].state != ESTABLISHED and not end.channel(C2S) and not end.channel(S2C)
    for prop in ("eventual_close", "no_deadlock", "quiescent_agreement"):
        assert holds_with("rfc1337_reuse_constant_isn", prop, isn="clock") == H


@pytest.mark.parametrize("name", ["rfc1337_reuse", "rfc1337_reuse_constant_isn"])
def test_replies_outlive_2msl(name):
    trace = steps(name, "no_reuse_before_2msl")
    tw_end = first(trace, lambda s, a, t: a == timeout(CLIENT, "time-wait"))
    tw_start = first(trace, lambda s, a, t: t.client.state == TIME_WAIT)
    ticks = sum(1 for _, a, _ in trace[tw_start:tw_end] if kind(a) == "tick")
    assert ticks == 2 * run(name).spec.config.msl  # TIME-WAIT ran its full 2*MSL
    d = first(trace, lambda s, a, t: kind(a) == "dup")
    assert segment_of(trace[d][1]).flags == SYN
    # A duplicate of the first SYN opened a SYN-RECEIVED connection for incarnation 1 ...
    i = first(trace, lambda s, a, t: is_delivery(a, C2S) and segment_of(a).flags == SYN and t.server.inc == 2)
    assert trace[i][2][SERVER].state == SYN_RECEIVED and trace[i][2][SERVER].peer == 1
    # ... whose segments are in the network when the client has opened again.
    end = trace[-1][2]
    assert end[CLIENT].inc == 2 and any(seg.cinc == 1 for seg in end.channel(S2C))


# ------------------------------------------------------------------ early release
def test_early_close_the_released_client_resets_the_server():
    trace = steps("early_close", "graceful_end")
    c = first(trace, lambda s, a, t: a == user_call("CLOSE", CLIENT))
    assert trace[c][0][CLIENT].state == SYN_SENT and trace[c][2][CLIENT].state == CLOSED
    sc = first(trace, lambda s, a, t: a == user_call("CLOSE", SERVER))
    s, a, t = trace[sc]
    assert s.server.state == SYN_RECEIVED and t.server.state == FIN_WAIT_1
    assert [x.flags for x in sent_segments(s, a, t)] == [FIN | ACK]
    k = first(trace, lambda s, a, t: is_delivery(a, S2C) and segment_of(a).flags == SYN | ACK)
    assert trace[k][0][CLIENT].state == CLOSED and [x.flags for x in sent_segments(*trace[k])] == [RST]
    s, a, t = trace[-1]
    assert s.server.state == FIN_WAIT_1 and t.server.state == CLOSED


def test_early_close_without_retransmission_strands_the_server():
    for prop in ("eventual_close", "no_deadlock"):
        trace = steps("early_close_no_retransmit", prop)
        lost = first(trace, lambda s, a, t: kind(a) == "lose")
        assert segment_of(trace[lost][1]).flags == SYN | ACK
        end = trace[-1][2]
        assert end[SERVER].state == FIN_WAIT_1 and end[SERVER].rexmt == -1 and not end.channel(C2S) and not end.channel(S2C)
    assert run("early_close").result["eventual_close"].status == H


# ------------------------------------------------------------------ coverage of the explanations
BACKED = {
    ("rfc9293", "graceful_end"), ("rfc9293_old_syn", "graceful_end"), ("rfc9293_faults", "graceful_end"),
    ("rfc9293_lost_ack", "graceful_end"), ("no_time_wait", "graceful_end"), ("rfc1337_long_rto", "graceful_end"),
    ("rfc1337_closed_lifetime", "graceful_end"), ("two_way_handshake", "no_bogus_open"),
    ("three_step_close", "close_delivers_all"), ("no_retransmit", "eventual_close"), ("no_retransmit", "no_deadlock"),
    ("short_time_wait", "no_stale_delivery"), ("short_time_wait", "no_reuse_before_2msl"),
    ("short_time_wait", "no_bogus_open"), ("rfc1337_reuse_constant_isn", "no_bogus_open"),
    ("rfc1337_reuse_constant_isn", "eventual_close"), ("rfc1337_reuse_constant_isn", "no_deadlock"),
    ("rfc1337_reuse_constant_isn", "quiescent_agreement"), ("rfc1337_reuse_constant_isn", "no_reuse_before_2msl"),
    ("rfc1337_reuse", "no_reuse_before_2msl"), ("early_close", "graceful_end"),
    ("early_close_no_retransmit", "eventual_close"), ("early_close_no_retransmit", "no_deadlock"),
}


def test_every_explanation_is_backed_by_a_mechanism_test():
    explained = {(p.stem, prop) for p in SPECS.glob("*.toml") for prop in load(p).explain}
    assert explained == BACKED
