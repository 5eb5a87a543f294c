"""Diagrams: ladder, state path, per-endpoint projection, full graph, outputs, determinism, no dot."""

import os
import re
from pathlib import Path

import pytest

from tcpmodel.render import write_outputs
from tcpmodel.render.endpoint import FIGURE5, figure5_exercised, project, endpoint_diagram
from tcpmodel.render.graphs import full_graph, state_path
from tcpmodel.render.ladder import follow_segments, ladder
from tcpmodel.run import run_spec
from tcpmodel.spec import load_all
from tcpmodel.tcp.actions import kind
from tcpmodel.tcp.tcb import (CLOSE_WAIT, CLOSED, CLOSING, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, LAST_ACK, LISTEN,
                              SYN_RECEIVED, SYN_SENT, TIME_WAIT)

SPECS = Path(__file__).resolve().parent.parent / "specs"
from needs import needs_dot  # noqa: E402


def _run(name):
    return run_spec(load_all([str(SPECS / f"{name}.toml")])[0], keep_graph=True)


@pytest.fixture(scope="module")
def no_time_wait():
    return _run("no_time_wait")


@pytest.fixture(scope="module")
def two_way():
    return _run("two_way_handshake")


@pytest.fixture(scope="module")
def simultaneous():
    return _run("rfc9293_simultaneous")


def test_ladder_of_lost_ack(no_time_wait):
    trace = no_time_wait.result["graceful_end"].trace
    src = ladder(trace, "graceful_end").source
    n = len(trace)
    # one row per step that is not a tick (step number, both lifelines), pinned positions
    for i, a in enumerate(trace.actions):
        for col in ("t", "c", "s") if kind(a) != "tick" else ("t",):
            assert re.search(rf'\b{col}{i + 1} \[[^\]]*pos="[-\d.]+,[-\d.]+!"', src), f"{col}{i + 1} missing"
    assert re.search(r"c0 -> c_end \[arrowhead=none", src) and re.search(r"s0 -> s_end \[arrowhead=none", src)
    # the lost last ACK ends in a cross in the network column
    lost_flights = [f for f in follow_segments(trace) if f.end == "lose"]
    assert len(lost_flights) == 1 and lost_flights[0].dst.startswith("n")
    assert re.search(rf"{lost_flights[0].dst} \[label=\"✕\"", src)
    assert re.search(rf"{lost_flights[0].src} -> {lost_flights[0].dst} \[arrowhead=none", src)
    assert 'label="ACK\\nseq=103 ack=303\\n(lost)"' in src
    # the handshake's SYN from c1 to s2, labelled on its arrow
    assert "c1 -> s2 [color=black]" in src and 'label="SYN\\nseq=100"' in src
    # the retransmitted FIN is marked, the violating last step (the RST) is red
    assert 'label="FIN,ACK\\nseq=302 ack=103\\n(rexmt)"' in src
    assert re.search(rf'c{n - 1} -> s{n} \[color="#c0392b" penwidth=2\]', src)
    assert f'label="{n}\\nviolation"' in src
    # states are written where they change; ticks and timer expiries appear
    assert "SYN-SENT" in src and "LAST-ACK" in src and "t=1" in src and "retransmission timeout" in src


def test_ladder_of_duplicate_old_syn(two_way):
    trace = two_way.result["no_bogus_open"].trace
    src = ladder(trace, "no_bogus_open").source
    flights = follow_segments(trace)
    dups = [f for f in flights if f.dup]
    assert len(dups) == 1
    dup = dups[0]
    assert dup.src.startswith("n") and dup.end == "deliver" and dup.stale
    assert re.search(rf'{dup.src} \[label=dup', src)
    # dashed from the network; it is the violating step's segment, so red and heavy
    assert dup.end_step == len(trace)
    assert re.search(rf'{dup.src} -> {dup.dst} \[color="#c0392b" penwidth=2 style=dashed\]', src)
    assert 'label="SYN\\nseq=100\\n(dup, old incarnation)"' in src
    # segments still in flight at the end are dotted arrows to nowhere
    assert any(not f.end for f in flights)
    assert "(in flight)" in src and re.search(r"-> f\d+ \[color=\"#999999\" style=dotted", src)


def _some_lasso(run):
    """A real lasso of the model: a shortest path to a state on a cycle of the graph, then the cycle."""
    import networkx as nx
    from tcpmodel.engine import Trace

    graph = run.result._graph
    nxg = nx.DiGraph()
    edge_action = {}
    for i in range(len(graph)):
        for e, j in graph.edges_of(i):
            nxg.add_edge(i, j)
            edge_action.setdefault((i, j), graph.actions[graph.action_ids[e]])
    try:
        cycle = nx.find_cycle(nxg)
    except nx.NetworkXNoCycle:
        return None
    start = cycle[0][0]
    ids = graph.path_to(start) + [j for _, j in cycle]
    states = tuple(graph.states[i] for i in ids)
    actions = tuple(edge_action[(a, b)] for a, b in zip(ids, ids[1:]))
    return Trace(states, actions, loop_start=len(graph.path_to(start)) - 1)


def test_lasso_cycle_is_marked(no_time_wait, two_way, simultaneous):
    trace = next((t for t in map(_some_lasso, (no_time_wait, two_way, simultaneous)) if t is not None), None)
    if trace is None:  # these models are acyclic: draw a lasso-shaped trace (the drawing only reads its shape)
        from tcpmodel.engine import Trace

        t = no_time_wait.result["graceful_end"].trace
        trace = Trace(t.states[:5] + (t.states[2],), t.actions[:5], loop_start=2)
    src = ladder(trace, "lasso", "violation").source
    assert "cycle repeats" in src and "constraint=false" in src
    assert "violation" not in src.replace("lasso", "")  # a lasso has no single bad step
    path = state_path(trace, "lasso").source
    assert "cycle repeats" in path
    assert f"p{len(trace) - 1} -> p{trace.loop_start}" in path


def test_state_path(no_time_wait):
    trace = no_time_wait.result["graceful_end"].trace
    src = state_path(trace, "graceful_end").source
    n = len(trace)
    assert f"p{n - 1} -> p{n}" in src
    assert re.search(rf'p{n} \[label="#{n}  TIME-WAIT \| CLOSED|p{n} \[label="#{n}  CLOSED \| CLOSED', src)
    assert re.search(rf"p{n} \[[^\]]*fillcolor=\"#fdecea\"", src)
    assert "c→s: SYN 100" in src


def test_endpoint_projection_against_figure5(simultaneous):
    graph = simultaneous.result._graph
    client, server = project(graph, 0), project(graph, 1)
    ex_c, ex_s = figure5_exercised(client), figure5_exercised(server)
    expected_client = {(CLOSED, "active OPEN", SYN_SENT), (SYN_SENT, "rcv SYN", SYN_RECEIVED),
                       (SYN_SENT, "rcv SYN,ACK", ESTABLISHED), (SYN_RECEIVED, "rcv ACK of SYN", ESTABLISHED),
                       (ESTABLISHED, "CLOSE", FIN_WAIT_1), (ESTABLISHED, "rcv FIN", CLOSE_WAIT),
                       (FIN_WAIT_1, "rcv ACK of FIN", FIN_WAIT_2), (FIN_WAIT_1, "rcv FIN", CLOSING),
                       (FIN_WAIT_2, "rcv FIN", TIME_WAIT), (CLOSE_WAIT, "CLOSE", LAST_ACK),
                       (CLOSING, "rcv ACK of FIN", TIME_WAIT), (LAST_ACK, "rcv ACK of FIN", CLOSED),
                       (TIME_WAIT, "timeout=2MSL", CLOSED)}
    assert ex_c == expected_client
    assert {(CLOSED, "passive OPEN", LISTEN), (LISTEN, "rcv SYN", SYN_RECEIVED),
            (SYN_RECEIVED, "rcv ACK of SYN", ESTABLISHED)} <= ex_s
    assert (LISTEN, "CLOSE", CLOSED) not in ex_c | ex_s  # no CLOSE in LISTEN in this configuration
    labels = {}
    for f, ev, t, act in server:
        labels.setdefault((f, t), set()).add(f"{ev} / {act}")
    assert "rcv SYN / snd SYN,ACK" in labels[(LISTEN, SYN_RECEIVED)]
    assert "passive OPEN / create TCB" in labels[(CLOSED, LISTEN)]
    assert "rcv ACK of SYN / x" in labels[(SYN_RECEIVED, ESTABLISHED)]
    assert "active OPEN / create TCB, snd SYN" in labels[(LISTEN, SYN_SENT)]  # beyond Figure 5 (its SEND)
    cl = {}
    for f, ev, t, act in client:
        cl.setdefault((f, t), set()).add(f"{ev} / {act}")
    assert cl[(TIME_WAIT, CLOSED)] == {"timeout=2MSL / delete TCB"}
    assert "CLOSE / snd FIN" in cl[(ESTABLISHED, FIN_WAIT_1)]
    assert "rcv ACK of FIN / x" in cl[(CLOSING, TIME_WAIT)]
    assert sum(client.values()) > 0
    src = endpoint_diagram(client, 0).source
    # unexercised Figure 5 edges are dashed grey; counts are shown
    assert re.search(r'st1 -> st0 \[color="#999999" fontcolor="#999999" style=dashed xlabel="CLOSE / delete TCB\\n\(never exercised\)"', src)
    assert re.search(r'st10 -> closed_end \[xlabel="timeout=2MSL / delete TCB \(\d+\)"', src)
    assert len(FIGURE5) == 20


def test_full_graph_guard(no_time_wait):
    graph = no_time_wait.result._graph
    g, why = full_graph(graph, limit=10)
    assert g is None and "1,177 states" in why and "limit of 10" in why
    g, why = full_graph(graph, limit=10_000)
    assert why == "" and "subgraph cluster_0" in g.source and "CLOSED | LISTEN" in g.source


@needs_dot
def test_outputs_are_deterministic_and_complete(tmp_path, no_time_wait, two_way):
    runs = [no_time_wait, two_way]
    w1 = write_outputs(tmp_path / "a", runs)
    w2 = write_outputs(tmp_path / "b", runs)
    folder = tmp_path / "a" / "no_time_wait"
    for stem in ("graceful_end.ladder", "graceful_end.path", "client", "server"):
        for ext in ("dot", "svg", "png"):
            assert (folder / f"{stem}.{ext}").stat().st_size > 100, (stem, ext)
    assert (folder / "graph-skipped.txt").exists()
    assert (folder / "graceful_end.txt").exists() and (folder / "graceful_end.json").exists()
    compared = 0
    for p in sorted((tmp_path / "a").rglob("*")):
        if p.suffix in (".dot", ".svg") or p.name == "index.html":
            assert p.read_bytes() == (tmp_path / "b" / p.relative_to(tmp_path / "a")).read_bytes(), p
            compared += 1
    assert compared >= 16
    index = w1.index.read_text(encoding="utf-8")
    assert "<svg" in index and "<?xml" not in index and "graceful_end" in index and "no_bogus_open" in index
    assert not list((tmp_path / "a").glob(".staging-*"))
    assert w2.notes and "full state graph" in w2.notes[-1]


def test_without_dot(tmp_path, monkeypatch, no_time_wait):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    written = write_outputs(tmp_path / "out", [no_time_wait])
    folder = tmp_path / "out" / "no_time_wait"
    assert (folder / "graceful_end.ladder.dot").exists() and (folder / "client.dot").exists()
    assert not list(folder.glob("*.svg")) and not list(folder.glob("*.png"))
    assert any("apt-get install graphviz" in n for n in written.notes)
    assert written.index.exists()


def test_cli_check_without_dot_exit_code(tmp_path, monkeypatch, capsys):
    from tcpmodel.cli import main
    import sys

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code = main(["check", str(SPECS / "no_time_wait.toml"), "--out", str(tmp_path / "out")])
    assert code == 0
    out = capsys.readouterr().out
    assert "apt-get install graphviz" in out
    del sys
