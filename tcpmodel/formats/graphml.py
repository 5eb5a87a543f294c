"""The reachable graph as GraphML (readable by networkx, Gephi, yEd): scalar attributes only.

Nodes are the state indices in discovery (BFS) order, ``n0`` first. Node attributes:
``initial``, ``client_state``, ``server_state`` (RFC names), each TCB field as
``client.<field>`` / ``server.<field>``, ``client_to_server`` / ``server_to_client`` (the
segments in flight as display text, ``; ``-separated), ``in_flight`` (their number),
``loss_budget_left``, ``dup_budget_left`` and ``label``. Edge attributes: ``kind``, ``actor``
and ``direction`` (empty when none), ``flags`` (``SYN,ACK``), ``text``.
"""

from __future__ import annotations

from ..errors import TcpModelError
from .data import action_data, state_data


def _node_attrs(state, initial: bool) -> dict:
    d = state_data(state)
    attrs = {"initial": initial, "client_state": d["client"]["state"], "server_state": d["server"]["state"]}
    for side in ("client", "server"):
        for k, v in d[side].items():
            if k != "state":
                attrs[f"{side}.{k}"] = v
    flight = 0
    for direction, key in (("client→server", "client_to_server"), ("server→client", "server_to_client")):
        segs = d["network"][direction]
        attrs[key] = "; ".join(s["text"] for s in segs)
        flight += len(segs)
    attrs["in_flight"] = flight
    attrs["loss_budget_left"] = d["loss_budget_left"]
    attrs["dup_budget_left"] = d["dup_budget_left"]
    attrs["label"] = f"{attrs['client_state']} | {attrs['server_state']}"
    return attrs


def graph_to_networkx(run):
    """The run's reachable graph as a networkx ``MultiDiGraph`` with scalar attributes; the
    run must have kept its graph (``run_spec(..., keep_graph=True)``)."""
    import networkx as nx

    graph = run.result.graph()  # raises if the graph was not kept
    model = run.model
    out = nx.MultiDiGraph(name=f"{run.spec.name} reachable states", spec=run.spec.name,
                          variant=model.config.variant, switches=",".join(model.config.switches))
    for node, data in graph.nodes(data=True):
        out.add_node(f"n{node}", **_node_attrs(data["state"], bool(data["initial"])))
    texts = {}
    for u, v, data in graph.edges(data=True):
        a = data["action"]
        if a not in texts:
            d = action_data(a, model.format_action(a))
            texts[a] = {"kind": d["kind"], "actor": d["actor"] or "", "direction": d.get("direction", ""),
                        "flags": ",".join(d["segment"]["flags"]) if "segment" in d else "", "text": d["text"]}
        out.add_edge(f"n{u}", f"n{v}", **texts[a])
    return out


def write_graphml(path, run) -> None:
    import networkx as nx

    if run.result.stats.states == 0:
        raise TcpModelError(f"{run.spec.name}: no states to write")
    nx.write_graphml(graph_to_networkx(run), str(path))
