"""Ladders as a textbook prints them: a time axis in ticks (a segment sent at tick t and
delivered at tick t+d goes from y(t) to y(t+d)), straight pinned arrows, the TIME-WAIT
bracket, "rexmt" only for retransmission-timer sends, readable labels; and the canonical runs
of `tcpmodel diagram` (FIFO, each segment one tick, the four-step close)."""

import re
from pathlib import Path

import pytest

from tcpmodel.render.canonical import CANONICAL, canonical_runs, canonical_trace, prompt, write_canonical_docs
from tcpmodel.render.ladder import MIN_BAND, X_C, X_MID, X_S, follow_segments, ladder
from tcpmodel.run import run_spec
from tcpmodel.spec import load_all
from tcpmodel.tcp.properties import WITNESSES
from tcpmodel.tcp.actions import direction_of, kind, segment_of, timer_of
from tcpmodel.tcp.tcb import FIN, S2C, TIME_WAIT, format_segment

SPECS = Path(__file__).resolve().parent.parent / "specs"
from needs import needs_dot  # noqa: E402


def _run(name):
    return run_spec(load_all([str(SPECS / f"{name}.toml")])[0], keep_graph=True)


@pytest.fixture(scope="module")
def canonical():
    return [_run(name) for name in ("canonical_fifo", "canonical_simultaneous", "canonical_lost_ack")]


@pytest.fixture(scope="module")
def found(canonical):
    runs, notes = canonical_runs(canonical)
    assert notes == []
    return {c.item.name: c for c in runs}


def positions(src):
    """node -> (x, y down) from the pinned positions of a ladder's DOT source."""
    return {m[1]: (float(m[2]), -float(m[3])) for m in re.finditer(r'^\t"?(\w+)"? \[[^\n]*?pos="([-\d.]+),([-\d.]+)!"',
                                                                        src, re.M)}


def ticks_of(trace):
    """The tick (time) at which each step happens."""
    now, at = 0, {}
    for i, _, a, _ in trace.steps():
        if kind(a) == "tick":
            now += 1
        at[i + 1] = now
    return at


def describe(run, trace):
    return [run.model.describe(s, a, t) for _, s, a, t in trace.steps()]


def test_canonical_four_step_close(canonical, found):
    c = found["four_step_close"]
    assert c.run.spec.name == "canonical_fifo" and c.run.spec.config.channel == "fifo"
    assert c.run.spec.config.loss == 0 and c.run.spec.config.dup == 0
    trace = c.trace
    # every step is an edge of the model, and a prompt one: each segment is delivered one tick after it was sent
    for _, s, a, t in trace.steps():
        assert (a, t) in c.run.model.successors(s) and prompt(s, a, t)
    flights = follow_segments(trace)
    at = ticks_of(trace)
    assert all(f.end == "deliver" and at[f.end_step] == at[f.sent_step] + 1 for f in flights)
    # the close exactly: FIN, ACK, data (the half-close), its ACK, FIN, ACK
    close_from = next(i for i, a in enumerate(trace.actions) if kind(a) == "CLOSE") + 1
    close = [(f.src[0], format_segment(f.seg)) for f in flights if f.sent_step >= close_from]
    assert close == [("c", "FIN,ACK seq=101 ack=301"), ("s", "ACK seq=301 ack=102"),
                     ("s", "ACK seq=301 ack=102 data=1"), ("s", "FIN,ACK seq=302 ack=102"),
                     ("c", "ACK seq=102 ack=302"), ("c", "ACK seq=102 ack=303")]
    fins = [f for f in flights if "FIN" in format_segment(f.seg)]
    assert len(fins) == 2 and [f.src[0] for f in fins] == ["c", "s"]
    assert describe(c.run, trace)[-1] == "client: TIME-WAIT timeout → CLOSED"
    assert len(trace) == 22 and sum(kind(a) == "tick" for a in trace.actions) == 8


def test_canonical_runs(canonical, found):
    assert [c.name for c in CANONICAL] == list(found)
    hs = describe(found["three_way_handshake"].run, found["three_way_handshake"].trace)
    assert hs == ["client: OPEN (active), ISS=100 → SYN-SENT, send SYN seq=100", "tick",
                  "server: receive SYN seq=100 → SYN-RECEIVED, send SYN,ACK seq=300 ack=101", "tick",
                  "client: receive SYN,ACK seq=300 ack=101 → ESTABLISHED, send ACK seq=101 ack=301", "tick",
                  "server: receive ACK seq=101 ack=301 → ESTABLISHED"]
    lost = found["time_wait_lost_ack"]
    steps = describe(lost.run, lost.trace)
    assert "network: lose client→server ACK seq=102 ack=303" in steps
    assert "server: retransmission timeout, send FIN,ACK seq=302 ack=102" in steps
    assert "client: receive FIN,ACK seq=302 ack=102, send ACK seq=102 ack=303" in steps
    assert steps[-1] == "client: TIME-WAIT timeout → CLOSED"
    sim = describe(found["simultaneous_close"].run, found["simultaneous_close"].trace)
    assert "server: receive FIN,ACK seq=101 ack=301 → CLOSING, send ACK seq=302 ack=102" in sim
    assert "client: receive FIN,ACK seq=301 ack=101 → CLOSING, send ACK seq=102 ack=302" in sim
    # the server's SYN of its active open is this connection's, not an old incarnation's
    assert not any(f.stale for c in found.values() for f in follow_segments(c.trace))
    so = describe(found["simultaneous_open"].run, found["simultaneous_open"].trace)
    assert sum("SYN-SENT → SYN-RECEIVED" in x or ("receive SYN seq" in x and "SYN-RECEIVED" in x) for x in so) == 2
    # nothing to find: a milestone the graph never passes
    assert canonical_trace(canonical[0].result._graph, (WITNESSES["simultaneous_close"][0],)) is None


def test_time_axis_and_straight_arrows(found):
    c = found["time_wait_lost_ack"]
    trace = c.trace
    src = ladder(trace, "lost ACK", "none", msl=2).source
    assert "layout=neato" in src and "splines=false" in src and "inputscale=72" in src
    pos = positions(src)
    at = ticks_of(trace)
    # bands: the label t=k at the top of each tick's band, bands at least MIN_BAND apart
    tops = [pos[f"tick{k}"][1] for k in range(max(at.values()) + 1)]
    assert all(b - a >= MIN_BAND for a, b in zip(tops, tops[1:]))
    for rank, tick in at.items():
        if kind(trace.actions[rank - 1]) != "tick":
            y = pos[f"c{rank}"][1]
            assert tops[tick] < y < (tops[tick + 1] if tick + 1 < len(tops) else 1e9), rank
            assert pos[f"c{rank}"][0] == X_C and pos[f"s{rank}"][0] == X_S
    # every delivered segment: an arrow from the sender's row at tick t to the receiver's at t+1
    for f in follow_segments(trace):
        assert re.search(rf"\b{f.src} -> {f.dst} \[", src)
        if f.end == "deliver":
            (x0, y0), (x1, y1) = pos[f.src], pos[f.dst]
            assert at[f.end_step] == at[f.sent_step] + 1
            assert tops[at[f.sent_step]] < y0 < tops[at[f.end_step]] < y1  # slanted across one band
            assert {x0, x1} == {X_C, X_S}
    lost_flights = [f for f in follow_segments(trace) if f.end == "lose"]
    assert len(lost_flights) == 1 and pos[lost_flights[0].dst][0] == X_MID
    assert re.search(rf'{lost_flights[0].dst} \[label="✕"', src)
    assert re.search(r'label="ACK\\nseq=102 ack=303\\n\(lost\)"', src)
    # the TIME-WAIT brackets: entry to the retransmitted FIN, then the restarted timer to the timeout
    assert "2MSL = 4 ticks\\l" not in src  # the server never enters TIME-WAIT here
    assert "TIME-WAIT\\r2MSL = 4 ticks\\r" in src and "TIME-WAIT (restarted)\\r2MSL = 4 ticks\\r" in src
    # the retransmitted FIN reaching the client in TIME-WAIT (not the server's receipt of an
    # earlier ACK, which also happens while the client is in TIME-WAIT)
    restart = next(i + 1 for i, s, a, t in trace.steps()
                   if kind(a) == "deliver" and direction_of(a) == S2C and segment_of(a).flags & FIN and s.client.state == TIME_WAIT)
    timeout = len(trace)
    assert pos["twc0b"][1] == pos[f"c{_entry(trace)}"][1] and pos["twc0c"][1] == pos[f"c{restart}"][1]
    assert pos["twc1b"][1] == pos[f"c{restart}"][1] and pos["twc1c"][1] == pos[f"c{timeout}"][1]
    assert at[timeout] - at[restart] == 4  # the restarted 2MSL, as drawn between the two rows
    # without the MSL, the bracket only states the timer
    assert "TIME-WAIT\\rtimer 4 ticks\\r" in ladder(trace, "x", "none").source


def _entry(trace):
    return next(i + 1 for i, s, a, t in trace.steps() if t.client.state == 10 and s.client.state != 10)


def test_rexmt_only_for_retransmission_timer_sends():
    run = _run("rfc9293")
    trace = run.result["graceful_end"].trace  # TIME-WAIT assassination: an old ACK answered by an ACK
    flights = follow_segments(trace)
    by_step = {i + 1: a for i, a in enumerate(trace.actions)}
    for f in flights:
        a = by_step[f.sent_step]
        assert f.rexmt == (timer_of(a) == "retransmission")
    # the client's reply at step 13 repeats its ACK of step 11, and is not a retransmission
    again = [f for f in flights if f.src == "c13"]
    assert len(again) == 1 and again[0].seg[:6] == next(f for f in flights if f.src == "c11").seg[:6]
    assert not again[0].rexmt and "rexmt" not in ladder(trace, "x").source
    lost_ack = _run("no_time_wait")
    rexmt = [f for f in follow_segments(lost_ack.result["graceful_end"].trace) if f.rexmt]
    assert [(f.src, format_segment(f.seg)) for f in rexmt] == [("s19", "FIN,ACK seq=302 ack=103")]


@needs_dot
def test_canonical_docs_rendered_readable(tmp_path, canonical):
    written = write_canonical_docs(tmp_path / "docs", canonical)
    assert written.notes == []
    root = tmp_path / "docs"
    for stem in [c.name + ".ladder" for c in CANONICAL] + ["client", "server", "figure5"]:
        for ext in ("dot", "svg", "png"):
            assert (root / f"{stem}.{ext}").stat().st_size > 100, (stem, ext)
        svg = (root / f"{stem}.svg").read_text(encoding="utf-8")
        sizes = [float(x) for x in re.findall(r'font-size="([\d.]+)"', svg)]
        width = float(re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+) ', svg)[1])
        assert sizes and min(sizes) * 800 / max(width, 800) >= 12, (stem, min(sizes), width)  # ≥ 12 px at 800 px wide
        if stem.endswith(".ladder"):
            assert width <= 800 and min(sizes) >= 12, (stem, width)
    assert (root / "four_step_close.txt").read_text(encoding="utf-8").splitlines()[-1] == \
        "   22. client: TIME-WAIT timeout → CLOSED"  # as the one trace printer (SpecRun.trace_text) indents
    index = (root / "index.html").read_text(encoding="utf-8")
    assert index.count("<svg") == len(CANONICAL) + 3
    # byte for byte the same when written again
    write_canonical_docs(tmp_path / "again", canonical)
    for p in sorted(root.iterdir()):
        if p.suffix in (".dot", ".svg", ".txt", ".html"):
            assert p.read_bytes() == (tmp_path / "again" / p.name).read_bytes(), p.name


def test_cli_diagram(tmp_path, capsys):
    from tcpmodel.cli import main

    assert main(["diagram", "--specs", str(SPECS), "--out", str(tmp_path)]) == 0
    assert "diagrams written under" in capsys.readouterr().out
    src = (tmp_path / "docs" / "four_step_close.ladder.dot").read_text(encoding="utf-8")
    assert "Four-step close with half-close" in src and "2MSL = 4 ticks" in src
