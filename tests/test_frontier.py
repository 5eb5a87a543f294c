"""Why 2*MSL, exactly (issue 11 point 2): the [sweep] table, the TIME-WAIT frontier computed
from the declared sweeps (tcpmodel.frontier), its en/zh section (tcpmodel.render.frontier) and
`tcpmodel check` writing it. The sweeps run once per module (a few seconds)."""

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tcpmodel import sweep as sweep_module
from tcpmodel.errors import SpecError
from tcpmodel.frontier import (FOUND, NONE, UNDECIDED, DeclaredSweep, frontier_on_line, run_declared, run_declared_sweeps,
                               time_wait_frontier)
from tcpmodel.render.frontier import frontier_page_html, frontier_section_html, grid_svg, rto_svg
from tcpmodel.spec import SWEEP_AXES, load, loads

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
LOST_ACK = SPECS / "rfc1337_lost_ack.toml"
OLD_DUPLICATES = SPECS / "short_time_wait.toml"
CJK = "\u3400-\u4dbf\u4e00-\u9fff"
HALF_WIDTH_NEXT_TO_CJK = re.compile(rf"[{CJK}] *[,.;:!?()]|[,.;:!?()] *[{CJK}]")


@pytest.fixture(scope="module")
def frontier():
    return time_wait_frontier(run_declared_sweeps([load(LOST_ACK), load(OLD_DUPLICATES)]))


# ------------------------------------------------------------------ the frontier values
def test_lost_ack_frontier_per_tie_rule_and_rto(frontier):
    got = {(x.lifetime, x.rto): (x.frontier, x.outcome) for x in frontier.lines_of("lost_ack")}
    assert got == {
        ("half_open", 2): (4, FOUND), ("closed", 2): (5, FOUND),
        ("half_open", 3): (5, FOUND), ("closed", 3): (6, FOUND),
        ("half_open", 4): (6, FOUND), ("closed", 4): (7, FOUND),
    }
    assert frontier.value("lost_ack", "half_open", rto=2) == 4
    assert frontier.value("lost_ack", "closed", rto=2) == 5


def test_lost_ack_line_statuses(frontier):
    line = frontier.line("lost_ack", "closed", rto=2)
    assert line.statuses == ((1, "violated"), (2, "violated"), (3, "violated"), (4, "violated"),
                             (5, "holds"), (6, "holds"), (7, "holds"))
    assert line.largest_violated == 4 and line.property == "graceful_end" and line.spec_name == "rfc1337_lost_ack"


def test_decomposition_ack_delay_rto_fin_delay(frontier):
    for x in frontier.lines_of("lost_ack"):
        assert (x.msl, x.max_delay, x.two_msl) == (2, 1, 4)
        assert (x.ack_delay, x.fin_delay) == (1, 1)
        assert x.worst_case == 1 + x.rto + 1
        # half_open: the frontier is the worst case; closed gives the tie to the timer
        assert x.frontier == x.worst_case + (0 if x.lifetime == "half_open" else 1)
    assert frontier.line("lost_ack", "half_open", 2).equals_two_msl is True
    assert frontier.line("lost_ack", "closed", 2).equals_two_msl is False
    assert frontier.msl == 2


def test_old_duplicates_frontier(frontier):
    got = {x.lifetime: (x.rto, x.frontier, x.outcome, x.statuses) for x in frontier.lines_of("old_duplicates")}
    assert got == {
        "half_open": (3, 2, FOUND, ((1, "violated"), (2, "holds"), (3, "holds"), (4, "holds"))),
        "closed": (3, 3, FOUND, ((1, "violated"), (2, "violated"), (3, "holds"), (4, "holds"))),
    }
    # the real protocol holds at 2*MSL under both tie rules; the frontier is MSL (+1 under closed)
    for x in frontier.lines_of("old_duplicates"):
        assert x.status(x.two_msl) == "holds" and not x.equals_two_msl


def test_old_duplicate_age_from_the_counterexample(frontier):
    half = frontier.line("old_duplicates", "half_open").duplicate
    closed = frontier.line("old_duplicates", "closed").duplicate
    assert (half.time_wait, half.age, half.limit, half.steps) == (1, 1, 2, 20)
    assert (closed.time_wait, closed.age, closed.limit, closed.steps) == (2, 2, 2, 21)
    assert frontier.specs == ("rfc1337_lost_ack", "short_time_wait")


def test_frontier_on_line_outcomes():
    h, v, u = "holds", "violated", "unknown"
    assert frontier_on_line([(1, v), (2, h), (3, h)]) == (2, FOUND, False)
    assert frontier_on_line([(1, v), (2, h), (3, v)]) == (None, NONE, False)      # not monotone: none
    assert frontier_on_line([(1, v), (2, v)]) == (None, NONE, False)
    assert frontier_on_line([(1, v), (2, u)]) == (None, UNDECIDED, False)
    assert frontier_on_line([(1, u), (2, h), (3, h)]) == (None, UNDECIDED, False)  # 1 could hold too
    assert frontier_on_line([(1, h), (2, h)]) == (1, FOUND, False)                # 1 is the least allowed
    assert frontier_on_line([(2, h), (3, h)]) == (2, FOUND, True)                 # 1 was not swept


def test_a_point_stopped_by_a_limit_is_undecided():
    text = LOST_ACK.read_text(encoding="utf-8").replace("max_states = 100000", "max_states = 1100")
    text = text.replace("rto = [2, 3, 4]", "rto = [2]").replace('lifetime = ["half_open", "closed"]', 'lifetime = ["half_open"]')
    spec = loads(text, "lost_ack_limited")
    result = run_declared(spec)
    # every point needs more than 1,100 states (1,208 to 1,227): none is decided, none holds
    assert [p.verdicts["graceful_end"] for p in result.points] == ["unknown"] * 7
    assert [p.stop_reason for p in result.points] == ["state limit"] * 7
    assert not result.complete
    line = time_wait_frontier([DeclaredSweep(spec, result)]).line("lost_ack", "half_open")
    assert (line.frontier, line.outcome) == (None, UNDECIDED)


# ------------------------------------------------------------------ the [sweep] table
GOOD = 'variant = "rfc1337"\n[expect]\ngraceful_end = "holds"\n'


def test_sweep_table_is_read():
    spec = loads(GOOD + '[sweep]\ntime_wait = [1, 2]\nlifetime = ["closed"]\nproperties = ["graceful_end"]\n'
                 "max_states = 10\nmax_seconds = 5\n", "s")
    assert spec.sweep.axes == (("time_wait", (1, 2)), ("lifetime", ("closed",)))
    assert (spec.sweep.properties, spec.sweep.max_states, spec.sweep.max_seconds) == (("graceful_end",), 10, 5)
    assert loads(GOOD, "s").sweep is None
    assert load(LOST_ACK).sweep.values("rto") == (2, 3, 4)


@pytest.mark.parametrize("table, key, words", [
    ("colour = [1]", "sweep.colour", "unknown key; allowed: axes loss, dup, time_wait, retries, rto, channel, lifetime"),
    ('lifetime = ["open"]', "sweep.lifetime", "unknown value 'open'; allowed: half_open, closed"),
    ("time_wait = [0, 1]", "sweep.time_wait", "must be at least 1, got 0"),
    ("rto = [33]", "sweep.rto", "must be at most 32, got 33"),
    ("time_wait = 4", "sweep.time_wait", "must be a non-empty list of integers, got 4"),
    ("time_wait = []", "sweep.time_wait", "must be a non-empty list of integers, got []"),
    ('time_wait = ["4"]', "sweep.time_wait", "must be an integer, got '4'"),
    ("time_wait = [1, 1]", "sweep.time_wait", "repeats a value: [1, 1]"),
    ('channel = [1]', "sweep.channel", "must be a string, got 1"),
    ('properties = ["graceful"]\ntime_wait = [1]', "sweep.properties", "unknown property 'graceful'; allowed: "),
    ('properties = ["graceful_end"]', "sweep", "names no axis; give at least one of: loss, dup, time_wait"),
    ("time_wait = [1]\nmax_states = 0", "sweep.max_states", "must be at least 1, got 0"),
    ("time_wait = [1]\nmax_seconds = 1.5", "sweep.max_seconds", "must be an integer, got 1.5"),
    ("time_wait = [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]", "sweep.time_wait", "at most 16 values, got 17"),
    ("time_wait = [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]\nrto = [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]\n"
     "lifetime = [\"half_open\", \"closed\"]", "sweep", "spans 512 points; a declared sweep may have at most 256"),
])
def test_sweep_table_errors(table, key, words):
    with pytest.raises(SpecError) as err:
        loads(GOOD + "[sweep]\n" + table + "\n", "bad.toml")
    assert err.value.path == "bad.toml" and err.value.key == key
    assert words in err.value.message, err.value.message


def test_sweep_table_errors_name_the_file_and_a_table():
    with pytest.raises(SpecError) as err:
        loads("sweep = 3\n" + GOOD, "bad.toml")
    assert str(err.value) == "bad.toml: sweep: must be a table, got int"
    with pytest.raises(SpecError) as err:
        loads('variant = "no_time_wait"\n[expect]\ngraceful_end = "violated"\n[sweep]\ntime_wait = [1]\n', "ntw.toml")
    assert str(err.value) == "ntw.toml: sweep.time_wait: means nothing with no_time_wait (there is no TIME-WAIT)"


def test_sweep_axes_are_the_sweep_commands_axes():
    assert tuple(SWEEP_AXES) == tuple(sweep_module.AXES)


# ------------------------------------------------------------------ the fragment
def cells(fragment, reason):
    table = re.search(rf"<table class='tw-frontier' data-reason='{reason}'>.*?</table>", fragment).group()
    return re.findall(r"<td class='([a-z ]+)' data-tw='(\d+)' data-lifetime='(\w+)' data-rto='(\d+)'>", table)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_fragment_marks_each_frontier_cell(frontier, lang):
    html = frontier_section_html(frontier, lang)
    marked = sorted((int(rto), lifetime, int(tw)) for cls, tw, lifetime, rto in cells(html, "lost_ack") if "frontier" in cls)
    assert marked == [(2, "closed", 5), (2, "half_open", 4), (3, "closed", 6), (3, "half_open", 5),
                      (4, "closed", 7), (4, "half_open", 6)]
    old = sorted((lifetime, int(tw)) for cls, tw, lifetime, rto in cells(html, "old_duplicates") if "frontier" in cls)
    assert old == [("closed", 3), ("half_open", 2)]
    lost = cells(html, "lost_ack")
    assert len(lost) == 7 * 6 and ("violated", "4", "closed", "2") in lost and ("holds frontier", "4", "half_open", "2") in lost
    assert html.count("class='two-msl-row'") == 2  # TIME-WAIT 4 = 2*MSL in both tables


def test_fragment_sentences_come_from_the_facts(frontier):
    en = frontier_section_html(frontier, "en")
    assert "ACK delay + RTO + FIN delay = 1 + 2 + 1 = 4 ticks" in en
    assert "at 4 under half_open and 5 under closed" in en
    assert "5, not exactly 2*MSL = 4" in en
    assert "Over RTO 2, 3, 4 the frontier is 4, 5, 6 under half_open; 5, 6, 7 under closed" in en
    assert "RTO ≤ 2*MSL − 2 × max delay = 2" in en
    assert "is 2 under half_open and 3 under closed, not 2*MSL = 4; 2*MSL holds" in en
    assert "at TIME-WAIT 1 under half_open the duplicate is 1 tick old" in en
    zh = frontier_section_html(frontier, "zh")
    assert "ACK 时延＋RTO＋FIN 时延＝1＋2＋1＝4 个时间单位" in zh
    assert "在半开区间规则下为 4，在闭区间规则下为 5" in zh
    assert "连接实例" in zh and "重复报文段" in zh and "报文段" in zh


def test_zh_fragment_has_no_half_width_punctuation_next_to_chinese(frontier):
    html = frontier_section_html(frontier, "zh")
    text = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    text = re.sub(r"<[^>]+>", "\n", text)  # tags and attributes are markup, not sentences
    assert HALF_WIDTH_NEXT_TO_CJK.findall(text) == []
    for word in ("tick", "holds", "violated", "frontier", "duplicate", "incarnation"):
        assert not re.search(rf"(?<![A-Za-z_]){word}(?![A-Za-z_])", text), word


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_plots_are_well_formed_svg(frontier, lang):
    ns = "{http://www.w3.org/2000/svg}"
    grid = ET.fromstring(grid_svg(frontier, lang))
    assert grid.tag == ns + "svg"
    rects = grid.findall(f"{ns}rect")
    assert sum(1 for r in rects if r.get("class") == "frontier") == 8  # six lost-ACK lines, two old-duplicate
    assert sum(1 for r in rects if r.get("class") in ("holds", "violated", "unknown")) == 6 * 7 + 2 * 4
    assert len(grid.findall(f"{ns}line[@class='two-msl']")) == 1
    rto = ET.fromstring(rto_svg(frontier, lang))
    points = [(e.get("class")) for e in rto if e.get("class", "").startswith("frontier")]
    assert points == ["frontier half_open"] * 3 + ["frontier closed"] * 3
    page = frontier_page_html(frontier, lang)
    assert page.startswith("<!doctype html>") and page.count("<svg") == 2


# ------------------------------------------------------------------ tcpmodel check
def test_check_writes_the_declared_sweep_and_the_frontier_page(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tcpmodel", "check", str(LOST_ACK), "--out", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "out" / "sweep"
    assert sorted(p.name for p in (folder / "rfc1337_lost_ack").iterdir() if p.suffix in (".csv", ".md", ".html")) == [
        "frontiers.csv", "index.html", "sweep.csv", "sweep.md"]
    assert "declared sweeps of rfc1337_lost_ack: 42 point(s)" in proc.stdout
    en = (folder / "time-wait-frontier.en.html").read_text(encoding="utf-8")
    zh = (folder / "time-wait-frontier.zh.html").read_text(encoding="utf-8")
    assert "data-reason='lost_ack'" in en and "data-reason='old_duplicates'" not in en  # only the spec given
    assert "<html lang=\"zh\">" in zh and "临界值" in zh


def test_sweep_with_no_axis_runs_the_declared_sweep():
    proc = subprocess.run([sys.executable, "-m", "tcpmodel", "sweep", str(LOST_ACK), "--no-write"],
                          cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "42 point(s)" in proc.stdout
    assert "graceful_end  along time_wait with rto=3, lifetime=closed: largest TIME-WAIT that breaks it: 5" in proc.stdout
