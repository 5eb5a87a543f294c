"""The second process that expands states (engine/expander.py), found by review: a stopped
run leaves the model as one process leaves it, errors the child cannot send intact read as
in one process, the child never outlives its parent nor starts beside other threads, and
the memory it shares with its parent is not counted twice."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import multiprocessing
import multiprocessing.connection

import numpy as np
import pytest

from tcpmodel.engine import check, explore
from tcpmodel.engine import expander
from tcpmodel.errors import ModelDefinitionError, TcpModelError
from tcpmodel.tcp import TcpConfig, TcpModel, build
from tcpmodel.tcp.vector import VectorTcp

ROOT = Path(__file__).resolve().parent.parent
CONFIG = TcpConfig(max_delay=1, loss=1)  # 174,539 states in 75 levels, the widest about 18,000


def view_of(model):
    """What the model's compact view has interned, and its key widths."""
    c = model.compact()
    v = c.vector()
    return len(c.tcbs), len(c.channels), len(c.sents), len(v.actions), dict(model._key_widths)


def interrupted_at(nth):
    """A progress callback that interrupts the run at its ``nth`` call (once a chunk)."""
    calls = []

    def progress(report):
        calls.append(report.states)
        if len(calls) == nth:
            raise KeyboardInterrupt

    return progress


def expansion_raises(monkeypatch, make):
    """Expansion raises ``make()`` once the view knows more than 40 channels; a forked child
    expands from the first state on."""
    real = VectorTcp.expand

    def expand_that_raises(self, keys, with_actions=False):
        if len(self.compact.channels) > 40:
            raise make()
        return real(self, keys, with_actions)

    monkeypatch.setattr(VectorTcp, "expand", expand_that_raises)
    monkeypatch.setattr(explore, "CHILD_AFTER", 0)


@pytest.mark.parametrize("nth,second", [(2, 2), (40, 2), (95, 2), (95, 1)])
def test_a_stopped_run_leaves_the_model_as_one_process_leaves_it(nth, second, monkeypatch):
    """The chunk the child expanded ahead is never processed: the parent must not learn what
    the child interned in it (one process never meets it), so the model -- its view, its key
    widths -- and a second check on it (in two processes or one) are those of one process.
    (Chunks of 1,024 states: many are expanded ahead.)"""
    monkeypatch.setattr(explore, "CHILD_AFTER", 0)
    monkeypatch.setattr(explore, "VECTOR_CHUNK", explore.CHUNK)
    runs = []
    for processes in (2, 1):
        model = TcpModel(CONFIG)
        r = check(model, [], processes=processes, progress=interrupted_at(nth), progress_interval=0)
        first = (r.stats.states, r.stats.transitions, r.stats.stop_reason, view_of(model))
        again = check(model, build(["no_reuse_before_2msl"]), processes=min(processes, second), keep_graph=True)
        runs.append((first, again.stats.states, again.stats.transitions, list(again.state_graph.parent),
                     view_of(model)))
        assert not multiprocessing.active_children()
    assert runs[0] == runs[1]
    assert runs[0][0][2] == "interrupted"


def test_an_interrupt_while_the_parent_waits_for_the_child(monkeypatch):
    """Ctrl-C while the parent waits for a chunk (the likeliest moment): the run stops
    interrupted, the child ends, and the model is the one process's at that stop."""
    monkeypatch.setattr(explore, "CHILD_AFTER", 0)
    real = VectorTcp.expand
    parent = os.getpid()

    def slow(self, keys, with_actions=False):
        if os.getpid() != parent and len(keys) >= 1000:
            time.sleep(0.5)  # in the child: the parent is waiting in recv when the signal comes
        return real(self, keys, with_actions)

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    submitted = []
    real_submit = expander.ChildExpander.submit

    def submit(self, keys, with_actions):
        real_submit(self, keys, with_actions)
        if len(keys) >= 1000 and not submitted:
            submitted.append(len(keys))
            signal.setitimer(signal.ITIMER_REAL, 0.2)

    monkeypatch.setattr(VectorTcp, "expand", slow)
    monkeypatch.setattr(expander.ChildExpander, "submit", submit)
    chunks = []  # progress comes once a chunk processed
    old = signal.signal(signal.SIGALRM, interrupt)
    try:
        model = TcpModel(CONFIG)
        r = check(model, [], processes=2, progress=chunks.append, progress_interval=0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert r.stats.stop_reason == "interrupted" and submitted
    assert not multiprocessing.active_children()
    # The parent learned what the chunks it processed needed, no more: the view one process
    # has when stopped after as many chunks.
    monkeypatch.setattr(VectorTcp, "expand", real)
    one = TcpModel(CONFIG)
    ref = check(one, [], processes=1, progress=interrupted_at(len(chunks)), progress_interval=0)
    assert (r.stats.states, view_of(model)) == (ref.stats.states, view_of(one))
    assert check(model, [], processes=1).stats.states == check(one, [], processes=1).stats.states


@pytest.mark.parametrize("limit", [20_000, 100_000, 150_000])
def test_chunks_expanded_ahead_up_to_a_state_limit_are_the_chunks_one_process_expands(limit, monkeypatch):
    """Chunks of 2,048 states, so that chunks are expanded ahead up to where they may shrink
    before a state limit (32 x 2,048 states before it) and shrink there: the same graph, the
    same stop, the same view as one process."""
    monkeypatch.setattr(explore, "VECTOR_CHUNK", 2 * explore.CHUNK)
    monkeypatch.setattr(explore, "CHILD_AFTER", 0)
    runs = []
    for processes in (2, 1):
        model = TcpModel(TcpConfig(channel="bag", loss=1, dup=1, msl=1, rto=1))
        r = check(model, [], max_states=limit, keep_graph=True, processes=processes)
        runs.append((r.stats.states, r.stats.stop_reason, list(r.state_graph.parent), list(r.state_graph.targets),
                     view_of(model)))
    assert runs[0] == runs[1] and runs[0][1] == "state limit"


# --------------------------------------------------------------------------------------------
# Errors the child cannot send intact


class TwoArgumentError(Exception):
    """Pickles, but does not unpickle (its __init__ takes two arguments, its args hold one)."""

    def __init__(self, what, where):
        super().__init__(f"{what} at {where}")


class TwoArgumentModelError(TcpModelError):
    def __init__(self, what, where):
        super().__init__(f"{what} at {where}")


def local_error():
    class LocalError(ValueError):  # not picklable at all: a class inside a function
        pass

    return LocalError("local trouble")


@pytest.mark.parametrize("make", [lambda: TwoArgumentError("trouble", "here"), local_error,
                                  lambda: TwoArgumentModelError("model trouble", "there")])
def test_an_error_the_child_cannot_send_reads_as_in_one_process(make, monkeypatch):
    expansion_raises(monkeypatch, make)
    messages = []
    for processes in (2, 1):
        with pytest.raises(TcpModelError) as info:
            check(TcpModel(CONFIG), [], processes=processes)
        messages.append((str(info.value), info.value.result.stats.states, info.value.result.stats.stop_reason))
    assert messages[0] == messages[1]
    assert not multiprocessing.active_children()


# --------------------------------------------------------------------------------------------
# Process hygiene


def test_the_child_ends_when_its_parent_is_killed(tmp_path):
    """The child holds no copy of the parent's end of the pipe: when the parent dies (the
    kernel's out-of-memory killer, kill -9) the child reads end-of-file, or cannot write its
    reply, and ends, quietly."""
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from tcpmodel.engine import check, explore
        from tcpmodel.tcp import TcpConfig, TcpModel
        from tcpmodel.tcp.vector import VectorTcp
        real, parent = VectorTcp.expand, os.getpid()
        def expand(self, keys, with_actions=False):
            if os.getpid() != parent and len(keys) >= 1000:
                print(os.getpid(), flush=True)
                time.sleep(0.5)
            return real(self, keys, with_actions)
        VectorTcp.expand = expand
        explore.CHILD_AFTER = 0
        check(TcpModel(TcpConfig(max_delay=1, loss=1, dup=1)), [], processes=2)
    """))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    child = None
    try:
        child = int(proc.stdout.readline())
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _alive(child):
            time.sleep(0.05)
        assert not _alive(child)
        assert proc.stderr.read() == ""  # quietly: no traceback of a reply it could not send
    finally:
        proc.kill()
        proc.wait()
        if child is not None and _alive(child):
            os.kill(child, signal.SIGKILL)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_no_second_process_by_default_while_other_threads_run(monkeypatch):
    """fork copies only the calling thread: a lock another thread holds stays held in the
    child for ever. With other threads running, the default is one process."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    with monkeypatch.context() as alone:  # (other tests may have left threads behind)
        alone.setattr(threading, "active_count", lambda: 1)
        assert expander.second_core_available()
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not expander.second_core_available()
    finally:
        stop.set()
        other.join()


@pytest.mark.parametrize("cpus, forks", [({0}, False), ({0, 1}, True)])
def test_the_default_forks_where_a_second_core_is_free(cpus, forks, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: cpus, raising=False)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(explore, "CHILD_AFTER", 0)
    made = []
    real = expander.ChildExpander
    monkeypatch.setattr(expander, "ChildExpander", lambda vector: made.append(1) or real(vector))
    r = check(TcpModel(CONFIG), [])
    assert r.stats.complete and bool(made) == forks


def test_memory_the_child_shares_with_its_parent_is_not_counted_twice():
    """Right after the fork the child's resident pages are the parent's (copy on write): the
    memory limit counts what the child adds, not those again."""
    ballast = np.ones(200 << 20 >> 3)  # 200 MB the parent holds and the child shares
    rss = explore._RssReader()
    alone = rss()
    child = expander.ChildExpander(TcpModel(CONFIG).compact().vector())
    try:
        rss.follow(child.pid)
        time.sleep(0.2)
        both = rss()
    finally:
        child.close()
        rss.close()
    assert both - alone < 100 << 20, (alone, both)
    del ballast


def test_out_of_memory_in_the_child_stops_the_run_as_in_one_process(monkeypatch):
    expansion_raises(monkeypatch, MemoryError)
    runs = []
    for processes in (2, 1):
        r = check(TcpModel(CONFIG), build(["no_reuse_before_2msl"]), processes=processes)
        runs.append((r.stats.states, r.stats.stop_reason, r.stats.complete, r.verdicts["no_reuse_before_2msl"].status))
    assert runs[0] == runs[1] and runs[0][1:] == ("memory limit", False, "unknown")


def test_an_interrupt_while_a_chunk_is_being_sent(monkeypatch):
    """Ctrl-C half-way through a request: the child is killed, not sent more, and the run
    stops interrupted."""
    monkeypatch.setattr(explore, "CHILD_AFTER", 0)
    real_send_bytes = multiprocessing.connection.Connection.send_bytes
    sent, parent = [], os.getpid()

    def send_bytes(self, buf, *args):
        sent.append(len(buf))
        if len(sent) == 30 and os.getpid() == parent:
            raise KeyboardInterrupt
        return real_send_bytes(self, buf, *args)

    monkeypatch.setattr(multiprocessing.connection.Connection, "send_bytes", send_bytes)
    closed = []
    real_close = expander.ChildExpander.close

    def close(self):
        closed.append(self.in_step)
        real_close(self)
        closed.append(self.process.exitcode)

    monkeypatch.setattr(expander.ChildExpander, "close", close)
    r = check(TcpModel(CONFIG), [], processes=2)
    assert r.stats.stop_reason == "interrupted" and not multiprocessing.active_children()
    assert closed == [False, -signal.SIGKILL]


@pytest.mark.parametrize("after", [0, 1, 2])
def test_a_child_killed_half_way_through_a_reply_stops_the_run_as_out_of_memory(after, monkeypatch):
    """The kernel may kill the child between two parts of a reply: still a memory stop."""
    monkeypatch.setattr(explore, "CHILD_AFTER", 0)
    real_send_bytes = multiprocessing.connection.Connection.send_bytes
    parent, sent = os.getpid(), []

    def send_bytes(self, buf, *args):
        if os.getpid() != parent and len(buf) > 8 * 1000:  # the child, replying for a big chunk
            sent.append(1)
            if len(sent) == after + 1:
                os.kill(os.getpid(), signal.SIGKILL)
        return real_send_bytes(self, buf, *args)

    monkeypatch.setattr(multiprocessing.connection.Connection, "send_bytes", send_bytes)
    r = check(TcpModel(CONFIG), [], processes=2)
    assert r.stats.stop_reason == "memory limit" and not r.stats.complete
    assert not multiprocessing.active_children()


def test_memory_the_child_copies_or_allocates_is_counted(monkeypatch):
    """What the child allocates, and the pages it writes to (each then a copy of its own),
    are counted once its private memory is read again."""
    ballast = np.ones(200 << 20 >> 3)
    kept = []
    real = VectorTcp.expand

    def expand(self, keys, with_actions=False):  # runs in the child
        ballast[:] = 2.0  # 200 MB copied on write
        kept.append(np.ones(100 << 20 >> 3))  # 100 MB allocated
        return real(self, keys, with_actions)

    monkeypatch.setattr(VectorTcp, "expand", expand)
    space = TcpModel(CONFIG).compact()
    keys = np.array(space.init_states(), dtype=np.uint64)  # interned before the fork
    rss = explore._RssReader()
    alone = rss()
    child = expander.ChildExpander(space.vector())
    try:
        rss.follow(child.pid)
        child.submit(keys, False)
        child.result()
        time.sleep(rss.EXACT_EVERY + 0.1)
        both = rss()
    finally:
        child.close()
        rss.close()
    assert both - alone > 250 << 20, (alone, both)
    assert ballast[0] == 1.0  # the parent's pages are its own


def test_two_processes_asked_where_none_can_fork_explore_in_one(monkeypatch):
    monkeypatch.setattr(explore, "CHILD_AFTER", 0)
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    started = []
    monkeypatch.setattr(expander.ChildExpander, "__init__", lambda self, vector: started.append(1) or 1 / 0)
    r = check(TcpModel(CONFIG), [], processes=2, max_states=5000)
    assert r.stats.states == check(TcpModel(CONFIG), [], processes=1, max_states=5000).stats.states and not started


def test_the_command_line_gives_the_same_report_in_two_processes(tmp_path):
    """``check --processes 2`` through the real entry point, on a spec past CHILD_AFTER
    states (174,539) whose properties the vectorised loop decides: the report of
    ``--processes 1`` but for the run's statistics (times, memory)."""
    spec = tmp_path / "loss.toml"
    spec.write_text(textwrap.dedent("""
        variant = "rfc9293"
        [parameters]
        msl = 2
        max_delay = 1
        rto = 2
        max_retries = 2
        window = 2
        channel = "bag"
        [faults]
        loss = 1
        [expect]
        quiescent_agreement = "holds"
        eventual_close = "holds"
        no_deadlock = "holds"
    """))
    reports = []
    for processes in (2, 1):
        proc = subprocess.run([sys.executable, "-m", "tcpmodel", "check", str(spec), "--no-write", "--json",
                               "--processes", str(processes)], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr
        report = json.loads(proc.stdout)
        del report["run"]  # times, memory
        reports.append(report)
    assert reports[0] == reports[1]
    assert reports[0]["specs"][0]["counts"] == {"states": 174539, "transitions": 739204, "depth": 74}


def test_the_reported_peak_counts_the_child(monkeypatch):
    """Stats.peak_rss_bytes with processes=2 is this process's peak plus the child's (read as
    it ends): the memory the run took on the machine, not half of it."""
    monkeypatch.setattr(explore, "CHILD_AFTER", 0)
    seen = []
    real = expander._peak_of
    monkeypatch.setattr(expander, "_peak_of", lambda pid: seen.append(real(pid)) or seen[-1])
    r = check(TcpModel(CONFIG), [], processes=2)
    assert len(seen) == 1 and seen[0] > 10 << 20  # the child's own peak: an interpreter, numpy, the tables
    assert seen[0] < r.stats.peak_rss_bytes <= explore._peak_rss_bytes() + seen[0]
