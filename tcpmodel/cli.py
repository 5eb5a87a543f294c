"""The command line: the only place that prints or exits.

Exit codes: 0 every verdict as expected, 1 some verdict not as expected, 2 bad spec or usage.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .errors import TcpModelError

EXIT_OK, EXIT_UNEXPECTED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tcpmodel",
        description="Explicit-state model checker for TCP connection management (RFC 9293).",
    )
    parser.add_argument("--version", action="version", version=f"tcpmodel {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help/--version
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    try:
        return EXIT_OK
    except TcpModelError as exc:
        print(f"tcpmodel: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
