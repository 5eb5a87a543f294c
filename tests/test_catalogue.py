"""The built-in spec catalogue: names instead of paths, `tcpmodel specs`, copying one out,
checking with no specs/ folder; and specs that carry their expected counts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tcpmodel import from_dict, loads
from tcpmodel.errors import SpecError
from tcpmodel.library import builtin_names, catalogue_dir
from tcpmodel.run import run_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
NAMES = sorted(p.stem for p in SPECS.glob("*.toml"))
SMALL = ('variant = "three_step_close"\n[parameters]\nmsl = 1\nrto = 3\n'
         '[expect]\nclose_delivers_all = "violated"\n')


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "tcpmodel", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=300,
                          env=dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONPATH=str(ROOT)))


def test_in_a_source_tree_the_catalogue_is_specs():
    assert catalogue_dir() == SPECS
    assert builtin_names() == NAMES


def test_specs_lists_names_and_descriptions(tmp_path):
    proc = cli("specs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"built-in specs ({SPECS}):"
    assert [line.split()[0] for line in lines[1:]] == NAMES
    width = max(map(len, NAMES)) + 2  # one column of names, the descriptions aligned after it
    assert f"  {'no_time_wait':<{width}}client CLOSED right after its last ACK; one loss, FIFO network" in lines
    assert all(line[2 + width - 2:2 + width] == "  " and line[2 + width] != " " for line in lines[1:])


def test_specs_copy_then_check_the_copy(tmp_path):
    proc = cli("specs", "--copy", "three_step_close", "mine", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    copy = tmp_path / "mine" / "three_step_close.toml"
    assert copy.read_bytes() == (SPECS / "three_step_close.toml").read_bytes()
    assert proc.stdout == f"copied three_step_close to {Path('mine') / 'three_step_close.toml'}; check it with: tcpmodel check mine/three_step_close.toml\n"
    again = cli("specs", "--copy", "three_step_close", "mine", cwd=tmp_path)
    assert again.returncode == 2 and "already exists; not overwritten" in again.stderr
    checked = cli("check", "mine/three_step_close.toml", "--no-write", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr


def test_unknown_name_lists_the_built_in_names(tmp_path):
    for args in (("check", "rfc999"), ("sweep", "rfc999", "--dup", "0..1"), ("specs", "--copy", "rfc999")):
        proc = cli(*args, cwd=tmp_path)
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr.splitlines() == [
            f"tcpmodel: error: rfc999: no such file, folder or built-in spec; built-in specs: {', '.join(NAMES)}"]


def test_specs_dir_without_copy_is_a_usage_error(tmp_path):
    proc = cli("specs", "somewhere", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["tcpmodel: error: DIR 'somewhere' only goes with --copy NAME"]


def test_check_by_name_without_specs_folder(tmp_path):
    # (the whole catalogue, checked with no argument, is tested on the installed wheel:
    # tests/test_packaging.py)
    named = cli("check", "rfc9293_old_syn", "--no-write", cwd=tmp_path)
    assert named.returncode == 0, named.stderr
    assert named.stdout.startswith(f"{SPECS / 'rfc9293_old_syn.toml'} — variant rfc9293")
    assert list(tmp_path.iterdir()) == []


def test_a_local_specs_folder_is_checked_first(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "mine.toml").write_text(SMALL)
    proc = cli("check", "--no-write", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("specs/mine.toml — variant three_step_close")
    assert proc.stdout.splitlines()[-1].startswith("1 spec(s), ")


# --------------------------------------------------------------------------------------------
# [counts]: the expected exact counts





def test_counts_as_expected_and_not(tmp_path):
    good = loads(SMALL + "[counts]\nstates = 1261\ntransitions = 3206\ndepth = 21\n", "good")
    run = run_spec(good)
    assert run.as_expected and list(run.count_rows()) == [
        ("states", 1261, 1261, True), ("transitions", 3206, 3206, True), ("depth", 21, 21, True)]
    bad = run_spec(loads(SMALL + "[counts]\nstates = 1262\n", "bad"))
    assert not bad.as_expected and bad.unexpected() == ["counts.states"]
    # a run stopped early compares no counts (it is incomplete, not wrong)
    stopped = run_spec(good, max_states=10)
    assert [ok for *_, ok in stopped.count_rows()] == [None, None, None]
    assert "counts.states" not in stopped.unexpected()


def test_check_exits_1_when_a_count_differs(tmp_path):
    (tmp_path / "off.toml").write_text(SMALL + "[counts]\nstates = 1261\ntransitions = 3000\n")
    proc = cli("check", "off.toml", "--no-write", cwd=tmp_path)
    assert proc.returncode == 1
    assert "  transitions: 3,206, the spec expects 3,000  NOT AS EXPECTED" in proc.stdout.splitlines()
    assert proc.stdout.splitlines()[-1].endswith("NOT as expected: off.counts.transitions")


@pytest.mark.parametrize("table, message", [
    ("[counts]\nstate = 3\n", "bad: counts.state: unknown key; allowed: states, transitions, depth"),
    ("[counts]\nstates = 0\n", "bad: counts.states: must be at least 1, got 0"),
    ("[counts]\ndepth = \"9\"\n", "bad: counts.depth: must be an integer, got '9'"),
    ("counts = 3\n", "bad: counts: must be a table, got int"),
])
def test_bad_counts_are_one_line_errors(table, message):
    text = table + SMALL if not table.startswith("[") else SMALL + table
    with pytest.raises(SpecError) as info:
        loads(text, "bad")
    assert str(info.value) == message


def test_a_spec_from_a_dict_or_a_string():
    spec = from_dict({"variant": "three_step_close", "parameters": {"msl": 1}, "expect": {"close_delivers_all": "violated"},
                      "counts": {"states": 1261}})
    assert spec.name == "<dict>" and spec.counts == {"states": 1261}
    assert loads(SMALL, "mine").name == "mine"
    with pytest.raises(SpecError, match=r"^mine: malformed TOML"):
        loads("variant = ", "mine")
    with pytest.raises(SpecError, match=r"^<dict>: variant: unknown variant 'nope'"):
        from_dict({"variant": "nope", "expect": {"close_delivers_all": "violated"}})


def test_specs_copy_into_a_file_is_a_usage_error(tmp_path):
    (tmp_path / "f").write_text("x")
    proc = cli("specs", "--copy", "rfc9293", "f", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == ["tcpmodel: error: f: not a folder"]
