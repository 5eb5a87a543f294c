"""How fast the explorer answers a click (a script, not a test): target < 100 ms per click.

    python benchmarks/bench_explorer.py            # every shipped spec, server round trips
    python benchmarks/bench_explorer.py --browser  # also clicks in headless chromium

A click asks the server for the view of the run one step longer (``/api/view``): the run is
replayed through the model, every state and step on it is turned into what the page shows,
and every property is evaluated. For each spec the run measured is its longest checked
counterexample or witness (the deepest view a user opens from the checker), clicked step by
step from the start; the table gives the median and the worst round trip over those clicks,
measured with urllib against the real server on 127.0.0.1, after one warm-up pass.
``--browser`` measures from the click in chromium to the page drawn (the page stores that
time in ``data-ms``), on rfc9293's longest trace, from the server and from the static export
(``--static`` file of rfc9293, 12,380 states embedded; the time to write it is printed too).
"""

import argparse
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from tcpmodel.explorer import Catalogue, ExplorerServer, format_run, write_static  # noqa: E402


def round_trips(server, spec, run):
    times = []
    for k in range(len(run) + 1):
        url = f"{server.url}api/view?spec={spec}&run={format_run(run[:k])}"
        t0 = time.perf_counter()
        with urllib.request.urlopen(url) as r:
            r.read()
        times.append(time.perf_counter() - t0)
    return times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--browser", action="store_true")
    args = ap.parse_args(argv)
    catalogue = Catalogue(ROOT / "specs")
    server = ExplorerServer(catalogue).start()
    print(f"{'spec':<28}{'trace':<22}{'steps':>6}{'median ms':>11}{'worst ms':>10}")
    worst_all = 0.0
    try:
        for name in catalogue.names():
            traces = catalogue.session(name).traces()
            if not traces:
                continue
            longest = max(traces, key=lambda t: t["steps"])
            round_trips(server, name, longest["run"])  # warm-up: memo tables, caches
            times = round_trips(server, name, longest["run"])
            worst_all = max(worst_all, max(times))
            print(f"{name:<28}{longest['name']:<22}{longest['steps']:>6}"
                  f"{1000 * statistics.median(times):>11.1f}{1000 * max(times):>10.1f}")
        print(f"worst round trip over all specs: {1000 * worst_all:.1f} ms (target < 100 ms)")
        if args.browser:
            from explorer_browser import browser_missing, start_browser, wait_steps

            why = browser_missing()
            if why:
                print(f"browser: skipped: {why}")
                return 0
            driver = start_browser()
            try:
                run = max(catalogue.session("rfc9293").traces(), key=lambda t: t["steps"])["run"]

                def clicks(url, where):
                    driver.get(url)
                    wait_steps(driver, 0, timeout=60)
                    ms = []
                    for k, index in enumerate(run):
                        driver.execute_script(
                            "document.querySelector('#actions button[data-index=\"' + arguments[0] + '\"]').click()", index)
                        wait_steps(driver, k + 1)
                        ms.append(int(driver.execute_script("return document.body.getAttribute('data-ms')")))
                    print(f"browser, {where}, rfc9293, {len(run)} clicks: median {statistics.median(ms)} ms, "
                          f"worst {max(ms)} ms (click to page drawn)")

                clicks(f"{server.url}?spec=rfc9293", "server")
                with tempfile.TemporaryDirectory() as tmp:
                    page = Path(tmp) / "rfc9293.html"
                    t0 = time.perf_counter()
                    written = write_static(catalogue.session("rfc9293"), page)
                    print(f"static export of rfc9293: {written['bytes']:,} bytes in {time.perf_counter() - t0:.1f} s")
                    clicks(page.as_uri(), "static file")
            finally:
                driver.quit()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
