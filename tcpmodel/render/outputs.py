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
from typing import List, Tuple

from ..formats.jsondoc import spec_data
from ..tcp.tcb import CLIENT, SERVER, STATE_NAMES
from .common import SIDE_LABELS, short_segment
from .dotrun import render_all, inline_svg
from .endpoint import endpoint_diagram, merge, project
from .graphs import FULL_GRAPH_LIMIT, full_graph, state_path
from .ladder import ladder


@dataclass
class Written:
    root: Path
    index: Path
    notes: List[str] = field(default_factory=list)


def _trace_text(run, name) -> str:
    v = run.result.verdicts[name]
    return f"{run.spec.name}: {name} — {v.status} ({v.description})\n" + "\n".join(run.trace_text(name)) + "\n"


def write_spec_folder(folder: Path, run) -> None:
    """verdicts.json and one <property>.txt / .json per trace."""
    folder.mkdir(parents=True, exist_ok=True)
    data = spec_data(run)
    (folder / "verdicts.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for item in data["verdicts"]:
        if item["trace"] is None:
            continue
        name = item["property"]
        (folder / f"{name}.txt").write_text(_trace_text(run, name), encoding="utf-8")
        (folder / f"{name}.json").write_text(json.dumps(item, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _outcome(verdict) -> str:
    if verdict.trace is None or verdict.trace.is_lasso:
        return "none"
    if verdict.is_witness:
        return "witness" if verdict.status == "holds" else "none"
    return "violation" if verdict.status == "violated" else "none"


def _what(verdict) -> str:
    if verdict.is_witness:
        return "witness"
    return "lasso" if verdict.trace.is_lasso else "counterexample"


def diagram_jobs(folder: Path, run) -> Tuple[List[Tuple[str, Path]], List[str]]:
    """The DOT sources of a spec's diagrams as ``(source, stem)``, and folder notes."""
    jobs = []
    notes = []
    name = run.spec.name
    for prop, v in run.result.verdicts.items():
        if v.trace is None:
            continue
        title = f"{name}: {prop} ({_what(v)}, {len(v.trace)} steps)"
        jobs.append((ladder(v.trace, title, _outcome(v)).source, folder / f"{prop}.ladder"))
        jobs.append((state_path(v.trace, title, _outcome(v)).source, folder / f"{prop}.path"))
    graph = run.result.state_graph
    if graph is not None and graph.offsets is not None:
        for side in (CLIENT, SERVER):
            counts = project(graph, side)
            title = f"{name}: {SIDE_LABELS[side]} states (RFC 9293 Figure 5 style; dashed grey = never exercised)"
            jobs.append((endpoint_diagram(counts, side, title).source, folder / SIDE_LABELS[side]))
        full, why = full_graph(graph, f"{name}: reachable state graph ({len(graph):,} states)")
        if full is not None:
            jobs.append((full.source, folder / "graph"))
        else:
            notes.append(why)
            (folder / "graph-skipped.txt").write_text(why + "\n", encoding="utf-8")
    return jobs, notes


def _steps_table(run, verdict) -> str:
    rows = ["<table class='steps'><tr><th>#</th><th>step</th><th>client</th><th>server</th><th>in flight</th></tr>"]
    tr = verdict.trace
    s0 = tr.states[0]
    rows.append(f"<tr><td>0</td><td>initial</td><td>{STATE_NAMES[s0[0].state]}</td><td>{STATE_NAMES[s0[1].state]}</td><td></td></tr>")
    for i, s, a, t in tr.steps():
        cls = []
        if tr.is_lasso and i >= tr.loop_start:
            cls.append("cycle")
        if i == len(tr) - 1 and _outcome(verdict) == "violation":
            cls.append("bad")
        flight = "; ".join([f"c→s {short_segment(x)}" for x in t[2]] + [f"s→c {short_segment(x)}" for x in t[3]])
        rows.append(f"<tr class='{' '.join(cls)}'><td>{i + 1}</td><td>{html.escape(run.model.describe(s, a, t))}</td>"
                    f"<td>{STATE_NAMES[t[0].state]}</td><td>{STATE_NAMES[t[1].state]}</td><td>{html.escape(flight)}</td></tr>")
    rows.append("</table>")
    if tr.is_lasso:
        rows.append(f"<p class='cycle'>The steps from {tr.loop_start + 1} on form a cycle that repeats forever.</p>")
    return "\n".join(rows)


def _index_html(runs, svgs, folder_notes) -> str:
    rows = ["<h2>Verdicts</h2><table><tr><th>spec</th><th>variant</th><th>states</th><th>property</th>"
            "<th>verdict</th><th>expected</th><th></th></tr>"]
    for run in runs:
        s = run.result.stats
        first = True
        for name, status, expected, ok in run.rows():
            spec_cells = (f"<td><a href='#{run.spec.name}'>{html.escape(run.spec.name)}</a></td>"
                          f"<td>{html.escape(run.spec.config.variant)}</td><td>{s.states:,}</td>") if first \
                else "<td></td><td></td><td></td>"
            first = False
            link = f"<a href='#{run.spec.name}.{name}'>{name}</a>" if run.result.verdicts[name].trace else name
            rows.append(f"<tr class='{'ok' if ok else 'bad'}'>{spec_cells}<td>{link}</td><td>{status}</td>"
                        f"<td>{expected}</td><td>{'✓' if ok else '✗'}</td></tr>")
    rows.append("</table>")
    for run in runs:
        spec = run.spec
        s = run.result.stats
        rows.append(f"<h2 id='{spec.name}'>{html.escape(spec.name)} <small>({html.escape(spec.config.variant)})</small></h2>")
        rows.append(f"<p>{html.escape(spec.description)}</p>")
        rows.append(f"<p>{s.states:,} states, {s.transitions:,} transitions, depth {s.depth}"
                    f"{'' if s.complete else ' — INCOMPLETE (' + html.escape(s.stop_reason) + ')'}</p>")
        for prop, v in run.result.verdicts.items():
            if v.trace is None:
                continue
            what = _what(v)
            is_open = " open" if _outcome(v) == "violation" or v.trace.is_lasso else ""
            rows.append(f"<details id='{spec.name}.{prop}'{is_open}><summary><b>{prop}</b>: {v.status} — {what}, "
                        f"{len(v.trace)} steps</summary>")
            if spec.explain.get(prop):
                rows.append(f"<p class='why'>{html.escape(spec.explain[prop])}</p>")
            rows.append(f"<p><a href='{spec.name}/{prop}.txt'>text</a> · <a href='{spec.name}/{prop}.json'>JSON</a> · "
                        f"<a href='{spec.name}/{prop}.ladder.dot'>ladder DOT</a> · <a href='{spec.name}/{prop}.path.dot'>path DOT</a></p>")
            rows.append("<div class='diagrams'>")
            for kind in ("ladder", "path"):
                svg = svgs.get(f"{spec.name}/{prop}.{kind}")
                if svg:
                    rows.append(f"<div class='diagram'>{inline_svg(svg)}</div>")
            rows.append("</div>")
            rows.append(_steps_table(run, v))
            rows.append("</details>")
        side_svgs = [svgs.get(f"{spec.name}/{side}") for side in SIDE_LABELS]
        if any(side_svgs):
            rows.append("<details><summary>State diagrams of the client and the server</summary><div class='diagrams'>")
            rows.extend(f"<div class='diagram'>{inline_svg(x)}</div>" for x in side_svgs if x)
            rows.append("</div></details>")
        if svgs.get(f"{spec.name}/graph"):
            rows.append(f"<details><summary>Full reachable state graph</summary><div class='diagram'>"
                        f"{inline_svg(svgs[spec.name + '/graph'])}</div></details>")
        for note in folder_notes.get(spec.name, []):
            rows.append(f"<p class='note'>{html.escape(note)}</p>")
    body = "\n".join(rows)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>tcpmodel report</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}} .bad{{background:#fdd}} .ok td:nth-child(7){{color:#1e8449}}
td,th{{padding:2px 8px;text-align:left;vertical-align:top}} table{{border-collapse:collapse}}
tr:nth-child(even){{background:#f6f6f6}} .steps{{font-size:90%;margin:1em 0}} .steps tr.cycle{{color:#2e86c1}}
.steps tr.bad{{background:#fdd;font-weight:bold}} .diagrams{{display:flex;flex-wrap:wrap;gap:2em;align-items:flex-start}}
.diagram svg{{max-width:100%;height:auto}} details{{margin:1em 0;border-left:3px solid #ddd;padding-left:1em}}
.note{{color:#7d6608}} .why{{font-style:italic}}</style>
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
    """Per spec a folder (verdicts, traces as text/JSON, diagrams as DOT/SVG/PNG) and
    out/index.html, written to a staging folder and moved into place when complete."""
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    notes: List[str] = []
    try:
        jobs = []
        folder_notes = {}
        for run in runs:
            folder = staging / run.spec.name
            write_spec_folder(folder, run)
            spec_jobs, spec_notes = diagram_jobs(folder, run)
            jobs.extend(spec_jobs)
            folder_notes[run.spec.name] = spec_notes
        svgs, render_notes = render_all(jobs)
        notes.extend(render_notes)
        svgs = {str(Path(k).relative_to(staging)): v for k, v in svgs.items()}
        skipped = [name for name, n in folder_notes.items() if n]
        if skipped:
            notes.append(f"full state graph drawn only for runs of at most {FULL_GRAPH_LIMIT:,} states; skipped for "
                         f"{len(skipped)} spec(s) (see <spec>/graph-skipped.txt)")
        (staging / "index.html").write_text(_index_html(runs, svgs, folder_notes), encoding="utf-8")
        for run in runs:
            _replace(staging / run.spec.name, root / run.spec.name)
        _replace(staging / "index.html", root / "index.html")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Written(root, root / "index.html", notes)


# Canonical witnesses for the documentation set: (spec name, property) -> file stem.
DOC_WITNESSES = (
    ("rfc9293", "three_way_handshake"),
    ("rfc9293", "four_step_close"),
    ("rfc9293_simultaneous", "simultaneous_open"),
    ("rfc9293_simultaneous", "simultaneous_close"),
    ("rfc9293", "time_wait_completed"),
)


def write_docs(out_dir, runs) -> Written:
    """The documentation set under ``out_dir`` (e.g. out/docs): the client's and the server's
    state diagrams (merged over ``runs``) and ladders of the canonical witnesses found in them."""
    root = Path(out_dir)
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-docs-", dir=root.parent))
    notes: List[str] = []
    try:
        by_name = {run.spec.name: run for run in runs}
        jobs = []
        graphs = [run.result.state_graph for run in runs if run.result.state_graph is not None]
        for side in (CLIENT, SERVER):
            counts = merge(project(g, side) for g in graphs)
            title = (f"TCP {SIDE_LABELS[side]}: states and transitions reached by the model "
                     f"({', '.join(sorted(by_name))}); dashed grey = RFC 9293 Figure 5 edges never exercised")
            jobs.append((endpoint_diagram(counts, side, title).source, staging / SIDE_LABELS[side]))
        items = []
        for spec_name, prop in DOC_WITNESSES:
            run = by_name.get(spec_name)
            v = run.result.verdicts.get(prop) if run else None
            if v is None or v.trace is None:
                notes.append(f"docs: no {prop} witness (spec {spec_name} not run or the property found none)")
                continue
            title = f"{prop.replace('_', ' ')} ({spec_name}, {len(v.trace)} steps)"
            jobs.append((ladder(v.trace, title, "witness").source, staging / f"{prop}.ladder"))
            (staging / f"{prop}.txt").write_text(_trace_text(run, prop), encoding="utf-8")
            items.append((prop, spec_name, v))
        svgs, render_notes = render_all(jobs)
        notes.extend(render_notes)
        svgs = {Path(k).name: v for k, v in svgs.items()}
        parts = []
        for prop, spec_name, v in items:
            parts.append(f"<h2>{html.escape(prop.replace('_', ' '))}</h2><p>from spec {html.escape(spec_name)}, "
                         f"{len(v.trace)} steps</p><div class='diagram'>{inline_svg(svgs.get(prop + '.ladder'))}</div>")
            parts.append(_steps_table(by_name[spec_name], v))
        for side in SIDE_LABELS:
            parts.append(f"<h2>{side} state diagram</h2><div class='diagram'>{inline_svg(svgs.get(side))}</div>")
        (staging / "index.html").write_text(
            "<!doctype html><html><head><meta charset='utf-8'><title>tcpmodel: TCP diagrams</title>"
            "<style>body{font-family:sans-serif;margin:2em} .diagram svg{max-width:100%;height:auto}"
            " td,th{padding:2px 8px;text-align:left}</style></head><body><h1>TCP connection management, drawn from the model</h1>\n"
            + "\n".join(parts) + "\n</body></html>\n", encoding="utf-8")
        _replace(staging, root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Written(root, root / "index.html", notes)
