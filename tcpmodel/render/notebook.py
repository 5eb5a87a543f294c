"""Diagrams that display inline in Jupyter: ``_repr_svg_`` (Graphviz's ``dot`` makes the SVG).

    from tcpmodel import loads, run_spec
    from tcpmodel.render.notebook import ladder_view, endpoint_view
    run = run_spec(loads(text), keep_graph=True)
    run                                   # the verdict table (SpecRun._repr_html_)
    run.trace("close_delivers_all")       # the steps (TraceView._repr_html_)
    ladder_view(run, "close_delivers_all")  # the ladder diagram (SVG)
    endpoint_view(run, "server")          # the server's state diagram (SVG; needs keep_graph)
"""

from __future__ import annotations

import graphviz

from ..errors import TcpModelError
from .common import SIDE_LABELS
from .dotrun import have_dot, INSTALL_HINT
from .endpoint import endpoint_diagram, project
from .graphs import state_path
from .ladder import ladder


class Diagram:
    """A Graphviz graph that shows itself as SVG in a notebook; ``source`` is its DOT text."""

    def __init__(self, graph: graphviz.Digraph):
        self.graph = graph

    @property
    def source(self) -> str:
        return self.graph.source

    def svg(self) -> str:
        if not have_dot():
            raise TcpModelError(INSTALL_HINT)
        return graphviz.pipe("dot", "svg", self.source.encode("utf-8"), quiet=True).decode("utf-8")

    def _repr_svg_(self) -> str:
        return self.svg()


def _outcome(verdict) -> str:
    return "witness" if verdict.is_witness else "violation"


def _traced(run, name):
    verdict = run.result.verdicts.get(name)
    if verdict is None or verdict.trace is None:
        raise TcpModelError(f"{run.spec.name}: no trace for {name!r}; traces: "
                            f"{', '.join(n for n, v in run.result.verdicts.items() if v.trace is not None) or 'none'}")
    return verdict


def ladder_view(run, name: str) -> Diagram:
    """The ladder (message-sequence) diagram of a property's trace."""
    v = _traced(run, name)
    return Diagram(ladder(v.trace, f"{run.spec.name}: {name} ({len(v.trace)} steps)", _outcome(v)))


def path_view(run, name: str) -> Diagram:
    """A property's trace as a path through the global state graph."""
    v = _traced(run, name)
    return Diagram(state_path(v.trace, f"{run.spec.name}: {name} ({len(v.trace)} steps)", _outcome(v)))


def endpoint_view(run, side: str) -> Diagram:
    """One endpoint's state diagram (``"client"`` or ``"server"``); the run must have kept its graph."""
    if side not in SIDE_LABELS:
        raise TcpModelError(f"unknown endpoint {side!r}; allowed: {', '.join(SIDE_LABELS)}")
    graph = run.result.state_graph
    if graph is None:
        raise TcpModelError(f"{run.spec.name}: the reachable graph was not kept: run_spec(..., keep_graph=True)")
    index = SIDE_LABELS.index(side)
    return Diagram(endpoint_diagram(project(graph, index), index, f"{run.spec.name}: {side} states"))
