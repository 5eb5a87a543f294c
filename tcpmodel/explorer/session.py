"""Playing a spec: replaying a run (action indices) through the model, the page's view of it,
and the checker's counterexamples and witnesses mapped to runs.

A *run* is a list of indices, one per step, each into the ordered successor list of the state
reached so far (the model's successors come in a fixed order, so a run is a stable address:
``/?spec=rfc9293&run=0.3.1.2``). Runs start at the model's first initial state.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Optional, Sequence
from urllib.parse import urlencode

from ..engine import Trace
from ..errors import TcpModelError
from ..run import build_model, run_spec
from ..spec import Spec, load
from . import adapter

MAX_RUN_LENGTH = 500     # longer runs are refused (a URL is not a place for more)
MAX_BUDGET = 3           # the page may raise the fault budgets up to this
_SUCCESSOR_CACHE = 4096  # states whose successor lists are kept per spec


class ExplorerError(TcpModelError):
    """A request the explorer cannot serve: ``status`` is the HTTP status it means (400, 404)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def parse_run(text: Optional[str]) -> List[int]:
    """``"0.3.1.2"`` -> ``[0, 3, 1, 2]``; empty or missing -> ``[]``."""
    if not text:
        return []
    parts = text.split(".")
    if len(parts) > MAX_RUN_LENGTH:
        raise ExplorerError(f"run: at most {MAX_RUN_LENGTH} steps, got {len(parts)}")
    if not all(p.isdigit() and len(p) <= 6 for p in parts):
        raise ExplorerError(f"run: expected action indices separated by dots (e.g. 0.3.1), got {text[:80]!r}")
    return [int(p) for p in parts]


def format_run(run: Sequence[int]) -> str:
    return ".".join(str(i) for i in run)


def explorer_link(spec: str, run: Optional[Sequence[int]] = None, trace: Optional[str] = None,
                  step: Optional[int] = None, lang: Optional[str] = None, base: str = "/") -> str:
    """The explorer's address of a run, or of a spec's counterexample/witness ``trace`` at
    ``step`` (default: its last), for report and lesson pages to link to."""
    query = [("spec", spec)]
    if run is not None:
        query.append(("run", format_run(run)))
    if trace is not None:
        query.append(("trace", trace))
        if step is not None:
            query.append(("step", str(step)))
    if lang is not None:
        query.append(("lang", lang))
    return base + "?" + urlencode(query, safe=".")


def parse_budget(name: str, text: Optional[str]) -> Optional[int]:
    if text is None or text == "":
        return None
    if not text.isdigit() or int(text) > MAX_BUDGET:
        raise ExplorerError(f"{name}: a fault budget from 0 to {MAX_BUDGET}, got {text[:20]!r}")
    return int(text)


class SpecSession:
    """One spec (with the page's fault budgets): its model, properties and checked traces."""

    def __init__(self, spec: Spec, loss: Optional[int] = None, dup: Optional[int] = None):
        config = adapter.budgets_override(spec.config, loss, dup)
        self.spec = spec if config is spec.config else dataclasses.replace(spec, config=config)
        self.model, self.props = build_model(self.spec)  # the spec with the page's budgets
        self.initial = self.model.init_states()[0]
        self._successors: "OrderedDict" = OrderedDict()
        self._lock = threading.Lock()   # the model's memo tables are not meant for threads
        self._check_lock = threading.Lock()  # one checker run per session; clicks go on meanwhile
        self._traces = None

    # ------------------------------------------------------------------ replay
    def successors(self, state):
        with self._lock:
            cached = self._successors.get(state)
            if cached is None:
                cached = self._successors[state] = self.model.successors(state)
                if len(self._successors) > _SUCCESSOR_CACHE:
                    self._successors.popitem(last=False)  # the least recently used
            else:
                self._successors.move_to_end(state)
            return cached

    def replay(self, run: Sequence[int]):
        """The states and actions of ``run``; a bad index is an error naming the step."""
        states, actions = [self.initial], []
        for step, index in enumerate(run, 1):
            succ = self.successors(states[-1])
            if not 0 <= index < len(succ):
                allowed = f"0..{len(succ) - 1}" if succ else "none (no action is enabled there)"
                raise ExplorerError(f"run: step {step} chooses action {index}; allowed: {allowed}")
            action, nxt = succ[index]
            actions.append(action)
            states.append(nxt)
        return states, actions

    def view(self, run: Sequence[int]) -> dict:
        """Everything the page shows for ``run``: the states along it, its steps, and the
        actions enabled at its end (each with the index that extends the run)."""
        states, actions = self.replay(run)
        model, props = self.model, self.props
        nodes = [adapter.node_view(model, props, s) for s in states]
        edges = [adapter.edge_view(model, props, s, a, t) for s, a, t in zip(states, actions, states[1:])]
        last = states[-1]
        enabled = [adapter.edge_view(model, props, last, a, t) for a, t in self.successors(last)]
        for i, e in enumerate(enabled):
            e["index"] = i
        return {"spec": self.spec.name, "run": list(run), "nodes": nodes, "edges": edges, "enabled": enabled}

    def info(self) -> dict:
        spec = self.spec
        return {
            "name": spec.name,
            "description": spec.description,
            "parameters": adapter.parameters(spec.config),
            "properties": adapter.property_info(self.props, spec.expect, spec.explain),
            "sides": list(adapter.SIDES),
            "directions": list(adapter.DIRECTIONS),
            "groups": list(adapter.GROUPS),
        }

    # ------------------------------------------------------------------ the checker's traces
    def traces(self) -> List[dict]:
        """Every counterexample and witness the checker finds for this spec, each as a run
        (with its steps' texts, for the page to show the steps still ahead).

        The checker runs once per session (run_spec, the one path from a spec to a result);
        each trace is mapped to action indices by replaying it through the successor lists."""
        with self._check_lock:
            if self._traces is None:
                # One process (not processes=2): this one serves requests on threads, and a
                # fork copies a threaded process's locks in whatever state they are.
                result = run_spec(self.spec, processes=1).result
                self._traces = [self.trace_entry(name, v) for name, v in result.verdicts.items()
                                if v.trace is not None]
        return [dict(t) for t in self._traces]

    def trace_entry(self, name: str, verdict) -> dict:
        """One verdict's trace as the page lists it: what it is, its run, its steps' texts."""
        trace = verdict.trace
        what = "witness" if verdict.is_witness else ("lasso" if trace.is_lasso else "counterexample")
        run = self.trace_to_run(trace)
        texts = [{lang: self.model.describe(s, a, t, lang) for lang in adapter.LANGS} for _, s, a, t in trace.steps()]
        return {"name": name, "status": verdict.status, "what": what, "loop_start": trace.loop_start,
                "run": run, "steps": len(run), "texts": texts}

    def trace_to_run(self, trace: Trace) -> List[int]:
        run = []
        for i, s, a, t in trace.steps():
            succ = self.successors(s)
            try:
                run.append(succ.index((a, t)))
            except ValueError:
                raise ExplorerError(f"step {i + 1} of a trace is not a successor of its state", 500) from None
        return run

    def trace_run(self, name: str) -> List[int]:
        for t in self.traces():
            if t["name"] == name:
                return t["run"]
        names = [t["name"] for t in self.traces()]
        raise ExplorerError(f"trace: {self.spec.name} has no counterexample or witness named {name!r}; "
                            f"it has: {', '.join(names) or 'none'}", 404)

    # ------------------------------------------------------------------ exports
    def run_trace(self, run: Sequence[int]) -> Trace:
        states, actions = self.replay(run)
        return Trace(tuple(states), tuple(actions))

    def run_itf(self, run: Sequence[int]) -> dict:
        """The run in Apalache's Informal Trace Format (the checker's ITF encoding of states)."""
        from ..formats.itf import states_to_itf

        states, actions = self.replay(run)
        meta = {"source": str(self.spec.path), "spec": self.spec.name, "run": format_run(run),
                "description": f"tcpmodel explorer run of {self.spec.name}", "trace_kind": "run"}
        return states_to_itf(self.model, states, actions, meta)

    def run_json(self, run: Sequence[int]) -> dict:
        """The run as JSON, with its address: the same document as the page's JSON export
        (app.js ``runJson``), in the shape of the checker's trace JSON (initial state, then per
        step the action, its description and the state reached)."""
        return run_document(self.view(run), self.spec.name, adapter.parameters(self.spec.config))


def run_document(view: dict, spec: str, parameters: dict) -> dict:
    nodes, edges = view["nodes"], view["edges"]
    return {
        "spec": spec, "run": format_run(view["run"]), "parameters": parameters,
        "trace": {
            "initial": nodes[0]["state"],
            "steps": [{"index": i + 1, "action": e["label"]["en"], "description": e["text"]["en"],
                       "state": nodes[i + 1]["state"]} for i, e in enumerate(edges)],
            "loop_start": None,
            "dead_end": not view["enabled"],
        },
    }


class Catalogue:
    """The specs the explorer can open: every ``*.toml`` of a folder, by name, plus files."""

    def __init__(self, folder=None, files: Sequence = ()):
        self._paths: Dict[str, Path] = {}
        if folder is not None and Path(folder).is_dir():
            for p in sorted(Path(folder).glob("*.toml")):
                self._paths[p.stem] = p
        for f in files:
            spec = load(f)  # a bad spec file named on the command line is an error at once
            self._paths[spec.name] = Path(f)
        self._specs: Dict[str, Spec] = {}
        self._sessions: "OrderedDict" = OrderedDict()
        self._lock = threading.Lock()

    def names(self) -> List[str]:
        return list(self._paths)

    def spec(self, name: str) -> Spec:
        if name not in self._paths:
            raise ExplorerError(f"spec: no spec named {name!r}; available: {', '.join(self._paths) or 'none'}", 404)
        with self._lock:
            if name not in self._specs:
                self._specs[name] = load(self._paths[name])
            return self._specs[name]

    def session(self, name: str, loss: Optional[int] = None, dup: Optional[int] = None) -> SpecSession:
        key = (name, loss, dup)
        spec = self.spec(name)
        with self._lock:
            s = self._sessions.get(key)
            if s is None:
                s = self._sessions[key] = SpecSession(spec, loss, dup)
                if len(self._sessions) > 32:
                    self._sessions.popitem(last=False)
            return s
