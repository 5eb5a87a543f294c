"""The model's semantics switches and timing parameters (DESIGN.md "Semantics switches"):
time-divergent liveness, ACK throttling, user calls wherever RFC 9293 defines them, the
segment-lifetime tie rule, the SYN RTO, the ISN stride, the delay bound of originals, and the
composition of variants and switches. Each rule is tested where it acts, on hand-built states,
and where it changes a verdict, on the whole reachable graph.
"""

import pytest

from tcpmodel.engine import LeadsTo, WeakFairness, check
from tcpmodel.errors import SpecError, TcpModelError
from tcpmodel.spec import load
from tcpmodel.tcp import TcpConfig, TcpModel, build
from tcpmodel.tcp import properties as catalogue
from tcpmodel.tcp.actions import TICK, actor, deliver, is_user_call, kind, segment_of, timeout, user_call
from tcpmodel.tcp.tcb import (
    ACK, C2S, CLIENT, CLOSE_WAIT, CLOSED, CLOSING, ESTABLISHED, FIN, FIN_WAIT_1, LAST_ACK, LISTEN, RST, S2C,
    SERVER, SYN, SYN_RECEIVED, SYN_SENT, TIME_WAIT, GlobalState, Segment, idle_tcb,
)
from tcpmodel.tcp.text import sent_segments

MSL = 2


def model(**changes):
    params = dict(msl=MSL, rto=2, max_retries=2, window=2)
    params.update(changes)
    return TcpModel(TcpConfig(**params))


def seg(seq, ack, flags, dlen=0, cinc=1, sconn=1, limit=MSL, age=0):
    return Segment(seq, ack, flags, dlen, cinc, sconn, limit, age)


def state(client, server, c2s=(), s2c=(), loss=0, dup=0):
    return GlobalState(client, server, tuple(sorted(c2s)), tuple(sorted(s2c)), loss, dup)


def established(side, **kw):
    if side == CLIENT:
        base = dict(iss=100, irs=300, snd_una=101, snd_nxt=101, rcv_nxt=301, inc=1, peer=1)
    else:
        base = dict(iss=300, irs=100, snd_una=301, snd_nxt=301, rcv_nxt=101, inc=1, peer=1, passive=True)
    return idle_tcb(ESTABLISHED)._replace(**{**base, **kw})


def moves(m, s, name=None):
    return [(a, t) for a, t in m.successors(s) if name is None or kind(a) == name]


def only(m, s, action):
    (t,) = [t for a, t in m.successors(s) if a == action]
    return t


# ------------------------------------------------------------------ time-divergent liveness
ZENO = dict(variant="rfc1337", msl=1, rto=3, channel="bag", dup=1)


def test_zeno_ack_ping_pong_is_not_a_counterexample():
    """The issue's reproduction: with fairness of the tick counted only where the tick is
    offered, the checker returned a lasso of ACKs ping-ponging between TIME-WAIT and a stale
    SYN-RECEIVED while a segment at MSL age blocks time for ever. Time must diverge: with the
    tick's fairness enabled wherever something depends on time, eventual_close holds."""
    m = TcpModel(TcpConfig(**ZENO))
    old_fairness = tuple(
        WeakFairness("time", lambda a: kind(a) == "tick") if f.name == "time" else f
        for f in catalogue.EVENTUAL_CLOSE_FAIRNESS
    )
    zeno = LeadsTo("zeno_eventual_close", catalogue._busy, catalogue._idle, old_fairness)
    result = check(m, build(["eventual_close"]) + [zeno])
    assert (result.stats.states, result.stats.transitions) == (198722, 887646)
    assert result["eventual_close"].status == "holds"
    lasso = result["zeno_eventual_close"].trace
    assert result["zeno_eventual_close"].status == "violated" and lasso.loop_start is not None
    cycle = list(zip(lasso.states[lasso.loop_start:-1], lasso.actions[lasso.loop_start:]))
    # The cycle never ticks, only delivers pure ACKs that are answered by pure ACKs ...
    assert all(kind(a) == "deliver" and segment_of(a).flags == ACK for _, a in cycle)
    assert not any(kind(a) == "tick" for _, a in cycle)
    # ... while some segment has reached MSL age in every state of it: time is stopped.
    assert all(any(x.at_limit for x in s.channel(C2S) + s.channel(S2C)) for s, _ in cycle)
    assert all(catalogue.time_matters(s) for s, _ in cycle)
    # TIME-WAIT faces a stale SYN-RECEIVED.
    assert {s.client.state for s, _ in cycle} == {TIME_WAIT} and {s.server.state for s, _ in cycle} == {SYN_RECEIVED}


def test_time_matters_is_what_the_tick_waits_for():
    m = model()
    idle = m.init_states()[0]
    assert not catalogue.time_matters(idle)
    opened = only(m, idle, user_call("OPEN", CLIENT, 100))
    assert catalogue.time_matters(opened)  # a SYN in flight, a retransmission timer running


# ------------------------------------------------------------------ ACK throttling
@pytest.mark.parametrize("throttled", [False, True])
def test_unacceptable_pure_ack_is_answered_only_without_throttling(throttled):
    m = model(switches=("ack_throttling",) if throttled else ())
    server = established(SERVER)
    old_ack = seg(100, 301, ACK)  # seq below RCV.NXT = 101: unacceptable, no data
    s = state(established(CLIENT), server, c2s=[old_ack])
    t = only(m, s, deliver(C2S, old_ack))
    assert t.server == server
    assert t.channel(S2C) == (() if throttled else (seg(301, 101, ACK),))


@pytest.mark.parametrize("flags,dlen", [(ACK, 1), (FIN | ACK, 0), (SYN, 0)])
def test_throttling_keeps_the_reply_to_segments_with_data_syn_or_fin(flags, dlen):
    m = model(switches=("ack_throttling",))
    old = seg(99, 301 if flags & ACK else 0, flags, dlen)  # entirely below RCV.NXT
    s = state(established(CLIENT), established(SERVER), c2s=[old])
    t = only(m, s, deliver(C2S, old))
    assert t.channel(S2C) == (seg(301, 101, ACK),)


def test_throttling_never_answers_a_rst():
    m = model()
    rst = seg(50, 0, RST)
    s = state(established(CLIENT), established(SERVER), c2s=[rst])
    assert only(m, s, deliver(C2S, rst)).channel(S2C) == ()


def test_ack_throttling_shrinks_the_reference_and_removes_the_re_ack_witness():
    plain = load_spec("rfc9293")
    throttled = load_spec("rfc9293_throttled")
    assert plain.config.replace(switches=("ack_throttling",)) == throttled.config
    props = ["ack_answers_ack", "graceful_end"]
    r0 = check(TcpModel(plain.config), build(props))
    r1 = check(TcpModel(throttled.config), build(props))
    assert (r0.stats.states, r1.stats.states) == (12380, 1037)
    assert r0["ack_answers_ack"].status == "holds" and r1["ack_answers_ack"].status == "violated"


def load_spec(name):
    from pathlib import Path

    return load(Path(__file__).resolve().parent.parent / "specs" / f"{name}.toml")


# ------------------------------------------------------------------ user calls (§3.10.4-5)
def user_calls(m, s, side):
    return sorted(kind(a) for a, _ in m.successors(s) if is_user_call(a) and actor(a) == side)


def test_close_after_data_is_todays_behaviour():
    m = model()
    syn_sent = idle_tcb(SYN_SENT)._replace(iss=100, snd_una=100, snd_nxt=101, rexmt=2, inc=1)
    s = state(syn_sent, idle_tcb(LISTEN))
    assert user_calls(m, s, CLIENT) == [] and user_calls(m, s, SERVER) == []
    s = state(established(CLIENT), established(SERVER))
    assert user_calls(m, s, CLIENT) == ["SEND"]  # CLOSE only once the octet is written
    assert user_calls(m, state(established(CLIENT, written=1), established(SERVER)), CLIENT) == ["CLOSE"]


def test_close_any_time_in_listen_deletes_the_tcb():
    m = model(close="any_time")
    s = state(idle_tcb(CLOSED), idle_tcb(LISTEN))
    t = only(m, s, user_call("CLOSE", SERVER))
    assert t.server.state == CLOSED and t.channel(S2C) == ()
    assert user_calls(m, t, SERVER) == ["LISTEN"]  # and it may LISTEN again


def test_close_any_time_in_syn_sent_deletes_the_tcb_without_a_segment():
    m = model(close="any_time")
    syn_sent = idle_tcb(SYN_SENT)._replace(iss=100, snd_una=100, snd_nxt=101, rexmt=2, inc=1)
    t = only(m, state(syn_sent, idle_tcb(LISTEN)), user_call("CLOSE", CLIENT))
    assert t.client.state == CLOSED and t.client.rexmt == -1 and t.channel(C2S) == ()


def test_close_any_time_in_syn_received_sends_fin_and_enters_fin_wait_1():
    m = model(close="any_time")
    syn_rcvd = idle_tcb(SYN_RECEIVED)._replace(iss=300, irs=100, snd_una=300, snd_nxt=301, rcv_nxt=101,
                                               rexmt=2, inc=1, peer=1, passive=True)
    t = only(m, state(idle_tcb(CLOSED), syn_rcvd), user_call("CLOSE", SERVER))
    assert t.server.state == FIN_WAIT_1 and t.server.fin_seq == 301 and t.server.snd_nxt == 302
    assert t.channel(S2C) == (seg(301, 101, FIN | ACK),)
    assert t.server.rexmt == 2  # the SYN,ACK's timer keeps running


def test_close_any_time_before_writing_in_established_and_close_wait():
    m = model(close="any_time")
    t = only(m, state(established(CLIENT), established(SERVER)), user_call("CLOSE", CLIENT))
    assert t.client.state == FIN_WAIT_1 and t.client.written == 0
    assert t.channel(C2S) == (seg(101, 301, FIN | ACK),)
    close_wait = established(SERVER, state=CLOSE_WAIT, rcv_nxt=102, fin_rcvd=True)
    t = only(m, state(established(CLIENT), close_wait), user_call("CLOSE", SERVER))
    assert t.server.state == LAST_ACK and t.server.written == 0


@pytest.mark.parametrize("st", [FIN_WAIT_1, CLOSING, LAST_ACK, TIME_WAIT])
def test_close_any_time_is_not_offered_where_the_rfc_says_error(st):
    m = model(close="any_time")
    tcb = established(CLIENT, state=st, app_closed=True)
    assert "CLOSE" not in user_calls(m, state(tcb, established(SERVER)), CLIENT)


@pytest.mark.parametrize("st,sends_rst", [
    (LISTEN, False), (SYN_SENT, False), (SYN_RECEIVED, True), (ESTABLISHED, True), (FIN_WAIT_1, True),
    (CLOSE_WAIT, True), (CLOSING, False), (LAST_ACK, False), (TIME_WAIT, False),
])
def test_abort_in_every_state_but_closed(st, sends_rst):
    m = model(abort=True)
    tcb = established(SERVER, state=st)
    t = only(m, state(idle_tcb(CLOSED), tcb), user_call("ABORT", SERVER))
    assert t.server.state == CLOSED
    assert t.channel(S2C) == ((seg(301, 0, RST, cinc=1, sconn=1),) if sends_rst else ())
    assert "ABORT" not in user_calls(m, state(idle_tcb(CLOSED), idle_tcb(CLOSED)), SERVER)


# ------------------------------------------------------------------ timing parameters
def test_syn_rto_times_the_syn_and_rto_the_data():
    m = model(syn_rto=5, rto=2)
    t = only(m, m.init_states()[0], user_call("OPEN", CLIENT, 100))
    assert t.client.rexmt == 5
    expired = t._replace(client=t.client._replace(rexmt=0))
    again = only(m, expired, timeout(CLIENT, "retransmission"))
    assert again[CLIENT].rexmt == 5 and again[CLIENT].retries == 1
    # Data is timed by rto.
    data = only(m, state(established(CLIENT), established(SERVER)), user_call("SEND", CLIENT))
    assert data[CLIENT].rexmt == 2
    # The server's SYN,ACK is timed by syn_rto too.
    listen = state(idle_tcb(CLOSED), idle_tcb(LISTEN), c2s=[seg(100, 0, SYN, sconn=0)])
    t = only(m, listen, deliver(C2S, seg(100, 0, SYN, sconn=0)))
    assert t.server.state == SYN_RECEIVED and t.server.rexmt == 5


@pytest.mark.parametrize("stride", [1, 10, 37])
def test_isn_stride_moves_the_clock_between_incarnations(stride):
    m = model(isn_stride=stride, incarnations=3)
    tcb = idle_tcb(CLOSED)._replace(inc=2)
    (a, t), = [(a, t) for a, t in m.successors(state(tcb, idle_tcb(LISTEN))) if kind(a) == "OPEN"]
    assert a == user_call("OPEN", CLIENT, 100 + 2 * stride)


def test_max_delay_bounds_originals_and_duplicates_live_msl():
    m = model(msl=3, max_delay=1, dup=1)
    t = only(m, m.init_states()[0], user_call("OPEN", CLIENT, 100))
    (syn,) = t.channel(C2S)
    assert syn.limit == 1
    (dup_state,) = [u for a, u in m.successors(t) if kind(a) == "dup"]
    assert sorted(x.limit for x in dup_state.channel(C2S)) == [1, 3]
    aged = only(m, dup_state, TICK)
    assert {x.age for x in aged.channel(C2S)} == {1}
    # The original is now at its limit: time waits until it is delivered or lost ...
    assert not [a for a, _ in m.successors(aged) if a == TICK]
    original = next(x for x in aged.channel(C2S) if x.limit == 1)
    gone = only(m, aged, deliver(C2S, original))
    # ... while the duplicate may wait two more ticks.
    assert [x.limit for x in gone.channel(C2S)] == [3] and TICK in [a for a, _ in m.successors(gone)]


@pytest.mark.parametrize("lifetime,timer_first", [("half_open", False), ("closed", True)])
def test_lifetime_tie_rule(lifetime, timer_first):
    m = model(lifetime=lifetime)
    tw = established(CLIENT, state=TIME_WAIT, tw=0, rcv_nxt=302)
    due = seg(301, 102, FIN | ACK, age=MSL)  # a segment at its limit in the same tick
    s = state(tw, idle_tcb(CLOSED), s2c=[due])
    fires = timeout(CLIENT, "time-wait") in [a for a, _ in m.successors(s)]
    assert fires is timer_first
    assert deliver(S2C, due) in [a for a, _ in m.successors(s)]


# ------------------------------------------------------------------ variants and switches compose
def test_switches_compose_on_any_variant():
    cfg = TcpConfig(variant="three_step_close", switches=("rfc1337", "ack_throttling"))
    assert cfg.active_switches == {"three_step_close", "rfc1337", "ack_throttling"}
    assert cfg.rules.three_step_close and cfg.rules.ignore_rst_in_time_wait and cfg.rules.ack_throttling
    assert cfg.label == "three_step_close+rfc1337+ack_throttling"
    assert TcpConfig(variant="rfc9293", time_wait=1).time_wait_ticks == 1  # TIME-WAIT is a parameter


@pytest.mark.parametrize("kwargs,message", [
    (dict(variant="no_time_wait", switches=("rfc1337",)), "cannot be combined"),
    (dict(variant="rfc9293", switches=("no_time_wait", "rfc1337")), "cannot be combined"),
    (dict(variant="no_time_wait", time_wait=2), "time_wait means nothing"),
    (dict(variant="rfc1337", switches=("rfc1337",)), "already the variant"),
    (dict(switches=("ack_throttling", "ack_throttling")), "repeat"),
    (dict(switches=("fast_open",)), "unknown switch"),
    (dict(variant="short_time_wait"), "unknown variant"),
    (dict(msl=2, max_delay=3), "max_delay"),
    (dict(lifetime="open"), "unknown lifetime"),
    (dict(close="later"), "unknown close policy"),
    (dict(syn_rto=0), "syn_rto"),
    (dict(isn_stride=0), "isn_stride"),
])
def test_contradictory_or_unknown_combinations_are_refused(kwargs, message):
    with pytest.raises(TcpModelError, match=message):
        TcpConfig(**kwargs)


SPEC_HEAD = '[expect]\nno_bogus_open = "holds"\n'


@pytest.mark.parametrize("text,key,message", [
    ('variant = "no_time_wait"\nswitches = ["rfc1337"]\n', "switches", "cannot be combined"),
    ('switches = ["fast_open"]\n', "switches", "unknown switch 'fast_open'; allowed: two_way_handshake"),
    ('switches = "rfc1337"\n', "switches", "must be a list"),
    ('[parameters]\nmsl = 2\nmax_delay = 3\n', "parameters.max_delay", "at most msl = 2"),
    ('[parameters]\nlifetime = "open"\n', "parameters.lifetime", "allowed: half_open, closed"),
    ('[parameters]\nclose = "later"\n', "parameters.close", "allowed: after_data, any_time"),
])
def test_bad_switches_and_parameters_in_a_spec_are_one_clear_error(tmp_path, text, key, message):
    path = tmp_path / "bad.toml"
    path.write_text(text + SPEC_HEAD)
    with pytest.raises(SpecError) as err:
        load(path)
    assert key in str(err.value) and message in str(err.value) and "bad.toml" in str(err.value)


@pytest.mark.parametrize("name,value", [("msl", 9), ("incarnations", 5), ("loss", 9), ("window", 0), ("isn_stride", 1001)])
def test_the_model_itself_refuses_values_out_of_the_one_bounds_table(name, value):
    from tcpmodel.tcp.config import BOUNDS

    least, greatest = BOUNDS[name]
    with pytest.raises(TcpModelError, match=f"{name} must be from {least} to {greatest}, got {value}"):
        TcpConfig(**{name: value})
