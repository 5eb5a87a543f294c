"""Writing a check's results under out/: per spec a folder, plus out/index.html.

The index is the way in for a reader: a table of contents (the lessons in each language, the
documentation diagrams, the specs grouped by what they show, the sweeps), then per spec its
verdicts against the expected ones, witnesses marked as found (the good outcome) and never
drawn like violations, and links to every ladder as SVG and PNG. It links to out/docs/,
out/explain/ and out/sweep/ as it finds them on disk when it is written, so it links only to
pages that exist; the main job writes docs/ and explain/ first (:func:`write_linked_pages`).

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
    rows.append(f"<tr><td>0</td><td>initial</td><td>{STATE_NAMES[s0.client.state]}</td><td>{STATE_NAMES[s0.server.state]}</td><td></td></tr>")
    for i, s, a, t in tr.steps():
        cls = []
        if tr.is_lasso and i >= tr.loop_start:
            cls.append("cycle")
        if i == len(tr) - 1 and _outcome(verdict) == "violation":
            cls.append("bad")
        flight = "; ".join([f"c→s {short_segment(x)}" for x in t.c2s] + [f"s→c {short_segment(x)}" for x in t.s2c])
        rows.append(f"<tr class='{' '.join(cls)}'><td>{i + 1}</td><td>{html.escape(run.model.describe(s, a, t))}</td>"
                    f"<td>{STATE_NAMES[t.client.state]}</td><td>{STATE_NAMES[t.server.state]}</td><td>{html.escape(flight)}</td></tr>")
    rows.append("</table>")
    if tr.is_lasso:
        rows.append(f"<p class='cycle'>The steps from {tr.loop_start + 1} on form a cycle that repeats forever.</p>")
    return "\n".join(rows)


# ------------------------------------------------------------------ out/index.html
# Switches that remove or break a mechanism of the real protocol (tcp/config.py SWITCHES): a
# spec with one of them, or with a TIME-WAIT shorter than 2*MSL, shows what goes wrong without it.
# rfc1337 and ack_throttling are fixes of the real protocol, not breakages.
BROKEN_SWITCHES = frozenset({"two_way_handshake", "three_step_close", "no_time_wait", "no_retransmit"})
SPEC_GROUPS = (
    ("group-canonical", "Canonical runs (the documentation diagrams)"),
    ("group-broken", "Broken variants: a mechanism removed, and what goes wrong"),
    ("group-faults", "The real protocol under network faults (loss, duplication)"),
    ("group-real", "The real protocol without faults"),
)
LANG_NAMES = {"en": "English", "zh": "中文"}


def spec_group(run) -> str:
    """The id of the SPEC_GROUPS group a checked spec belongs to, from what it configures."""
    from .canonical import CANONICAL  # canonical imports this module's helpers when it writes

    cfg = run.spec.config
    if run.spec.name in {c.spec for c in CANONICAL}:
        return "group-canonical"
    if cfg.active_switches & BROKEN_SWITCHES or cfg.time_wait_ticks < 2 * cfg.msl:
        return "group-broken"
    if cfg.loss or cfg.dup:
        return "group-faults"
    return "group-real"


def _page_title(path: Path) -> str:
    """The <title> of an HTML page we wrote (its first 8 kB), unescaped; "" if none."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = f.read(8192)
    except OSError:
        return ""
    m = re.search(r"<title>(.*?)</title>", head, re.S | re.I)
    return html.unescape(m.group(1)).strip() if m else ""


def _link(href: str, text: str, cls: str = "") -> str:
    """A link to a file under out/: ``href`` is built from names we chose or found on disk,
    quoted for a URL; ``text`` is escaped."""
    from urllib.parse import quote

    c = f" class='{cls}'" if cls else ""
    return f"<a{c} href='{html.escape(quote(href), quote=True)}'>{_esc(text)}</a>"


def _file_links(root: Path, stem: str, labels=(("svg", "SVG"), ("png", "PNG"))) -> str:
    """Links to ``stem.<ext>`` (relative to ``root``) for each ext that exists, joined by ·."""
    return " · ".join(_link(f"{stem}.{ext}", label) for ext, label in labels if (root / f"{stem}.{ext}").is_file())


def lessons_on_disk(root: Path) -> List[Tuple[str, Dict[str, Tuple[str, str]]]]:
    """The lesson pages under ``root/explain/`` (``<topic>.<lang>.html``, as write_lesson names
    them): per topic, in the lessons' order, {lang: (href, page title)}."""
    from ..explain import TOPICS

    folder = root / "explain"
    found: Dict[str, Dict[str, Tuple[str, str]]] = {}
    if folder.is_dir():
        for page in sorted(folder.glob("*.html")):
            parts = page.name.split(".")
            if len(parts) != 3 or page.name.startswith("."):
                continue
            topic, lang = parts[0], parts[1]
            found.setdefault(topic, {})[lang] = (f"explain/{page.name}", _page_title(page) or topic)
    order = [t for t in TOPICS if t in found] + sorted(t for t in found if t not in TOPICS)
    return [(t, found[t]) for t in order]


def docs_on_disk(root: Path) -> List[Tuple[str, str]]:
    """The documentation diagrams under ``root/docs/``: (stem relative to root, label), the
    canonical ladders first in their order, then the state diagrams."""
    from .canonical import CANONICAL

    folder = root / "docs"
    if not folder.is_dir():
        return []
    stems = sorted({p.name[:-4] for p in folder.iterdir() if p.suffix in (".svg", ".png") and not p.name.startswith(".")})
    known = [c.name + ".ladder" for c in CANONICAL] + ["figure5"] + list(SIDE_LABELS)
    ordered = [s for s in known if s in stems] + [s for s in stems if s not in known]
    labels = {c.name + ".ladder": c.title for c in CANONICAL}
    labels.update({"figure5": "Both endpoints' states, laid out like RFC 9293 Figure 5"})
    labels.update({side: f"The {side}'s states and transitions" for side in SIDE_LABELS})
    return [(f"docs/{s}", labels.get(s, s.replace("_", " "))) for s in ordered]


def sweeps_on_disk(root: Path) -> Tuple[List[Tuple[str, str, str]], List[Tuple[str, str]]]:
    """What is under ``root/sweep/``: the sweep folders as (folder href, name, page title) for
    each ``sweep/<name>/index.html``, and the pages ``sweep/*.html`` as (href, title)."""
    folder = root / "sweep"
    if not folder.is_dir():
        return [], []
    sweeps, pages = [], []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name.endswith(".old"):
            continue  # a staging folder, or an interrupted swap's leftover
        if entry.is_dir() and (entry / "index.html").is_file():
            sweeps.append((f"sweep/{entry.name}", entry.name, _page_title(entry / "index.html") or entry.name))
        elif entry.is_file() and entry.suffix == ".html":
            pages.append((f"sweep/{entry.name}", _page_title(entry) or entry.name))
    return sweeps, pages


def _badge(verdict, status: str) -> str:
    """What a verdict means, as a coloured badge: a witness found is the good outcome (green,
    "witness found"), never drawn like a violation (red, "violated")."""
    if status == "unknown":
        return "<span class='badge unknown'>? unknown</span>"
    if verdict.is_witness:
        if status == "holds":
            return "<span class='badge witness' title='a run that shows the behaviour can happen'>★ witness found</span>"
        return "<span class='badge nowitness' title='no run shows the behaviour'>no witness</span>"
    if status == "violated":
        what = "lasso" if verdict.trace is not None and verdict.trace.is_lasso else "counterexample"
        return f"<span class='badge violation'>✗ violated ({what})</span>"
    return "<span class='badge holds'>✓ holds</span>"


def _kind(verdict) -> str:
    return "witness (can it happen?)" if verdict.is_witness else "property (must it hold?)"


def _lesson_section(lessons) -> List[str]:
    langs = sorted({lang for _, pages in lessons for lang in pages}, key=lambda x: (x != "en", x != "zh", x))
    rows = ["<h2 id='lessons'>Lessons</h2><p>Each page asks one question a TCP course asks, and answers it with "
            "the broken variant's counterexample beside the real protocol under the same events.</p>",
            "<table class='lessons'><tr><th>question</th>"
            + "".join(f"<th>{_esc(LANG_NAMES.get(lang, lang))}</th>" for lang in langs) + "</tr>"]
    for topic, pages in lessons:
        title = pages.get("en", next(iter(pages.values())))[1]
        cells = "".join(f"<td>{_link(pages[lang][0], pages[lang][1])}</td>" if lang in pages else "<td></td>"
                        for lang in langs)
        rows.append(f"<tr id='lesson-{_esc(topic)}'><td><b>{_esc(topic)}</b></td>{cells}</tr>")
    rows.append("</table>")
    return rows


def _docs_section(root: Path, docs) -> List[str]:
    rows = ["<h2 id='docs'>Documentation diagrams</h2><p>Canonical runs drawn as a textbook would (FIFO network, "
            "no faults unless the point is a fault, a time axis in ticks) and the state diagrams."
            + (f" All on one page: {_link('docs/index.html', 'docs/index.html')}." if (root / 'docs/index.html').is_file() else "")
            + "</p><ul class='files'>"]
    for stem, label in docs:
        rows.append(f"<li>{_esc(label)}: {_file_links(root, stem, (('svg', 'SVG'), ('png', 'PNG'), ('txt', 'steps')))}</li>")
    rows.append("</ul>")
    return rows


def _sweep_section(root: Path, sweeps, pages) -> List[str]:
    rows = ["<h2 id='sweeps'>Sweeps</h2><p>A spec checked at every point of a grid of parameters; "
            "each violated cell links to its counterexample.</p><ul class='files'>"]
    for href, title in pages:
        rows.append(f"<li>{_link(href, title)}</li>")
    for href, name, title in sweeps:
        plot = _file_links(root, f"{href}/sweep", (("svg", "plot SVG"), ("png", "plot PNG")))
        rows.append(f"<li>{_link(href + '/index.html', title)}{' · ' + plot if plot else ''}</li>")
    rows.append("</ul>")
    return rows


def _spec_summary(run) -> Tuple[str, str]:
    """(css class, short text) of how a spec came out: as expected, not, or incomplete."""
    if run.undecided:
        return "incomplete", "? incomplete"
    return ("ok", "✓ as expected") if run.as_expected else ("bad", "✗ NOT as expected")


def _toc(root, runs, folders, lessons, docs, sweeps, pages) -> str:
    cols = []
    if lessons:
        items = "".join(
            f"<li>{_esc(pages_.get('en', next(iter(pages_.values())))[1])}: "
            + " · ".join(_link(pages_[lang][0], LANG_NAMES.get(lang, lang)) for lang in pages_) + "</li>"
            for _, pages_ in lessons)
        cols.append(f"<div class='card'><h3><a href='#lessons'>Lessons</a></h3><ul>{items}</ul></div>")
    if docs:
        items = "".join(f"<li>{_link(stem + ('.svg' if (root / (stem + '.svg')).is_file() else '.png'), label)}</li>"
                        for stem, label in docs)
        cols.append(f"<div class='card'><h3><a href='#docs'>Documentation diagrams</a></h3><ul>{items}</ul></div>")
    groups = []
    for gid, title in SPEC_GROUPS:
        members = [(run, folder) for run, folder in zip(runs, folders) if spec_group(run) == gid]
        if not members:
            continue
        items = []
        for run, folder in members:
            cls, text = _spec_summary(run)
            items.append(f"<li><a href='#{folder}'>{_esc(run.spec.name, DESCRIPTION_LIMIT)}</a> "
                         f"<span class='mark {cls}' title='{text}'>{text[0]}</span></li>")
        groups.append(f"<h4><a href='#{gid}'>{_esc(title)}</a></h4><ul>{''.join(items)}</ul>")
    cols.append(f"<div class='card specs'><h3><a href='#specs'>Specs</a></h3>{''.join(groups)}</div>")
    if sweeps or pages:
        items = "".join(f"<li>{_link(h, t)}</li>" for h, t in pages)
        items += "".join(f"<li>{_link(h + '/index.html', t)}</li>" for h, _, t in sweeps)
        cols.append(f"<div class='card'><h3><a href='#sweeps'>Sweeps</a></h3><ul>{items}</ul></div>")
    return "<nav id='toc'><h2>Contents</h2><div class='cards'>" + "".join(cols) + "</div></nav>"


def _spec_section(run, folder: str, staging: Path, svgs, notes) -> List[str]:
    spec = run.spec
    s = run.result.stats
    cls, text = _spec_summary(run)
    rows = [f"<section class='spec' id='{folder}'>",
            f"<h3>{_esc(spec.name, DESCRIPTION_LIMIT)} <small>variant {_esc(spec.config.label)}</small> "
            f"<span class='mark {cls}'>{text}</span> <a class='top' href='#toc'>↑ contents</a></h3>",
            f"<p>{_esc(spec.description, DESCRIPTION_LIMIT)}</p>",
            f"<p class='stats'>{s.states:,} states, {s.transitions:,} transitions, depth {s.depth}"
            f"{'' if s.complete else ' — INCOMPLETE (' + _esc(s.stop_reason) + ')'}</p>",
            "<table class='props'><tr><th>property</th><th>kind</th><th>verdict</th><th>expected</th>"
            "<th>as expected</th><th>diagrams</th></tr>"]
    for name, status, expected, ok in run.rows():
        v = run.result.verdicts[name]
        mark = "" if ok is None else ("<span class='mark ok'>✓</span>" if ok else "<span class='mark bad'>✗</span>")
        links = ""
        if v.trace is not None:
            ladder_links = _file_links(staging, f"{folder}/{name}.ladder", (("svg", "ladder SVG"), ("png", "ladder PNG")))
            links = f"<a href='#{folder}.{name}'>steps</a>" + (f" · {ladder_links}" if ladder_links else "")
        kind = "witness" if v.is_witness else "property"
        if expected and v.is_witness:  # a witness "holds" when one is found
            expected = {"holds": "witness found", "violated": "no witness"}.get(expected, expected)
        rows.append(f"<tr class='{kind}'><td>{_esc(name)}</td><td>{_kind(v)}</td><td>{_badge(v, status)}</td>"
                    f"<td>{expected or '—'}</td><td>{mark}</td><td>{links}</td></tr>")
    rows.append("</table>")
    for prop, v in run.result.verdicts.items():
        if v.trace is None:
            continue
        outcome = _outcome(v)
        is_open = " open" if outcome == "violation" or v.trace.is_lasso else ""
        rows.append(f"<details id='{folder}.{prop}' class='trace {'witness' if v.is_witness else 'counterexample'}'{is_open}>"
                    f"<summary>{_badge(v, v.status)} <b>{prop}</b>: {_what(v)}, {len(v.trace)} steps</summary>")
        if spec.explain.get(prop):
            rows.append(f"<p class='why'>{_esc(spec.explain[prop], EXPLAIN_LIMIT)}</p>")
        files = [_file_links(staging, f"{folder}/{prop}.ladder", (("svg", "ladder SVG"), ("png", "ladder PNG"))),
                 _file_links(staging, f"{folder}/{prop}.path", (("svg", "state path SVG"), ("png", "state path PNG"))),
                 _file_links(staging, f"{folder}/{prop}", (("txt", "text"), ("json", "JSON"))),
                 _file_links(staging, f"{folder}/{prop}.ladder", (("dot", "ladder DOT"),))]
        rows.append("<p class='links'>" + " · ".join(f for f in files if f)
                    + f" · <a class='explore' href='{_esc(explorer_address(spec.name, prop))}'>play it in the explorer</a> "
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
        sides = " · ".join(f"{side}: {_file_links(staging, f'{folder}/{side}')}" for side in SIDE_LABELS)
        rows.append(f"<details><summary>State diagrams of the client and the server</summary><p class='links'>{sides}</p>"
                    "<div class='diagrams'>")
        rows.extend(f"<div class='diagram'>{inline_svg(x)}</div>" for x in side_svgs if x)
        rows.append("</div></details>")
    if svgs.get(f"{folder}/graph"):
        rows.append(f"<details><summary>Full reachable state graph</summary><p class='links'>"
                    f"{_file_links(staging, f'{folder}/graph')}</p><div class='diagram'>"
                    f"{inline_svg(svgs[folder + '/graph'])}</div></details>")
    for note in notes:
        rows.append(f"<p class='note'>{html.escape(note)}</p>")
    rows.append("</section>")
    return rows


INDEX_STYLE = """
body{font-family:Helvetica,Arial,"Noto Sans CJK SC",sans-serif;margin:0 auto;padding:1.5em 2em;max-width:1250px;color:#222;line-height:1.4}
h1{margin-bottom:.2em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em} h3 small{font-weight:normal;color:#666}
a{color:#1a5fb4} .summary{font-size:110%}
#toc .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:1em}
#toc .card{border:1px solid #ddd;border-radius:6px;padding:.4em 1em;background:#fafafa}
#toc .card.specs{grid-column:span 2} #toc .card.specs ul{display:grid;grid-template-columns:1fr 1fr;column-gap:1.5em} #toc h3{margin:.4em 0} #toc h4{margin:.6em 0 .2em}
#toc ul{margin:.2em 0;padding-left:1.2em} #toc li{margin:.1em 0}
td,th{padding:3px 8px;text-align:left;vertical-align:top} table{border-collapse:collapse}
table.props,table.lessons{margin:.6em 0} table.props td,table.props th,table.lessons td,table.lessons th{border-bottom:1px solid #e4e4e4}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:90%;white-space:nowrap;font-weight:bold}
.badge.witness{background:#d4efdc;color:#1b6b34;border:1px solid #2e9d49}
.badge.violation{background:#fbd9d7;color:#a11d18;border:1px solid #d7302c}
.badge.holds{color:#1b6b34} .badge.nowitness{background:#fef5d4;color:#7d6608;border:1px solid #c9a400}
.badge.unknown{background:#eee;color:#555;border:1px solid #999}
.mark{font-weight:bold} .mark.ok{color:#1e8449} .mark.bad{color:#c0392b} .mark.incomplete{color:#b7950b}
section.spec{margin:1.2em 0 2em;border-top:1px solid #ccc;padding-top:.3em} h2.group{margin-top:2.2em;color:#333} a.top{font-size:75%;font-weight:normal;margin-left:1em} .stats{color:#555}
.legend{font-size:92%;color:#444}
.steps{font-size:90%;margin:1em 0} .steps tr:nth-child(even){background:#f6f6f6} .steps tr.cycle{color:#2e86c1}
.steps tr.bad{background:#fdd;font-weight:bold} .diagrams{display:flex;flex-wrap:wrap;gap:2em;align-items:flex-start}
.diagram svg{max-width:100%;height:auto} details{margin:.8em 0;border-left:4px solid #ddd;padding-left:1em}
details.trace.witness{border-left-color:#2e9d49} details.trace.counterexample{border-left-color:#d7302c}
summary{cursor:pointer} .links{font-size:95%} ul.files li{margin:.2em 0}
.note{color:#7d6608} .why{font-style:italic}
"""


def _index_html(runs, folders, svgs, folder_notes, root: Path, staging: Path) -> str:
    """out/index.html. ``staging`` holds the spec folders being written (links into them are
    checked there); docs/, explain/ and sweep/ are linked as found under ``root``, so the page
    links to those other steps' pages exactly when they exist.

    Every name from a spec or a file is escaped (_esc); ids and links use the folder name, a
    slug that needs no escaping in an attribute or a URL."""
    lessons = lessons_on_disk(root)
    docs = docs_on_disk(root)
    sweeps, pages = sweeps_on_disk(root)
    wrong = [f"{run.spec.name}.{name}" for run in runs for name in run.not_as_expected]
    unknown = [run.spec.name for run in runs if run.undecided]
    summary = f"{len(runs)} spec(s) checked, {sum(r.result.stats.states for r in runs):,} states: "
    summary += ("<span class='mark bad'>NOT as expected: " + _esc(", ".join(wrong), DESCRIPTION_LIMIT) + "</span>") if wrong \
        else "<span class='mark ok'>every verdict as expected</span>"
    if unknown:
        summary += "; <span class='mark incomplete'>incomplete: " + _esc(", ".join(unknown), DESCRIPTION_LIMIT) + "</span>"
    rows = [f"<p class='summary'>{summary}</p>", _toc(root, runs, folders, lessons, docs, sweeps, pages)]
    if lessons:
        rows += _lesson_section(lessons)
    if docs:
        rows += _docs_section(root, docs)
    if sweeps or pages:
        rows += _sweep_section(root, sweeps, pages)
    rows.append("<h2 id='specs'>Specs</h2><p class='legend'>A <b>property</b> must hold in every reachable state; "
                "when it is <span class='badge violation'>✗ violated</span> the checker gives a shortest counterexample. "
                "A <b>witness</b> asks whether something can happen at all; "
                "<span class='badge witness'>★ witness found</span> is the good outcome: the run shows it. "
                "“As expected” compares with the spec's <code>[expect]</code>: a broken variant is expected to "
                "be violated.</p>")
    by_group = {gid: [] for gid, _ in SPEC_GROUPS}
    for run, folder in zip(runs, folders):
        by_group[spec_group(run)].append((run, folder))
    for gid, title in SPEC_GROUPS:
        if not by_group[gid]:
            continue
        rows.append(f"<h2 id='{gid}' class='group'>{_esc(title)}</h2>")
        for run, folder in by_group[gid]:
            rows += _spec_section(run, folder, staging, svgs, folder_notes.get(folder, []))
    body = "\n".join(rows)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>tcpmodel report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{INDEX_STYLE}</style>
</head><body><h1>tcpmodel report</h1>
{body}
</body></html>
"""


def write_outputs(out_dir, runs) -> Written:
    """Per spec a folder (verdicts, traces as text/JSON, diagrams as DOT/SVG/PNG) and
    out/index.html, written to a staging folder and moved into place when complete. The index
    links to the docs/, explain/ and sweep/ pages found under ``out_dir`` now: write them first.
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
        (staging / "index.html").write_text(_index_html(runs, folders, svgs, folder_notes, root, staging),
                                               encoding="utf-8")
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


def write_linked_pages(out_dir, runs, topics: Sequence[str] = (), langs: Sequence[str] = ("en", "zh"),
                       frontier=None) -> List[str]:
    """What the main job (``tcpmodel check``) writes besides the spec reports, so that
    out/index.html can link to it: ``out/docs/`` (the canonical diagrams, as ``tcpmodel
    diagram`` writes them) and ``out/explain/`` (each lesson in each language, as ``tcpmodel
    explain`` writes them). Call it before :func:`write_outputs`, which writes the index last.

    The canonical runs come from ``runs`` when the canonical specs were checked with their
    graph (``tcpmodel check specs/``), else from the built-in catalogue. ``topics``: the
    lessons to write (default: every topic). ``frontier``: the TIME-WAIT frontier the
    time-wait lesson ends with (default: computed from the built-in specs' declared sweeps).
    Returns notes (e.g. Graphviz missing), each once.
    """
    from ..explain import TOPICS, explain
    from ..library import catalogue_dir
    from ..run import run_spec
    from ..spec import load
    from .canonical import CANONICAL, write_canonical_docs
    from .frontier import lesson_sections
    from .lesson import write_lesson

    root = check_out_dir(out_dir)
    with_graph = {run.spec.name: run for run in runs
                  if run.result.state_graph is not None and run.result.state_graph.offsets is not None}
    doc_runs = [with_graph.get(name) or run_spec(load(catalogue_dir() / f"{name}.toml"), keep_graph=True)
                for name in dict.fromkeys(c.spec for c in CANONICAL)]
    notes = list(write_canonical_docs(root / "docs", doc_runs).notes)
    for topic in topics or tuple(TOPICS):
        for lang in langs:
            try:
                lesson = explain(topic, lang)
            except TcpModelError as exc:  # one lesson that cannot be built does not sink the reports
                notes.append(f"explain: lesson {topic} ({lang}) not written: {safe_text(exc, 300)}")
                continue
            if topic == "time-wait" and frontier is None:
                from ..frontier import catalogue_frontier

                frontier = catalogue_frontier()
            notes += write_lesson(root, lesson, extra_sections=lesson_sections(topic, lang, frontier)).notes
    return list(dict.fromkeys(notes))
