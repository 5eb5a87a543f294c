"""The explorer's one page: the HTML shell with its stylesheet, script and boot data inlined,
so the same page works from the server and as a self-contained static file."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


def _script_json(data) -> str:
    """JSON safe inside <script>: no "</" can close the element early."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def page_html(boot: dict) -> str:
    """The page with ``boot`` (mode "server" or "static", and the data the mode needs)."""
    return (asset("index.html")
            .replace("/*STYLE*/", asset("app.css"))
            .replace("/*BOOT*/", _script_json(boot))
            .replace("/*SCRIPT*/", asset("app.js")))
