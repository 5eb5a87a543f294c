"""Robust runs (issue 10): an incomplete run has its own exit code (3) and wording, the exit
code of several specs follows 2 > 1 > 3 > 0, one Ctrl-C or SIGTERM ends the whole command with
what finished, a memory limit stops a run cleanly, the progress line names the spec and its
limits, and a counterexample that does not replay is reported as such."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tcpmodel.run
from tcpmodel import cli
from tcpmodel.engine.explore import Progress
from tcpmodel.errors import ReplayError

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
SMALL = '[parameters]\nmsl = 1\nrto = 3\nchannel = "fifo"\nclient_data = 0\nserver_data = 0\n'
GOOD = SMALL + '[expect]\nno_bogus_open = "holds"\nthree_way_handshake = "holds"\n'
WRONG = SMALL + '[expect]\nno_bogus_open = "violated"\n'  # it holds: a decided verdict not as expected
LIMITED = ('[parameters]\nmsl = 1\nrto = 3\n[limits]\nmax_states = 100\n'
           '[expect]\nno_bogus_open = "holds"\neventual_close = "holds"\nthree_way_handshake = "holds"\n')
BAD = "[faults]\nloss = -1\n[expect]\nno_bogus_open = \"holds\"\n"
# hours of exploring, and certain to be huge even by the under-estimate (spec.estimate_states):
# the "huge run" warning comes just before its run
HUGE = "[parameters]\nmsl = 8\n[faults]\nloss = 8\ndup = 8\n[expect]\nno_bogus_open = \"holds\"\n"


def cli_run(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "tcpmodel", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout)


def specs(folder: Path, **texts):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.toml").write_text(text, encoding="utf-8")
    return folder


# --------------------------------------------------------------------------------------------
# Exit code 3 and its wording


def test_an_incomplete_run_exits_3_and_says_unknown(tmp_path):
    r = cli_run("check", specs(tmp_path, limited=LIMITED), "--no-write")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "NOT AS EXPECTED" not in r.stdout and "NOT as expected" not in r.stdout
    rows = {line.split()[0]: line for line in r.stdout.splitlines()[2:5]}
    assert rows["no_bogus_open"].split(None, 3)[1:] == ["unknown", "holds", "unknown (run incomplete: state limit)"]
    assert rows["eventual_close"].endswith("unknown (run incomplete: state limit)")
    assert rows["three_way_handshake"].split()[1:4] == ["holds", "holds", "ok"]  # a witness found is decided
    assert "104 distinct states, 176 transitions, depth 8, " in r.stdout  # limits are looked at per chunk
    assert r.stdout.splitlines()[-1].startswith("1 spec(s), 104 states in ")
    assert r.stdout.splitlines()[-1].endswith(" s: incomplete, verdicts unknown: limited (state limit)")


def test_the_command_line_limit_also_gives_3_and_json_says_so(tmp_path):
    r = cli_run("check", SPECS / "rfc9293.toml", "--no-write", "--json", "--max-states", "500")
    assert r.returncode == 3
    doc = json.loads(r.stdout)
    assert (doc["as_expected"], doc["exit_code"], doc["interrupted"]) == (False, 3, False)
    assert (doc["specs"][0]["complete"], doc["specs"][0]["stop_reason"]) == (False, "state limit")
    # unknown verdicts are not as expected; the counts of a stopped run are not compared
    unknown = [v["property"] for v in doc["specs"][0]["verdicts"] if v["status"] == "unknown"]
    assert unknown and doc["specs"][0]["unexpected"] == unknown


@pytest.mark.parametrize("texts,code", [
    (dict(a=GOOD), 0),
    (dict(a=GOOD, b=LIMITED), 3),
    (dict(a=WRONG, b=LIMITED), 1),
    (dict(a=GOOD, b=WRONG), 1),
    (dict(a=WRONG, b=LIMITED, c=BAD), 2),
], ids=["ok", "incomplete", "wrong beats incomplete", "wrong", "bad spec beats all"])
def test_exit_code_precedence_over_several_specs(tmp_path, texts, code):
    r = cli_run("check", specs(tmp_path, **texts), "--no-write")
    assert r.returncode == code, r.stdout + r.stderr
    assert "Traceback" not in r.stderr


def test_exit_codes_are_documented():
    assert "3  incomplete" in cli.__doc__ and "2, 1, 3, 0" in cli.__doc__
    for args in (["--help"], ["check", "--help"]):
        r = cli_run(*args)
        text = " ".join(r.stdout.split())
        assert r.returncode == 0 and "3 incomplete" in text and "the first of 2, 1, 3, 0" in text
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "3 when a run is incomplete" in readme and "2, 1, 3, 0" in readme


# --------------------------------------------------------------------------------------------
# One Ctrl-C (or SIGTERM) ends the whole command


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_one_signal_ends_the_whole_command(tmp_path, signum):
    folder = specs(tmp_path / "specs", a_small=GOOD, b_huge=HUGE, c_huge=HUGE)
    proc = subprocess.Popen([sys.executable, "-m", "tcpmodel", "check", folder, "--out", tmp_path / "out"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    # The warning about b_huge is printed after the handlers are in place, just before its run.
    line = proc.stderr.readline()
    assert line.startswith("tcpmodel: warning: ") and "b_huge.toml" in line, line
    time.sleep(1.0)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, out + err
    assert "Traceback" not in err and "c_huge" not in err + out  # the third spec never started
    assert "unknown (run incomplete: interrupted)" in out
    last = out.splitlines()[-1]
    assert last.endswith(f"interrupted during {folder / 'b_huge.toml'}: 2 of 3 spec(s) checked, nothing written")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# --------------------------------------------------------------------------------------------
# Memory


def test_a_memory_limit_stops_the_run_as_incomplete(tmp_path):
    r = cli_run("check", specs(tmp_path, huge=HUGE), "--no-write", "--max-memory", "64M", "--max-seconds", "300")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert "unknown (run incomplete: memory limit)" in r.stdout
    assert r.stdout.splitlines()[-1].endswith("incomplete, verdicts unknown: huge (memory limit)")
    # stopped cleanly, with what it had found: the counts of the states explored
    stats = next(line for line in r.stdout.splitlines() if "distinct states" in line)
    assert stats.endswith("INCOMPLETE (memory limit)") and int(stats.split()[0].replace(",", "")) > 1000


def test_run_spec_turns_a_memory_error_into_an_incomplete_result(monkeypatch):
    from tcpmodel.spec import load

    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(tcpmodel.run, "check", no_memory)
    run = tcpmodel.run.run_spec(load(SPECS / "no_retransmit.toml"), max_memory=1 << 30)
    assert run.result.stats.complete is False and run.result.stats.stop_reason == "memory limit"
    assert run.undecided == list(run.spec.expect) and run.not_as_expected == []


def test_the_default_memory_limit_is_a_fraction_of_what_is_available():
    with open("/proc/meminfo") as f:
        available = next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))
    assert 0.7 * available < cli.default_max_memory() <= 0.8 * available


# --------------------------------------------------------------------------------------------
# Progress line, ReplayError


def test_the_progress_line_names_the_spec_and_its_limits(capsys):
    line = cli._ProgressLine(enabled=True)
    line.start("specs/rfc9293.toml", 1_000_000, 60.0, 8 << 30)
    line(Progress(states=1234, transitions=5678, queue=90, depth=7, seconds=1.5, states_per_second=822.7))
    line.done()
    err = capsys.readouterr().err
    shown = err.split("\r")[1]
    assert shown == ("  specs/rfc9293.toml (limits: 1,000,000 states, 60 s, 8.0 GiB): 1,234 states, 5,678 "
                     "transitions, queue 90, depth 7, 823 states/s, 1.5 s")
    assert err.endswith("\r" + " " * len(shown) + "\r")  # cleared after the run


def test_a_replay_error_is_reported_as_a_nondeterministic_model(monkeypatch, capsys):
    def nondeterministic(spec, **kwargs):
        raise ReplayError("step 3: the model has no such action any more")

    monkeypatch.setattr(tcpmodel.run, "run_spec", nondeterministic)
    code = cli.main(["check", str(SPECS / "no_retransmit.toml"), "--no-write"])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.splitlines() == [
        f"tcpmodel: error: {SPECS / 'no_retransmit.toml'}: the model is not deterministic, a counterexample did "
        "not replay (a bug in tcpmodel, not in the spec): step 3: the model has no such action any more"]
    assert out.splitlines()[-1].endswith("NOT as expected: no_retransmit (does not replay)")


def test_an_interrupt_outside_the_exploration_also_ends_the_command(tmp_path, monkeypatch, capsys):
    folder = specs(tmp_path, a=GOOD, b=GOOD, c=GOOD)
    real = tcpmodel.run.run_spec

    def run_spec(spec, **kwargs):
        if spec.name == "b":  # e.g. Ctrl-C during the liveness check, after exploring
            raise KeyboardInterrupt
        return real(spec, **kwargs)

    monkeypatch.setattr(tcpmodel.run, "run_spec", run_spec)
    assert cli.main(["check", str(folder), "--out", str(tmp_path / "out")]) == 3
    out, err = capsys.readouterr()
    assert out.splitlines()[-1].endswith(f"interrupted during {folder / 'b.toml'}: 1 of 3 spec(s) checked, "
                                         "nothing written")
    assert f"{folder / 'c.toml'}" not in out and not any((tmp_path / "out").iterdir())


def test_an_interrupt_is_said_in_the_json_document(tmp_path, monkeypatch, capsys):
    # The specs listed are the ones checked, each as expected: only "interrupted" and the exit
    # code say that the third spec was never checked.
    folder = specs(tmp_path, a=GOOD, b=GOOD, c=GOOD)
    real = tcpmodel.run.run_spec

    def run_spec(spec, **kwargs):
        if spec.name == "b":
            raise KeyboardInterrupt
        return real(spec, **kwargs)

    monkeypatch.setattr(tcpmodel.run, "run_spec", run_spec)
    assert cli.main(["check", str(folder), "--no-write", "--json"]) == 3
    doc = json.loads(capsys.readouterr().out)
    assert (doc["as_expected"], doc["exit_code"], doc["interrupted"]) == (True, 3, True)
    assert [s["spec"] for s in doc["specs"]] == ["a"]
