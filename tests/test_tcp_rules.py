"""RFC 9293 §3.10 event processing, one rule at a time, on hand-built states.

Each test builds a state (two TCBs and the two channels), asks TcpModel.successors for the
one step under test, and checks the next state and the segments sent.
"""

import pytest

from tcpmodel.tcp import TcpConfig, TcpModel
from tcpmodel.tcp.actions import TICK, added_segments, deliver, duplicate, kind, lose, timeout, user_call
from tcpmodel.tcp.tcb import (
    ACK, C2S, CLIENT, CLOSE_WAIT, CLOSED, CLOSING, ESTABLISHED, FIN, FIN_WAIT_1, FIN_WAIT_2,
    LAST_ACK, LISTEN, RST, S2C, SERVER, SYN, SYN_RECEIVED, SYN_SENT, TIME_WAIT, GlobalState, Segment, idle_tcb,
)

MSL, RTO, RETRIES, WINDOW = 2, 3, 2, 2


def model(**changes):
    return TcpModel(TcpConfig(msl=MSL, rto=RTO, max_retries=RETRIES, window=WINDOW, **changes))


def seg(seq, ack, flags, dlen=0, cinc=1, sconn=1, age=0):
    """A segment as sent by the model under test (its limit of age is MSL: max_delay not set)."""
    return Segment(seq, ack, flags, dlen, cinc, sconn, MSL, age)


def state(client, server, c2s=(), s2c=(), loss=0, dup=0):
    return GlobalState(client, server, tuple(sorted(c2s)), tuple(sorted(s2c)), loss, dup)


# Typical TCBs: client ISS 100, server ISS 300, both past the handshake.
def client_established(**kw):
    base = dict(iss=100, irs=300, snd_una=101, snd_nxt=101, rcv_nxt=301, inc=1, peer=1)
    return idle_tcb(ESTABLISHED)._replace(**{**base, **kw})


def server_established(**kw):
    base = dict(iss=300, irs=100, snd_una=301, snd_nxt=301, rcv_nxt=101, inc=1, peer=1, passive=True)
    return idle_tcb(ESTABLISHED)._replace(**{**base, **kw})


def step(m, s, action):
    """The unique successor of ``s`` by ``action``."""
    found = [t for a, t in m.successors(s) if a == action]
    assert len(found) == 1, f"{action} has {len(found)} successors from {s}"
    return found[0]


def deliver_to_client(m, s, segment):
    return step(m, s, deliver(S2C, segment))


def deliver_to_server(m, s, segment):
    return step(m, s, deliver(C2S, segment))


def sent(before, after, direction):
    """The segments that joined channel ``direction`` (compared without ages)."""
    new = added_segments(before.channel(direction), after.channel(direction))
    return [(x.seq, x.ack, x.flags, x.dlen) for x in new]


def action_kinds(m, s):
    return [a for a, _ in m.successors(s)]


# --------------------------------------------------------------------------------------------
# LISTEN, CLOSED and SYN-SENT (§3.10.7.1-3)


def test_listen_receiving_syn_goes_to_syn_received_and_sends_syn_ack():
    m = model()
    client = idle_tcb(SYN_SENT)._replace(iss=100, snd_una=100, snd_nxt=101, inc=1, rexmt=RTO)
    syn = seg(100, 0, SYN, cinc=1, sconn=0)
    s = state(client, idle_tcb(LISTEN), c2s=[syn])
    t = deliver_to_server(m, s, syn)
    server = t.server
    assert server.state == SYN_RECEIVED
    assert (server.iss, server.snd_una, server.snd_nxt) == (300, 300, 301)
    assert (server.irs, server.rcv_nxt) == (100, 101)
    assert server.passive and server.inc == 1 and server.peer == 1 and server.rexmt == RTO
    assert t.c2s == ()  # the SYN was consumed
    # <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, carrying the new connection's ghost ids
    assert t.s2c == (seg(300, 101, SYN | ACK, 0, 1, 1, 0),)


def test_two_way_handshake_server_established_on_syn():
    m = model(variant="two_way_handshake")
    syn = seg(100, 0, SYN, cinc=1, sconn=0)
    s = state(idle_tcb(SYN_SENT)._replace(iss=100, snd_una=100, snd_nxt=101, inc=1), idle_tcb(LISTEN), c2s=[syn])
    t = deliver_to_server(m, s, syn)
    assert t.server.state == ESTABLISHED
    assert sent(s, t, S2C) == [(300, 101, SYN | ACK, 0)]
    # the reference protocol waits for the ACK of its SYN
    assert deliver_to_server(model(), s, syn)[SERVER].state == SYN_RECEIVED


def test_listen_answers_an_ack_with_a_reset_and_ignores_a_reset():
    m = model()
    stray = seg(105, 333, ACK)
    s = state(idle_tcb(CLOSED), idle_tcb(LISTEN), c2s=[stray])
    t = deliver_to_server(m, s, stray)
    assert t.server == s.server
    assert sent(s, t, S2C) == [(333, 0, RST, 0)]  # <SEQ=SEG.ACK><CTL=RST>
    rst = seg(105, 0, RST)
    s = state(idle_tcb(CLOSED), idle_tcb(LISTEN), c2s=[rst])
    t = deliver_to_server(m, s, rst)
    assert t.server == s.server and t.s2c == ()


def test_closed_answers_a_segment_with_ack_by_rst_at_seg_ack():
    m = model()
    closed = idle_tcb(CLOSED)._replace(inc=1, peer=1)
    fin = seg(302, 103, FIN | ACK, cinc=1, sconn=1)
    s = state(closed, server_established(state=LAST_ACK), s2c=[fin])
    t = deliver_to_client(m, s, fin)
    assert t.client == closed
    # <SEQ=SEG.ACK><CTL=RST>, with the ghost ids of the segment it answers
    assert t.c2s == (seg(103, 0, RST, 0, 1, 1, 0),)


def test_closed_answers_a_segment_without_ack_by_rst_ack():
    m = model()
    closed = idle_tcb(CLOSED)
    syn = seg(300, 0, SYN, cinc=0, sconn=4)
    s = state(closed, idle_tcb(SYN_SENT), s2c=[syn])
    t = deliver_to_client(m, s, syn)
    assert t.client == closed
    # <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; a SYN counts one in SEG.LEN
    assert t.c2s == (seg(0, 301, RST | ACK, 0, 0, 4, 0),)
    fin_with_data = seg(300, 0, FIN, dlen=1)
    assert fin_with_data.seg_len == 2
    s = state(closed, idle_tcb(SYN_SENT), s2c=[fin_with_data])
    assert sent(s, deliver_to_client(m, s, fin_with_data), C2S) == [(0, 302, RST | ACK, 0)]


def test_closed_drops_a_reset():
    m = model()
    rst = seg(303, 0, RST)
    s = state(idle_tcb(CLOSED), idle_tcb(CLOSED), s2c=[rst])
    t = deliver_to_client(m, s, rst)
    assert t == GlobalState(s.client, s.server, (), (), 0, 0)


def test_syn_sent_resets_an_unacceptable_ack_and_establishes_on_syn_ack():
    m = model()
    client = idle_tcb(SYN_SENT)._replace(iss=100, snd_una=100, snd_nxt=101, inc=1, rexmt=RTO)
    server = idle_tcb(SYN_RECEIVED)
    bad = seg(300, 107, SYN | ACK)  # SEG.ACK > SND.NXT
    s = state(client, server, s2c=[bad])
    t = deliver_to_client(m, s, bad)
    assert t.client == client and sent(s, t, C2S) == [(107, 0, RST, 0)]
    good = seg(300, 101, SYN | ACK)
    s = state(client, server, s2c=[good])
    t = deliver_to_client(m, s, good)
    c = t.client
    assert c.state == ESTABLISHED and (c.irs, c.rcv_nxt, c.snd_una) == (300, 301, 101)
    assert c.rexmt == -1 and c.peer == 1
    assert sent(s, t, C2S) == [(101, 301, ACK, 0)]  # <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>


def test_syn_sent_crossing_syn_goes_to_syn_received():
    m = model(simultaneous=True)
    client = idle_tcb(SYN_SENT)._replace(iss=100, snd_una=100, snd_nxt=101, inc=1, rexmt=RTO)
    syn = seg(300, 0, SYN, cinc=0, sconn=1)
    s = state(client, idle_tcb(SYN_SENT), s2c=[syn])
    t = deliver_to_client(m, s, syn)
    assert t.client.state == SYN_RECEIVED and t.client.rcv_nxt == 301
    assert sent(s, t, C2S) == [(100, 301, SYN | ACK, 0)]  # <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>


def test_syn_received_passive_goes_back_to_listen_on_reset():
    m = model()
    server = idle_tcb(SYN_RECEIVED)._replace(iss=300, irs=100, snd_una=300, snd_nxt=301, rcv_nxt=101,
                                             passive=True, inc=1, peer=1, rexmt=RTO)
    rst = seg(101, 0, RST)
    s = state(idle_tcb(CLOSED), server, c2s=[rst])
    t = deliver_to_server(m, s, rst)
    assert t.server.state == LISTEN and t.server.rexmt == -1
    assert t.s2c == ()


# --------------------------------------------------------------------------------------------
# Synchronized states (§3.10.7.4): acceptability, RST, SYN, ACK, text, FIN


@pytest.mark.parametrize("seq,dlen,acceptable", [
    (301, 0, True),   # RCV.NXT
    (302, 0, True),   # inside the window
    (303, 0, False),  # RCV.NXT + RCV.WND: beyond
    (300, 0, False),  # before RCV.NXT
    (301, 1, True),
    (302, 1, True),   # in window, out of order: acceptable (but answered, not held)
    (300, 1, False),  # an old octet
    (303, 1, False),
])
def test_acceptability_test(seq, dlen, acceptable):
    m = model()
    client = client_established()
    segment = seg(seq, 101, ACK, dlen=dlen)
    s = state(client, server_established(), s2c=[segment])
    t = deliver_to_client(m, s, segment)
    replies = sent(s, t, C2S)
    if not acceptable:
        assert t.client == client
        assert replies == [(101, 301, ACK, 0)]  # <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    elif dlen and seq == 301:
        assert t.client.rcv_nxt == 302 and t.client.delivered == 1
        assert replies == [(101, 302, ACK, 0)]
    elif dlen:
        assert t.client == client and replies == [(101, 301, ACK, 0)]
    else:
        assert t.client == client and replies == []  # a duplicate ACK is ignored


def test_unacceptable_segment_gets_an_ack_from_snd_nxt_and_rcv_nxt():
    m = model()
    client = client_established(snd_una=101, snd_nxt=102, queued=0, rexmt=2)
    old = seg(299, 101, ACK, dlen=1)
    s = state(client, server_established(), s2c=[old])
    t = deliver_to_client(m, s, old)
    assert t.client == client
    assert t.c2s == (seg(102, 301, ACK, 0, 1, 1, 0),)


def test_rst_exactly_at_rcv_nxt_resets():
    m = model()
    rst = seg(301, 0, RST)
    s = state(client_established(), server_established(), s2c=[rst])
    t = deliver_to_client(m, s, rst)
    assert t.client.state == CLOSED and t.client.rexmt == -1
    assert t.c2s == ()


def test_rst_in_window_but_not_exact_gets_a_challenge_ack():
    m = model()
    client = client_established()
    rst = seg(302, 0, RST)
    s = state(client, server_established(), s2c=[rst])
    t = deliver_to_client(m, s, rst)
    assert t.client == client
    assert sent(s, t, C2S) == [(101, 301, ACK, 0)]


@pytest.mark.parametrize("seq", [300, 303, 310])
def test_rst_out_of_window_is_dropped(seq):
    m = model()
    client = client_established()
    rst = seg(seq, 0, RST)
    s = state(client, server_established(), s2c=[rst])
    t = deliver_to_client(m, s, rst)
    assert t.client == client and t.c2s == () and t.s2c == ()


def test_syn_in_a_synchronized_state_gets_a_challenge_ack():
    m = model()
    client = client_established()
    syn = seg(301, 0, SYN)
    s = state(client, server_established(), s2c=[syn])
    t = deliver_to_client(m, s, syn)
    assert t.client == client and sent(s, t, C2S) == [(101, 301, ACK, 0)]


def test_ack_of_unsent_data_is_answered_and_dropped():
    m = model()
    client = client_established()
    future = seg(301, 150, ACK)
    s = state(client, server_established(), s2c=[future])
    t = deliver_to_client(m, s, future)
    assert t.client == client and sent(s, t, C2S) == [(101, 301, ACK, 0)]


def test_fin_in_established_goes_to_close_wait():
    m = model()
    fin = seg(101, 301, FIN | ACK)
    s = state(client_established(state=FIN_WAIT_1, snd_nxt=102, fin_seq=101, rexmt=RTO), server_established(), c2s=[fin])
    t = deliver_to_server(m, s, fin)
    server = t.server
    assert server.state == CLOSE_WAIT and server.rcv_nxt == 102 and server.fin_rcvd
    assert sent(s, t, S2C) == [(301, 102, ACK, 0)]


def fin_wait_1_client():
    # Our FIN is seq 101 (sent, not acknowledged): SND.UNA 101, SND.NXT 102.
    return client_established(state=FIN_WAIT_1, snd_una=101, snd_nxt=102, fin_seq=101, app_closed=True, rexmt=RTO)


def test_fin_wait_1_crossing_fin_goes_to_closing():
    m = model()
    fin = seg(301, 101, FIN | ACK)  # does not acknowledge our FIN
    s = state(fin_wait_1_client(), server_established(state=FIN_WAIT_1, snd_nxt=302, fin_seq=301), s2c=[fin])
    t = deliver_to_client(m, s, fin)
    client = t.client
    assert client.state == CLOSING and client.rcv_nxt == 302 and client.fin_rcvd
    assert client.rexmt == RTO  # our FIN still awaits its ACK
    assert sent(s, t, C2S) == [(102, 302, ACK, 0)]
    # CLOSING + the ACK of our FIN -> TIME-WAIT
    ack = seg(302, 102, ACK)
    s2 = GlobalState(t.client, t.server, (), (ack,), 0, 0)
    t2 = deliver_to_client(m, s2, ack)
    assert t2.client.state == TIME_WAIT and t2.client.tw == 2 * MSL


def test_fin_wait_1_fin_that_acks_ours_goes_to_time_wait():
    m = model()
    fin = seg(301, 102, FIN | ACK)  # acknowledges our FIN
    s = state(fin_wait_1_client(), server_established(state=LAST_ACK, snd_nxt=302, fin_seq=301), s2c=[fin])
    t = deliver_to_client(m, s, fin)
    client = t.client
    assert client.state == TIME_WAIT
    assert client.tw == 2 * MSL and client.rexmt == -1  # time-wait timer on, the others off
    assert client.snd_una == 102 and client.rcv_nxt == 302
    assert sent(s, t, C2S) == [(102, 302, ACK, 0)]


def test_fin_wait_1_ack_of_fin_goes_to_fin_wait_2_then_fin_to_time_wait():
    m = model()
    ack = seg(301, 102, ACK)
    s = state(fin_wait_1_client(), server_established(state=CLOSE_WAIT), s2c=[ack])
    t = deliver_to_client(m, s, ack)
    assert t.client.state == FIN_WAIT_2 and t.client.rexmt == -1 and sent(s, t, C2S) == []
    fin = seg(301, 102, FIN | ACK)
    s2 = GlobalState(t.client, t.server, (), (fin,), 0, 0)
    t2 = deliver_to_client(m, s2, fin)
    assert t2.client.state == TIME_WAIT and t2.client.tw == 2 * MSL


def test_last_ack_closes_on_the_ack_of_its_fin():
    m = model()
    server = server_established(state=LAST_ACK, snd_una=301, snd_nxt=302, fin_seq=301, rcv_nxt=102, rexmt=RTO)
    ack = seg(102, 302, ACK)
    s = state(idle_tcb(TIME_WAIT), server, c2s=[ack])
    t = deliver_to_server(m, s, ack)
    assert t.server.state == CLOSED and t.s2c == ()


def time_wait_client(tw):
    return client_established(state=TIME_WAIT, snd_una=102, snd_nxt=102, fin_seq=101, rcv_nxt=302, tw=tw, rexmt=-1)


def test_time_wait_restarts_on_a_retransmitted_fin():
    m = model()
    fin = seg(301, 102, FIN | ACK)
    s = state(time_wait_client(1), server_established(state=LAST_ACK, snd_nxt=302, fin_seq=301), s2c=[fin])
    t = deliver_to_client(m, s, fin)
    assert t.client.state == TIME_WAIT and t.client.tw == 2 * MSL
    assert t.client == s.client._replace(tw=2 * MSL)
    assert sent(s, t, C2S) == [(102, 302, ACK, 0)]


def test_time_wait_ends_on_an_exact_rst_but_not_with_rfc1337():
    rst = seg(302, 0, RST)
    s = state(time_wait_client(3), idle_tcb(CLOSED), s2c=[rst])
    t = deliver_to_client(model(), s, rst)
    assert t.client.state == CLOSED and t.client.tw == -1
    t = deliver_to_client(model(variant="rfc1337"), s, rst)
    assert t.client == s.client and t.c2s == () and t.s2c == ()  # ignored: no assassination


def test_no_time_wait_variant_goes_straight_to_closed():
    m = model(variant="no_time_wait")
    fin = seg(301, 102, FIN | ACK)
    s = state(fin_wait_1_client(), server_established(state=LAST_ACK, snd_nxt=302, fin_seq=301), s2c=[fin])
    t = deliver_to_client(m, s, fin)
    assert t.client.state == CLOSED and t.client.tw == -1
    assert sent(s, t, C2S) == [(102, 302, ACK, 0)]  # the last ACK still goes out


def test_three_step_close_answers_a_fin_with_fin_ack():
    m = model(variant="three_step_close")
    fin = seg(101, 301, FIN | ACK)
    s = state(fin_wait_1_client(), server_established(), c2s=[fin])
    t = deliver_to_server(m, s, fin)
    assert t.server.state == LAST_ACK and t.server.fin_seq == 301
    assert sent(s, t, S2C) == [(301, 102, FIN | ACK, 0)]


# --------------------------------------------------------------------------------------------
# Timers and time (§3.10.8)


def test_retransmission_after_rto():
    m = model()
    client = idle_tcb(SYN_SENT)._replace(iss=100, snd_una=100, snd_nxt=101, inc=1, rexmt=RTO)
    s = state(client, idle_tcb(LISTEN))
    # The timer runs down by one per tick ...
    for left in range(RTO, 0, -1):
        assert s.client.rexmt == left
        assert timeout(CLIENT, "retransmission") not in action_kinds(m, s)
        s = step(m, s, TICK)
    # ... and at 0 it fires (and time waits for it).
    assert action_kinds(m, s) == [timeout(CLIENT, "retransmission")]
    t = step(m, s, timeout(CLIENT, "retransmission"))
    assert t.client.retries == 1 and t.client.rexmt == RTO and t.client.state == SYN_SENT
    assert t.c2s == (seg(100, 0, SYN, 0, 1, 0, 0),)


@pytest.mark.parametrize("tcb,expected", [
    (dict(state=SYN_RECEIVED, iss=300, snd_una=300, snd_nxt=301, rcv_nxt=101), (300, 101, SYN | ACK, 0)),
    (dict(state=ESTABLISHED, iss=300, snd_una=301, snd_nxt=302, rcv_nxt=101), (301, 101, ACK, 1)),
    (dict(state=LAST_ACK, iss=300, snd_una=302, snd_nxt=303, fin_seq=302, rcv_nxt=102), (302, 102, FIN | ACK, 0)),
])
def test_retransmission_resends_the_oldest_unacknowledged_segment(tcb, expected):
    m = model()
    server = server_established(**tcb, rexmt=0)
    s = state(idle_tcb(CLOSED), server)
    t = step(m, s, timeout(SERVER, "retransmission"))
    assert sent(s, t, S2C) == [expected]
    assert t.server.retries == 1 and t.server.rexmt == RTO and t.server.state == tcb["state"]


def test_connection_dropped_after_max_retries():
    m = model()
    client = idle_tcb(SYN_SENT)._replace(iss=100, snd_una=100, snd_nxt=101, inc=1, rexmt=0, retries=RETRIES - 1)
    s = state(client, idle_tcb(LISTEN))
    t = step(m, s, timeout(CLIENT, "retransmission"))
    assert t.client.state == SYN_SENT and t.client.retries == RETRIES and len(t.c2s) == 1
    s = GlobalState(t.client._replace(rexmt=0), t.server, (), (), 0, 0)
    t = step(m, s, timeout(CLIENT, "retransmission"))
    assert t.client.state == CLOSED and t.client.rexmt == -1
    assert t.c2s == ()  # dropped silently: nothing sent


def test_no_retransmit_variant_never_starts_the_timer():
    m = model(variant="no_retransmit")
    s = m.init_states()[0]
    t = step(m, s, user_call("OPEN", CLIENT, 100))
    assert t.client.state == SYN_SENT and t.client.rexmt == -1


def test_time_wait_timeout_closes():
    m = model()
    s = state(time_wait_client(0), idle_tcb(LISTEN))
    assert action_kinds(m, s) == [timeout(CLIENT, "time-wait")]
    t = step(m, s, timeout(CLIENT, "time-wait"))
    assert t.client.state == CLOSED and t.client.tw == -1


def test_tick_ages_segments_and_runs_timers_down():
    m = model()
    s = state(time_wait_client(3), idle_tcb(CLOSED), c2s=[seg(102, 302, ACK, age=MSL - 1)])
    t = step(m, s, TICK)
    assert t.client.tw == 2 and t.c2s[0].age == MSL


def test_tick_disabled_when_a_segment_reached_msl():
    m = model()
    old = seg(102, 302, ACK, age=MSL)
    s = state(time_wait_client(3), idle_tcb(LISTEN), c2s=[old])
    actions = action_kinds(m, s)
    assert TICK not in actions
    assert actions == [deliver(C2S, old)]
    # ... and an expired timer waits too: the segment's deadline comes first.
    s = state(time_wait_client(0), idle_tcb(LISTEN), c2s=[old])
    assert action_kinds(m, s) == [deliver(C2S, old)]
    # with loss budget, losing it is the other way out
    s = state(time_wait_client(3), idle_tcb(LISTEN), c2s=[old], loss=1)
    assert action_kinds(m, s) == [deliver(C2S, old), lose(C2S, old)]


def test_no_tick_when_nothing_depends_on_time():
    m = model()
    s = m.init_states()[0]
    assert TICK not in action_kinds(m, s)
    assert action_kinds(m, s) == [user_call("OPEN", CLIENT, 100)]


# --------------------------------------------------------------------------------------------
# User calls and faults


def test_initial_state_and_the_client_script():
    m = model()
    (s,) = m.init_states()
    assert s.client.state == CLOSED and s.server.state == LISTEN and s.idle and (s.loss, s.dup) == (0, 0)
    t = step(m, s, user_call("OPEN", CLIENT, 100))
    assert t.c2s == (seg(100, 0, SYN, 0, 1, 0, 0),)
    client = client_established()
    s = state(client, server_established())
    t = step(m, s, user_call("SEND", CLIENT))
    assert sent(s, t, C2S) == [(101, 301, ACK, 1)] and t.client.written == 1
    t2 = step(m, t, user_call("CLOSE", CLIENT))
    assert t2.client.state == FIN_WAIT_1 and sent(t, t2, C2S) == [(102, 301, FIN | ACK, 0)]


def test_window_limits_what_is_sent():
    m = model(client_data=3)
    s = state(client_established(written=2, queued=0, snd_nxt=103), server_established())
    t = step(m, s, user_call("SEND", CLIENT))
    # two octets unacknowledged fill the window of 2: the third is queued, not sent
    assert t.client.queued == 1 and t.client.snd_nxt == 103 and sent(s, t, C2S) == []


def test_isn_policies():
    assert [a for a, _ in model(isn="any", isn_choices=(0, 5)).successors(model().init_states()[0])] == [
        user_call("OPEN", CLIENT, 100), user_call("OPEN", CLIENT, 105)]
    # the clock moves the ISN on for a second incarnation; a constant ISN repeats it
    closed_after_one = idle_tcb(CLOSED)._replace(inc=1)
    s = state(closed_after_one, idle_tcb(LISTEN))
    assert action_kinds(model(incarnations=2), s) == [user_call("OPEN", CLIENT, 110)]
    assert action_kinds(model(incarnations=2, isn="constant"), s) == [user_call("OPEN", CLIENT, 100)]
    assert action_kinds(model(incarnations=1), s) == []


def test_loss_and_duplication_use_their_budgets():
    m = model()
    a, b = seg(101, 301, ACK, dlen=1), seg(102, 301, FIN | ACK)
    s = state(fin_wait_1_client(), server_established(), c2s=[a, b], loss=1, dup=1)
    lost = step(m, s, lose(C2S, a))
    assert lost.c2s == (b,) and (lost.loss, lost.dup) == (0, 1)
    dupd = step(m, s, duplicate(C2S, a))
    assert dupd.c2s == (a, a, b) and (dupd.loss, dupd.dup) == (1, 0)
    assert all(kind(x) not in ("lose", "dup") for x in action_kinds(m, lost._replace(loss=0, dup=0)))


def test_fifo_delivers_only_the_head():
    m = model(channel="fifo")
    a, b = seg(101, 301, ACK, dlen=1), seg(102, 301, FIN | ACK)
    s = GlobalState(fin_wait_1_client(), server_established(), (b, a), (), 0, 0)
    deliveries = [x for x in action_kinds(m, s) if kind(x) == "deliver"]
    assert deliveries == [deliver(C2S, b)]
    bag = model(channel="bag")
    s = state(fin_wait_1_client(), server_established(), c2s=[a, b])
    assert [x for x in action_kinds(bag, s) if kind(x) == "deliver"] == [deliver(C2S, a), deliver(C2S, b)]


def test_format_action_and_describe():
    m = model()
    (s,) = m.init_states()
    t = step(m, s, user_call("OPEN", CLIENT, 100))
    assert m.format_action(user_call("OPEN", CLIENT, 100)) == "client: OPEN (active), ISS=100"
    assert m.describe(s, user_call("OPEN", CLIENT, 100), t) == "client: OPEN (active), ISS=100 → SYN-SENT, send SYN seq=100"
    assert m.format_action(TICK) == "tick"
    assert m.format_action(lose(S2C, seg(300, 101, SYN | ACK))) == "network: lose server→client SYN,ACK seq=300 ack=101"
    assert m.format_action(timeout(SERVER, "time-wait")) == "server: TIME-WAIT timeout"
