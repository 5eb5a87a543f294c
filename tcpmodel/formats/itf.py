"""Traces in Apalache's Informal Trace Format (ITF, Apalache ADR-015), ``*.itf.json``.

A trace is ``{"#meta": ..., "vars": [...], "states": [...], "loop": k}``; every state gives
every variable of ``vars``. Variables: ``client`` and ``server`` (TCB records, ``state`` by
RFC name), ``client_to_server`` and ``server_to_client`` (sequences of segment records, flags
as ``{"#set": [...]}``), ``loss_budget_left``, ``dup_budget_left``, and ``action``: the
action that led to the state (``{"kind": "init"}`` in the first). Integers are JSON numbers
in RFC 7159's exact range and ``{"#bigint": "..."}`` beyond it; ITF has no null, so absent
fields are left out. A lasso (a liveness counterexample) lists the states up to the end of
its cycle once: ``loop`` is the index the last state goes back to (the closing action is in
``#meta.loop_action``).
"""

from __future__ import annotations

import json
from pathlib import Path

from .data import action_data, state_data
from .jsondoc import validate

ITF_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"
VARS = ("client", "server", "client_to_server", "server_to_client", "loss_budget_left", "dup_budget_left", "action")
_SAFE = 2 ** 53 - 1  # RFC 7159: integers JSON parsers agree on


def itf_value(value, key: str = ""):
    """A plain value as an ITF expression: records stay objects (``None`` fields left out),
    lists are sequences, ``flags`` a set, big integers ``#bigint``."""
    if isinstance(value, bool) or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if -_SAFE <= value <= _SAFE else {"#bigint": str(value)}
    if isinstance(value, dict):
        return {k: itf_value(v, k) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        items = [itf_value(v) for v in value]
        return {"#set": items} if key == "flags" else items
    raise TypeError(f"no ITF encoding for {type(value).__name__}: {value!r}")


def _state(index: int, state, action) -> dict:
    d = state_data(state)
    out = {"#meta": {"index": index},
           "client": d["client"], "server": d["server"],
           "client_to_server": d["network"]["client→server"], "server_to_client": d["network"]["server→client"],
           "loss_budget_left": d["loss_budget_left"], "dup_budget_left": d["dup_budget_left"],
           "action": action}
    return {k: (v if k == "#meta" else itf_value(v)) for k, v in out.items()}


def states_to_itf(model, states, actions, meta: dict, loop: int = None) -> dict:
    """A sequence of states and the actions between them (``len(actions) == len(states) - 1``)
    as an ITF object; ``meta`` goes to ``#meta``; ``loop``, if given, is where a lasso's cycle
    starts (its last state, equal to ``states[loop]``, is then left out, as ITF wants)."""
    acts = [{"kind": "init", "text": "initial state"}] + [action_data(a, model.format_action(a)) for a in actions]
    n = len(states) - 1 if loop is not None else len(states)
    meta = {"format": "ITF", "format-description": ITF_DESCRIPTION, **meta,
            "variant": model.config.variant, "switches": list(model.config.switches)}
    if loop is not None:
        meta["loop_action"] = itf_value(acts[-1])
    doc = {"#meta": meta, "vars": list(VARS), "states": [_state(i, states[i], acts[i]) for i in range(n)]}
    if loop is not None:
        doc["loop"] = loop
    return validate(doc, "itf")


def trace_to_itf(run, name: str) -> dict:
    """The trace of property ``name`` in a :class:`~tcpmodel.run.SpecRun` as an ITF object."""
    v = run.result.verdicts[name]
    trace = v.trace
    if trace is None:
        raise ValueError(f"{run.spec.name}: {name} has no trace")
    meta = {
        "source": str(run.spec.path),
        "description": f"tcpmodel {run.spec.name}: {name} {v.status} ({v.description})",
        "spec": run.spec.name,
        "property": name,
        "status": v.status,
        "trace_kind": "witness" if v.is_witness else ("lasso" if trace.is_lasso else "counterexample"),
    }
    return states_to_itf(run.model, trace.states, trace.actions, meta, trace.loop_start if trace.is_lasso else None)


def write_itf(folder, runs) -> list:
    """``folder/<spec>/<property>.itf.json`` for every trace of every run; the paths written."""
    written = []
    for run in runs:
        for name, v in run.result.verdicts.items():
            if v.trace is None:
                continue
            path = Path(folder) / run.spec.name / f"{name}.itf.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(trace_to_itf(run, name), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            written.append(path)
    return written
