"""Screenshots of every lesson page, for review (not asserted pixel by pixel).

    python3 scripts/lesson_screenshots.py [--out out] [--width 1400]

Writes each topic's page in English and Chinese (``tcpmodel explain``) under OUT/explain/ and
one full-page PNG per page under OUT/explain/screenshots/, taken by headless Chromium at the
given window width (1400 px: a projector's width).
"""

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tcpmodel.explain import TOPICS, explain  # noqa: E402
from tcpmodel.render import write_lesson  # noqa: E402


def page_height(page: str, width: int) -> int:
    """A window tall enough for the whole page: its ladders at natural size (pt -> px) plus
    its text and table rows, estimated."""
    ladders = sum(float(h) * 4 / 3 for h in re.findall(r'<svg[^>]*?height="([\d.]+)pt"', page))
    rows = page.count("<tr")
    text = len(re.sub(r"<svg.*?</svg>|<[^>]+>", "", page, flags=re.S))
    return int(ladders + rows * 32 + text / (width / 10) * 30 + 1500)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "out"))
    ap.add_argument("--width", type=int, default=1400)
    args = ap.parse_args(argv)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("lesson_screenshots: chromium not found (scripts/install.sh installs it)", file=sys.stderr)
        return 2
    shots = Path(args.out) / "explain" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    for topic in TOPICS:
        for lang in ("en", "zh"):
            page = write_lesson(args.out, explain(topic, lang)).index
            png = shots / f"{topic}.{lang}.png"
            height = page_height(page.read_text(encoding="utf-8"), args.width)
            subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            f"--screenshot={png}", f"--window-size={args.width},{height}", page.resolve().as_uri()],
                           check=True, capture_output=True, timeout=180)
            print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
