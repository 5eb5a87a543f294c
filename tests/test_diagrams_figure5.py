"""RFC 9293 Figure 5 by (state, event, state): event labels say what the step did, and the
coverage table of every Figure 5 edge (and the §3.10.7.4 FIN-WAIT-1 -> TIME-WAIT edge) over
the shipped specs."""

import re
from pathlib import Path

import pytest

from tcpmodel.render.endpoint import (FIGURE5, FIGURE5_UNREACHED, TEXT_EDGES, coverage_markdown, endpoint_diagram,
                                      event_of, figure5_coverage, merge, project)
from tcpmodel.run import run_spec
from tcpmodel.spec import load_all
from tcpmodel.tcp.actions import deliver
from tcpmodel.tcp.tcb import (ACK, CLOSE_WAIT, CLOSED, CLOSING, ESTABLISHED, FIN, FIN_WAIT_1, FIN_WAIT_2, LAST_ACK,
                              LISTEN, S2C, SYN_RECEIVED, SYN_SENT, TIME_WAIT, Segment, idle_tcb)

SPECS = Path(__file__).resolve().parent.parent / "specs"

SHIPPED = frozenset(p.stem for p in SPECS.glob("*.toml"))
ALL = SHIPPED - {p for p in SHIPPED if p.startswith("canonical")}

EARLY = {"early_close", "early_close_no_retransmit"}  # close = "any_time": CLOSE wherever §3.10.4 defines it

# THE coverage table: for each Figure 5 edge (and the text's edge) either the exact set of
# shipped specs (canonical_* excluded: they only draw the documentation) that exercise it, or
# the reason the model cannot (that reason must be the one in FIGURE5_UNREACHED). CLOSE in
# LISTEN, SYN-SENT and SYN-RECEIVED is exercised by the early-release specs; three_step_close
# (FIFO, no faults) gets its FIN together with the ACK of its own: it never passes FIN-WAIT-2.
EXPECTED_COVERAGE = {
    (CLOSED, "passive OPEN", LISTEN): ALL,
    (CLOSED, "active OPEN", SYN_SENT): ALL,
    (LISTEN, "CLOSE", CLOSED): EARLY,
    (LISTEN, "rcv SYN", SYN_RECEIVED): ALL - {"two_way_handshake"},
    (LISTEN, "SEND", SYN_SENT): "unreachable",
    (SYN_SENT, "CLOSE", CLOSED): EARLY,
    (SYN_SENT, "rcv SYN", SYN_RECEIVED): {"rfc9293_simultaneous"},
    (SYN_SENT, "rcv SYN,ACK", ESTABLISHED): ALL,
    (SYN_RECEIVED, "rcv RST", LISTEN): EARLY | {"rfc1337_reuse", "rfc1337_reuse_constant_isn", "rfc9293_abort",
                                                "rfc9293_old_syn", "short_time_wait"},
    (SYN_RECEIVED, "rcv ACK of SYN", ESTABLISHED): ALL - {"two_way_handshake"},
    (SYN_RECEIVED, "CLOSE", FIN_WAIT_1): EARLY,
    (ESTABLISHED, "CLOSE", FIN_WAIT_1): ALL,
    (ESTABLISHED, "rcv FIN", CLOSE_WAIT): ALL - {"three_step_close"},
    (FIN_WAIT_1, "rcv ACK of FIN", FIN_WAIT_2): ALL - {"three_step_close"},
    (FIN_WAIT_1, "rcv FIN", CLOSING): EARLY | {"rfc9293_simultaneous"},
    (FIN_WAIT_2, "rcv FIN", TIME_WAIT): ALL - {"no_time_wait", "three_step_close"},
    (CLOSE_WAIT, "CLOSE", LAST_ACK): ALL - {"three_step_close"},
    (CLOSING, "rcv ACK of FIN", TIME_WAIT): EARLY | {"rfc9293_simultaneous"},
    (LAST_ACK, "rcv ACK of FIN", CLOSED): ALL,
    (TIME_WAIT, "timeout=2MSL", CLOSED): ALL - {"no_time_wait"},
    (FIN_WAIT_1, "rcv FIN + ACK of FIN", TIME_WAIT): EARLY | {"rfc1337_reuse", "rfc1337_reuse_constant_isn",
                                                              "rfc9293_old_syn", "short_time_wait",
                                                              "three_step_close", "two_way_handshake"},
}


@pytest.fixture(scope="module")
def shipped_graphs():
    specs = [s for s in load_all([str(SPECS)]) if s.name in ALL]
    return {s.name: run_spec(s, keep_graph=True).result._graph for s in specs}


def test_figure5_coverage_over_the_shipped_specs(shipped_graphs):
    coverage = figure5_coverage(shipped_graphs)
    assert [row.edge for row in coverage] == [(f, ev, t) for f, ev, t, _ in FIGURE5 + TEXT_EDGES]
    assert len(coverage) == 21
    got = {row.edge: (set(row.specs) if row.specs else "unreachable") for row in coverage}
    assert got == {edge: (set(v) if v != "unreachable" else v) for edge, v in EXPECTED_COVERAGE.items()}
    # every edge no spec exercises has its reason in the data table, and only those
    assert {row.edge for row in coverage if not row.specs} == set(FIGURE5_UNREACHED)
    assert all(row.reason for row in coverage if not row.specs)
    md = coverage_markdown(coverage)
    assert md.count("\n") == 2 + 21
    assert "| LISTEN | CLOSE / delete TCB | CLOSED | Figure 5 | early_close, early_close_no_retransmit |" in md
    assert "| LISTEN | SEND / snd SYN | SYN-SENT | Figure 5 | unreachable: the model's applications SEND only" in md
    assert ("| FIN-WAIT-1 | rcv FIN + ACK of FIN / snd ACK | TIME-WAIT | §3.10.7.4 | early_close, "
            "early_close_no_retransmit, rfc1337_reuse, rfc1337_reuse_constant_isn, rfc9293_old_syn, short_time_wait") in md


def _tcb(state, **fields):
    return idle_tcb(state)._replace(**fields)


def test_out_of_order_fin_that_is_only_acked_is_not_a_fin_received():
    # FIN-WAIT-1, our FIN at 102 unacknowledged; the peer's FIN at 302 arrives while RCV.NXT is
    # 301 (its data octet is still in flight): only the ACK field is processed (§3.10.7.4).
    before = _tcb(FIN_WAIT_1, iss=100, snd_una=102, snd_nxt=103, fin_seq=102, rcv_nxt=301)
    fin = Segment(302, 103, FIN | ACK, 0, 1, 1, limit=1, age=0)
    after = before._replace(state=FIN_WAIT_2, snd_una=103)
    assert event_of(before, deliver(S2C, fin), after) == "rcv ACK of FIN"
    # in sequence, the same segment is a FIN that also acknowledges ours: the text's edge to TIME-WAIT
    in_seq = before._replace(rcv_nxt=302)
    after = in_seq._replace(state=TIME_WAIT, snd_una=103, rcv_nxt=303, fin_rcvd=True)
    assert event_of(in_seq, deliver(S2C, fin), after) == "rcv FIN + ACK of FIN"
    # a FIN that does not acknowledge ours: simultaneous close
    after = in_seq._replace(state=CLOSING, rcv_nxt=303, fin_rcvd=True)
    assert event_of(in_seq, deliver(S2C, fin._replace(ack=102)), after) == "rcv FIN"


def test_labels_and_the_counts_flag(shipped_graphs):
    graph = shipped_graphs["rfc9293"]
    client = project(graph, 0)
    events = {(f, ev, t) for f, ev, t, _ in client}
    # in rfc9293 (reordering) the out-of-order FIN only acknowledging our FIN is FIN-WAIT-1 -> FIN-WAIT-2
    assert (FIN_WAIT_1, "rcv ACK of FIN", FIN_WAIT_2) in events
    assert not any(ev.startswith("rcv FIN") and t == FIN_WAIT_2 for f, ev, t in events)
    with_counts = endpoint_diagram(client, 0).source
    without = endpoint_diagram(client, 0, show_counts=False).source
    assert re.search(r'st4 -> st5 \[xlabel="CLOSE / snd FIN \(\d[\d,]*\)"', with_counts)
    assert 'st4 -> st5 [xlabel="CLOSE / snd FIN"' in without
    assert not re.search(r"\(\d[\d,]*\)", without)
    # laid out like Figure 5: fixed positions, two CLOSED boxes, TIME-WAIT into the lower one
    assert "layout=neato" in without and 'st0 [label=CLOSED pos="345,840!"' in without
    assert 'st10 -> closed_end [xlabel="timeout=2MSL / delete TCB"' in without
    # never exercised Figure 5 edges are dashed grey; edges beyond the figure are blue
    assert ('st1 -> st0 [color="#999999" fontcolor="#999999" style=dashed xlabel="CLOSE / delete TCB\\n'
            '(never exercised)"') in without
    assert 'st10 -> closed_end [color="#2e86c1" fontcolor="#2e86c1" xlabel="rcv RST / x"]' in without


def test_combined_diagram_of_both_endpoints(shipped_graphs):
    graph = shipped_graphs["rfc9293_simultaneous"]
    both = merge([project(graph, 0), project(graph, 1)])
    src = endpoint_diagram(both, None, "TCP", show_counts=False).source
    for edge in ('st1 -> st3 [xlabel="rcv SYN / snd SYN,ACK"]', 'st2 -> st3 [xlabel="rcv SYN / snd SYN,ACK"]',
                 'st5 -> st8 [xlabel="rcv FIN / snd ACK"]', 'st8 -> st10 [xlabel="rcv ACK of FIN / x"]',
                 'st9 -> closed_end [xlabel="rcv ACK of FIN / x"]'):
        assert edge in src, edge
