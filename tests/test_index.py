"""out/index.html is navigable (issue 11, point 6), and the main job writes what it links to.

- ``tcpmodel check DIR`` (through the real entry point, once per module: the lessons cost
  seconds) writes out/docs/ and out/explain/ (every lesson, en and zh) beside the reports;
- the index has a table of contents whose anchors exist, and every relative link in it
  resolves to a file on disk;
- a witness is marked as a witness found (the good outcome), never as a violation;
- links to docs/, explain/ and sweep/ appear exactly when those folders hold pages; sweep
  folders and pages are discovered, whatever their names;
- each violated cell of a sweep's page links to the ladder of that point's counterexample.
"""

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from needs import IN_CI, needs_dot
from tcpmodel.explain import TOPICS
from tcpmodel.render import write_outputs
from tcpmodel.render.canonical import CANONICAL
from tcpmodel.render.sweep_plot import ladder_stem, write_sweep
from tcpmodel.run import run_spec
from tcpmodel.spec import load
from tcpmodel.sweep import Axis, sweep

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
MAIN_JOB_SPECS = ("rfc9293.toml", "two_way_handshake.toml")
LANGS = ("en", "zh")
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


class Links(HTMLParser):
    """Every id, every href/src, and the hrefs inside <nav id='toc'>."""

    def __init__(self):
        super().__init__()
        self.ids, self.links, self.toc_links = set(), [], []
        self._nav_depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "nav" and a.get("id") == "toc":
            self._nav_depth = 1
        elif tag == "nav" and self._nav_depth:
            self._nav_depth += 1
        for key in ("href", "src"):
            if key in a and a[key] is not None:
                self.links.append(a[key])
                if self._nav_depth:
                    self.toc_links.append(a[key])

    def handle_endtag(self, tag):
        if tag == "nav" and self._nav_depth:
            self._nav_depth -= 1


def parse(page: Path) -> Links:
    p = Links()
    p.feed(page.read_text(encoding="utf-8"))
    return p


def unresolved(page: Path, parsed: Links):
    """The links of ``page`` that do not resolve: a relative path to no file, or an anchor to no id."""
    bad = []
    for href in parsed.links:
        parts = urlsplit(href)
        if parts.scheme in ("http", "https"):
            continue  # the explorer's address (a running `tcpmodel explore`), not a file
        if not parts.path:
            if parts.fragment not in parsed.ids:
                bad.append(href)
            continue
        if not (page.parent / unquote(parts.path)).is_file():
            bad.append(href)
    return bad


# ------------------------------------------------------------------ the main job, once per module
@pytest.fixture(scope="module")
def main_job(tmp_path_factory):
    base = tmp_path_factory.mktemp("main_job")
    specs = base / "specs"
    specs.mkdir()
    for name in MAIN_JOB_SPECS:
        shutil.copy(SPECS / name, specs / name)
    out = base / "out"
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.run([sys.executable, "-m", "tcpmodel", "check", str(specs), "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", timeout=900, env=env)
    return proc, out


def test_main_job_writes_docs_and_every_lesson(main_job):
    proc, out = main_job
    assert proc.returncode == 0, proc.stderr
    assert "every verdict as expected" in proc.stdout
    assert (out / "docs" / "index.html").is_file()
    for c in CANONICAL:  # the canonical runs come from the catalogue: the two specs checked are not canonical
        assert (out / "docs" / f"{c.name}.ladder.dot").is_file(), c.name
    for stem in ("figure5", "client", "server"):
        assert (out / "docs" / f"{stem}.dot").is_file(), stem
    assert sorted(p.name for p in (out / "explain").glob("*.html")) == sorted(
        f"{topic}.{lang}.html" for topic in TOPICS for lang in LANGS)
    assert sorted(p.name for p in out.iterdir()) == ["docs", "explain", "index.html", "rfc9293", "two_way_handshake"]


def test_index_table_of_contents(main_job):
    _, out = main_job
    page = out / "index.html"
    parsed = parse(page)
    text = page.read_text(encoding="utf-8")
    assert text.index("<nav id='toc'>") < text.index("id='rfc9293'")  # the contents come first
    anchors = [h[1:] for h in parsed.toc_links if h.startswith("#")]
    for section in ("lessons", "docs", "specs", "rfc9293", "two_way_handshake", "group-broken", "group-real"):
        assert section in anchors, section
    assert "sweeps" not in anchors and "sweeps" not in parsed.ids  # no sweep was run
    assert all(a in parsed.ids for a in anchors), [a for a in anchors if a not in parsed.ids]
    # every lesson, in both languages, from the contents
    for topic in TOPICS:
        for lang in LANGS:
            assert f"explain/{topic}.{lang}.html" in parsed.toc_links, (topic, lang)
    # the specs grouped by what they show: the broken variant apart from the real protocol
    groups = re.findall(r"<h4><a href='#(group-[a-z]+)'>.*?</h4><ul>(.*?)</ul>", text)
    assert [(g, re.findall(r"href='#([^']+)'", items)) for g, items in groups] == [
        ("group-broken", ["two_way_handshake"]), ("group-real", ["rfc9293"])]


def test_every_relative_link_of_the_index_resolves(main_job):
    _, out = main_job
    page = out / "index.html"
    parsed = parse(page)
    files = [h for h in parsed.links if not urlsplit(h).scheme and urlsplit(h).path]
    assert len(files) > 50  # the check above is not vacuous
    for folder in ("docs/", "explain/", "rfc9293/", "two_way_handshake/"):
        assert any(h.startswith(folder) for h in files), folder
    assert unresolved(page, parsed) == []


def test_every_counterexample_and_witness_links_its_ladder_as_svg_and_png(main_job):
    _, out = main_job
    parsed = parse(out / "index.html")
    run = run_spec(load(SPECS / "rfc9293.toml"))
    traced = [name for name, v in run.result.verdicts.items() if v.trace is not None]
    assert traced == ["graceful_end", "three_way_handshake", "four_step_close", "time_wait_completed", "ack_answers_ack"]
    for name in traced:
        for ext in ("svg", "png"):
            assert f"rfc9293/{name}.ladder.{ext}" in parsed.links, (name, ext)


def test_witnesses_are_marked_as_witnesses_not_violations(main_job):
    _, out = main_job
    text = (out / "index.html").read_text(encoding="utf-8")
    section = text[text.index("<section class='spec' id='rfc9293'>"):]
    section = section[:section.index("</section>")]
    rows = dict(re.findall(r"<tr class='(?:witness|property)'><td>([a-z_0-9]+)</td>(.*?)</tr>", section))
    for witness in ("three_way_handshake", "four_step_close", "time_wait_completed", "ack_answers_ack"):
        row = rows[witness]
        assert "witness (can it happen?)" in row and "class='badge witness'" in row and "witness found" in row
        assert "violat" not in row, witness
        assert f"<details id='rfc9293.{witness}' class='trace witness'>" in section
    assert "<tr class='property'><td>graceful_end</td>" in section
    assert "class='badge violation'>✗ violated (counterexample)" in rows["graceful_end"]
    assert "<details id='rfc9293.graceful_end' class='trace counterexample' open>" in section
    assert "class='badge holds'>✓ holds" in rows["no_bogus_open"]


# ------------------------------------------------------------------ links appear when the pages exist
def _small_sweep():
    return sweep(load(SPECS / "two_way_handshake.toml"), [Axis.parse("dup", "0..1")])


@needs_dot
def test_links_to_docs_explain_and_sweep_only_when_they_exist(tmp_path):
    out = tmp_path / "out"
    run = run_spec(load(SPECS / "three_step_close.toml"), keep_graph=True)
    page = write_outputs(out, [run]).index
    parsed = parse(page)
    for folder in ("docs/", "explain/", "sweep/"):
        assert not any(h.startswith(folder) for h in parsed.links), folder
    assert not {"lessons", "docs", "sweeps"} & parsed.ids
    assert unresolved(page, parsed) == []
    # a sweep's folder and a page under sweep/ (as the frontier step writes them), found by looking
    write_sweep(out, _small_sweep())
    (out / "sweep" / "some-frontier.en.html").write_text("<title>A frontier &amp; its page</title>", encoding="utf-8")
    (out / "sweep" / ".staging-1-x").mkdir()  # another run's staging folder: not linked
    page = write_outputs(out, [run]).index
    parsed = parse(page)
    text = page.read_text(encoding="utf-8")
    assert "sweeps" in parsed.ids and "#sweeps" in parsed.toc_links
    assert [h for h in parsed.links if h.startswith("sweep/")] == [
        "sweep/some-frontier.en.html", "sweep/two_way_handshake/index.html",  # contents
        "sweep/some-frontier.en.html", "sweep/two_way_handshake/index.html",  # the section
        "sweep/two_way_handshake/sweep.svg", "sweep/two_way_handshake/sweep.png"]
    assert "A frontier &amp; its page" in text  # the page's own title, escaped again
    assert not any(h.startswith(("docs/", "explain/")) for h in parsed.links)
    assert unresolved(page, parsed) == []


# ------------------------------------------------------------------ sweep cells link to their counterexamples
@needs_dot
@pytest.mark.parametrize("spec, axis, values, violated", [
    ("two_way_handshake.toml", "dup", "0..1", [((("dup", 1),), "no_bogus_open")]),
    ("no_retransmit.toml", "loss", "0..1", [((("loss", 1),), "eventual_close"), ((("loss", 1),), "no_deadlock")]),
])
def test_violated_sweep_cells_link_to_their_ladders(tmp_path, spec, axis, values, violated):
    result = sweep(load(SPECS / spec), [Axis.parse(axis, values)])
    cells = [(p.coords, prop) for p in result.points for prop in result.properties if p.verdicts[prop] == "violated"]
    assert cells == violated
    assert all(set(p.traces) == {prop for prop in result.properties if p.verdicts[prop] == "violated"}
               for p in result.points)
    written = write_sweep(tmp_path, result)
    page = written.folder / "index.html"
    text = page.read_text(encoding="utf-8")
    linked = re.findall(r"<td class='violated'><a href='([^']+)'", text)
    assert linked == [f"{ladder_stem(prop, coords)}.svg" for coords, prop in violated]
    assert text.count("<td class='violated'>") == len(violated)  # every violated cell has its link
    assert "<td class='holds'><a" not in text
    for (coords, prop), href in zip(violated, linked):
        svg = (written.folder / href).read_text(encoding="utf-8")
        point = next(p for p in result.points if p.coords == coords)
        assert f"{prop} violated at {axis}={coords[0][1]}" in svg
        assert f"{len(point.traces[prop])} steps" in svg
        assert (written.folder / href.replace(".svg", ".png")).is_file()
    assert unresolved(page, parse(page)) == []


# ------------------------------------------------------------------ a real browser
@pytest.mark.skipif(CHROMIUM is None and not IN_CI, reason="headless Chromium not installed (apt-get install chromium)")
def test_index_renders_in_chromium(main_job, tmp_path):
    from PIL import Image

    _, out = main_job
    shot = tmp_path / "shot.png"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--no-first-run", "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
           f"--screenshot={shot}", "--window-size=1200,1400", (out / "index.html").resolve().as_uri()]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    img = Image.open(shot).convert("RGB")
    assert img.size == (1200, 1400)
    colours = img.getcolors(1 << 20)
    dark = sum(n for n, (r, g, b) in colours if r + g + b < 3 * 128)
    assert dark > 0.002 * 1200 * 1400, "screenshot is blank"
    # the contents' cards and the witness badges' green are drawn, not only black text
    greenish = sum(n for n, (r, g, b) in colours if g > r + 40 and g > b + 20)
    assert greenish > 50, "no green (as expected marks, witness badges) on the first screen"


# ------------------------------------------------------------------ the step itself
@needs_dot
def test_linked_pages_step_writes_a_selection_and_notes_a_lesson_it_cannot_build(tmp_path, monkeypatch):
    import tcpmodel.explain
    from tcpmodel.errors import TcpModelError
    from tcpmodel.render.outputs import write_linked_pages

    real_explain = tcpmodel.explain.explain

    def explain(topic, lang="en"):
        if lang == "zh":
            raise TcpModelError(f"topic {topic}: the variant does not violate it; nothing to explain")
        return real_explain(topic, lang)

    monkeypatch.setattr(tcpmodel.explain, "explain", explain)
    notes = write_linked_pages(tmp_path / "out", [], topics=("close",))
    assert notes == ["explain: lesson close (zh) not written: topic close: the variant does not violate it; nothing to explain"]
    assert sorted(p.name for p in (tmp_path / "out" / "explain").glob("*.html")) == ["close.en.html"]
    assert (tmp_path / "out" / "docs" / "four_step_close.ladder.svg").is_file()


def test_the_time_wait_lesson_ends_with_the_frontier(main_job):
    """The main job's time-wait page (en and zh) carries the TIME-WAIT frontier section after
    both reasons; the other lessons do not."""
    _, out = main_job
    for lang in ("en", "zh"):
        page = (out / "explain" / f"time-wait.{lang}.html").read_text(encoding="utf-8")
        section = "<section class='tw-frontier-section'"
        assert page.count(section) == 1
        assert page.index(section) > page.rindex('class="conclusion"')
        assert section not in (out / "explain" / f"close.{lang}.html").read_text(encoding="utf-8")


def test_checking_single_files_writes_no_lessons(tmp_path):
    """Only a folder of specs (the main job) gets lessons and documentation diagrams."""
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "tcpmodel", "check", str(SPECS / "rfc9293_throttled.toml"),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (out / "index.html").is_file() and (out / "rfc9293_throttled").is_dir()
    assert not (out / "explain").exists() and not (out / "docs").exists()
