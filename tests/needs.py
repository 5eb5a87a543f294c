"""Markers for tests that need a program from Debian's packages (scripts/install.sh installs
them). Outside CI a missing program skips the test with the reason; in CI (CI set) the test
runs anyway and fails, so a CI machine without the program can never pass by skipping."""

import os
import shutil

import pytest

IN_CI = bool(os.environ.get("CI"))
DOT_MISSING = shutil.which("dot") is None

needs_dot = pytest.mark.skipif(DOT_MISSING and not IN_CI,
                               reason="Graphviz `dot` not installed (scripts/install.sh installs it)")
