"""Robust input (issue 10): what fuzzed and hostile specs did before, and must never do again.

A traceback for nesting >= 500 levels, integers over 4,300 digits, huge values formatted whole,
huge hex values accepted; a FIFO or /dev/zero read for ever; ANSI escapes and 5 MB values echoed
raw; no upper bound on any parameter; limits of 0, -5, NaN accepted on the command line.
"""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tcpmodel.errors import SpecError, TcpModelError
from tcpmodel.formats.jsondoc import spec_data
from tcpmodel.run import run_spec
from tcpmodel.spec import (FAULTS, HUGE_STATES, LIMITS, MAX_SPEC_BYTES, PARAMETERS, TEXT_LIMIT, bounds,
                           estimate_states, load, safe_text, safe_value)
from tcpmodel.sweep import Axis

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
EXPECT = '[expect]\nno_bogus_open = "holds"\n'
TIMEOUT = 120


def write(folder: Path, text: str, name: str = "spec.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path) -> SpecError:
    with pytest.raises(SpecError) as info:
        load(path)
    return info.value


def cli(*args, timeout=TIMEOUT):
    return subprocess.run([sys.executable, "-m", "tcpmodel", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", errors="replace", timeout=timeout)


# --------------------------------------------------------------------------------------------
# The fuzzer's tracebacks


@pytest.mark.parametrize("text", [
    "x = " + "[" * 1000 + "]" * 1000 + "\n",
    "x = " + "{a = " * 1000 + "1" + "}" * 1000 + "\n",
], ids=["arrays", "inline tables"])
def test_deep_nesting_is_a_spec_error(tmp_path, text):
    err = error_of(write(tmp_path, text + EXPECT))
    assert err.key == "" and err.message == "malformed TOML: arrays or tables nested too deeply"


def test_integer_over_4300_digits_is_a_spec_error(tmp_path):
    err = error_of(write(tmp_path, "[parameters]\nmsl = " + "1" * 5000 + "\n" + EXPECT))
    assert err.message.startswith("malformed TOML: ")
    assert len(str(err)) < 400


def test_huge_hex_value_is_refused_by_its_bound_and_named_by_its_size(tmp_path):
    err = error_of(write(tmp_path, "[parameters]\nmsl = 0x" + "f" * 5000 + "\n" + EXPECT))
    assert err.key == "parameters.msl"
    assert err.message == "must be at most 8, got an integer of 20000 bits"


def test_huge_value_in_isn_choices_cannot_reach_json(tmp_path):
    text = '[parameters]\nisn = "any"\nisn_choices = [0, 0x' + "f" * 40 + "]\n" + EXPECT
    err = error_of(write(tmp_path, text))
    assert err.key == "parameters.isn_choices"
    assert err.message == "every value must be at most 2147483647, got [0, an integer of 160 bits]"
    # the largest allowed value goes through a run and JSON
    text = ('[parameters]\nmsl = 1\nrto = 3\nchannel = "fifo"\nclient_data = 0\nserver_data = 0\nisn = "any"\n'
            'isn_choices = [0, 0x7fffffff]\n' + EXPECT)
    spec = load(write(tmp_path, text))
    assert spec.config.isn_choices == (0, 2**31 - 1)
    doc = json.loads(json.dumps(spec_data(run_spec(spec))))
    assert doc["config"]["isn_choices"] == [0, 2**31 - 1]


@pytest.mark.parametrize("where,text", [
    ("variant", 'variant = "' + "v" * 500_000 + '"\n' + EXPECT),
    ("expect.no_bogus_open", '[expect]\nno_bogus_open = "' + "h" * 500_000 + '"\n'),
    ("parameters.isn", '[parameters]\nisn = "' + "c" * 5_000 + '"\n' + EXPECT),
    ("parameters.msl", "[parameters]\nmsl = [" + "1, " * 100_000 + "1]\n" + EXPECT),
    ("description", "description = [" + "1, " * 100_000 + "1]\n" + EXPECT),
])
def test_a_huge_value_is_never_echoed_whole(tmp_path, where, text):
    err = error_of(write(tmp_path, text))
    assert err.key == where
    assert len(err.message) < 300, err.message


def test_a_5_mb_value_is_refused_by_the_file_size(tmp_path):
    err = error_of(write(tmp_path, 'variant = "' + "v" * 5_000_000 + '"\n' + EXPECT))
    assert err.key == "" and err.message == "is 5,000,046 bytes; a spec may have at most 1,048,576 (1 MiB)"


def test_ansi_escapes_and_controls_in_keys_are_escaped(tmp_path):
    err = error_of(write(tmp_path, '[parameters]\n"\\u001b[31mred\\u001b[0m\\u202e" = 1\n' + EXPECT))
    assert "\x1b" not in str(err) and "\u202e" not in str(err)
    assert err.key == "parameters.\\x1b[31mred\\x1b[0m\\u202e"
    err = error_of(write(tmp_path, '"\\u001b]0;title\\u0007" = 1\n' + EXPECT))
    assert err.key == "\\x1b]0;title\\x07"


def test_safe_text_and_safe_value():
    assert safe_text("plain") == "plain"
    assert safe_text("a\x1b[2Jb\r\n") == "a\\x1b[2Jb\\r\\n"
    assert safe_text("中文\u3000说明") == "中文\u3000说明"  # CJK text and its space stay as they are
    long = safe_text("x" * 5_000_000)
    assert len(long) == TEXT_LIMIT and long.endswith("…")
    assert safe_text("x" * TEXT_LIMIT) == "x" * TEXT_LIMIT
    assert safe_text("\x1b" * 100) == ("\\x1b" * 20)[:TEXT_LIMIT - 1] + "…"
    assert safe_text("y" * 500, None) == "y" * 500
    assert safe_value(10**5000) == "an integer of 16610 bits"
    assert safe_value(True) == "True" and safe_value(2.5) == "2.5" and safe_value("two") == "'two'"
    assert safe_value([[1]] * 3) == "a list of 3 item(s)" and safe_value({"a": 1}) == "a table of 1 key(s)"


# --------------------------------------------------------------------------------------------
# Only regular files of bounded size are read


def test_a_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.toml")
    err = error_of(tmp_path / "pipe.toml")
    assert err.message == "is a device, pipe or socket, not a regular file; a spec is a .toml file"


def test_a_fifo_in_a_spec_folder_stops_the_cli_at_once(tmp_path):
    write(tmp_path, EXPECT, "a_good.toml")
    os.mkfifo(tmp_path / "b_pipe.toml")
    r = cli("check", tmp_path, "--no-write", timeout=60)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines() == [f"tcpmodel: error: {tmp_path / 'b_pipe.toml'}: is a device, pipe or socket, "
                                     "not a regular file; a spec is a .toml file"]


def test_dev_zero_is_refused():
    r = cli("check", "/dev/zero", "--no-write", timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.splitlines() == ["tcpmodel: error: /dev/zero: is a device, pipe or socket, not a regular file; "
                                     "a spec is a .toml file"]


def test_a_folder_named_toml_is_refused(tmp_path):
    (tmp_path / "dir.toml").mkdir()
    assert error_of(tmp_path / "dir.toml").message == "is a folder, not a regular file; a spec is a .toml file"


def test_a_file_over_one_mib_is_refused_and_one_at_the_bound_is_read(tmp_path):
    comment = "#" * (MAX_SPEC_BYTES - len(EXPECT) - 1) + "\n"
    spec = load(write(tmp_path, comment + EXPECT))
    assert spec.path.stat().st_size == MAX_SPEC_BYTES and spec.expect == {"no_bogus_open": "holds"}
    err = error_of(write(tmp_path, "#" + comment + EXPECT))
    assert err.message == "is 1,048,577 bytes; a spec may have at most 1,048,576 (1 MiB)"


def test_a_name_too_long_is_a_spec_error(tmp_path):
    err = error_of(tmp_path / ("n" * 300 + ".toml"))
    assert err.message == "cannot read the file: File name too long"


# --------------------------------------------------------------------------------------------
# Bounds: one table, each integer key refused just above its maximum


INT_KEYS = [(table, key) for table, rows in (("parameters", PARAMETERS), ("faults", FAULTS), ("limits", LIMITS))
            for key, rule in rows.items() if rule.kind == "integer"]


@pytest.mark.parametrize("table,key", INT_KEYS, ids=[f"{t}.{k}" for t, k in INT_KEYS])
def test_every_integer_has_a_maximum(tmp_path, table, key):
    low, high = bounds(key)
    assert isinstance(high, int) and low <= high < 2**31
    err = error_of(write(tmp_path, f"[{table}]\n{key} = {high + 1}\n" + EXPECT))
    assert (err.key, err.message) == (f"{table}.{key}", f"must be at most {high}, got {high + 1}")
    err = error_of(write(tmp_path, f"[{table}]\n{key} = {2**63}\n" + EXPECT))
    assert err.message == f"must be at most {high}, got {2**63}"
    # max_delay is also bounded by msl (an original arrives within it; only duplicates live msl):
    # at its maximum it needs msl at its maximum too, and above msl it is refused by that bound
    extra = f"msl = {bounds('msl')[1]}\n" if key == "max_delay" else ""
    spec = load(write(tmp_path, f"[{table}]\n{extra}{key} = {high}\n" + EXPECT))
    assert getattr(spec.config, key, None) == high or getattr(spec, key) == high
    if key == "max_delay":
        assert high == bounds("msl")[1]  # its own row is no tighter than msl's
        err = error_of(write(tmp_path, f"[{table}]\nmsl = {high - 1}\n{key} = {high}\n" + EXPECT))
        assert (err.key, err.message) == ("parameters.max_delay", f"must be at most msl = {high - 1}, got {high}")


def test_the_chosen_maxima():
    assert {k: bounds(k)[1] for k in ("msl", "incarnations", "loss", "dup", "window", "max_retries")} == {
        "msl": 8, "incarnations": 4, "loss": 8, "dup": 8, "window": 8, "max_retries": 8}
    # times: a delay is at most an MSL; timers may run to 4*max MSL (RTO > MSL, TIME-WAIT > 2*MSL)
    assert {k: bounds(k) for k in ("max_delay", "rto", "syn_rto", "time_wait")} == {
        "max_delay": (1, 8), "rto": (1, 32), "syn_rto": (1, 32), "time_wait": (1, 32)}
    # ISN distance between incarnations: every ISN of the last incarnation stays far below 2**31
    assert bounds("isn_stride") == (1, 1000) and bounds("isn_stride")[1] * bounds("incarnations")[1] < 2**16
    # the words
    assert (PARAMETERS["lifetime"].allowed, PARAMETERS["close"].allowed) == (("half_open", "closed"),
                                                                             ("after_data", "any_time"))


def test_isn_choices_are_bounded_in_number(tmp_path):
    err = error_of(write(tmp_path, '[parameters]\nisn = "any"\nisn_choices = [0,1,2,3,4,5,6,7,8]\n' + EXPECT))
    assert (err.key, err.message) == ("parameters.isn_choices", "may have at most 8 values, got 9")


def test_sweep_ranges_use_the_same_bounds():
    assert Axis.parse("loss", "0..8").values == tuple(range(9))
    with pytest.raises(TcpModelError, match=r"loss values must be integers of at least 0 and at most 8, got 1000000000"):
        Axis.parse("loss", "0..1000000000")  # refused before a billion values are built
    with pytest.raises(TcpModelError, match=r"at most 32, got 33"):
        Axis.parse("time_wait", "33")
    with pytest.raises(TcpModelError, match="write an inclusive range"):
        Axis.parse("dup", "9" * 5000)


# --------------------------------------------------------------------------------------------
# The estimate behind the "huge run" warning is an under-estimate


@pytest.mark.parametrize("name", sorted(p.stem for p in SPECS.glob("*.toml")))
def test_the_estimate_stays_below_every_shipped_spec(name):
    spec = load(SPECS / f"{name}.toml")
    states = spec.counts["states"]
    estimate = estimate_states(spec.config)
    assert estimate <= states, (estimate, states)


def test_a_huge_run_is_warned_about_before_it_starts(tmp_path):
    huge = write(tmp_path, "[parameters]\nmsl = 8\nrto = 9\n[faults]\nloss = 4\ndup = 8\n" + EXPECT, "huge.toml")
    # bag 50 * max_delay (= msl) 1.3**7 * loss 1.4**4 * dup 5**8 * data 1.15 * 1.2
    assert round(estimate_states(load(huge).config)) == 649_717_754
    r = cli("check", huge, "--no-write", "--max-seconds", "1")
    assert r.returncode == 3, r.stdout + r.stderr
    assert r.stderr.splitlines()[0].startswith(f"tcpmodel: warning: {huge}: expect at least ~649,717,754 states ")
    # the time that counts is max_delay (originals), not msl (only duplicates live that long)
    config = load(huge).config
    assert estimate_states(config.replace(max_delay=1)) == pytest.approx(estimate_states(config) / 1.3**7)
    assert estimate_states(config.replace(dup=6)) < HUGE_STATES
    r = cli("check", SPECS / "no_retransmit.toml", "--no-write")
    assert r.returncode == 0 and "warning" not in r.stderr


# --------------------------------------------------------------------------------------------
# Limits on the command line: one line, exit 2


@pytest.mark.parametrize("option,value,words", [
    ("--max-states", "0", "must be in 1..2147483647, got 0"),
    ("--max-states", "-5", "must be in 1..2147483647, got -5"),
    ("--max-states", "ten", "not a number: ten"),
    ("--max-seconds", "-1", "must be in 1..604800, got -1"),
    ("--max-seconds", "0", "must be in 1..604800, got 0"),
    ("--max-seconds", "nan", "must be a finite number of seconds, got nan"),
    ("--max-seconds", "inf", "must be a finite number of seconds, got inf"),
    ("--max-memory", "0", "must be at least 1M, got 0"),
    ("--max-memory", "lots", "not a memory size: lots (write e.g. 8G or 500M)"),
])
def test_bad_limits_on_the_command_line(option, value, words, capsys):
    from tcpmodel.cli import main

    assert main(["check", str(SPECS / "no_retransmit.toml"), "--no-write", f"{option}={value}"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [f"tcpmodel check: error: argument {option}: {words} (see tcpmodel check --help)"]


def test_a_bad_limit_through_the_real_entry_point():
    r = cli("check", SPECS / "no_retransmit.toml", "--no-write", "--max-states", "-5")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines() == ["tcpmodel check: error: argument --max-states: must be in 1..2147483647, got -5 "
                                     "(see tcpmodel check --help)"]


def test_sweep_limits_are_checked_the_same_way():
    r = cli("sweep", SPECS / "no_retransmit.toml", "--loss", "0..1", "--no-write", "--max-seconds=nan")
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and "finite" in r.stderr


def test_memory_sizes():
    from tcpmodel.cli import memory_size

    assert memory_size("8G") == 8 << 30 and memory_size("500M") == 500 << 20 and memory_size("1.5GiB") == 3 << 29
    assert memory_size("2048k") == 2 << 20 and memory_size(str(5 << 20)) == 5 << 20


def test_a_description_with_escapes_is_printed_escaped(tmp_path):
    text = ('description = "\\u001b[2J\\u001b[31mred' + "x" * 500 + '"\n[parameters]\nmsl = 1\nrto = 3\n'
            'channel = "fifo"\nclient_data = 0\nserver_data = 0\n' + EXPECT)
    path = write(tmp_path, text, "esc\u001b[1m.toml")
    r = cli("check", path, "--no-write")
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"{tmp_path}/esc\\x1b[1m.toml — variant rfc9293"
    assert lines[1].startswith("  \\x1b[2J\\x1b[31mredxxx") and lines[1].endswith("…") and len(lines[1]) == 2 + 200


def test_an_empty_spec_name_is_refused():
    r = cli("check", "", "--no-write", timeout=60)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines() == ["tcpmodel: error: '': an empty file name; give a spec file or a folder"]


# --------------------------------------------------------------------------------------------
# A small fuzzer, kept: a spec file's bytes changed at random give a Spec or a SpecError,
# never another exception (derandomized: the same examples every run).

FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SEED_TEXTS = [(SPECS / name).read_bytes() for name in ("rfc9293.toml", "short_time_wait.toml", "rfc1337_reuse.toml")]
PIECES = [b"[", b"]", b"{", b"}", b"=", b'"', b"\n", b"0x" + b"f" * 40, b"9" * 20, b"[parameters]\n", b"[faults]\n",
          b"msl = ", b"loss = ", b"isn_choices = [", b"\x1b[31m", b"\xff", b"-", b".", b"true", b"1e999", b"'''"]


@FUZZ
@given(seed=st.sampled_from(SEED_TEXTS),
       edits=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 8), st.sampled_from(PIECES)), max_size=6))
def test_fuzzed_specs_give_a_spec_or_a_spec_error(tmp_path, seed, edits):
    data = seed
    for at, cut, piece in edits:
        at %= len(data) + 1
        data = data[:at] + piece + data[at + cut:]
    path = tmp_path / "fuzz.toml"
    path.write_bytes(data)
    try:
        spec = load(path)
    except SpecError as err:
        assert "\x1b" not in str(err) and len(err.message) < 2500
    else:
        json.dumps({"config": dataclasses.asdict(spec.config), "expect": spec.expect})  # every value fits JSON


def test_nesting_is_measured_outside_strings_and_comments():
    from tcpmodel.spec import MAX_NESTING, _nesting

    assert _nesting('x = [[1, 2], [3]]\n[table]\ny = "[[[[" # [[[[\nz = \'\'\'[[[\'\'\'\nw = "a\\"[["\n') == 2
    deep = "x = " + "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1) + "\n"
    assert _nesting(deep) == MAX_NESTING + 1
    assert _nesting("x = " + "[" * MAX_NESTING + "]" * MAX_NESTING + "\n") == MAX_NESTING
