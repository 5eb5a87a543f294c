"""Every spec in specs/: exact verdicts, exact counts, and the exact shortest traces.

The counts and traces are deterministic (BFS in a fixed successor order, no dependence on
hash seeds), so they are asserted literally: a change to the model's behaviour shows up here
as a changed number or a changed step, never silently. Each spec is checked once per session.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tcpmodel.run import run_spec
from tcpmodel.spec import load
from tcpmodel.tcp.tcb import ESTABLISHED

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"

# Every spec file is a test case: its [expect] table gives the verdicts and its [counts] table
# the exact counts (scripts/update_spec_counts.py writes them); nothing is copied here.
SPEC_FILES = sorted(SPECS.glob("*.toml"))
NAMES = [p.stem for p in SPEC_FILES]
H, V = "holds", "violated"


@pytest.fixture(scope="module")
def runs():
    """Every spec checked once for the whole module: name -> SpecRun."""
    return {path.stem: run_spec(load(path)) for path in SPEC_FILES}


def actions_of(run, prop):
    trace = run.result.verdicts[prop].trace
    assert trace is not None, f"{run.spec.name}.{prop} has no trace"
    return [run.model.format_action(a) for a in trace.actions]


def assert_replays(run, trace):
    """Each step of the trace is one of the model's successors of the step before."""
    model = run.model
    assert trace.states[0] in model.init_states()
    for _, s, a, t in trace.steps():
        assert (a, t) in model.successors(s)


# --------------------------------------------------------------------------------------------
# Verdicts and counts


def test_the_specs_folder_is_not_empty_and_every_spec_expects_counts():
    assert len(SPEC_FILES) >= 12
    for path in SPEC_FILES:
        assert set(load(path).counts) == {"states", "transitions", "depth"}, f"{path.name} lacks a full [counts] table"


@pytest.mark.parametrize("name", NAMES)
def test_exact_counts(runs, name):
    run = runs[name]
    stats = run.result.stats
    assert stats.complete and stats.stop_reason == ""
    assert run.counts == run.spec.counts
    assert (stats.states, stats.transitions, stats.depth) == tuple(run.spec.counts[k] for k in ("states", "transitions", "depth"))
    assert [ok for *_, ok in run.count_rows()] == [True, True, True]


@pytest.mark.parametrize("name", NAMES)
def test_exact_verdicts_and_as_expected(runs, name):
    run = runs[name]
    got = {p: v.status for p, v in run.result.verdicts.items()}
    assert list(got) == list(run.spec.expect)  # the spec's order
    assert got == run.spec.expect  # every verdict as the spec expects
    assert run.as_expected and run.unexpected() == []
    assert all(ok for *_, ok in run.rows())


@pytest.mark.parametrize("name", NAMES)
def test_every_trace_replays_through_the_model(runs, name):
    run = runs[name]
    for prop, verdict in run.result.verdicts.items():
        if verdict.trace is not None:
            assert_replays(run, verdict.trace)
        elif verdict.kind not in ("sometimes", "sometimes_step", "leads_to"):
            # a safety property without a counterexample holds
            assert verdict.status == H, prop


def test_counts_do_not_depend_on_the_hash_seed():
    program = textwrap.dedent("""
        from tcpmodel.run import run_spec
        from tcpmodel.spec import load
        r = run_spec(load("specs/rfc9293.toml"))
        s = r.result.stats
        print(s.states, s.transitions, s.depth)
        for name, v in r.result.verdicts.items():
            print(name, v.status, [r.model.format_action(a) for a in v.trace.actions] if v.trace else None)
    """)
    procs = [subprocess.Popen([sys.executable, "-c", program], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=dict(os.environ, PYTHONHASHSEED=seed, PYTHONIOENCODING="utf-8"), text=True,
                              encoding="utf-8")
             for seed in ("0", "4242")]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        outputs.append(out)
    assert outputs[0] == outputs[1]
    counts = load(SPECS / "rfc9293.toml").counts
    assert outputs[0].splitlines()[0] == "%d %d %d" % (counts["states"], counts["transitions"], counts["depth"])


# The shortest counterexamples of the broken variants and of the findings, and the mechanism
# behind each, are asserted in test_tcp_findings.py.


# --------------------------------------------------------------------------------------------
# Witnesses


def test_three_way_handshake_witness(runs):
    expected = [
        "client: OPEN (active), ISS=100",
        "server: receive SYN seq=100",
        "client: receive SYN,ACK seq=300 ack=101",
        "server: receive ACK seq=101 ack=301",
    ]
    assert actions_of(runs["rfc9293"], "three_way_handshake") == expected
    assert actions_of(runs["rfc9293_simultaneous"], "three_way_handshake") == expected
    last = runs["rfc9293"].result.verdicts["three_way_handshake"].trace.states[-1]
    assert last.client.state == ESTABLISHED and last.server.state == ESTABLISHED


def test_four_step_close_witness(runs):
    assert actions_of(runs["rfc9293"], "four_step_close") == [
        "client: OPEN (active), ISS=100",
        "server: receive SYN seq=100",
        "client: receive SYN,ACK seq=300 ack=101",
        "client: SEND",
        "client: CLOSE",
        "server: receive ACK seq=101 ack=301 data=1",
        "server: receive FIN,ACK seq=102 ack=301",
        "server: SEND",
        "server: CLOSE",
        "client: receive ACK seq=301 ack=103 data=1",
        "client: receive FIN,ACK seq=302 ack=103",
        "server: receive ACK seq=103 ack=303",
    ]


def test_simultaneous_open_witness(runs):
    assert actions_of(runs["rfc9293_simultaneous"], "simultaneous_open") == [
        "client: OPEN (active), ISS=100",
        "server: OPEN (active), ISS=300",
        "server: receive SYN seq=100",
    ]


def test_simultaneous_close_witness(runs):
    assert actions_of(runs["rfc9293_simultaneous"], "simultaneous_close") == [
        "client: OPEN (active), ISS=100",
        "server: receive SYN seq=100",
        "client: receive SYN,ACK seq=300 ack=101",
        "client: SEND",
        "client: CLOSE",
        "server: receive ACK seq=101 ack=301",
        "server: SEND",
        "server: CLOSE",
        "server: receive ACK seq=101 ack=301 data=1",
        "server: receive FIN,ACK seq=102 ack=301",  # the crossing FIN: FIN-WAIT-1 -> CLOSING
    ]


def test_time_wait_completed_witness(runs):
    assert actions_of(runs["rfc9293"], "time_wait_completed") == [
        "client: OPEN (active), ISS=100",
        "server: receive SYN seq=100",
        "client: receive SYN,ACK seq=300 ack=101",
        "client: SEND",
        "client: CLOSE",
        "server: receive ACK seq=101 ack=301",
        "server: receive ACK seq=101 ack=301 data=1",
        "server: receive FIN,ACK seq=102 ack=301",
        "server: SEND",
        "server: CLOSE",
        "client: receive ACK seq=301 ack=102",
        "client: receive ACK seq=301 ack=103",
        "client: receive ACK seq=301 ack=103 data=1",
        "server: receive ACK seq=103 ack=302",
        "client: receive FIN,ACK seq=302 ack=103",
        "server: receive ACK seq=103 ack=303",
        "tick",
        "tick",
        "tick",
        "tick",  # 2*MSL = 4 ticks
        "client: TIME-WAIT timeout",
    ]


def test_no_time_wait_never_completes_time_wait(runs):
    verdict = runs["no_time_wait"].result.verdicts["time_wait_completed"]
    assert verdict.status == V and verdict.trace is None
