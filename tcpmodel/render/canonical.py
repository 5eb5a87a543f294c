"""Canonical runs for documentation, drawn as a textbook would (``tcpmodel diagram``).

A canonical run is chosen among the runs the checker explored (the reachable graph of a
``specs/canonical_*.toml`` spec, kept by the check): the shortest path that passes given
milestones in order, taking only steps of a *prompt network*, in which every segment is
delivered exactly one tick after it was sent (a segment is delivered only at age 1, and time
moves on only when every segment in flight is at age 0). Each arrow of the ladder then
spans one tick, as in a textbook. Faults appear only when the run is about one (the lost
last ACK). Every step is an edge of the checked graph, so every run drawn is a run of the model.
"""

from __future__ import annotations

import html
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..engine import HOLDS, Trace, Verdict
from ..run import SpecRun
from ..spec import safe_text
from ..tcp.properties import WITNESSES
from ..tcp.actions import delivered_segment, direction_of, kind, segment_of
from ..tcp.tcb import C2S, CLIENT, ESTABLISHED, FIN, S2C, SERVER, TIME_WAIT
from .common import SIDE_LABELS
from .dotrun import inline_svg, render_all
from .endpoint import endpoint_diagram, merge, project
from .ladder import ladder

DELAY = 1  # ticks every segment spends in the network in a canonical run

StepPredicate = Callable[[object, object, object], bool]


def prompt(s, a, t) -> bool:
    """Is this step one of a prompt network's? Deliver only at age DELAY; tick only when no
    segment in flight has reached DELAY (so none waits longer)."""
    name = kind(a)
    if name == "deliver":
        return segment_of(a).age == DELAY
    if name == "tick":
        return all(seg.age < DELAY for seg in s.c2s) and all(seg.age < DELAY for seg in s.s2c)
    return True


def _both_established(s, a, t):
    return t.client.state == ESTABLISHED and t.server.state == ESTABLISHED


def _both_closed(s, a, t):
    return t.no_connection


def _last_ack_lost(s, a, t):
    return kind(a) == "lose" and direction_of(a) == C2S and s.client.state == TIME_WAIT


def _fin_into_time_wait(s, a, t):
    seg = delivered_segment(a)
    return seg is not None and direction_of(a) == S2C and bool(seg.flags & FIN) and s.client.state == TIME_WAIT


@dataclass(frozen=True)
class Canonical:
    """One documentation ladder: which spec's graph, and the milestones its run passes in order."""

    name: str
    spec: str
    title: str
    milestones: Tuple[StepPredicate, ...]


CANONICAL = (
    Canonical("three_way_handshake", "canonical_fifo", "Three-way handshake: SYN, SYN,ACK, ACK",
              (WITNESSES["three_way_handshake"][0],)),
    Canonical("four_step_close", "canonical_fifo",
              "Four-step close with half-close: FIN, ACK, data, FIN, ACK, then TIME-WAIT for 2MSL",
              (WITNESSES["four_step_close"][0], WITNESSES["time_wait_completed"][0])),
    Canonical("simultaneous_open", "canonical_simultaneous", "Simultaneous open: the SYNs cross",
              (WITNESSES["simultaneous_open"][0], _both_established)),
    Canonical("simultaneous_close", "canonical_simultaneous", "Simultaneous close: the FINs cross (CLOSING)",
              (WITNESSES["simultaneous_close"][0], _both_closed)),
    Canonical("time_wait_lost_ack", "canonical_lost_ack",
              "Why TIME-WAIT: the last ACK is lost, the retransmitted FIN is acknowledged again",
              (_last_ack_lost, _fin_into_time_wait, WITNESSES["time_wait_completed"][0])),
)


def canonical_trace(graph, milestones: Sequence[StepPredicate], allowed: StepPredicate = prompt) -> Optional[Trace]:
    """The shortest path of ``graph`` from an initial state that takes only ``allowed`` steps
    and passes every milestone (a step predicate) in order; None if there is none.

    Breadth-first over (state, milestones passed so far), edges in the graph's stored order,
    so the choice is deterministic."""
    states, offsets, targets, aids, actions = graph.states, graph.offsets, graph.targets, graph.action_ids, graph.actions
    goal = len(milestones)
    parent: Dict[Tuple[int, int], Tuple[Tuple[int, int], int]] = {}
    frontier = [(i, 0) for i in range(graph.n_init)]
    seen = set(frontier)
    while frontier:
        nxt = []
        for node in frontier:
            i, k = node
            s = states[i]
            for e in range(offsets[i], offsets[i + 1]):
                a = actions[aids[e]]
                j = targets[e]
                t = states[j]
                if not allowed(s, a, t):
                    continue
                k2 = k + 1 if milestones[k](s, a, t) else k
                child = (j, k2)
                if child in seen:
                    continue
                seen.add(child)
                parent[child] = (node, e)
                if k2 == goal:
                    return _rebuild(graph, parent, child)
                nxt.append(child)
        frontier = nxt
    return None


def _rebuild(graph, parent, node) -> Trace:
    ids, edges = [node[0]], []
    while node in parent:
        node, e = parent[node]
        ids.append(node[0])
        edges.append(e)
    ids.reverse()
    edges.reverse()
    return Trace(tuple(graph.states[i] for i in ids), tuple(graph.actions[graph.action_ids[e]] for e in edges))


@dataclass
class CanonicalRun:
    item: Canonical
    run: object          # the SpecRun whose graph it was chosen from
    trace: Trace


def canonical_runs(runs) -> Tuple[List[CanonicalRun], List[str]]:
    """The canonical runs found in ``runs`` (SpecRuns checked with ``keep_graph``), and notes
    for those whose spec was not given or whose graph holds no such run."""
    by_name = {run.spec.name: run for run in runs}
    found, notes = [], []
    for item in CANONICAL:
        run = by_name.get(item.spec)
        graph = run.result.state_graph if run is not None else None
        trace = canonical_trace(graph, item.milestones) if graph is not None and graph.offsets is not None else None
        if trace is None:
            notes.append(f"docs: no canonical {item.name} run (spec {item.spec} not checked with its graph, "
                         f"or it holds no such run on a prompt network)")
            continue
        found.append(CanonicalRun(item, run, trace))
    return found, notes


def write_canonical_docs(out_dir, runs):
    """The documentation set under ``out_dir`` (e.g. out/docs): a ladder per canonical run
    (``<name>.ladder.{dot,svg,png}`` and its steps as text), the client's and the server's
    state diagrams and both merged as ``figure5`` (laid out like RFC 9293 Figure 5, counts
    hidden), and an index page. Replaced only when complete."""
    # outputs imports this package's modules
    from .outputs import (OutputError, Written, _steps_table, _trace_text, check_out_dir, clean_leftovers,
                          make_staging, swap_in)

    root = Path(out_dir)
    check_out_dir(root.parent)
    clean_leftovers(root.parent)
    staging = make_staging(root.parent)  # becomes root itself: made 0755, not mkdtemp's 0700
    try:
        found, notes = canonical_runs(runs)
        jobs = []
        for c in found:
            jobs.append((ladder(c.trace, c.item.title, "none", msl=c.run.spec.config.msl).source,
                         staging / f"{c.item.name}.ladder"))
            as_run = _TraceRun(c)
            (staging / f"{c.item.name}.txt").write_text(_trace_text(as_run, as_run.name), encoding="utf-8")
        names = ", ".join(sorted(run.spec.name for run in runs))
        graphs = [run.result.state_graph for run in runs if run.result.state_graph is not None]
        sides = [merge(project(g, side) for g in graphs) for side in (CLIENT, SERVER)]
        for side in (CLIENT, SERVER):
            title = f"TCP {SIDE_LABELS[side]}: states and transitions reached\n({names})"
            jobs.append((endpoint_diagram(sides[side], side, title, show_counts=False).source,
                         staging / SIDE_LABELS[side]))
        jobs.append((endpoint_diagram(merge(sides), None, f"TCP connection states, both endpoints ({names})\n"
                                      "dashed grey: Figure 5 edges never exercised; blue: beyond Figure 5",
                                      show_counts=False).source, staging / "figure5"))
        svgs, render_notes = render_all(jobs)
        notes.extend(render_notes)
        svgs = {Path(k).name: v for k, v in svgs.items()}
        parts = []
        for c in found:
            parts.append(f"<h2>{html.escape(c.item.title)}</h2><p>from spec {html.escape(c.run.spec.name)}, "
                         f"{len(c.trace)} steps</p><div class='diagram'>{inline_svg(svgs.get(c.item.name + '.ladder'))}</div>")
            as_run = _TraceRun(c)
            parts.append(_steps_table(as_run, as_run.result.verdicts[as_run.name]))
        for stem in ("figure5",) + SIDE_LABELS:
            parts.append(f"<h2>{stem} state diagram</h2><div class='diagram'>{inline_svg(svgs.get(stem))}</div>")
        (staging / "index.html").write_text(
            "<!doctype html><html><head><meta charset='utf-8'><title>tcpmodel: TCP diagrams</title>"
            "<style>body{font-family:sans-serif;margin:2em} .diagram svg{max-width:100%;height:auto}"
            " td,th{padding:2px 8px;text-align:left}</style></head><body><h1>TCP connection management, drawn from the model</h1>\n"
            + "\n".join(parts) + "\n</body></html>\n", encoding="utf-8")
        swap_in(staging, root)
    except OSError as exc:
        raise OutputError(f"writing {safe_text(str(root), 200)}: {safe_text(exc.strerror or exc)}"
                          + ("" if exc.filename is None else f" ({safe_text(str(exc.filename), 200)})")) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Written(root, root / "index.html", notes)


class _TraceRun:
    """A canonical run as the report helpers of outputs.py read a checked run: its spec, its
    model, and the run as the one witness of a verdict named after it."""

    def __init__(self, c: CanonicalRun):
        self.model = c.run.model
        self.spec = c.run.spec
        self.name = c.item.name
        self.result = SimpleNamespace(verdicts={self.name: Verdict(self.name, "sometimes_step", HOLDS, c.trace,
                                                                   c.item.title)})

    def trace_text(self, name: str, indent: str = "") -> List[str]:
        """The run's steps as the one trace printer (``SpecRun.trace_text``) prints them."""
        return SpecRun.trace_text(self, name, indent)
