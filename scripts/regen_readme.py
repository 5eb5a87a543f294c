#!/usr/bin/env python3
"""Regenerate the sample outputs in README.md from what the tool prints.

Each block between

    <!-- BEGIN generated: ARGS -->
    <!-- END generated -->

is replaced by a code block of ``tcpmodel ARGS`` run from the repository root, and its
output. Times and rates vary from run to run: they are shown as ``…``. Nothing outside the
blocks changes.

    python3 scripts/regen_readme.py           # rewrite README.md
    python3 scripts/regen_readme.py --check   # exit 1 when README.md is not what the tool prints
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

BLOCK = re.compile(r"(<!-- BEGIN generated: (?P<args>[^>]*?) -->\n)(?P<body>.*?)(<!-- END generated -->)", re.S)
_TIMES = [
    (re.compile(r"\d[\d,]*\.\d+ s\b"), "… s"),
    (re.compile(r"\((?:[\d,]+|inf) states/s\)"), "(… states/s)"),
]


def mask_times(text: str) -> str:
    for pattern, replacement in _TIMES:
        text = pattern.sub(replacement, text)
    return text


def tool_output(args: str) -> str:
    """What ``tcpmodel ARGS`` prints, run in this process from the repository root."""
    sys.path.insert(0, str(ROOT))  # this checkout's tcpmodel
    from tcpmodel.cli import main

    out = io.StringIO()
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = main(shlex.split(args))
    finally:
        os.chdir(here)
    if code != 0:
        raise SystemExit(f"regen_readme: `tcpmodel {args}` exited {code}")
    return mask_times(out.getvalue())


def regenerate(text: str) -> str:
    def block(m):
        args = m.group("args").strip()
        body = tool_output(args).rstrip("\n")
        return f"{m.group(1)}```\n$ tcpmodel {args}\n{body}\n```\n{m.group(4)}"

    return BLOCK.sub(block, text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when README.md differs")
    args = parser.parse_args(argv)
    old = README.read_text(encoding="utf-8")
    new = regenerate(old)
    if args.check:
        if new != old:
            sys.stderr.write("README.md differs from what the tool prints: run python3 scripts/regen_readme.py\n")
            return 1
        return 0
    if new != old:
        README.write_text(new, encoding="utf-8")
    sys.stderr.write(f"README.md: {len(BLOCK.findall(old))} generated block(s), {'rewritten' if new != old else 'unchanged'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
