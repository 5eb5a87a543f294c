#!/usr/bin/env bash
# Installs everything tcpmodel needs on a fresh Debian machine: Graphviz's `dot` (Debian's
# graphviz package) and the Python package with its test extras. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
if ! command -v dot >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq graphviz >/dev/null
fi
# Headless Chromium, for the test that renders out/index.html (skipped when missing).
if [ "${TCPMODEL_NO_CHROMIUM:-}" = "" ] && ! command -v chromium >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null || \
        echo "chromium not installed: the report screenshot test will be skipped" >&2
fi
python3 -m pip install -q --disable-pip-version-check -e ".[test]"
