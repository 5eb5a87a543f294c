"""``tcpmodel explore --static FILE``: one self-contained HTML file (no server, no network).

The reachable graph is embedded as JSON: every state, and for every state its ordered
successor list (the same order the server uses, so a run's address means the same in both),
with each transition's texts in every language. The page's script plays it. Only specs whose
reachable graph has at most :data:`STATIC_MAX_STATES` states are exported: beyond that the
file would be too large for a course web page.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import adapter
from .page import page_html
from .session import ExplorerError, SpecSession

STATIC_MAX_STATES = 20_000


class _Interner:
    """Equal values stored once: a table, and each value's index in it."""

    def __init__(self):
        self.table, self._index = [], {}

    def __call__(self, value) -> int:
        key = json.dumps(value, sort_keys=True, ensure_ascii=False)
        i = self._index.get(key)
        if i is None:
            i = self._index[key] = len(self.table)
            self.table.append(value)
        return i


def reachable_graph(session: SpecSession, max_states: int = STATIC_MAX_STATES) -> dict:
    """The reachable graph in the page's format, breadth-first from the initial state."""
    model, props = session.model, session.props
    ids = {session.initial: 0}
    order = [session.initial]
    keys = None
    tables = {}
    edges = _Interner()
    nodes, succ = [], []
    i = 0
    while i < len(order):
        state = order[i]
        i += 1
        node = adapter.node_view(model, props, state)
        view = node["state"]
        if keys is None:
            keys = list(view)
            tables = {k: _Interner() for k in keys}
        nodes.append([[tables[k](view[k]) for k in keys], node["violated"], node["reached"], int(node["terminal"])])
        flat = []
        for action, nxt in model.successors(state):
            target = ids.get(nxt)
            if target is None:
                if len(order) >= max_states:
                    raise ExplorerError(f"spec {session.spec.name}: more than {max_states:,} reachable states; "
                                        f"--static exports specs of at most {max_states:,} states")
                target = ids[nxt] = len(order)
                order.append(nxt)
            flat += (edges(adapter.edge_view(model, props, state, action, nxt)), target)
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
