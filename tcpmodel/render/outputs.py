"""Writing a check's results under out/: per spec a folder, plus out/index.html.

Writes go to a staging folder inside out/ first (``.staging-<pid>-*``) and replace the old
ones only when complete, each folder in one atomic exchange, index.html last by one rename:
a reader of out/ sees every report folder either old or new, never missing, and a failed or
interrupted run never leaves out/ half-written. What an interrupted run leaves behind (its
staging folder, ``*.old`` of older versions) is removed by the next run.

Folder names come from spec file names but never are them unchecked: a name is reduced to a
slug of ASCII letters, digits, ``_`` and ``-`` (no ``.``, so never ``..``, ``index.html`` or
``x.old``), and made unique in the run (``x``, ``x-2``) even on case-insensitive systems.
"""

from __future__ import annotations

import ctypes
import errno
import html
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from ..errors import TcpModelError
from ..formats.jsondoc import spec_data
from ..spec import DESCRIPTION_LIMIT, EXPLAIN_LIMIT, safe_text
from ..tcp.tcb import CLIENT, SERVER, STATE_NAMES
from .common import SIDE_LABELS, explorer_address, short_segment
from .dotrun import render_all, inline_svg
from .endpoint import endpoint_diagram, merge, project
from .graphs import FULL_GRAPH_LIMIT, full_graph, state_path
from .ladder import ladder


@dataclass
class Written:
    root: Path
    index: Path
    notes: List[str] = field(default_factory=list)
    folders: Dict[str, str] = field(default_factory=dict)  # spec path -> its folder name under root


class OutputError(TcpModelError):
    """The output location cannot be used (not a folder, not writable, a bad name)."""


def _esc(text, limit=None) -> str:
    """Text from a spec or a file name, for HTML: control characters escaped, cut to ``limit``,
    and &, <, >, both quotes made entities (safe in element text and in quoted attributes)."""
    return html.escape(safe_text(text, limit), quote=True)


# ------------------------------------------------------------------ folder names
SLUG_LIMIT = 64
# Names under out/ that other commands own (tcpmodel explain, sweep, diagram) or that stand for
# the whole report: a spec's folder never takes them.
RESERVED = frozenset({"docs", "explain", "sweep", "index"})


def slug(name: str) -> str:
    """A safe folder name for a spec name: runs of anything but ASCII letters, digits, ``_``
    and ``-`` become ``_``; leading/trailing ``_``/``-`` go; at most SLUG_LIMIT characters;
    "spec" when nothing is left (e.g. for ``..``)."""
    s = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_-")[:SLUG_LIMIT].strip("_-")
    return s or "spec"


def folder_names(names: Sequence[str]) -> List[str]:
    """Unique folder names for ``names`` in order: the slug, then ``-2``, ``-3``... on a clash
    (compared without case, as on macOS and Windows file systems) or a reserved name."""
    used = set()
    out = []
    for name in names:
        base = slug(name)
        candidate, k = base, 1
        while candidate.lower() in used or candidate.lower() in RESERVED:
            k += 1
            candidate = f"{base}-{k}"
        used.add(candidate.lower())
        out.append(candidate)
    return out


# ------------------------------------------------------------------ the output location
STAGING_PREFIX = ".staging-"


def check_out_dir(out_dir) -> Path:
    """Make sure reports can be written under ``out_dir`` before any run starts: it is
    created (mode 0755 before the umask) if missing, must be a folder, and a staging folder
    must be creatable in it. Raises OutputError with the reason."""
    if str(out_dir) == "":
        raise OutputError("--out: an empty folder name; give a folder, e.g. --out out")
    root = Path(out_dir)
    shown = safe_text(str(root), 200)
    try:
        if root.exists() and not root.is_dir():
            raise OutputError(f"--out {shown}: exists and is not a folder")
        root.mkdir(mode=0o755, parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=root)
        os.rmdir(probe)
    except OutputError:
        raise
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise OutputError(f"--out {shown}: cannot write there: {safe_text(why)}") from None
    return root


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def clean_leftovers(root: Path) -> List[str]:
    """Remove what an interrupted run left in ``root``: staging folders of processes no longer
    running, and ``*.old`` folders of the older two-rename swap. Returns the names removed."""
    removed = []
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        stale = False
        if name.startswith(STAGING_PREFIX):
            pid = name[len(STAGING_PREFIX):].split("-", 1)[0]
            stale = not (pid.isdigit() and _pid_alive(int(pid)))
        elif name.endswith(".old") and not entry.is_symlink():
            stale = True  # spec folders are slugs, never *.old: only an interrupted swap makes one
        if stale:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                try:
                    entry.unlink()
                except OSError:
                    continue
            removed.append(name)
    return removed


def make_staging(root: Path) -> Path:
    """A fresh staging folder inside ``root`` (so every move is a rename on one file system),
    named with this process's id (so another run cleans it only once this one is gone), mode
    0755 (mkdtemp makes it private, and it may become an output folder itself)."""
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=root))
    os.chmod(staging, 0o755)
    return staging


_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap ``a`` and ``b`` in one atomic step (Linux renameat2 RENAME_EXCHANGE). False when
    the system has no such call or the file system does not support it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_in(src: Path, dst: Path) -> None:
    """Put ``src`` at ``dst``, replacing what is there, as one step a reader can observe:
    a file by rename; a folder by an atomic exchange (the old one is left at ``src``, inside
    the staging folder, and goes with it). Without the exchange call: two renames."""
    if not os.path.lexists(dst) or (src.is_file() and not dst.is_dir()):
        os.replace(src, dst)
    elif not _exchange(src, dst):
        old = dst.with_name(dst.name + ".old")
        if os.path.lexists(old):
            shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()
        os.replace(dst, old)
        os.replace(src, dst)
        shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()


def _trace_text(run, name) -> str:
    v = run.result.verdicts[name]
    return f"{safe_text(run.spec.name)}: {name} — {v.status} ({v.description})\n" + "\n".join(run.trace_text(name)) + "\n"


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
    name = safe_text(run.spec.name)
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


def _index_html(runs, folders, svgs, folder_notes) -> str:
    # Every name from a spec or a file is escaped (_esc); ids and links use the folder name, a
    # slug that needs no escaping in an attribute or a URL.
    rows = ["<h2>Verdicts</h2><table><tr><th>spec</th><th>variant</th><th>states</th><th>property</th>"
            "<th>verdict</th><th>expected</th><th></th></tr>"]
    for run, folder in zip(runs, folders):
        s = run.result.stats
        first = True
        for name, status, expected, ok in run.rows():
            spec_cells = (f"<td><a href='#{folder}'>{_esc(run.spec.name, DESCRIPTION_LIMIT)}</a></td>"
                          f"<td>{_esc(run.spec.config.label)}</td><td>{s.states:,}</td>") if first \
                else "<td></td><td></td><td></td>"
            first = False
            link = f"<a href='#{folder}.{name}'>{_esc(name)}</a>" if run.result.verdicts[name].trace else _esc(name)
            undecided = status == "unknown"
            cls, mark = ("incomplete", "?") if undecided else (("ok", "✓") if ok else ("bad", "✗"))
            shown = f"unknown (run incomplete: {_esc(s.stop_reason)})" if undecided else status
            rows.append(f"<tr class='{cls}'>{spec_cells}<td>{link}</td><td>{shown}</td>"
                        f"<td>{expected}</td><td>{mark}</td></tr>")
    rows.append("</table>")
    for run, folder in zip(runs, folders):
        spec = run.spec
        s = run.result.stats
        rows.append(f"<h2 id='{folder}'>{_esc(spec.name, DESCRIPTION_LIMIT)} <small>({_esc(spec.config.label)})</small></h2>")
        rows.append(f"<p>{_esc(spec.description, DESCRIPTION_LIMIT)}</p>")
        rows.append(f"<p>{s.states:,} states, {s.transitions:,} transitions, depth {s.depth}"
                    f"{'' if s.complete else ' — INCOMPLETE (' + _esc(s.stop_reason) + ')'}</p>")
        for prop, v in run.result.verdicts.items():
            if v.trace is None:
                continue
            what = _what(v)
            is_open = " open" if _outcome(v) == "violation" or v.trace.is_lasso else ""
            rows.append(f"<details id='{folder}.{prop}'{is_open}><summary><b>{prop}</b>: {v.status} — {what}, "
                        f"{len(v.trace)} steps</summary>")
            if spec.explain.get(prop):
                rows.append(f"<p class='why'>{_esc(spec.explain[prop], EXPLAIN_LIMIT)}</p>")
            rows.append(f"<p><a href='{folder}/{prop}.txt'>text</a> · <a href='{folder}/{prop}.json'>JSON</a> · "
                        f"<a href='{folder}/{prop}.ladder.dot'>ladder DOT</a> · <a href='{folder}/{prop}.path.dot'>path DOT</a> · "
                        f"<a class='explore' href='{_esc(explorer_address(spec.name, prop))}'>play it in the explorer</a> "
                        f"<small>(with <code>tcpmodel explore</code> running)</small></p>")
            rows.append("<div class='diagrams'>")
            for kind in ("ladder", "path"):
                svg = svgs.get(f"{folder}/{prop}.{kind}")
                if svg:
                    rows.append(f"<div class='diagram'>{inline_svg(svg)}</div>")
            rows.append("</div>")
            rows.append(_steps_table(run, v))
            rows.append("</details>")
        side_svgs = [svgs.get(f"{folder}/{side}") for side in SIDE_LABELS]
        if any(side_svgs):
            rows.append("<details><summary>State diagrams of the client and the server</summary><div class='diagrams'>")
            rows.extend(f"<div class='diagram'>{inline_svg(x)}</div>" for x in side_svgs if x)
            rows.append("</div></details>")
        if svgs.get(f"{folder}/graph"):
            rows.append(f"<details><summary>Full reachable state graph</summary><div class='diagram'>"
                        f"{inline_svg(svgs[folder + '/graph'])}</div></details>")
        for note in folder_notes.get(folder, []):
            rows.append(f"<p class='note'>{html.escape(note)}</p>")
    body = "\n".join(rows)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>tcpmodel report</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}} .bad{{background:#fdd}} .incomplete{{background:#fef5d4}} .ok td:nth-child(7){{color:#1e8449}}
td,th{{padding:2px 8px;text-align:left;vertical-align:top}} table{{border-collapse:collapse}}
tr:nth-child(even){{background:#f6f6f6}} .steps{{font-size:90%;margin:1em 0}} .steps tr.cycle{{color:#2e86c1}}
.steps tr.bad{{background:#fdd;font-weight:bold}} .diagrams{{display:flex;flex-wrap:wrap;gap:2em;align-items:flex-start}}
.diagram svg{{max-width:100%;height:auto}} details{{margin:1em 0;border-left:3px solid #ddd;padding-left:1em}}
.note{{color:#7d6608}} .why{{font-style:italic}}</style>
</head><body><h1>tcpmodel report</h1>
{body}
</body></html>
"""


def write_outputs(out_dir, runs) -> Written:
    """Per spec a folder (verdicts, traces as text/JSON, diagrams as DOT/SVG/PNG) and
    out/index.html, written to a staging folder and moved into place when complete.
    Raises OutputError when the disk refuses (full, read-only): out/ keeps its old reports."""
    root = check_out_dir(out_dir)
    folders = folder_names([run.spec.name for run in runs])
    notes: List[str] = []
    clean_leftovers(root)
    staging = None
    try:
        staging = make_staging(root)
        jobs = []
        folder_notes = {}
        for run, name in zip(runs, folders):
            folder = staging / name
            write_spec_folder(folder, run)
            spec_jobs, spec_notes = diagram_jobs(folder, run)
            jobs.extend(spec_jobs)
            folder_notes[name] = spec_notes
        svgs, render_notes = render_all(jobs)
        notes.extend(render_notes)
        svgs = {str(Path(k).relative_to(staging)): v for k, v in svgs.items()}
        skipped = [name for name, n in folder_notes.items() if n]
        if skipped:
            notes.append(f"full state graph drawn only for runs of at most {FULL_GRAPH_LIMIT:,} states; skipped for "
                         f"{len(skipped)} spec(s) (see <spec>/graph-skipped.txt)")
        (staging / "index.html").write_text(_index_html(runs, folders, svgs, folder_notes), encoding="utf-8")
        for name in folders:
            swap_in(staging / name, root / name)
        os.replace(staging / "index.html", root / "index.html")  # last: every folder it links is in place
    except OSError as exc:
        raise OutputError(f"writing under {safe_text(str(root), 200)}: {safe_text(exc.strerror or exc)}"
                          + ("" if exc.filename is None else f" ({safe_text(str(exc.filename), 200)})")) from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return Written(root, root / "index.html", notes, {str(run.spec.path): name for run, name in zip(runs, folders)})
