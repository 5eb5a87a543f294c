"""The command line through its real entry points: ``python -m tcpmodel`` and the
``tcpmodel`` console script, run as subprocesses.

Exit codes: 0 every verdict as expected, 1 some decided verdict not as expected, 2 bad spec or
usage, 3 incomplete (tests/test_robust_runs.py). A bad spec is one line on stderr naming the file and the key, never a traceback, and nothing
is written. The runs are started together (two cores) by a module fixture.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tcpmodel
from tcpmodel.spec import load

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
# What each spec expects, from the spec files themselves ([expect], [counts]).
VERDICTS = {p.stem: load(p).expect for p in sorted(SPECS.glob("*.toml"))}
COUNTS = {p.stem: tuple(load(p).counts[k] for k in ("states", "transitions", "depth")) for p in sorted(SPECS.glob("*.toml"))}
TIMEOUT = 300


def tcpmodel_cmd(*args):
    return [sys.executable, "-m", "tcpmodel", *map(str, args)]


class Job:
    """A subprocess whose output goes to files (so many can run at once without pipes filling)."""

    def __init__(self, folder: Path, name: str, args, cwd=ROOT):
        folder.mkdir(parents=True, exist_ok=True)
        self.out_path, self.err_path = folder / f"{name}.stdout", folder / f"{name}.stderr"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            env = dict(os.environ, PYTHONIOENCODING="utf-8")
            self.proc = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=err, env=env)
        self._done = False

    def result(self):
        if not self._done:
            self.proc.wait(timeout=TIMEOUT)
            self.returncode = self.proc.returncode
            self.stdout = self.out_path.read_text(encoding="utf-8")
            self.stderr = self.err_path.read_text(encoding="utf-8")
            self._done = True
        return self


def run(*args, cwd=ROOT):
    proc = subprocess.run(tcpmodel_cmd(*args), cwd=cwd, capture_output=True, text=True, encoding="utf-8",
                          timeout=TIMEOUT)
    return proc


# --------------------------------------------------------------------------------------------
# Specs that are bad, and one whose expectation is wrong

GOOD_EXPECT = '[expect]\nno_bogus_open = "holds"\n'
BAD_SPECS = {
    # name: (text, key named in the message or None, words the message must contain)
    "malformed": ('variant = "rfc9293"\n[expect\nno_bogus_open = "holds"\n', None, "malformed TOML"),
    "unknown_top_key": ('variant = "rfc9293"\ncolour = "blue"\n' + GOOD_EXPECT, "colour", "unknown key"),
    "unknown_parameter": ("[parameters]\nmls = 2\n" + GOOD_EXPECT, "parameters.mls", "unknown key"),
    "wrong_type": ('[parameters]\nmsl = "two"\n' + GOOD_EXPECT, "parameters.msl", "must be an integer"),
    "negative_budget": ("[faults]\nloss = -1\n" + GOOD_EXPECT, "faults.loss", "at least 0"),
    "time_wait_long": ('[parameters]\ntime_wait = "long"\n' + GOOD_EXPECT, "parameters.time_wait", "must be an integer"),
    "unknown_variant": ('variant = "rfc793"\n' + GOOD_EXPECT, "variant", "unknown variant 'rfc793'"),
    "unknown_property": ('[expect]\nno_bogus_opening = "holds"\n', "expect.no_bogus_opening", "unknown property"),
    "bad_expected_value": ('[expect]\nno_bogus_open = "yes"\n', "expect.no_bogus_open", "'yes'"),
    "contradictory_switches": (
        'variant = "no_time_wait"\nswitches = ["rfc1337"]\n' + GOOD_EXPECT,
        "switches", "cannot be combined",
    ),
}
# (More bad inputs are checked in-process, through spec.load, in test_spec_load.py.)

WRONG_EXPECTATION = textwrap.dedent("""\
    # three_step_close really violates close_delivers_all; this spec claims it holds.
    variant = "three_step_close"
    [parameters]
    msl = 1
    rto = 3
    [expect]
    close_delivers_all = "holds"
    no_bogus_open = "holds"
""")


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    """Every CLI run of this module, started at once; each test waits for the one it reads."""
    base = tmp_path_factory.mktemp("cli")
    logs = base / "logs"
    started = {}

    bad_dir = base / "bad"
    bad_dir.mkdir()
    for name, (text, _, _) in BAD_SPECS.items():
        (bad_dir / f"{name}.toml").write_text(text, encoding="utf-8")
        started[f"bad:{name}"] = Job(logs, f"bad-{name}", tcpmodel_cmd("check", bad_dir / f"{name}.toml", "--out", base / f"out-{name}"))

    # A folder with a good spec and a bad one: the bad one stops everything before any write.
    mixed = base / "mixed"
    mixed.mkdir()
    shutil.copy(SPECS / "no_retransmit.toml", mixed / "a_good.toml")
    (mixed / "b_bad.toml").write_text(BAD_SPECS["negative_budget"][0], encoding="utf-8")
    (base / "out-mixed").mkdir()
    started["mixed"] = Job(logs, "mixed", tcpmodel_cmd("check", mixed, "--out", base / "out-mixed"))

    wrong = base / "wrong_expectation.toml"
    wrong.write_text(WRONG_EXPECTATION, encoding="utf-8")
    started["wrong"] = Job(logs, "wrong", tcpmodel_cmd("check", wrong, "--no-write"))
    started["wrong_json"] = Job(logs, "wrong-json", tcpmodel_cmd("check", wrong, "--no-write", "--json"))

    # The real specs: the table, JSON, and a run that writes (two small specs).
    quiet_cwd = base / "cwd"
    quiet_cwd.mkdir()
    started["specs"] = Job(logs, "specs", tcpmodel_cmd("check", SPECS, "--no-write"), cwd=quiet_cwd)
    started["specs_json"] = Job(logs, "specs-json", tcpmodel_cmd(
        "check", SPECS / "rfc9293.toml", SPECS / "no_retransmit.toml", "--no-write", "--json"))
    started["write"] = Job(logs, "write", tcpmodel_cmd("check", SPECS / "no_retransmit.toml", "--out", base / "out-write"))
    yield base, started
    for job in started.values():
        if job.proc.poll() is None:
            job.proc.kill()
            job.proc.wait()


def job(jobs, name):
    return jobs[1][name].result()


# --------------------------------------------------------------------------------------------
# Version and help


def test_version_via_python_m():
    proc = run("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"tcpmodel {tcpmodel.__version__}"


def test_version_via_console_script():
    exe = shutil.which("tcpmodel")
    # scripts/install.sh installs the package, so its console script must be on PATH.
    assert exe is not None, "the tcpmodel console script is not on PATH (run scripts/install.sh)"
    proc = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"tcpmodel {tcpmodel.__version__}"


def test_help():
    proc = run("--help")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith("usage: tcpmodel")
    assert "check" in proc.stdout and "--version" in proc.stdout


def test_check_help():
    proc = run("check", "--help")
    assert proc.returncode == 0
    for option in ("--json", "--out", "--no-write", "--max-states", "--max-seconds", "--max-memory"):
        assert option in proc.stdout


def test_no_command_prints_help():
    proc = run()
    assert proc.returncode == 0 and "usage: tcpmodel" in proc.stdout


def test_bad_usage_exits_2():
    proc = run("frobnicate")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    proc = run("check", "--no-such-option")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_missing_spec_file_exits_2_with_one_line(tmp_path):
    missing = tmp_path / "nope.toml"
    proc = run("check", missing, "--no-write")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [f"tcpmodel: error: {missing}: no such file or folder"]


# --------------------------------------------------------------------------------------------
# Checking the real specs


def test_check_specs_exits_0_and_writes_nothing(jobs):
    r = job(jobs, "specs")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    lines = r.stdout.splitlines()
    assert lines[-1].startswith(f"{len(COUNTS)} spec(s), ")
    assert lines[-1].endswith("every verdict as expected")
    assert "NOT AS EXPECTED" not in r.stdout
    for name, (states, transitions, depth) in COUNTS.items():
        assert f"{name}.toml — variant " in r.stdout
        assert f"{states:,} distinct states, {transitions:,} transitions, depth {depth}," in r.stdout
    assert list((jobs[0] / "cwd").iterdir()) == []  # --no-write: no out/ appears


def test_check_specs_json(jobs):
    r = job(jobs, "specs_json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["as_expected"] is True
    by_name = {s["spec"]: s for s in doc["specs"]}
    assert list(by_name) == ["rfc9293", "no_retransmit"]  # in the order given
    for name, spec in by_name.items():
        expected = VERDICTS[name]
        assert spec["as_expected"] is True
        assert {v["property"]: v["status"] for v in spec["verdicts"]} == expected
        assert all(v["expected"] == v["status"] and v["as_expected"] for v in spec["verdicts"])
        counts = spec["counts"]
        assert (counts["states"], counts["transitions"], counts["depth"]) == COUNTS[name]
        assert spec["complete"] is True
    # the traces are there too, as readable steps
    rfc = {v["property"]: v for v in by_name["rfc9293"]["verdicts"]}
    assert [s["action"]["text"] for s in rfc["three_way_handshake"]["trace"]["steps"]] == [
        "client: OPEN (active), ISS=100",
        "server: receive SYN seq=100",
        "client: receive SYN,ACK seq=300 ack=101",
        "server: receive ACK seq=101 ack=301",
    ]
    assert rfc["graceful_end"]["trace"]["steps"][-1]["state"]["client"]["state"] == "CLOSED"
    assert by_name["no_retransmit"]["verdicts"][0]["trace"]["dead_end"] is True


def test_check_with_out_writes_reports(jobs):
    r = job(jobs, "write")
    assert r.returncode == 0, r.stdout + r.stderr
    out = jobs[0] / "out-write"
    assert (out / "index.html").is_file()
    for name in ("no_retransmit",):
        folder = out / name
        assert folder.is_dir() and any(folder.iterdir())
        verdicts = json.loads((folder / "verdicts.json").read_text(encoding="utf-8"))
        assert {v["property"]: v["status"] for v in verdicts["verdicts"]} == VERDICTS[name]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left behind
    assert str(out) in r.stdout


# --------------------------------------------------------------------------------------------
# A wrong expectation: exit 1


def test_wrong_expectation_exits_1(jobs):
    r = job(jobs, "wrong")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    row = next(line for line in r.stdout.splitlines() if line.strip().startswith("close_delivers_all"))
    assert row.split()[:3] == ["close_delivers_all", "violated", "holds"]
    assert "NOT AS EXPECTED" in row
    assert r.stdout.splitlines()[-1].endswith("NOT as expected: wrong_expectation.close_delivers_all")


def test_wrong_expectation_json(jobs):
    r = job(jobs, "wrong_json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["as_expected"] is False
    (spec,) = doc["specs"]
    assert [(v["property"], v["status"], v["as_expected"]) for v in spec["verdicts"]] == [
        ("close_delivers_all", "violated", False),
        ("no_bogus_open", "holds", True),
    ]


# --------------------------------------------------------------------------------------------
# Bad specs: exit 2, one line naming file and key, no traceback, nothing written


@pytest.mark.parametrize("name", sorted(BAD_SPECS))
def test_bad_spec(jobs, name):
    base, _ = jobs
    _, key, words = BAD_SPECS[name]
    r = job(jobs, f"bad:{name}")
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    path = base / "bad" / f"{name}.toml"
    prefix = f"tcpmodel: error: {path}: "
    assert lines[0].startswith(prefix)
    if key is not None:
        assert lines[0].startswith(prefix + key + ": ")
    assert words in lines[0]
    assert not (base / f"out-{name}").exists()  # not even the --out folder is created


def test_a_bad_spec_stops_the_run_before_anything_is_written(jobs):
    base, _ = jobs
    r = job(jobs, "mixed")
    assert r.returncode == 2
    assert r.stdout == ""  # not even the good spec was checked
    assert r.stderr.splitlines() == [f"tcpmodel: error: {base / 'mixed' / 'b_bad.toml'}: faults.loss: must be at least 0, got -1"]
    assert list((base / "out-mixed").iterdir()) == []


def test_check_with_the_fingerprint_store(tmp_path):
    """`--store fingerprint`: the same counts and verdicts as the spec expects (exact store),
    the collision probability printed, reports written (no state graph kept)."""
    proc = run("check", SPECS / "rfc1337_faults.toml", "--store", "fingerprint", "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    states, transitions, depth = COUNTS["rfc1337_faults"]
    assert f"{states:,} distinct states, {transitions:,} transitions, depth {depth}," in proc.stdout
    assert "fingerprint store: collision probability " in proc.stdout
    assert (tmp_path / "out" / "rfc1337_faults" / "verdicts.json").is_file()
    bad = run("check", SPECS / "rfc1337_faults.toml", "--store", "bloom", "--no-write")
    assert bad.returncode == 2 and "--store" in bad.stderr
