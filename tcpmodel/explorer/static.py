"""``tcpmodel explore --static FILE``: one self-contained HTML file (no server, no network).

The reachable graph is embedded as JSON: every state, and for every state its ordered
successor list (the same order the server uses, so a run's address means the same in both),
with each transition's texts in every language. The page's script plays it. Only specs whose
reachable graph has at most :data:`STATIC_MAX_STATES` states are exported: beyond that the
file would be too large for a course web page.
"""

from __future__ import annotations

from pathlib import Path

from . import adapter
from .page import page_html
from .session import ExplorerError, SpecSession

STATIC_MAX_STATES = 20_000


def _freeze(value):
    """A hashable copy of plain JSON-like data (dicts in key order, as built)."""
    if isinstance(value, dict):
        return tuple((k, _freeze(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


class _Interner:
    """Equal values stored once: a table, and each value's index in it."""

    def __init__(self):
        self.table, self._index = [], {}

    def __call__(self, value) -> int:
        key = _freeze(value)
        i = self._index.get(key)
        if i is None:
            i = self._index[key] = len(self.table)
            self.table.append(value)
        return i


def reachable_graph(session: SpecSession, max_states: int = STATIC_MAX_STATES) -> dict:
    """The reachable graph in the page's format, breadth-first from the initial state.

    The states are found first (cheap), so a spec over the bound is refused at once; only then
    is each state and transition turned into what the page shows."""
    model, props = session.model, session.props
    ids = {session.initial: 0}
    order = [session.initial]
    moves = []
    i = 0
    while i < len(order):
        state = order[i]
        i += 1
        out = model.successors(state)
        for _, nxt in out:
            if nxt not in ids:
                if len(order) >= max_states:
                    raise ExplorerError(f"spec {session.spec.name}: more than {max_states:,} reachable states; "
                                        f"--static exports specs of at most {max_states:,} states")
                ids[nxt] = len(order)
                order.append(nxt)
        moves.append(out)
    keys = None
    tables = {}
    edges = _Interner()
    nodes, succ = [], []
    for state, out in zip(order, moves):
        view = adapter.node_view(model, props, state)
        if keys is None:
            keys = list(view["state"])
            tables = {k: _Interner() for k in keys}
        nodes.append([[tables[k](view["state"][k]) for k in keys], view["violated"], view["reached"],
                      int(view["terminal"])])
        flat = []
        for action, nxt in out:
            flat += (edges(adapter.edge_view(model, props, state, action, nxt)), ids[nxt])
        succ.append(flat)
    return {"keys": keys, "tables": {k: t.table for k, t in tables.items()}, "nodes": nodes,
            "edges": edges.table, "succ": succ}


def static_page(session: SpecSession, max_states: int = STATIC_MAX_STATES) -> str:
    graph = reachable_graph(session, max_states)
    traces = session.traces()
    boot = {"mode": "static", "spec": session.info(), "graph": graph, "traces": traces}
    return page_html(boot)


def write_static(session: SpecSession, path, max_states: int = STATIC_MAX_STATES) -> dict:
    """Write the static page; returns what the CLI reports (states, bytes)."""
    text = static_page(session, max_states)
    data = text.encode("utf-8")
    Path(path).write_bytes(data)
    return {"path": str(path), "bytes": len(data)}
