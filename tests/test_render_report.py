"""out/index.html renders in headless Chromium (offline, SVGs inline) and is not blank."""

import shutil
import subprocess
from pathlib import Path

import pytest

from needs import IN_CI, needs_dot
from tcpmodel.render import write_outputs
from tcpmodel.run import run_spec
from tcpmodel.spec import load_all

SPECS = Path(__file__).resolve().parent.parent / "specs"
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


@pytest.mark.skipif(CHROMIUM is None and not IN_CI, reason="headless Chromium not installed (apt-get install chromium)")
@needs_dot
def test_index_html_renders_in_chromium(tmp_path):
    from PIL import Image  # Pillow comes with matplotlib, a dependency

    run = run_spec(load_all([str(SPECS / "no_time_wait.toml")])[0], keep_graph=True)
    written = write_outputs(tmp_path / "out", [run])
    html = written.index.read_text(encoding="utf-8")
    from tcpmodel.render.common import EXPLORER_PORT

    local = html.replace("http://www.w3.org", "").replace(f"href='http://127.0.0.1:{EXPLORER_PORT}/", "")
    assert "<svg" in html and "http://" not in local and "https://" not in local  # offline: nothing fetched
    shot = tmp_path / "shot.png"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--no-first-run", "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
           f"--screenshot={shot}", "--window-size=1200,1600", written.index.resolve().as_uri()]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    img = Image.open(shot).convert("L")
    assert img.size == (1200, 1600)
    hist = img.histogram()
    dark = sum(hist[:128])
    assert dark > 0.002 * img.size[0] * img.size[1], "screenshot is blank"
    assert len([h for h in hist if h]) > 10, "screenshot has almost no distinct shades"


def test_report_and_lesson_pages_link_each_trace_to_the_explorer(tmp_path):
    from urllib.parse import parse_qs, urlsplit

    from tcpmodel.explain import explain
    from tcpmodel.render import write_lesson, write_outputs
    from tcpmodel.render.common import EXPLORER_PORT
    from tcpmodel.run import run_spec
    from tcpmodel.spec import load

    root = Path(__file__).resolve().parent.parent
    run = run_spec(load(root / "specs" / "no_time_wait.toml"))
    written = write_outputs(tmp_path / "out", [run])
    page = written.index.read_text(encoding="utf-8")
    href = f"http://127.0.0.1:{EXPLORER_PORT}/?spec=no_time_wait&amp;trace=graceful_end"
    assert href in page
    lesson = explain("close", "en")
    text = write_lesson(tmp_path / "out", lesson).index.read_text(encoding="utf-8")
    start = text.index("href='http://127.0.0.1:")
    link = text[start + 6:text.index("'", start + 6)].replace("&amp;", "&")
    q = parse_qs(urlsplit(link).query)
    assert q == {"spec": ["three_step_close"], "trace": ["close_delivers_all"], "step": [str(lesson.parting_step)],
                 "lang": ["en"]}
