"""RFC 9293 / RFC 5961 rules at their boundaries: each end of each range, in and just out.

Every test delivers one segment (or fires one timer, or makes one user call) at a hand-built
TCB and asserts the outcome exactly: the new TCB, field by field (as a ``_replace`` of the old
one), and the segments sent. A rule whose comparison is off by one (``<`` for ``<=``), whose
condition is negated or whose constant is shifted changes one of these outcomes; the mutation
campaign (scripts/mutation_campaign.py, docs/mutation.md) checks that it does.

The sequence numbers are those of tests/test_tcp_rules.py (client ISS 100, server ISS 300), whose
state-building helpers are reused; the window is 3 here so that RCV.NXT+1, RCV.NXT+RCV.WND-1 and
RCV.NXT+RCV.WND are three different numbers. RCV.WND = 0 is not modelled (TcpConfig requires
window >= 1), so of the four acceptability cases of §3.10.7.4 the two with RCV.WND > 0 are the
ones tested, with the smallest window (1) as well.
"""

import pytest

from tcpmodel.tcp import TcpConfig, TcpModel
from tcpmodel.tcp.actions import actor, deliver, is_user_call, timeout, user_call
from tcpmodel.tcp.tcb import (
    ACK, C2S, CLIENT, CLOSE_WAIT, CLOSED, CLOSING, ESTABLISHED, FIN, FIN_WAIT_1, FIN_WAIT_2,
    LAST_ACK, LISTEN, RST, S2C, SERVER, SYN, SYN_RECEIVED, SYN_SENT, TIME_WAIT, GlobalState, Segment, idle_tcb,
)
from test_tcp_rules import client_established, sent, seg, server_established, state, step

MSL, RTO, RETRIES, WINDOW = 2, 3, 2, 3


def model(**overrides):
    """The one place a model is built (so a change of configuration names is one edit)."""
    values = dict(msl=MSL, rto=RTO, max_retries=RETRIES, window=WINDOW)
    values.update(overrides)
    return TcpModel(TcpConfig(**values))


def arrive(m, tcb, segment, side=CLIENT, peer=None):
    """Deliver ``segment`` to endpoint ``side`` holding ``tcb``: (its new TCB, segments it sent
    as (seq, ack, flags, dlen)). The other endpoint (``peer``, CLOSED by default) is untouched."""
    other = idle_tcb(CLOSED) if peer is None else peer
    if side == CLIENT:
        s = state(tcb, other, s2c=[segment])
        t = step(m, s, deliver(S2C, segment))
        assert t.server == other
        return t.client, sent(s, t, C2S)
    s = state(other, tcb, c2s=[segment])
    t = step(m, s, deliver(C2S, segment))
    assert t.client == other
    return t.server, sent(s, t, S2C)


def ack_of(tcb):
    """<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>: the reply to an unacceptable segment, the
    challenge ACK (RFC 5961) and the acknowledgment of text."""
    return (tcb.snd_nxt, tcb.rcv_nxt, ACK, 0)


def deleted(tcb, to=CLOSED):
    """The TCB after "enter the CLOSED state and delete the TCB": timers off, queues flushed;
    application and ghost fields kept."""
    return tcb._replace(state=to, rexmt=-1, tw=-1, queued=0, fin_queued=False)


# --------------------------------------------------------------------------------------------
# One TCB per state, with something outstanding wherever the state allows it, so that an
# acknowledgment changes something. Client side: RCV.NXT 301 before the peer's FIN, 302 after.

def established():
    # One octet sent, not yet acknowledged: SND.UNA 101, SND.NXT 102.
    return client_established(snd_una=101, snd_nxt=102, written=1, rexmt=RTO)


def fin_wait_1():
    # Our FIN is seq 101: SND.UNA 101, SND.NXT 102.
    return client_established(state=FIN_WAIT_1, snd_una=101, snd_nxt=102, fin_seq=101, app_closed=True, rexmt=RTO)


def fin_wait_2():
    return fin_wait_1()._replace(state=FIN_WAIT_2, snd_una=102, rexmt=-1)


def closing():
    return fin_wait_1()._replace(state=CLOSING, rcv_nxt=302, fin_rcvd=True)


def time_wait():
    return fin_wait_2()._replace(state=TIME_WAIT, rcv_nxt=302, fin_rcvd=True, tw=2)


def close_wait():
    # The peer's FIN (301) accepted; our octet 101 outstanding.
    return established()._replace(state=CLOSE_WAIT, rcv_nxt=302, fin_rcvd=True)


def last_ack():
    # Our FIN is seq 101 after the peer's FIN: SND.UNA 101, SND.NXT 102.
    return client_established(state=LAST_ACK, snd_una=101, snd_nxt=102, fin_seq=101, rcv_nxt=302,
                              fin_rcvd=True, app_closed=True, rexmt=RTO)


def syn_received_passive():
    # Server: SYN 100 accepted from LISTEN, our SYN,ACK 300 outstanding.
    return server_established(state=SYN_RECEIVED, snd_una=300, snd_nxt=301, rcv_nxt=101, rexmt=RTO, passive=True)


def syn_received_active():
    # Client: simultaneous open, SYN 300 accepted in SYN-SENT, our SYN 100 outstanding.
    return client_established(state=SYN_RECEIVED, snd_una=100, snd_nxt=101, rcv_nxt=301, rexmt=RTO, passive=False, peer=1)


def syn_sent():
    return idle_tcb(SYN_SENT)._replace(iss=100, snd_una=100, snd_nxt=101, inc=1, rexmt=RTO)


# (name, TCB builder, receiving side): every state that runs §3.10.7.4.
SYNCHRONIZED_AND_SYN_RECEIVED = [
    ("SYN-RECEIVED passive", syn_received_passive, SERVER),
    ("SYN-RECEIVED active", syn_received_active, CLIENT),
    ("ESTABLISHED", established, CLIENT),
    ("FIN-WAIT-1", fin_wait_1, CLIENT),
    ("FIN-WAIT-2", fin_wait_2, CLIENT),
    ("CLOSE-WAIT", close_wait, CLIENT),
    ("CLOSING", closing, CLIENT),
    ("LAST-ACK", last_ack, CLIENT),
    ("TIME-WAIT", time_wait, CLIENT),
]
IDS = [name for name, _, _ in SYNCHRONIZED_AND_SYN_RECEIVED]


# --------------------------------------------------------------------------------------------
# §3.10.7.4 first: sequence acceptability, in ESTABLISHED with octet 101 outstanding. Every
# segment acknowledges it (ACK 102), so an acceptable one moves SND.UNA and an unacceptable one
# does not (it only draws <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>).

ACKED = dict(snd_una=102, rexmt=-1, retries=0)  # the ACK of 102 processed: all acknowledged


@pytest.mark.parametrize("flags,dlen,seq,changes,reply", [
    # SEG.LEN = 0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
    (ACK, 0, 300, None, (102, 301)),          # RCV.NXT-1
    (ACK, 0, 301, ACKED, None),               # RCV.NXT
    (ACK, 0, 303, ACKED, None),               # RCV.NXT+RCV.WND-1
    (ACK, 0, 304, None, (102, 301)),          # RCV.NXT+RCV.WND
    # SEG.LEN = 1 (one octet): the start or the end in the window (here the same octet)
    (ACK, 1, 300, None, (102, 301)),          # SEG.SEQ+SEG.LEN-1 = RCV.NXT-1
    (ACK, 1, 301, dict(ACKED, rcv_nxt=302, delivered=1), (102, 302)),  # in order: accepted
    (ACK, 1, 303, ACKED, (102, 301)),         # RCV.NXT+RCV.WND-1: acceptable, not held, ACKed
    (ACK, 1, 304, None, (102, 301)),          # SEG.SEQ+SEG.LEN-1 = RCV.NXT+RCV.WND
    # SEG.LEN = 2 (an octet and the FIN): the start before the window, the end in it
    (FIN | ACK, 1, 299, None, (102, 301)),    # end RCV.NXT-1
    (FIN | ACK, 1, 300, ACKED, (102, 301)),   # end RCV.NXT: acceptable (not in order: ACKed)
    (FIN | ACK, 1, 302, ACKED, (102, 301)),   # end RCV.NXT+RCV.WND-1
    (FIN | ACK, 1, 303, ACKED, (102, 301)),   # start RCV.NXT+RCV.WND-1, end beyond: acceptable
    (FIN | ACK, 1, 304, None, (102, 301)),    # start RCV.NXT+RCV.WND
])
def test_sequence_acceptability_at_each_end_of_the_window(flags, dlen, seq, changes, reply):
    tcb = established()
    new, replies = arrive(model(), tcb, seg(seq, 102, flags, dlen=dlen))
    assert new == (tcb if changes is None else tcb._replace(**changes))
    assert replies == ([] if reply is None else [(*reply, ACK, 0)])


def test_in_order_octet_and_fin_together_go_to_close_wait():
    tcb = established()
    new, replies = arrive(model(), tcb, seg(301, 102, FIN | ACK, dlen=1))
    assert new == tcb._replace(**ACKED, state=CLOSE_WAIT, rcv_nxt=303, delivered=1, fin_rcvd=True)
    assert replies == [(102, 303, ACK, 0)]


def test_window_of_one_accepts_an_octet_and_fin_starting_at_rcv_nxt():
    # SEG.LEN 2 > RCV.WND 1: the segment's end is beyond the window, its start is in it.
    tcb = established()
    new, replies = arrive(model(window=1), tcb, seg(301, 102, FIN | ACK, dlen=1))
    assert new == tcb._replace(**ACKED, state=CLOSE_WAIT, rcv_nxt=303, delivered=1, fin_rcvd=True)
    assert replies == [(102, 303, ACK, 0)]


@pytest.mark.parametrize("seq,acceptable", [(300, False), (301, True), (302, False)])
def test_window_of_one_accepts_rcv_nxt_only(seq, acceptable):
    tcb = established()
    new, replies = arrive(model(window=1), tcb, seg(seq, 102, ACK))
    if acceptable:
        assert new == tcb._replace(**ACKED) and replies == []
    else:
        assert new == tcb and replies == [(102, 301, ACK, 0)]


@pytest.mark.parametrize("name,build,side", SYNCHRONIZED_AND_SYN_RECEIVED, ids=IDS)
def test_unacceptable_segment_just_outside_the_window_is_answered_in_every_state(name, build, side):
    """A SYN (SEG.LEN 1) ending at RCV.NXT-1 (an old duplicate) or starting at RCV.NXT+RCV.WND
    is answered by <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and changes nothing; just inside the
    window it reaches the SYN check (below)."""
    m = model()
    tcb = build()
    for seq in (tcb.rcv_nxt - 1, tcb.rcv_nxt + WINDOW):
        new, replies = arrive(m, tcb, seg(seq, 0, SYN), side)
        assert new == tcb and replies == [ack_of(tcb)], seq


# --------------------------------------------------------------------------------------------
# §3.10.7.4 second: the RST bit (RFC 5961 §3): SEG.SEQ = RCV.NXT resets; elsewhere in the window
# a challenge ACK; outside the window silently dropped. In every state.

@pytest.mark.parametrize("name,build,side", SYNCHRONIZED_AND_SYN_RECEIVED, ids=IDS)
def test_rst_at_each_end_of_the_window(name, build, side):
    m = model()
    tcb = build()
    nxt = tcb.rcv_nxt
    # RCV.NXT-1 and RCV.NXT+RCV.WND: out of the window, dropped without a reply
    for seq in (nxt - 1, nxt + WINDOW):
        assert arrive(m, tcb, seg(seq, 0, RST), side) == (tcb, []), seq
    # RCV.NXT+1 and RCV.NXT+RCV.WND-1: in the window but not exact: challenge ACK
    for seq in (nxt + 1, nxt + WINDOW - 1):
        assert arrive(m, tcb, seg(seq, 0, RST), side) == (tcb, [ack_of(tcb)]), seq
    # RCV.NXT exactly: reset. SYN-RECEIVED from a passive OPEN returns to LISTEN (§3.10.7.4).
    after = deleted(tcb, LISTEN if name == "SYN-RECEIVED passive" else CLOSED)
    assert arrive(m, tcb, seg(nxt, 0, RST), side) == (after, [])
    # An ACK on the RST does not change any of this.
    assert arrive(m, tcb, seg(nxt, tcb.snd_nxt, RST | ACK), side) == (after, [])


@pytest.mark.parametrize("seq,challenge", [
    (301, False),   # RCV.NXT-1: out of the window
    (302, False),   # RCV.NXT: would reset; RFC 1337 F1 ignores it
    (303, True),    # in the window: still a challenge ACK
    (305, False),   # RCV.NXT+RCV.WND: out of the window
])
def test_rst_in_time_wait_with_rfc1337_is_ignored_even_exact(seq, challenge):
    tcb = time_wait()
    assert arrive(model(variant="rfc1337"), tcb, seg(seq, 0, RST)) == (tcb, [ack_of(tcb)] if challenge else [])


# SYN-SENT (§3.10.7.3): a RST counts only with an acceptable ACK (ISS < SEG.ACK =< SND.NXT).
@pytest.mark.parametrize("flags,ack,closes", [
    (RST, 0, False),          # no ACK: "drop the segment"
    (RST, 101, False),        # an ACK value but no ACK bit: still dropped
    (RST | ACK, 99, False),   # SEG.ACK < ISS
    (RST | ACK, 100, False),  # SEG.ACK = ISS: unacceptable; no reset answers a reset
    (RST | ACK, 101, True),   # SEG.ACK = ISS+1 = SND.NXT: "connection reset"
    (RST | ACK, 102, False),  # SEG.ACK = SND.NXT+1
])
def test_syn_sent_rst_needs_an_acceptable_ack(flags, ack, closes):
    tcb = syn_sent()
    new, replies = arrive(model(), tcb, seg(300, ack, flags))
    assert new == (deleted(tcb) if closes else tcb) and replies == []


# --------------------------------------------------------------------------------------------
# SYN-SENT's ACK check (§3.10.7.3): SEG.ACK =< ISS or SEG.ACK > SND.NXT is unacceptable and
# answered by <SEQ=SEG.ACK><CTL=RST>. Here ISS+1 = SND.NXT (only the SYN is sent).

@pytest.mark.parametrize("ack", [99, 100, 102, 103])
def test_syn_sent_unacceptable_ack_is_reset_at_seg_ack(ack):
    tcb = syn_sent()
    for flags in (SYN | ACK, ACK):
        new, replies = arrive(model(), tcb, seg(300, ack, flags, cinc=1, sconn=1))
        assert new == tcb and replies == [(ack, 0, RST, 0)], flags


def test_syn_sent_acceptable_ack_with_syn_establishes():
    tcb = syn_sent()
    new, replies = arrive(model(), tcb, seg(300, 101, SYN | ACK, cinc=1, sconn=7))
    assert new == tcb._replace(state=ESTABLISHED, irs=300, rcv_nxt=301, snd_una=101, peer=7, rexmt=-1, retries=0)
    assert replies == [(101, 301, ACK, 0)]


def test_syn_sent_acceptable_ack_without_syn_or_rst_is_dropped():
    tcb = syn_sent()
    assert arrive(model(), tcb, seg(300, 101, ACK)) == (tcb, [])


def test_syn_sent_establishing_with_queued_data_sends_it_instead_of_a_bare_ack():
    # ESTABLISHED at once: what the window allows goes out, and carries the acknowledgment.
    tcb = syn_sent()._replace(queued=1, written=1)
    new, replies = arrive(model(), tcb, seg(300, 101, SYN | ACK, sconn=1))
    assert new == tcb._replace(state=ESTABLISHED, irs=300, rcv_nxt=301, snd_una=101, snd_nxt=102,
                               queued=0, peer=1, rexmt=RTO, retries=0)
    assert replies == [(101, 301, ACK, 1)]


def test_syn_sent_syn_without_ack_goes_to_syn_received_with_the_timer_running():
    tcb = syn_sent()._replace(rexmt=1, retries=1)
    new, replies = arrive(model(simultaneous=True), tcb, seg(300, 0, SYN, cinc=0, sconn=4))
    assert new == tcb._replace(state=SYN_RECEIVED, irs=300, rcv_nxt=301, peer=4)
    assert replies == [(100, 301, SYN | ACK, 0)]


# --------------------------------------------------------------------------------------------
# SYN-RECEIVED's ACK check (§3.10.7.4 fifth): SND.UNA < SEG.ACK =< SND.NXT enters ESTABLISHED;
# otherwise <SEQ=SEG.ACK><CTL=RST>. Here SND.UNA = ISS and SND.NXT = ISS+1.

@pytest.mark.parametrize("build,side", [(syn_received_passive, SERVER), (syn_received_active, CLIENT)],
                         ids=["passive", "active"])
@pytest.mark.parametrize("offset", [-1, 0, 2])  # SND.UNA-1, SND.UNA, SND.NXT+1
def test_syn_received_unacceptable_ack_is_reset(build, side, offset):
    tcb = build()
    ack = tcb.snd_una + offset
    new, replies = arrive(model(), tcb, seg(tcb.rcv_nxt, ack, ACK), side)
    assert new == tcb and replies == [(ack, 0, RST, 0)]


@pytest.mark.parametrize("build,side", [(syn_received_passive, SERVER), (syn_received_active, CLIENT)],
                         ids=["passive", "active"])
def test_syn_received_ack_of_snd_nxt_establishes(build, side):
    tcb = build()
    new, replies = arrive(model(), tcb, seg(tcb.rcv_nxt, tcb.snd_nxt, ACK), side)
    assert new == tcb._replace(state=ESTABLISHED, snd_una=tcb.snd_nxt, rexmt=-1, retries=0)
    assert replies == []


def test_syn_received_ack_with_an_octet_establishes_and_accepts_it():
    tcb = syn_received_passive()
    new, replies = arrive(model(), tcb, seg(101, 301, ACK, dlen=1), SERVER)
    assert new == tcb._replace(state=ESTABLISHED, snd_una=301, rexmt=-1, retries=0, rcv_nxt=102, delivered=1)
    assert replies == [(301, 102, ACK, 0)]


def test_syn_received_segment_without_ack_is_dropped():
    tcb = syn_received_passive()
    assert arrive(model(), tcb, seg(101, 0, 0, dlen=1), SERVER) == (tcb, [])


# --------------------------------------------------------------------------------------------
# §3.10.7.4 fourth: the SYN bit. In SYN-RECEIVED from a passive OPEN: back to LISTEN; from an
# active OPEN and in every synchronized state: a challenge ACK (RFC 5961 §4). Both ends of the
# window (SEG.LEN 1: SEG.SEQ = RCV.NXT and RCV.NXT+RCV.WND-1).

@pytest.mark.parametrize("name,build,side", SYNCHRONIZED_AND_SYN_RECEIVED, ids=IDS)
def test_syn_in_the_window(name, build, side):
    m = model()
    tcb = build()
    for seq in (tcb.rcv_nxt, tcb.rcv_nxt + WINDOW - 1):
        for flags in (SYN, SYN | ACK):
            new, replies = arrive(m, tcb, seg(seq, tcb.snd_nxt, flags), side)
            if name == "SYN-RECEIVED passive":
                assert (new, replies) == (deleted(tcb, LISTEN), []), (seq, flags)
            else:
                assert (new, replies) == (tcb, [ack_of(tcb)]), (seq, flags)


# --------------------------------------------------------------------------------------------
# §3.10.7.4 fifth: the ACK field in the synchronized states. SND.UNA < SEG.ACK =< SND.NXT
# updates SND.UNA (and the timer: RFC 6298 §5.2/5.3); SEG.ACK > SND.NXT draws an ACK and the
# segment is dropped; SEG.ACK =< SND.UNA (a duplicate) is ignored.

def two_octets_out(**kw):
    # ESTABLISHED with 101 and 102 sent, not acknowledged; the timer part run, one retry done.
    return client_established(snd_una=101, snd_nxt=103, written=2, rexmt=1, retries=1, **kw)


@pytest.mark.parametrize("ack,changes,reply", [
    (100, None, None),                                   # SND.UNA-1: an old duplicate
    (101, None, None),                                   # SND.UNA: a duplicate
    (102, dict(snd_una=102, rexmt=RTO, retries=0), None),  # SND.UNA+1: new data acked, timer restarts
    (103, dict(snd_una=103, rexmt=-1, retries=0), None),   # SND.NXT: all acked, timer stops
    (104, None, (103, 301, ACK, 0)),                     # SND.NXT+1: acknowledges nothing sent
])
@pytest.mark.parametrize("st", [ESTABLISHED, CLOSE_WAIT])
def test_ack_processing_at_each_end_of_the_range(st, ack, changes, reply):
    tcb = two_octets_out(state=st, **(dict(rcv_nxt=302, fin_rcvd=True) if st == CLOSE_WAIT else {}))
    new, replies = arrive(model(), tcb, seg(tcb.rcv_nxt, ack, ACK))
    assert new == (tcb if changes is None else tcb._replace(**changes))
    assert replies == ([] if reply is None else [reply[:1] + (tcb.rcv_nxt,) + reply[2:]])


def test_ack_beyond_snd_nxt_drops_the_segment_text():
    tcb = two_octets_out()
    new, replies = arrive(model(), tcb, seg(301, 104, ACK, dlen=1))
    assert new == tcb and replies == [(103, 301, ACK, 0)]  # the octet is not accepted


def test_ack_that_opens_the_window_sends_the_queued_octet():
    # Window 3 full (101..103 out), one octet queued; the ACK of 101 lets 104 go.
    tcb = client_established(snd_una=101, snd_nxt=104, written=4, queued=1, rexmt=2)
    new, replies = arrive(model(client_data=4), tcb, seg(301, 102, ACK))
    assert new == tcb._replace(snd_una=102, snd_nxt=105, queued=0, rexmt=RTO, retries=0)
    assert replies == [(104, 301, ACK, 1)]


# FIN acknowledged: SEG.ACK = FIN seq acknowledges the octets before it, not the FIN;
# FIN seq + 1 acknowledges the FIN.
@pytest.mark.parametrize("build,acked_state", [
    (fin_wait_1, FIN_WAIT_2), (closing, TIME_WAIT), (last_ack, CLOSED),
], ids=["FIN-WAIT-1", "CLOSING", "LAST-ACK"])
def test_fin_acked_only_by_fin_seq_plus_one(build, acked_state):
    m = model()
    tcb = build()._replace(snd_una=100, written=1, retries=1)  # octet 100 and the FIN (101) out
    fin_seq = tcb.fin_seq
    assert fin_seq == 101
    # SEG.ACK = FIN seq: the octet acknowledged, the FIN not; the state stays.
    new, replies = arrive(m, tcb, seg(tcb.rcv_nxt, fin_seq, ACK))
    assert new == tcb._replace(snd_una=101, rexmt=RTO, retries=0) and replies == []
    # SEG.ACK = FIN seq + 1: the FIN acknowledged.
    new, replies = arrive(m, tcb, seg(tcb.rcv_nxt, fin_seq + 1, ACK))
    after = tcb._replace(snd_una=102, rexmt=-1, retries=0)
    if acked_state == FIN_WAIT_2:
        expected = after._replace(state=FIN_WAIT_2)
    elif acked_state == TIME_WAIT:
        expected = after._replace(state=TIME_WAIT, tw=2 * MSL)
    else:
        expected = deleted(after)
    assert new == expected and replies == []
    # SEG.ACK = FIN seq + 2: beyond SND.NXT, answered.
    assert arrive(m, tcb, seg(tcb.rcv_nxt, fin_seq + 2, ACK)) == (tcb, [ack_of(tcb)])


def test_fin_wait_1_with_the_fin_not_yet_sent_is_not_fin_acked():
    # CLOSE while the window was full: the FIN waits (FIN_SEQ unset). An ACK of everything
    # sent is not the ACK of a FIN; it opens the window and the FIN goes out.
    tcb = client_established(state=FIN_WAIT_1, snd_una=101, snd_nxt=104, written=3, app_closed=True,
                             fin_queued=True, rexmt=RTO)
    new, replies = arrive(model(client_data=3), tcb, seg(301, 104, ACK))
    assert new == tcb._replace(snd_una=104, snd_nxt=105, fin_seq=104, rexmt=RTO, retries=0)
    assert replies == [(104, 301, FIN | ACK, 0)]


def test_fin_wait_1_fin_without_the_ack_of_ours_goes_to_closing_and_with_it_to_time_wait():
    m = model()
    tcb = fin_wait_1()
    new, replies = arrive(m, tcb, seg(301, 101, FIN | ACK))
    assert new == tcb._replace(state=CLOSING, rcv_nxt=302, fin_rcvd=True) and replies == [(102, 302, ACK, 0)]
    new, replies = arrive(m, tcb, seg(301, 102, FIN | ACK))
    assert new == tcb._replace(state=TIME_WAIT, snd_una=102, rcv_nxt=302, fin_rcvd=True, tw=2 * MSL, rexmt=-1,
                               retries=0)
    assert replies == [(102, 302, ACK, 0)]


def test_fin_wait_2_fin_goes_to_time_wait():
    tcb = fin_wait_2()
    new, replies = arrive(model(), tcb, seg(301, 102, FIN | ACK))
    assert new == tcb._replace(state=TIME_WAIT, rcv_nxt=302, fin_rcvd=True, tw=2 * MSL)
    assert replies == [(102, 302, ACK, 0)]


def test_segment_without_ack_in_a_synchronized_state_is_dropped():
    tcb = established()
    assert arrive(model(), tcb, seg(301, 0, 0, dlen=1)) == (tcb, [])
    assert arrive(model(), tcb, seg(301, 0, FIN)) == (tcb, [])


def test_text_in_close_wait_is_not_accepted_and_not_acknowledged():
    # After the peer's FIN no more text can come in order; an octet at RCV.NXT is ignored.
    tcb = close_wait()
    new, replies = arrive(model(), tcb, seg(302, 101, ACK, dlen=1))
    assert new == tcb and replies == []


# --------------------------------------------------------------------------------------------
# TIME-WAIT: the retransmitted FIN (SEG.SEQ+SEG.LEN = RCV.NXT) is acknowledged and restarts the
# 2 MSL timer; nothing else restarts it.

@pytest.mark.parametrize("seq,flags,restart,reply", [
    (301, FIN | ACK, True, True),     # the retransmitted FIN
    (301, FIN, True, True),           # ... even without an ACK bit
    (300, FIN | ACK, False, True),    # ends one before: unacceptable, answered, no restart
    (302, FIN | ACK, False, False),   # a FIN at RCV.NXT (a new one): acceptable, dropped
    (301, FIN | RST, False, False),   # a reset is never acknowledged: unacceptable, dropped
    (301, ACK, False, True),          # not a FIN: unacceptable (old), answered
])
def test_time_wait_restart_only_on_the_retransmitted_fin(seq, flags, restart, reply):
    tcb = time_wait()._replace(tw=1)
    new, replies = arrive(model(), tcb, seg(seq, 102, flags))
    assert new == (tcb._replace(tw=2 * MSL) if restart else tcb)
    assert replies == ([(102, 302, ACK, 0)] if reply else [])


def test_time_wait_restart_uses_the_configured_length():
    tcb = time_wait()._replace(tw=1)
    new, _ = arrive(model(time_wait=5), tcb, seg(301, 102, FIN | ACK))
    assert new == tcb._replace(tw=5)


# --------------------------------------------------------------------------------------------
# CLOSED and LISTEN (§3.10.7.1/2): a reset for anything but a reset. With an ACK bit:
# <SEQ=SEG.ACK><CTL=RST>; without: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. The reply
# carries the ghost fields of the segment it answers.

@pytest.mark.parametrize("flags,dlen,reply", [
    (ACK, 0, (205, 0, RST, 0)),
    (ACK, 1, (205, 0, RST, 0)),
    (FIN | ACK, 0, (205, 0, RST, 0)),
    (SYN | ACK, 0, (205, 0, RST, 0)),
    (0, 1, (0, 51, RST | ACK, 0)),      # SEG.LEN 1: an octet
    (SYN, 0, (0, 51, RST | ACK, 0)),    # SEG.LEN 1: the SYN
    (FIN, 0, (0, 51, RST | ACK, 0)),    # SEG.LEN 1: the FIN
    (0, 0, (0, 50, RST | ACK, 0)),      # SEG.LEN 0
    (SYN | FIN, 1, (0, 53, RST | ACK, 0)),  # SEG.LEN 3
    (RST, 0, None), (RST | ACK, 0, None), (RST, 1, None),
])
def test_closed_reset_generation(flags, dlen, reply):
    closed = idle_tcb(CLOSED)._replace(inc=2, peer=1)
    segment = seg(50, 205, flags, dlen=dlen, cinc=3, sconn=4)
    s = state(closed, idle_tcb(LISTEN), s2c=[segment])
    t = step(model(), s, deliver(S2C, segment))
    assert t.client == closed
    assert t.c2s == (() if reply is None else (Segment(*reply, 3, 4, MSL, 0),))


@pytest.mark.parametrize("flags,reply", [
    (ACK, (205, 0, RST, 0)),
    (SYN | ACK, (205, 0, RST, 0)),   # the ACK is checked before the SYN
    (FIN | ACK, (205, 0, RST, 0)),
    (RST, None), (RST | ACK, None), (RST | SYN, None),
    (FIN, None), (0, None),          # "any other control or text-bearing segment": dropped
])
@pytest.mark.parametrize("isn", ["clock", "any"])
def test_listen_reset_generation(flags, reply, isn):
    # One outcome each, even where the ISS may be chosen: only a SYN opens a connection.
    listen = idle_tcb(LISTEN)._replace(inc=1)
    segment = seg(50, 205, flags, cinc=3, sconn=4)
    s = state(idle_tcb(CLOSED), listen, c2s=[segment])
    t = step(model(isn=isn), s, deliver(C2S, segment))
    assert t.server == listen
    assert t.s2c == (() if reply is None else (Segment(*reply, 3, 4, MSL, 0),))


def test_listen_syn_branches_on_each_iss_choice():
    m = model(isn="any", isn_choices=(0, 4))
    syn = seg(100, 0, SYN, cinc=1, sconn=0)
    s = state(syn_sent(), idle_tcb(LISTEN), c2s=[syn])
    nexts = [t for a, t in m.successors(s) if a == deliver(C2S, syn)]
    assert [(t.server.state, t.server.iss) for t in nexts] == [(SYN_RECEIVED, 300), (SYN_RECEIVED, 304)]
    assert [t.s2c for t in nexts] == [(Segment(300, 101, SYN | ACK, 0, 1, 1, MSL, 0),), (Segment(304, 101, SYN | ACK, 0, 1, 1, MSL, 0),)]


def test_listen_syn_opens_the_next_incarnation():
    listen = idle_tcb(LISTEN)._replace(inc=1, written=1, delivered=1, fin_rcvd=True, app_closed=True)
    new, replies = arrive(model(), listen, seg(150, 0, SYN, cinc=2, sconn=0), SERVER)
    assert new == listen._replace(state=SYN_RECEIVED, iss=310, snd_una=310, snd_nxt=311, irs=150, rcv_nxt=151,
                                  rexmt=RTO, retries=0, passive=True, inc=2, peer=2, written=0, delivered=0,
                                  fin_rcvd=False, app_closed=False)
    assert replies == [(310, 151, SYN | ACK, 0)]


# --------------------------------------------------------------------------------------------
# Retransmission (§3.10.8, §3.8.3): after max_retries retransmissions the connection is
# dropped; before, the oldest unacknowledged segment goes again and the timer restarts.

@pytest.mark.parametrize("max_retries", [0, 1, 3])
def test_retransmission_count_boundary(max_retries):
    m = model(max_retries=max_retries)
    tcb = established()._replace(rexmt=0)
    s = state(tcb, server_established())
    for done in range(max_retries):
        t = step(m, s, timeout(CLIENT, "retransmission"))
        assert t.client == tcb._replace(retries=done + 1, rexmt=RTO)
        assert sent(s, t, C2S) == [(101, 301, ACK, 1)]
        s = GlobalState(t.client._replace(rexmt=0), t.server, (), (), 0, 0)
    t = step(m, s, timeout(CLIENT, "retransmission"))
    assert t.client == deleted(s.client) and t.c2s == ()


@pytest.mark.parametrize("build,expected", [
    (syn_sent, (100, 0, SYN, 0)),
    (syn_received_active, (100, 301, SYN | ACK, 0)),
    (established, (101, 301, ACK, 1)),
    (fin_wait_1, (101, 301, FIN | ACK, 0)),
    (closing, (101, 302, FIN | ACK, 0)),
    (last_ack, (101, 302, FIN | ACK, 0)),
], ids=["SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "CLOSING", "LAST-ACK"])
def test_retransmission_resends_the_oldest_unacknowledged_segment_in_each_state(build, expected):
    m = model()
    tcb = build()._replace(rexmt=0)
    s = state(tcb, server_established())
    t = step(m, s, timeout(CLIENT, "retransmission"))
    assert t.client == tcb._replace(retries=1, rexmt=RTO)
    assert sent(s, t, C2S) == [expected]


# --------------------------------------------------------------------------------------------
# The send window in _output: SND.NXT < SND.UNA + window, for octets and for the FIN.

@pytest.mark.parametrize("outstanding,goes", [(0, True), (WINDOW - 1, True), (WINDOW, False)])
def test_send_window_boundary_for_an_octet(outstanding, goes):
    m = model(client_data=WINDOW + 1)
    tcb = client_established(snd_una=101, snd_nxt=101 + outstanding, written=outstanding,
                             rexmt=2 if outstanding else -1)
    s = state(tcb, server_established())
    t = step(m, s, user_call("SEND", CLIENT))
    if goes:
        nxt = 101 + outstanding
        assert t.client == tcb._replace(written=outstanding + 1, snd_nxt=nxt + 1,
                                         rexmt=2 if outstanding else RTO)  # a running timer is not restarted
        assert sent(s, t, C2S) == [(nxt, 301, ACK, 1)]
    else:
        assert t.client == tcb._replace(written=outstanding + 1, queued=1)
        assert sent(s, t, C2S) == []


@pytest.mark.parametrize("outstanding,goes", [(0, True), (WINDOW - 1, True), (WINDOW, False)])
def test_send_window_boundary_for_the_fin(outstanding, goes):
    m = model(client_data=outstanding)
    tcb = client_established(snd_una=101, snd_nxt=101 + outstanding, written=outstanding,
                             rexmt=2 if outstanding else -1)
    s = state(tcb, server_established())
    t = step(m, s, user_call("CLOSE", CLIENT))
    closed = tcb._replace(state=FIN_WAIT_1, app_closed=True, fin_queued=True)
    if goes:
        nxt = 101 + outstanding
        assert t.client == closed._replace(snd_nxt=nxt + 1, fin_seq=nxt, rexmt=2 if outstanding else RTO)
        assert sent(s, t, C2S) == [(nxt, 301, FIN | ACK, 0)]
    else:
        assert t.client == closed and sent(s, t, C2S) == []


def test_close_in_close_wait_sends_the_fin_and_enters_last_ack():
    m = model(client_data=0)
    tcb = client_established(state=CLOSE_WAIT, rcv_nxt=302, fin_rcvd=True)
    s = state(tcb, server_established())
    t = step(m, s, user_call("CLOSE", CLIENT))
    assert t.client == tcb._replace(state=LAST_ACK, app_closed=True, fin_queued=True, fin_seq=101, snd_nxt=102,
                                     rexmt=RTO)
    assert sent(s, t, C2S) == [(101, 302, FIN | ACK, 0)]


# --------------------------------------------------------------------------------------------
# is_terminal: both endpoints idle (client CLOSED, server CLOSED or LISTEN) and nothing in flight.

def test_is_terminal_needs_every_part():
    m = model()
    a = seg(101, 301, ACK)
    closed, listen = idle_tcb(CLOSED), idle_tcb(LISTEN)
    assert m.is_terminal(GlobalState(closed, listen, (), (), 0, 0))
    assert m.is_terminal(GlobalState(closed, closed, (), (), 1, 1))
    assert not m.is_terminal(GlobalState(listen, listen, (), (), 0, 0))          # the client is not CLOSED
    assert not m.is_terminal(GlobalState(closed, established(), (), (), 0, 0))   # the server is not idle
    assert not m.is_terminal(GlobalState(closed, listen, (a,), (), 0, 0))        # client→server in flight
    assert not m.is_terminal(GlobalState(closed, listen, (), (a,), 0, 0))        # server→client in flight


# --------------------------------------------------------------------------------------------
# ABORT (§3.10.5): <SEQ=SND.NXT><CTL=RST> from SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2
# and CLOSE-WAIT; nothing from SYN-SENT, CLOSING, LAST-ACK and TIME-WAIT; the TCB is deleted.

@pytest.mark.parametrize("build,resets", [
    (syn_sent, False), (syn_received_active, True), (established, True), (fin_wait_1, True),
    (fin_wait_2, True), (close_wait, True), (closing, False), (last_ack, False), (time_wait, False),
], ids=["SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT",
        "CLOSING", "LAST-ACK", "TIME-WAIT"])
def test_abort_in_each_state(build, resets):
    tcb = build()
    s = state(tcb, server_established())
    t = step(model(abort=True), s, user_call("ABORT", CLIENT))
    assert t.client == deleted(tcb)
    assert sent(s, t, C2S) == ([(tcb.snd_nxt, 0, RST, 0)] if resets else [])
    # without the abort switch the applications never abort
    assert user_call("ABORT", CLIENT) not in [a for a, _ in model().successors(s)]


def user_calls(m, s):
    return [a for a, _ in m.successors(s) if is_user_call(a)]


def test_abort_needs_a_tcb():
    """RFC 9293 §3.10.5: ABORT in CLOSED is an error (no TCB); in LISTEN it deletes the TCB."""
    m = model(abort=True)
    s = GlobalState(idle_tcb(CLOSED)._replace(inc=1), idle_tcb(LISTEN), (), (), 0, 0)
    assert user_calls(m, s) == [user_call("ABORT", SERVER)]
    t = step(m, s, user_call("ABORT", SERVER))
    assert t.server == idle_tcb(CLOSED) and t.idle
    assert user_calls(m, GlobalState(idle_tcb(CLOSED), idle_tcb(CLOSED), (), (), 0, 0)) == [user_call("OPEN", CLIENT, 100), user_call("LISTEN", SERVER)]


def test_server_listen_and_simultaneous_open():
    m = model(simultaneous=True)
    closed = idle_tcb(CLOSED)._replace(inc=1, delivered=1)
    s = GlobalState(syn_sent(), closed, (), (), 0, 0)
    assert user_calls(m, s) == [user_call("LISTEN", SERVER)]
    t = step(m, s, user_call("LISTEN", SERVER))
    assert t == s._replace(server=closed._replace(state=LISTEN))
    # LISTEN and simultaneous: the server may OPEN actively (its next incarnation) ...
    assert user_calls(model(simultaneous=True, incarnations=2), t) == [user_call("OPEN", SERVER, 310)]
    u = step(model(simultaneous=True, incarnations=2), t, user_call("OPEN", SERVER, 310))
    assert u.server == t.server._replace(state=SYN_SENT, iss=310, snd_una=310, snd_nxt=311, rexmt=RTO,
                                          inc=2, peer=0, passive=False, delivered=0)
    assert u.s2c == (Segment(310, 0, SYN, 0, 0, 2, MSL, 0),)
    # ... but not beyond its incarnations, and not without the switch.
    assert user_calls(m, t) == []
    assert user_calls(model(incarnations=2), t) == []


@pytest.mark.parametrize("changes,simultaneous,calls", [
    (dict(), False, []),                                         # no FIN yet: the server waits
    (dict(), True, [user_call("SEND", SERVER)]),                          # ... unless it may close first
    (dict(state=CLOSE_WAIT, fin_rcvd=True), False, [user_call("SEND", SERVER)]),
    (dict(state=CLOSE_WAIT, fin_rcvd=True, written=1), False, [user_call("CLOSE", SERVER)]),
    (dict(state=LAST_ACK, fin_rcvd=True, written=1, app_closed=True), False, []),
])
def test_server_script(changes, simultaneous, calls):
    s = GlobalState(client_established(), server_established(**changes), (), (), 0, 0)
    assert [a for a in user_calls(model(simultaneous=simultaneous), s) if actor(a) == SERVER] == calls


def test_three_step_close_server_send_and_close_after_its_tcp_sent_the_fin():
    # three_step_close: the server's TCP is in LAST-ACK before its user wrote: "error:
    # connection closing" (§3.10.2), the octet is lost; CLOSE only records the user's call.
    m = model(variant="three_step_close")
    server = server_established(state=LAST_ACK, fin_rcvd=True, fin_queued=True, snd_nxt=302, fin_seq=301,
                                rcv_nxt=102, rexmt=RTO)
    s = GlobalState(fin_wait_1(), server, (), (), 0, 0)
    t = step(m, s, user_call("SEND", SERVER))
    assert t.server == server._replace(written=1) and t.s2c == ()
    u = step(m, t, user_call("CLOSE", SERVER))
    assert u.server == t.server._replace(app_closed=True) and u.s2c == ()


def test_three_step_close_client_never_closes_after_its_tcp_sent_the_fin():
    # The client's TCP also answers a FIN (the server closed first) with FIN+ACK: LAST-ACK
    # before its user's CLOSE. Only the server's script calls CLOSE after the peer's FIN.
    m = model(variant="three_step_close", simultaneous=True)
    client = client_established(state=LAST_ACK, written=1, fin_rcvd=True, fin_queued=True, snd_nxt=102, fin_seq=101,
                                rcv_nxt=302, rexmt=RTO)
    s = GlobalState(client, server_established(state=FIN_WAIT_1, snd_nxt=302, fin_seq=301, app_closed=True, written=1), (), (), 0, 0)
    assert user_calls(m, s) == []


def test_client_opens_again_only_within_its_incarnations():
    closed = idle_tcb(CLOSED)._replace(inc=1, written=1, delivered=1, app_closed=True, fin_rcvd=True)
    s = GlobalState(closed, idle_tcb(LISTEN), (), (), 0, 0)
    assert user_calls(model(), s) == []
    m = model(incarnations=2)
    t = step(m, s, user_call("OPEN", CLIENT, 110))
    assert t.client == closed._replace(state=SYN_SENT, iss=110, snd_una=110, snd_nxt=111, rexmt=RTO, inc=2,
                                        written=0, delivered=0, app_closed=False, fin_rcvd=False)
    assert t.c2s == (Segment(110, 0, SYN, 0, 2, 0, MSL, 0),)


# --------------------------------------------------------------------------------------------
# The retransmission timer around sends and acknowledgments (RFC 6298 §5.1-5.3).

def test_send_with_an_expired_timer_does_not_restart_it():
    # The timer reached 0 and has not fired yet: a SEND in between leaves it at 0.
    tcb = client_established(snd_una=101, snd_nxt=102, written=1, rexmt=0, retries=1)
    s = state(tcb, server_established())
    t = step(model(client_data=2), s, user_call("SEND", CLIENT))
    assert t.client == tcb._replace(written=2, snd_nxt=103)
    assert sent(s, t, C2S) == [(102, 301, ACK, 1)]


@pytest.mark.parametrize("rto", [1, 4])
def test_timer_starts_and_restarts_with_the_configured_rto(rto):
    m = model(rto=rto, client_data=2)
    tcb = client_established(written=0)
    s = state(tcb, server_established())
    t = step(m, s, user_call("SEND", CLIENT))
    assert t.client == tcb._replace(written=1, snd_nxt=102, rexmt=rto)
    # new data acknowledged, some still outstanding: restart with the full RTO (here the
    # timer had just expired, not fired yet)
    out = two_octets_out()._replace(rexmt=0)
    new, _ = arrive(m, out, seg(301, 102, ACK))
    assert new == out._replace(snd_una=102, rexmt=rto, retries=0)


def test_no_retransmit_variant_never_starts_the_timer_on_acks_or_sends():
    m = model(variant="no_retransmit", client_data=2)
    out = two_octets_out()._replace(rexmt=-1)
    new, _ = arrive(m, out, seg(301, 102, ACK))
    assert new == out._replace(snd_una=102, retries=0)
    tcb = client_established(written=0)
    s = state(tcb, server_established())
    assert step(m, s, user_call("SEND", CLIENT))[CLIENT] == tcb._replace(written=1, snd_nxt=102)


# --------------------------------------------------------------------------------------------
# The model memoizes per-endpoint outcomes; a memo must not mix up segments that differ only in
# their ghost fields (the reset from a CLOSED endpoint carries those of the segment it answers).

def test_arrival_memo_keeps_ghost_fields_apart():
    m = model()
    closed = idle_tcb(CLOSED)
    for sconn in (4, 5, 4):
        for cinc in (2, 3):
            segment = seg(50, 205, ACK, cinc=cinc, sconn=sconn)
            s = state(closed, idle_tcb(LISTEN), s2c=[segment])
            t = step(m, s, deliver(S2C, segment))
            assert t.c2s == (Segment(205, 0, RST, 0, cinc, sconn, MSL, 0),)


def test_arrival_outcome_does_not_depend_on_the_age():
    m = model()
    tcb = established()
    for age in range(MSL + 1):
        new, replies = arrive(m, tcb, seg(301, 102, ACK, dlen=1, age=age))
        assert new == tcb._replace(**ACKED, rcv_nxt=302, delivered=1) and replies == [(102, 302, ACK, 0)], age
