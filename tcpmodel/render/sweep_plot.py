"""Writing a parameter sweep (tcpmodel.sweep.SweepResult): tables and a verdict plot.

Under ``out/sweep/<spec name>/``:

- ``sweep.csv``      one row per point: axis values, variant, each property's verdict, counts;
- ``frontiers.csv``  one row per (property, axis, other axes fixed): the frontier value;
- ``sweep.md``       both tables in Markdown, and the plot;
- ``index.html``     the same as a page, verdict cells coloured;
- ``ladders/<property>.<axis>-<value>....ladder.{dot,svg,png}``  for each violated cell, the
  ladder of that point's counterexample; the page's violated cells link to them;
- ``sweep.svg``, ``sweep.png``  the plot: per property a row of cells (green holds, red
  violated, grey unknown) against the values of one axis, the frontier cell outlined, and on
  a TIME-WAIT axis a dashed line where TIME-WAIT reaches 2*MSL. One panel per combination of
  the other axes' values.

Files hold no timings, so the same sweep writes the same bytes (the plot: with the same
matplotlib). The folder is written aside and swapped in whole.
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from ..sweep import SweepResult
from .dotrun import render_all
from .ladder import ladder
from .outputs import clean_leftovers, make_staging, slug, swap_in

COLOURS = {"holds": "#2e9d49", "violated": "#d7302c", "unknown": "#9a9a9a"}
AXIS_LABELS = {
    "loss": "loss budget (segments the network may drop)",
    "dup": "duplication budget",
    "time_wait": "TIME-WAIT (ticks)",
    "retries": "max retransmissions",
    "rto": "retransmission timeout (ticks)",
    "channel": "channel",
    "lifetime": "segment lifetime tie rule",
}
# Which swept axis runs along the plot's x axis: the first of these that is swept (every axis
# of tcpmodel.sweep.AXES is in this list).
PLOT_X_PREFERENCE = ("time_wait", "rto", "loss", "dup", "retries", "channel", "lifetime")
# How a frontier names its axis in words.
_AXIS_WORDS = {"time_wait": "TIME-WAIT", "rto": "RTO"}


@dataclass
class SweepWritten:
    folder: Path
    files: List[Path] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)


# ------------------------------------------------------------------ text
def _coords_text(coords) -> str:
    return ", ".join(f"{name}={value}" for name, value in coords)


def frontier_phrase(f) -> str:
    """What a frontier says, in words."""
    axis = _AXIS_WORDS.get(f.axis, f.axis)
    if f.value is None:
        text = "never violated in range"
    elif f.direction == "largest":
        text = f"largest {axis} that breaks it: {f.value}"
    else:
        text = f"smallest {axis} that breaks it: {f.value}"
    if f.at_range_end:
        text += f" (the end of the range: {'larger' if f.direction == 'largest' else 'smaller'} values may break it too)"
    if not f.certain:
        text += " (uncertain: an unknown point could move it)"
    return text


def _frontier_cell(f) -> str:
    if f.value is None:
        return "none" if f.certain else "none?"
    text = str(f.value)
    if f.at_range_end:
        text = (">= " if f.direction == "largest" else "<= ") + text
    return text if f.certain else text + "?"


def text_table(result: SweepResult, timings: bool = True) -> str:
    """The verdict table and the frontiers as plain text (the CLI prints it)."""
    axes = [a.name for a in result.axes]
    head = axes + ["variant"] + list(result.properties) + ["states"] + (["seconds"] if timings else [])
    rows = []
    for p in result.points:
        row = [str(v) for _, v in p.coords] + [p.config.label]
        row += [p.verdicts[name] for name in result.properties]
        row.append(f"{p.states:,}" + ("" if p.complete else f" ({p.stop_reason})"))
        if timings:
            row.append(f"{p.seconds:.2f}")
        rows.append(row)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    lines = [f"sweep of {result.spec_name} (variant {result.base.label}, MSL {result.base.msl}, 2*MSL {result.two_msl})"]
    lines.append("  " + "  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip())
    for r in rows:
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    lines.append("")
    lines.append("frontiers:")
    pw = max(len(n) for n in result.properties)
    for f in result.frontiers:
        fixed = f" with {_coords_text(f.fixed)}" if f.fixed else ""
        lines.append(f"  {f.property:<{pw}}  along {f.axis}{fixed}: {frontier_phrase(f)}")
    if not any(a.numeric for a in result.axes):
        lines.append("  (none: only the channel was swept)")
    return "\n".join(lines) + "\n"


def _csv_points(result: SweepResult) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([a.name for a in result.axes] + ["variant"] + list(result.properties)
               + ["states", "transitions", "depth", "complete"])
    for p in result.points:
        w.writerow([v for _, v in p.coords] + [p.config.label] + [p.verdicts[n] for n in result.properties]
                   + [p.states, p.transitions, p.depth, "yes" if p.complete else p.stop_reason])
    return buf.getvalue()


def _csv_frontiers(result: SweepResult) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["property", "axis", "fixed", "direction", "frontier", "certain", "at_range_end"])
    for f in result.frontiers:
        w.writerow([f.property, f.axis, _coords_text(f.fixed), f.direction,
                    "" if f.value is None else f.value, "yes" if f.certain else "no",
                    "yes" if f.at_range_end else "no"])
    return buf.getvalue()


def _base_text(result: SweepResult) -> str:
    c = result.base
    tw = "2*MSL" if c.time_wait is None else str(c.time_wait)
    syn_rto = "rto" if c.syn_rto is None else str(c.syn_rto)
    return (f"variant {c.label}, msl {c.msl}, max_delay {c.max_delay_ticks}, rto {c.rto}, syn_rto {syn_rto}, "
            f"max_retries {c.max_retries}, window {c.window}, time_wait {tw}, lifetime {c.lifetime}, close {c.close}, "
            f"incarnations {c.incarnations}, isn {c.isn}, channel {c.channel}, "
            f"loss {c.loss}, dup {c.dup}, client_data {c.client_data}, server_data {c.server_data}")


def _limits_text(result: SweepResult) -> str:
    parts = []
    if result.max_seconds is not None:
        parts.append(f"{result.max_seconds:g} s")
    if result.max_states is not None:
        parts.append(f"{result.max_states:,} states")
    return " and ".join(parts) if parts else "none"


def _markdown(result: SweepResult, plot: bool) -> str:
    axes = [a.name for a in result.axes]
    lines = [f"# Sweep of {result.spec_name}", ""]
    lines.append(f"Spec configuration: {_base_text(result)}.")
    lines.append("")
    lines.append("Swept: " + "; ".join(f"{a.name} {', '.join(str(v) for v in a.values)}" for a in result.axes)
                 + f". Limit per point: {_limits_text(result)} (a point stopped by it is `unknown`).")
    lines.append("")
    if plot:
        lines += ["![verdicts](sweep.svg)", ""]
    head = axes + ["variant"] + list(result.properties) + ["states"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for p in result.points:
        cells = [str(v) for _, v in p.coords] + [p.config.label] + [p.verdicts[n] for n in result.properties]
        cells.append(f"{p.states:,}" + ("" if p.complete else f" ({p.stop_reason})"))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Frontiers", ""]
    lines.append("For a fault budget or the retries: the smallest value that breaks the property; "
                 "for TIME-WAIT or the RTO: the largest value that breaks it (the other axes fixed). "
                 "`none`: not broken in the range; `>=`/`<=`: at the end of the range, so the frontier may lie "
                 "beyond it; `?`: an unknown point could move it.")
    lines.append("")
    lines.append("| property | axis | other axes | frontier |")
    lines.append("|---|---|---|---|")
    for f in result.frontiers:
        lines.append(f"| {f.property} | {f.axis} | {_coords_text(f.fixed) or '—'} | {_frontier_cell(f)} |")
    return "\n".join(lines) + "\n"


def ladder_stem(prop: str, coords) -> str:
    """The file stem, under the sweep's folder, of the ladder of ``prop``'s counterexample at
    the point ``coords``: ``ladders/<prop>.<axis>-<value>...ladder`` (names and values are
    identifiers and integers, safe in a file name and a URL)."""
    return "ladders/" + ".".join([prop] + [slug(f"{name}-{value}") for name, value in coords]) + ".ladder"


def ladder_jobs(result: SweepResult, folder: Path):
    """(DOT source, stem under ``folder``, (coords, property)) for each violated cell with a trace."""
    jobs = []
    for p in result.points:
        for prop in result.properties:
            trace = p.traces.get(prop)
            if trace is None:
                continue
            what = "lasso" if trace.is_lasso else "counterexample"
            title = f"{result.spec_name}: {prop} violated at {_coords_text(p.coords)} ({what}, {len(trace)} steps)"
            jobs.append((ladder(trace, title, "violation", msl=p.config.msl).source,
                         folder / ladder_stem(prop, p.coords), (p.coords, prop)))
    return jobs


def _html(result: SweepResult, plot: bool, ladders=None) -> str:
    """The sweep's page; ``ladders`` maps (coords, property) of a violated cell to the file
    (relative to the page) its cell links to."""
    e = html.escape
    ladders = ladders or {}
    axes = [a.name for a in result.axes]
    head = axes + ["variant"] + list(result.properties) + ["states"]
    rows = ["<table class='points'><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>"]

    def cell(p, n):
        status = p.verdicts[n]
        href = ladders.get((p.coords, n))
        shown = f"<a href='{e(href)}' title='the counterexample at this point'>{status}</a>" if href else status
        return f"<td class='{status}'>{shown}</td>"

    for p in result.points:
        cells = [f"<td>{e(str(v))}</td>" for _, v in p.coords] + [f"<td>{e(p.config.label)}</td>"]
        cells += [cell(p, n) for n in result.properties]
        cells.append(f"<td class='num'>{p.states:,}" + ("" if p.complete else f" ({e(p.stop_reason)})") + "</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    rows.append("</table>")
    fr = ["<table><tr><th>property</th><th>axis</th><th>other axes</th><th>frontier</th></tr>"]
    for f in result.frontiers:
        fr.append(f"<tr><td>{e(f.property)}</td><td>{e(f.axis)}</td><td>{e(_coords_text(f.fixed)) or '—'}</td>"
                  f"<td>{e(frontier_phrase(f))}</td></tr>")
    fr.append("</table>")
    swept = "; ".join(f"{e(a.name)} {', '.join(e(str(v)) for v in a.values)}" for a in result.axes)
    img = "<p><img src='sweep.svg' alt='verdict plot'></p>" if plot else ""
    style = ("body{font-family:sans-serif;margin:2em} td,th{padding:2px 8px;border:1px solid #ccc} "
             "table{border-collapse:collapse;margin:1em 0} .num{text-align:right} "
             f".holds{{background:{COLOURS['holds']};color:#fff}} .violated{{background:{COLOURS['violated']};color:#fff}} "
             f".unknown{{background:{COLOURS['unknown']};color:#fff}} td.violated a{{color:#fff;font-weight:bold}}")
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>sweep of {e(result.spec_name)}</title>
<style>{style}</style>
</head><body><h1>Sweep of {e(result.spec_name)}</h1>
<p>Spec configuration: {e(_base_text(result))}.</p>
<p>Swept: {swept}. Limit per point: {e(_limits_text(result))} (a point stopped by it is <i>unknown</i>).
{"Each <i>violated</i> cell links to the ladder of that point's shortest counterexample." if ladders else ""}</p>
{img}
{''.join(rows)}
<h2>Frontiers</h2>
<p>For a fault budget or the retries: the smallest value that breaks the property; for TIME-WAIT or the RTO: the largest
value that breaks it (the other axes fixed).</p>
{''.join(fr)}
</body></html>
"""


# ------------------------------------------------------------------ plot
def plot_axis(result: SweepResult) -> str:
    """The axis along the plot's x axis."""
    names = [a.name for a in result.axes]
    return next(n for n in PLOT_X_PREFERENCE if n in names)


def _figure(result: SweepResult):
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    xname = plot_axis(result)
    xaxis = result.axis(xname)
    others = [a for a in result.axes if a.name != xname]
    panels = list(itertools.product(*(a.values for a in others)))
    props = list(result.properties)
    ncols, nrows = len(xaxis.values), len(props)

    cell_w, cell_h = 0.85, 0.36          # inches
    left = 0.25 + 0.075 * max(len(p) for p in props)
    right = 2.6
    panel_h = nrows * cell_h
    title_h, above, below, legend_h = 0.5, 0.3, 0.65, 0.4
    block = above + panel_h + below
    title = f"{result.spec_name}: verdict per {xname} value (spec variant {result.base.label}, MSL {result.base.msl})"
    legend_w = 5.6 if xname == "time_wait" else 3.9
    width = max(left + ncols * cell_w + right, 0.5 + 0.095 * len(title), legend_w)  # nothing clipped
    height = title_h + len(panels) * block + legend_h

    fig = Figure(figsize=(width, height), dpi=100)
    fig.text(0.2 / width, 1 - 0.25 / height, title, fontsize=11, fontweight="bold", va="center", ha="left")
    frontier_of = {(f.property, f.axis, f.fixed): f for f in result.frontiers}
    by_coords = {p.coords: p for p in result.points}
    order = [a.name for a in result.axes]

    for k, combo in enumerate(panels):
        fixed = tuple(zip((a.name for a in others), combo))
        top = title_h + k * block + above
        ax = fig.add_axes((left / width, 1 - (top + panel_h) / height, ncols * cell_w / width, panel_h / height))
        ax.set_xlim(-0.5, ncols - 0.5)
        ax.set_ylim(nrows - 0.5, -0.5)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.set_yticks(range(nrows), props, fontsize=9)
        ax.tick_params(axis="y", length=0)
        ax.set_xticks(range(ncols), [str(v) for v in xaxis.values], fontsize=9)
        ax.set_xlabel(AXIS_LABELS[xname], fontsize=9)
        if fixed:
            ax.set_title(_coords_text(fixed), fontsize=9, loc="left")
        for i, prop in enumerate(props):
            for j, value in enumerate(xaxis.values):
                coord = dict(fixed)
                coord[xname] = value
                status = by_coords[tuple((n, coord[n]) for n in order)].verdicts[prop]
                ax.add_patch(Rectangle((j - 0.46, i - 0.42), 0.92, 0.84, facecolor=COLOURS[status],
                                       edgecolor="none"))
                ax.text(j, i, status, ha="center", va="center", fontsize=7.5, color="white")
            f = frontier_of.get((prop, xname, fixed))
            if f is None:
                continue
            if f.value is not None:
                j = xaxis.values.index(f.value)
                ax.add_patch(Rectangle((j - 0.46, i - 0.42), 0.92, 0.84, facecolor="none",
                                       edgecolor="black", linewidth=2.4))
                label = f"frontier {xname} = {f.value}"
                if f.at_range_end:
                    label += " (range end)"
            else:
                label = "never violated"
            if not f.certain:
                label += " ?"
            ax.text(ncols - 0.5 + 0.12 / cell_w, i, label, ha="left", va="center", fontsize=8.5,
                    clip_on=False)
        if xname == "time_wait":
            two_msl = result.two_msl
            values = list(xaxis.values)
            # The line sits where TIME-WAIT reaches 2*MSL: the left edge of the 2*MSL cell.
            x = values.index(two_msl) - 0.5 if two_msl in values else None
            if x is not None:
                ax.axvline(x, color="black", linestyle=(0, (4, 3)), linewidth=1.3)
                ax.text(x, -0.5, f" 2·MSL = {two_msl}", ha="left", va="bottom", fontsize=8.5)
            else:
                where = "below" if two_msl > values[-1] else "above"
                ax.text(ncols - 0.5, -0.5, f"all {where} 2·MSL = {two_msl}", ha="right", va="bottom", fontsize=8)

    handles = [Patch(facecolor=COLOURS[s], label=s) for s in ("holds", "violated", "unknown")]
    handles.append(Patch(facecolor="white", edgecolor="black", linewidth=2.4, label="frontier"))
    if xname == "time_wait":
        handles.append(Line2D([], [], color="black", linestyle=(0, (4, 3)), label="TIME-WAIT reaches 2·MSL"))
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.15 / width, 0.05 / height),
               ncol=len(handles), fontsize=8, frameon=False, handlelength=1.6, columnspacing=1.2)
    return fig


def write_plot(result: SweepResult, svg_path: Path, png_path: Path) -> None:
    """The plot as SVG and PNG, byte for byte the same for the same sweep (and matplotlib)."""
    import matplotlib

    with matplotlib.rc_context():
        matplotlib.rcdefaults()  # not the user's matplotlibrc
        matplotlib.rcParams.update({
            "svg.hashsalt": "tcpmodel-sweep",
            "svg.fonttype": "path",
            "font.family": "DejaVu Sans",
            "path.simplify": False,
        })
        fig = _figure(result)
        fig.savefig(svg_path, format="svg", metadata={"Date": None, "Creator": None})
        fig.savefig(png_path, format="png", dpi=100, metadata={"Software": None})


# ------------------------------------------------------------------ files
def write_sweep(out_dir, result: SweepResult, plot: Optional[bool] = None) -> SweepWritten:
    """Write the sweep under ``out_dir/sweep/<spec name>/``; returns the folder and files.

    ``plot`` None: draw the plot when matplotlib is installed (else say so in the notes).
    """
    notes = []
    if plot is None:
        try:
            import matplotlib  # noqa: F401
            plot = True
        except ImportError:
            plot = False
            notes.append("matplotlib is not installed: no sweep.svg/sweep.png (pip install matplotlib)")
    parent = Path(out_dir) / "sweep"
    parent.mkdir(parents=True, exist_ok=True)
    folder = parent / slug(result.spec_name)  # a safe folder name, never "..", as for check
    clean_leftovers(parent)
    staging = make_staging(parent)
    names = ["sweep.csv", "frontiers.csv", "sweep.md", "index.html"]
    try:
        (staging / "sweep.csv").write_text(_csv_points(result), encoding="utf-8", newline="")
        (staging / "frontiers.csv").write_text(_csv_frontiers(result), encoding="utf-8", newline="")
        (staging / "sweep.md").write_text(_markdown(result, plot), encoding="utf-8")
        jobs = ladder_jobs(result, staging)
        if jobs:
            (staging / "ladders").mkdir()
            _, render_notes = render_all([(source, stem) for source, stem, _ in jobs])
            notes.extend(render_notes)
            names.append("ladders")
        # a cell links to its ladder's SVG when Graphviz drew it, else to its DOT source
        ladders = {key: next(f"{stem.relative_to(staging).as_posix()}.{ext}" for ext in ("svg", "dot")
                             if stem.with_name(f"{stem.name}.{ext}").is_file() or ext == "dot")
                   for _, stem, key in jobs}
        (staging / "index.html").write_text(_html(result, plot, ladders), encoding="utf-8")
        if plot:
            write_plot(result, staging / "sweep.svg", staging / "sweep.png")
            names += ["sweep.svg", "sweep.png"]
        swap_in(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return SweepWritten(folder, [folder / n for n in names], notes)
