"""Parameter sweeps (tcpmodel.sweep, tcpmodel.render.sweep_plot, `tcpmodel sweep`).

The verdicts asserted here are what the checker says (measured, then written down):

- short_time_wait.toml (rfc1337 + ack_throttling, MSL 2, originals within max_delay 1,
  reuse, constant ISN, reordering), TIME-WAIT 1..4, one duplication: no_stale_delivery
  violated at 1 only (frontier 1); no_bogus_open and no_reuse_before_2msl violated at all
  four (frontier 4, the end of the range: an old duplicate SYN meets the re-listening server
  and opens a half-open connection whatever TIME-WAIT lasts, rfc1337_reuse_constant_isn.toml).
  With no duplication: no_reuse_before_2msl violated at 1 only (a RST answering the first
  connection's last original is still in flight after one tick) and holds from 2 on (frontier
  1); the other two hold everywhere.
- no_retransmit.toml, loss 0..2: eventual_close holds at 0, violated from 1 (frontier 1);
  rfc9293_faults.toml, loss 0..2: eventual_close holds everywhere (no frontier).
- two_way_handshake.toml, dup 0..1: no_bogus_open holds at 0, violated at 1 (frontier 1).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import time
from pathlib import Path

import pytest

from tcpmodel.cli import main
from tcpmodel.errors import TcpModelError
from tcpmodel.spec import load
from tcpmodel.sweep import Axis, Point, config_at, frontiers, sweep, sweep_to_dict

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
TW_PROPS = ["no_stale_delivery", "no_bogus_open", "no_reuse_before_2msl"]
H, V, U = "holds", "violated", "unknown"


@pytest.fixture(scope="module")
def time_wait_sweep():
    """short_time_wait.toml over TIME-WAIT 1..4 and dup 0..1 (about 300k states in all)."""
    started = time.perf_counter()
    result = sweep(load(SPECS / "short_time_wait.toml"),
                   [Axis.parse("time_wait", "1..4"), Axis.parse("dup", "0..1")], TW_PROPS)
    return result, time.perf_counter() - started


# ------------------------------------------------------------ (a) TIME-WAIT
def test_time_wait_sweep_with_one_duplicate(time_wait_sweep):
    r, _ = time_wait_sweep
    # The duplicated data octet outlives a 1-tick TIME-WAIT only (originals arrive within 1 tick).
    assert r.line("no_stale_delivery", "time_wait", dup=1) == [(1, V), (2, H), (3, H), (4, H)]
    # With a constant ISN an old duplicate SYN opens a half-open connection at the re-listening
    # server whatever TIME-WAIT lasts (rfc1337_reuse_constant_isn.toml), and replies to old
    # duplicates (a RST from the CLOSED server, segments of that half-open connection) start new
    # lifetimes: old-incarnation segments outlive even a 2*MSL TIME-WAIT.
    assert r.line("no_bogus_open", "time_wait", dup=1) == [(1, V), (2, V), (3, V), (4, V)]
    assert r.line("no_reuse_before_2msl", "time_wait", dup=1) == [(1, V), (2, V), (3, V), (4, V)]
    assert r.frontier("no_stale_delivery", "time_wait", dup=1) == 1
    for prop in ("no_bogus_open", "no_reuse_before_2msl"):
        f = r.frontier_of(prop, "time_wait", dup=1)
        assert (f.value, f.direction, f.certain, f.at_range_end) == (4, "largest", True, True)


def test_time_wait_sweep_without_faults(time_wait_sweep):
    r, _ = time_wait_sweep
    # No duplication: originals arrive within max_delay = 1 tick, and with ACK throttling nothing
    # answers an old ACK but the CLOSED server's RST: a TIME-WAIT of 1 tick lets the client
    # reopen with that RST still in flight, 2 ticks are enough.
    assert r.line("no_reuse_before_2msl", "time_wait", dup=0) == [(1, V), (2, H), (3, H), (4, H)]
    assert r.frontier("no_reuse_before_2msl", "time_wait", dup=0) == 1
    for prop in ("no_stale_delivery", "no_bogus_open"):
        assert r.line(prop, "time_wait", dup=0) == [(1, H), (2, H), (3, H), (4, H)]
        f = r.frontier_of(prop, "time_wait", dup=0)
        assert f.value is None and f.certain


def test_time_wait_sweep_frontiers_along_dup(time_wait_sweep):
    r, _ = time_wait_sweep
    assert [r.frontier("no_reuse_before_2msl", "dup", time_wait=tw) for tw in (1, 2, 3, 4)] == [0, 1, 1, 1]
    assert [r.frontier("no_stale_delivery", "dup", time_wait=tw) for tw in (1, 2, 3, 4)] == [1, None, None, None]
    assert [r.frontier("no_bogus_open", "dup", time_wait=tw) for tw in (1, 2, 3, 4)] == [1, 1, 1, 1]


def test_time_wait_sweep_points_and_variants(time_wait_sweep):
    r, seconds = time_wait_sweep
    assert [a.name for a in r.axes] == ["dup", "time_wait"]  # canonical order, last varies fastest
    assert [p.coords for p in r.points][:2] == [(("dup", 0), ("time_wait", 1)), (("dup", 0), ("time_wait", 2))]
    assert all(p.complete for p in r.points)
    # TIME-WAIT is a plain parameter: sweeping it leaves the variant and its switches alone.
    base = load(SPECS / "short_time_wait.toml").config
    assert all(p.config == base.replace(time_wait=p.value("time_wait"), dup=p.value("dup")) for p in r.points)
    assert {p.config.label for p in r.points} == {"rfc1337+ack_throttling"}
    assert all(p.config.time_wait_ticks == p.value("time_wait") for p in r.points)
    # Exact state counts (deterministic) keep each point small; (dup 1, TIME-WAIT 1) is the spec.
    assert r.point(dup=1, time_wait=1).states == 171_136
    assert r.point(dup=0, time_wait=4).states == 655
    assert sum(p.states for p in r.points) < 250_000
    assert seconds < 25


# ------------------------------------------------------------ (b) loss
def test_loss_sweep_no_retransmit():
    r = sweep(load(SPECS / "no_retransmit.toml"), [Axis.parse("loss", "0..2")], ["eventual_close"])
    assert r.line("eventual_close", "loss") == [(0, H), (1, V), (2, V)]
    f = r.frontier_of("eventual_close", "loss")
    assert (f.value, f.direction, f.certain, f.at_range_end) == (1, "smallest", True, False)
    assert [p.states for p in r.points] == [82, 242, 398]


def test_loss_sweep_reference_protocol_never_breaks():
    r = sweep(load(SPECS / "rfc9293_faults.toml"), [Axis.parse("loss", "0..2")], ["eventual_close"])
    assert r.line("eventual_close", "loss") == [(0, H), (1, H), (2, H)]
    assert r.frontier("eventual_close", "loss") is None


# ------------------------------------------------------------ (c) dup
def test_dup_sweep_two_way_handshake():
    r = sweep(load(SPECS / "two_way_handshake.toml"), [Axis.parse("dup", "0..1")])
    assert r.properties == ("no_bogus_open",)  # the spec's [expect]
    assert r.line("no_bogus_open", "dup") == [(0, H), (1, V)]
    assert r.frontier("no_bogus_open", "dup") == 1


# ------------------------------------------------------------ axes and configurations
def test_axis_parsing():
    assert Axis.parse("loss", "0..2").values == (0, 1, 2)
    assert Axis.parse("time_wait", " 3 .. 5 ").values == (3, 4, 5)
    assert Axis.parse("dup", "1").values == (1,)
    assert Axis.parse("channel", "bag,fifo").values == ("bag", "fifo")
    for name, text in [("loss", "2..0"), ("loss", "a..b"), ("loss", "0-2"), ("loss", "-1..1"),
                       ("time_wait", "0..2"), ("channel", "bag,queue"), ("channel", "bag,,fifo"),
                       ("channel", "bag,bag"), ("window", "1..2")]:
        with pytest.raises(TcpModelError):
            Axis.parse(name, text)


def test_config_at_variant_rules():
    # TIME-WAIT's length is a plain parameter of every variant with TIME-WAIT: a point sets it
    # and nothing else (no variant is renamed by it).
    stw = load(SPECS / "short_time_wait.toml").config  # rfc1337 + ack_throttling, time_wait 1
    assert config_at(stw, [("time_wait", 3)]) == stw.replace(time_wait=3)
    assert config_at(stw, [("time_wait", 4)]).label == "rfc1337+ack_throttling"
    ref = load(SPECS / "rfc9293.toml").config  # msl 2, TIME-WAIT 2*MSL
    assert ref.time_wait is None and ref.time_wait_ticks == 4
    assert config_at(ref, [("time_wait", 1)]) == ref.replace(time_wait=1)
    assert config_at(ref, [("time_wait", 1)]).time_wait_ticks == 1
    assert config_at(ref, [("time_wait", 4)]).variant == "rfc9293"
    assert config_at(load(SPECS / "rfc1337.toml").config, [("time_wait", 1)]).variant == "rfc1337"
    with pytest.raises(TcpModelError, match="no TIME-WAIT"):
        config_at(load(SPECS / "no_time_wait.toml").config, [("time_wait", 1)])
    c = config_at(ref, [("loss", 2), ("dup", 1), ("retries", 0), ("channel", "fifo")])
    assert (c.loss, c.dup, c.max_retries, c.channel, c.variant) == (2, 1, 0, "fifo", "rfc9293")


def test_sweep_usage_errors():
    spec = load(SPECS / "two_way_handshake.toml")
    with pytest.raises(TcpModelError, match="nothing to sweep"):
        sweep(spec, [])
    with pytest.raises(TcpModelError, match="given twice"):
        sweep(spec, [Axis.parse("dup", "0"), Axis.parse("dup", "1")])
    with pytest.raises(TcpModelError, match="unknown property"):
        sweep(spec, [Axis.parse("dup", "0")], ["no_such_property"])


def test_per_point_limit_gives_unknown():
    spec = load(SPECS / "two_way_handshake.toml")
    r = sweep(spec, [Axis.parse("dup", "0..1")], max_states=400)
    # dup 0 has 386 states (complete); dup 1 has 10,457 and stops at the limit.
    assert [(p.complete, p.verdicts["no_bogus_open"]) for p in r.points] == [(True, H), (False, U)]
    assert r.points[1].stop_reason == "state limit"
    f = r.frontier_of("no_bogus_open", "dup")
    assert f.value is None and not f.certain


def _points(axes, statuses):
    names = [a.name for a in axes]
    combos = list(itertools.product(*(a.values for a in axes)))
    return [Point(tuple(zip(names, c)), None, {"p": s}, 0, 0, 0, 0.0, s != U) for c, s in zip(combos, statuses)]


def test_frontier_scan_directions_and_unknowns():
    loss = Axis.parse("loss", "1..4")
    f = frontiers([loss], ["p"], _points([loss], [H, U, V, V]))[0]
    assert (f.value, f.certain, f.at_range_end) == (3, False, False)
    f = frontiers([loss], ["p"], _points([loss], [V, V, H, H]))[0]
    assert (f.value, f.certain, f.at_range_end) == (1, True, True)  # 1 > minimum 0: could be 0
    tw = Axis.parse("time_wait", "1..4")
    f = frontiers([tw], ["p"], _points([tw], [V, V, U, H]))[0]
    assert (f.value, f.certain, f.at_range_end) == (2, False, False)
    f = frontiers([tw], ["p"], _points([tw], [V, H, H, V]))[0]  # not monotone: the largest counts
    assert (f.value, f.at_range_end) == (4, True)
    ch = Axis.parse("channel", "bag,fifo")
    fs = frontiers([loss, ch], ["p"], _points([loss, ch], [H, H, V, H, V, H, V, V]))
    assert [(f.axis, f.fixed, f.value) for f in fs] == [
        ("loss", (("channel", "bag"),), 2), ("loss", (("channel", "fifo"),), 4)]


# ------------------------------------------------------------ files and plot
def test_write_sweep_files_are_deterministic(tmp_path, time_wait_sweep):
    from tcpmodel.render.sweep_plot import write_sweep

    r, _ = time_wait_sweep
    a = write_sweep(tmp_path / "a", r)
    b = write_sweep(tmp_path / "b", r)
    assert a.folder == tmp_path / "a" / "sweep" / "short_time_wait"
    names = sorted(p.name for p in a.folder.iterdir())
    assert names == ["frontiers.csv", "index.html", "ladders", "sweep.csv", "sweep.md", "sweep.png", "sweep.svg"]
    for path in sorted(p for p in a.folder.rglob("*") if p.is_file()):  # the ladders too
        assert path.read_bytes() == (b.folder / path.relative_to(a.folder)).read_bytes(), path.name
    rows = list(csv.DictReader(io.StringIO((a.folder / "sweep.csv").read_text())))
    assert len(rows) == 8
    assert rows[4] == {"dup": "1", "time_wait": "1", "variant": "rfc1337+ack_throttling", "no_stale_delivery": V,
                       "no_bogus_open": V, "no_reuse_before_2msl": V, "states": "171136",
                       "transitions": rows[4]["transitions"], "depth": rows[4]["depth"], "complete": "yes"}
    fr = list(csv.DictReader(io.StringIO((a.folder / "frontiers.csv").read_text())))
    stale = [f for f in fr if f["property"] == "no_stale_delivery" and f["axis"] == "time_wait"]
    assert [(f["fixed"], f["frontier"]) for f in stale] == [("dup=0", ""), ("dup=1", "1")]
    svg = (a.folder / "sweep.svg").read_text()
    assert svg.startswith("<?xml") and "<dc:date>" not in svg
    assert (a.folder / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (a.folder / "sweep.md").read_text()
    assert "| 1 | 2 | rfc1337+ack_throttling | holds | violated | violated |" in md
    assert "variant rfc1337+ack_throttling, msl 2, max_delay 1, rto 2," in md
    assert "seconds" not in (a.folder / "sweep.csv").read_text()
    page = (a.folder / "index.html").read_text()
    assert "sweep.svg" in page and "largest TIME-WAIT that breaks it: 1" in page
    # Written again, the folder is replaced whole (no staging folder left behind).
    write_sweep(tmp_path / "a", r)
    assert [p.name for p in (tmp_path / "a" / "sweep").iterdir()] == ["short_time_wait"]


def test_text_table_and_json(time_wait_sweep):
    from tcpmodel.render.sweep_plot import text_table

    r, _ = time_wait_sweep
    text = text_table(r, timings=False)
    assert "no_stale_delivery     along time_wait with dup=1: largest TIME-WAIT that breaks it: 1" in text
    assert "no_reuse_before_2msl  along time_wait with dup=0: largest TIME-WAIT that breaks it: 1" in text
    assert "no_bogus_open         along time_wait with dup=0: never violated in range" in text
    d = sweep_to_dict(r)
    json.dumps(d)
    assert d["axes"] == {"dup": [0, 1], "time_wait": [1, 2, 3, 4]}
    assert d["two_msl"] == 4
    assert (d["variant"], d["switches"]) == ("rfc1337", ["ack_throttling"])
    assert text.startswith("sweep of short_time_wait (variant rfc1337+ack_throttling, MSL 2, 2*MSL 4)")
    assert d["points"][0]["coords"] == {"dup": 0, "time_wait": 1}
    assert "seconds" not in d and "seconds" not in d["points"][0]


# ------------------------------------------------------------ the command
def test_cli_sweep(tmp_path, capsys):
    code = main(["sweep", str(SPECS / "two_way_handshake.toml"), "--dup", "0..1", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "no_bogus_open  along dup: smallest dup that breaks it: 1" in out
    assert (tmp_path / "sweep" / "two_way_handshake" / "sweep.svg").exists()


def test_every_axis_can_be_swept_and_plotted(tmp_path, capsys):
    from tcpmodel.render.sweep_plot import AXIS_LABELS, PLOT_X_PREFERENCE
    from tcpmodel.sweep import AXES

    assert set(PLOT_X_PREFERENCE) == set(AXES) == set(AXIS_LABELS)
    # an axis alone on the plot's x axis: the RTO (numeric, "largest") and the lifetime rule (a list)
    code = main(["sweep", "three_step_close", "--rto", "2..3", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "close_delivers_all  along rto: largest RTO that breaks it: 3 (the end of the range" in out
    code = main(["sweep", "three_step_close", "--lifetime", "half_open,closed", "--out", str(tmp_path / "l")])
    assert code == 0
    for folder in (tmp_path, tmp_path / "l"):
        assert (folder / "sweep" / "three_step_close" / "sweep.svg").exists()


def test_cli_sweep_json(tmp_path, capsys):
    code = main(["sweep", str(SPECS / "no_retransmit.toml"), "--loss", "0..2", "--channel", "fifo",
                 "--property", "eventual_close", "--json", "--no-write", "--out", str(tmp_path)])
    assert code == 0
    d = json.loads(capsys.readouterr().out)
    assert [p["verdicts"]["eventual_close"] for p in d["points"]] == [H, V, V]
    assert [(f["axis"], f["value"]) for f in d["frontiers"]] == [("loss", 1)]
    assert not (tmp_path / "sweep").exists()


@pytest.mark.parametrize("argv, message", [
    (["--loss", "2..1"], "empty range"),
    (["--dup", "x"], "bad --dup"),
    (["--time-wait", "0..2"], "at least 1"),
    (["--channel", "tube"], "unknown channel"),
    (["--dup", "0", "--property", "nope"], "unknown property"),
    ([], "nothing to sweep"),
])
def test_cli_sweep_usage_errors(argv, message, capsys, tmp_path):
    code = main(["sweep", str(SPECS / "two_way_handshake.toml"), "--no-write", "--out", str(tmp_path)] + argv)
    assert code == 2
    assert message in capsys.readouterr().err


def test_cli_sweep_bad_spec(tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "missing.toml"), "--dup", "0..1"]) == 2
    assert "missing.toml: no such file or folder" in capsys.readouterr().err
