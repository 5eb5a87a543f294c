"""Screenshots for review: the explorer's main views and the pages the main job writes, as
out/screenshots/*.png.

    python3 scripts/screenshots.py [--out out/screenshots] [--report out] [--pages-only]

Starts the explorer's server on a free port in this process, drives Debian's headless
chromium through Selenium (scripts/install.sh installs both) and saves one PNG per view.
Then the pages under --report (written by ``tcpmodel check specs/``, and ``tcpmodel sweep``):
``report-index.png`` (the top of out/index.html: contents, lessons, diagrams),
``report-index-<spec>.png`` (a spec with witnesses and a counterexample), ``lesson-<topic>.<lang>.png``
for each lesson page in out/explain/, and ``sweep-<name>.png`` for the first sweep in out/sweep/.
A page is captured whole, up to PAGE_HEIGHT_LIMIT pixels.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from explorer_browser import browser_missing, click_action, start_browser, wait_steps  # noqa: E402
from tcpmodel.explorer import Catalogue, ExplorerServer, explorer_link, write_static  # noqa: E402


PAGE_WIDTH = 1400
PAGE_HEIGHT_LIMIT = 6000


def page_shots(report: Path):
    """(screenshot name, page file, anchor or "") for the pages under ``report`` that exist."""
    from tcpmodel.render.outputs import lessons_on_disk, sweeps_on_disk

    shots = []
    index = report / "index.html"
    if index.is_file():
        shots.append(("report-index", index, ""))
        if (report / "rfc9293").is_dir():
            shots.append(("report-index-rfc9293", index, "rfc9293"))
    for topic, pages in lessons_on_disk(report):
        for lang, (href, _) in pages.items():
            shots.append((f"lesson-{topic}.{lang}", report / href, ""))
    sweeps, _ = sweeps_on_disk(report)
    if sweeps:
        href, name, _ = sweeps[0]
        shots.append((f"sweep-{name}", report / href / "index.html", ""))
    return shots


def shoot_pages(driver, report: Path, out: Path) -> int:
    """Screenshot each page of page_shots(report), each whole (up to PAGE_HEIGHT_LIMIT px high)."""
    shots = page_shots(report)
    if not shots:
        print(f"screenshots: nothing under {report}/ (run `tcpmodel check specs/` first)", file=sys.stderr)
    for name, page, anchor in shots:
        driver.set_window_size(PAGE_WIDTH, 1000)
        driver.get(page.resolve().as_uri() + (f"#{anchor}" if anchor else ""))
        time.sleep(0.3)
        if anchor:
            height = 2200  # the section the anchor scrolled to, not the whole report
        else:
            height = driver.execute_script("return Math.max(document.body.scrollHeight, "
                                           "document.documentElement.scrollHeight)")
        driver.set_window_size(PAGE_WIDTH, min(int(height) + 140, PAGE_HEIGHT_LIMIT))  # + the window's frame
        if anchor:
            driver.execute_script(f"document.getElementById({anchor!r}).scrollIntoView()")
        time.sleep(0.3)
        path = out / f"{name}.png"
        driver.save_screenshot(str(path))
        print(f"wrote {path}")
    return len(shots)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "out" / "screenshots"))
    ap.add_argument("--report", default=str(ROOT / "out"), help="where the main job wrote index.html (default: out)")
    ap.add_argument("--pages-only", action="store_true", help="only the report, lesson and sweep pages")
    args = ap.parse_args(argv)
    why = browser_missing()
    if why:
        print(f"screenshots: {why}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.pages_only:
        driver = start_browser(PAGE_WIDTH, 1000)
        try:
            shoot_pages(driver, Path(args.report), out)
        finally:
            driver.quit()
        return 0
    server = ExplorerServer(Catalogue(ROOT / "specs")).start()
    driver = start_browser(1500, 1050)
    base = server.url
    views = [
        ("start", explorer_link("rfc9293", run=[]), 0),
        ("handshake-with-loss", explorer_link("rfc9293", run=[]) + "&loss=1", None),
        ("counterexample-last-step", explorer_link("rfc9293", trace="graceful_end"), 15),
        ("witness-midway-zh", explorer_link("rfc9293", trace="four_step_close", step=6, lang="zh"), 6),
        ("simultaneous-close", explorer_link("rfc9293_simultaneous", trace="simultaneous_close"), 10),
    ]
    try:
        for name, link, steps in views:
            driver.get(base.rstrip("/") + link)
            if name == "handshake-with-loss":
                wait_steps(driver, 0)
                for label in ("client: OPEN", "network: lose client→server SYN", "tick", "tick",
                              "client: retransmission timeout", "server: receive SYN", "client: receive SYN,ACK"):
                    click_action(driver, label)
            else:
                wait_steps(driver, steps)
            time.sleep(0.3)
            path = out / f"{name}.png"
            driver.save_screenshot(str(path))
            print(f"wrote {path}")
        # the static export, played from a file with no server
        page = out / "no_time_wait.static.html"
        write_static(Catalogue(ROOT / "specs").session("no_time_wait"), page)
        driver.get(page.as_uri() + "#lang=zh")
        wait_steps(driver, 0)
        for label in ("client: OPEN", "server: receive SYN", "client: receive SYN,ACK", "network: lose"):
            click_action(driver, label)
        path = out / "static-no-time-wait-zh.png"
        driver.save_screenshot(str(path))
        print(f"wrote {path}")
        shoot_pages(driver, Path(args.report), out)
    finally:
        driver.quit()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
