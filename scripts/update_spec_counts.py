#!/usr/bin/env python3
"""Run each spec and rewrite its ``[counts]`` table (exact states, transitions, depth) and
nothing else in the file; append the table when the spec has none.

    python3 scripts/update_spec_counts.py              # every spec in specs/
    python3 scripts/update_spec_counts.py specs/rfc9293.toml
    python3 scripts/update_spec_counts.py --check      # say what differs, write nothing (exit 1 if any)

A run stopped by a limit has no exact counts: its file is left as it is, and the script exits 1.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's tcpmodel, not another installed one

from tcpmodel.run import run_spec  # noqa: E402
from tcpmodel.spec import COUNTS, load  # noqa: E402

HEADER = "[counts]"
COMMENT = "# exact counts of a complete run (scripts/update_spec_counts.py rewrites this table)"
_TABLE_START = re.compile(r"^\s*\[counts\]\s*(#.*)?$")
_ANY_TABLE = re.compile(r"^\s*\[")


def counts_table(counts: dict) -> list:
    return [HEADER] + [f"{name} = {counts[name]}" for name in COUNTS]


def rewrite(text: str, counts: dict) -> str:
    """``text`` with its [counts] table replaced by ``counts`` (or one appended)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _TABLE_START.match(line)), None)
    if start is None:
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines + ["", COMMENT] + counts_table(counts)) + "\n"
    end = next((i for i in range(start + 1, len(lines)) if _ANY_TABLE.match(lines[i])), len(lines))
    # keep the blank lines and comments that precede the next table
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return "\n".join(lines[:start] + counts_table(counts) + lines[end:]) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", help="spec files (default: specs/*.toml)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a table differs")
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.specs] or sorted((ROOT / "specs").glob("*.toml"))
    status = 0
    for path in paths:
        run = run_spec(load(path))
        stats = run.result.stats
        if not stats.complete:
            print(f"{path}: run incomplete ({stats.stop_reason}): counts not written")
            status = 1
            continue
        old = path.read_text(encoding="utf-8")
        new = rewrite(old, run.counts)
        if new == old:
            print(f"{path}: counts unchanged {run.counts}")
        elif args.check:
            print(f"{path}: counts differ: the run gives {run.counts}, the spec says {load(path).counts}")
            status = 1
        else:
            path.write_text(new, encoding="utf-8")
            load(path)  # the rewritten file must still be a valid spec
            print(f"{path}: counts written {run.counts}")
    return status


if __name__ == "__main__":
    sys.exit(main())
