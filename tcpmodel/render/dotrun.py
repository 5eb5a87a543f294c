"""Running Graphviz's ``dot``: DOT source to SVG and PNG, in parallel, deterministic output."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import graphviz

FORMATS = ("svg", "png")
INSTALL_HINT = ("Graphviz `dot` was not found on PATH: wrote the DOT files only (no SVG/PNG diagrams). "
                "Install Graphviz to get them: apt-get install graphviz (Debian/Ubuntu), "
                "brew install graphviz (macOS), or see https://graphviz.org/download/")


def _with(stem: Path, ext: str) -> Path:
    """``stem`` plus an extension (stems may contain dots: ``graceful_end.ladder``)."""
    return stem.parent / f"{stem.name}.{ext}"


def have_dot() -> bool:
    return shutil.which("dot") is not None


def render_all(jobs: Sequence[Tuple[str, Path]], formats=FORMATS) -> Tuple[dict, List[str]]:
    """Write ``<stem>.dot`` for each ``(source, stem)`` and, when ``dot`` is available, the
    ``formats`` too. Returns ``({stem: svg text}, notes)``."""
    notes: List[str] = []
    for source, stem in jobs:
        _with(stem, "dot").write_text(source, encoding="utf-8")
    if not jobs:
        return {}, notes
    if not have_dot():
        return {}, [INSTALL_HINT]

    def one(job):
        source, stem = job
        out = {}
        for fmt in formats:
            try:
                data = graphviz.pipe("dot", fmt, source.encode("utf-8"), quiet=True)
            except graphviz.ExecutableNotFound:
                return stem, None, INSTALL_HINT
            except graphviz.CalledProcessError as exc:  # a bad graph is a bug; say which
                return stem, None, f"dot failed on {_with(stem, 'dot')}: {exc}"
            _with(stem, fmt).write_bytes(data)
            out[fmt] = data
        return stem, out.get("svg"), None

    svgs = {}
    with ThreadPoolExecutor(max_workers=8) as pool:
        for stem, svg, note in pool.map(one, jobs):
            if note and note not in notes:
                notes.append(note)
            if svg is not None:
                svgs[str(stem)] = svg.decode("utf-8")
    return svgs, notes


def inline_svg(svg: Optional[str]) -> str:
    """An SVG document without its XML prologue, to inline in HTML."""
    if not svg:
        return ""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg
