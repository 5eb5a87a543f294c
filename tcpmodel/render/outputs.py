"""Writing a check's results under out/: per spec a folder, plus out/index.html.

Writes go to a temporary folder first and replace the old ones only when complete, so a
failed or interrupted run never leaves out/ half-written.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import List

from ..run import run_to_dict


@dataclass
class Written:
    root: Path
    index: Path
    notes: List[str] = field(default_factory=list)


def _trace_text(run, name) -> str:
    v = run.result.verdicts[name]
    lines = [f"{run.spec.name}: {name} — {v.status} ({v.description})"]
    for i, s, a, t in v.trace.steps():
        loop = "   <- cycle starts here" if v.trace.loop_start == i else ""
        lines.append(f"{i + 1:>3}. {run.model.describe(s, a, t)}{loop}")
    if v.trace.is_lasso:
        lines.append(f"     (the cycle from step {v.trace.loop_start + 1} repeats forever)")
    return "\n".join(lines) + "\n"


def write_spec_folder(folder: Path, run) -> None:
    """verdicts.json and one <property>.txt / .json per trace."""
    folder.mkdir(parents=True, exist_ok=True)
    data = run_to_dict(run)
    (folder / "verdicts.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for item in data["verdicts"]:
        if item["trace"] is None:
            continue
        name = item["property"]
        (folder / f"{name}.txt").write_text(_trace_text(run, name), encoding="utf-8")
        (folder / f"{name}.json").write_text(json.dumps(item, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _index_html(runs) -> str:
    rows = []
    for run in runs:
        s = run.result.stats
        rows.append(f"<h2>{html.escape(run.spec.name)} <small>({html.escape(run.spec.config.variant)})</small></h2>")
        rows.append(f"<p>{html.escape(run.spec.description)}</p>")
        rows.append(f"<p>{s.states:,} states, {s.transitions:,} transitions, depth {s.depth}</p>")
        rows.append("<table><tr><th>property</th><th>verdict</th><th>expected</th><th></th></tr>")
        for name, status, expected, ok in run.rows():
            rows.append(f"<tr class='{'ok' if ok else 'bad'}'><td>{name}</td><td>{status}</td><td>{expected}</td>"
                        f"<td>{'✓' if ok else '✗'}</td></tr>")
        rows.append("</table>")
    body = "\n".join(rows)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>tcpmodel report</title>
<style>body{{font-family:sans-serif;margin:2em}} .bad{{background:#fdd}} td,th{{padding:2px 8px}}</style>
</head><body><h1>tcpmodel report</h1>
{body}
</body></html>
"""


def _replace(src: Path, dst: Path) -> None:
    if dst.exists():
        old = dst.with_name(dst.name + ".old")
        if old.exists():
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        os.replace(dst, old)
        os.replace(src, dst)
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    else:
        os.replace(src, dst)


def write_outputs(out_dir, runs) -> Written:
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    try:
        for run in runs:
            write_spec_folder(staging / run.spec.name, run)
        (staging / "index.html").write_text(_index_html(runs), encoding="utf-8")
        for run in runs:
            _replace(staging / run.spec.name, root / run.spec.name)
        _replace(staging / "index.html", root / "index.html")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Written(root, root / "index.html")
