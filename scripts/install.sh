#!/usr/bin/env bash
# Installs everything tcpmodel needs on a fresh Debian machine, then the Python package with
# its test extras. Safe to run again: apt is only called for what is missing.
#   graphviz            Graphviz's `dot`, which renders the diagrams
#   chromium            headless browser for the test that looks at out/index.html
#                       (skip with TCPMODEL_NO_CHROMIUM=1; the test then skips with a reason)
#   chromium-driver     /usr/bin/chromedriver, through which Selenium drives chromium in the
#                       explorer's browser tests (never a downloaded driver)
#   fonts-wqy-microhei  a CJK font, so Chinese lessons (`explain --lang zh`) render in PNGs
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
if [ -z "${TCPMODEL_NO_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then missing+=(chromium); fi
if [ -z "${TCPMODEL_NO_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromedriver ]; then missing+=(chromium-driver); fi
if command -v fc-list >/dev/null 2>&1 && fc-list | grep -qi wqy; then :; else missing+=(fonts-wqy-microhei); fi
if ((${#missing[@]})); then
    $SUDO apt-get update -qq
    for pkg in "${missing[@]}"; do
        if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$pkg" >/dev/null; then
            if [ "$pkg" = graphviz ]; then echo "could not install graphviz (dot)" >&2; exit 1; fi
            echo "$pkg not installed: the tests that need it will be skipped" >&2
        fi
    done
fi
python3 -m pip install -q --disable-pip-version-check -e ".[test]"
