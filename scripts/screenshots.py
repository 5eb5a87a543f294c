"""Screenshots of the explorer's main views, for review: out/screenshots/*.png.

    python3 scripts/screenshots.py [--out out/screenshots]

Starts the explorer's server on a free port in this process, drives Debian's headless
chromium through Selenium (scripts/install.sh installs both) and saves one PNG per view.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from explorer_browser import browser_missing, click_action, start_browser, wait_steps  # noqa: E402
from tcpmodel.explorer import Catalogue, ExplorerServer, explorer_link, write_static  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "out" / "screenshots"))
    args = ap.parse_args(argv)
    why = browser_missing()
    if why:
        print(f"screenshots: {why}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
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
    finally:
        driver.quit()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
