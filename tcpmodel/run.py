"""Checking specs: spec -> TCP model -> engine -> a :class:`SpecRun` (no printing here).

Also turns results into plain data (dicts) for JSON and reports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable, Optional

from .engine import Result, check, simulate
from .spec import Spec
from .tcp import TcpModel, build
from .tcp.tcb import DIRECTION_NAMES, STATE_NAMES, format_segment


@dataclass
class SpecRun:
    """One spec checked: the spec, its model and the engine's result."""

    spec: Spec
    model: TcpModel
    result: Result

    def rows(self):
        """(property, verdict status, expected, as expected?) in the spec's order."""
        for name, expected in self.spec.expect.items():
            v = self.result.verdicts[name]
            yield name, v.status, expected, v.status == expected

    @property
    def as_expected(self) -> bool:
        return all(ok for *_, ok in self.rows())


def run_spec(spec: Spec, progress: Optional[Callable] = None, keep_graph: bool = False,
             max_states: Optional[int] = None, max_seconds: Optional[float] = None) -> SpecRun:
    model = TcpModel(spec.config)
    result = check(
        model,
        build(spec.properties),
        max_states=max_states if max_states is not None else spec.max_states,
        max_seconds=max_seconds if max_seconds is not None else spec.max_seconds,
        progress=progress,
        keep_graph=keep_graph,
    )
    return SpecRun(spec, model, result)


def simulate_spec(spec: Spec, walks: int, max_depth: int, seed: int,
                  max_seconds: Optional[float] = None) -> SpecRun:
    """Seeded random walks instead of exhaustive exploration (the result's mode says so)."""
    model = TcpModel(spec.config)
    result = simulate(model, build(spec.properties), walks=walks, max_depth=max_depth, seed=seed,
                      max_seconds=max_seconds if max_seconds is not None else spec.max_seconds)
    return SpecRun(spec, model, result)


def state_to_dict(state) -> dict:
    """A model state as plain data: both TCBs (with RFC state names) and the network."""
    out = {}
    for side, tcb in zip(("client", "server"), state[:2]):
        d = tcb._asdict()
        d["state"] = STATE_NAMES[tcb.state]
        out[side] = d
    for direction, chan in zip(DIRECTION_NAMES, state[2:4]):
        out[direction] = [dict(seg._asdict(), text=format_segment(seg)) for seg in chan]
    out["loss_budget_left"], out["dup_budget_left"] = state[4], state[5]
    return out


def trace_to_dict(model: TcpModel, trace) -> dict:
    steps = []
    for i, s, a, t in trace.steps():
        steps.append({
            "index": i + 1,
            "action": model.format_action(a),
            "description": model.describe(s, a, t),
            "state": state_to_dict(t),
        })
    return {
        "initial": state_to_dict(trace.states[0]),
        "steps": steps,
        "loop_start": trace.loop_start,
        "dead_end": trace.dead_end,
    }


def run_to_dict(run: SpecRun) -> dict:
    spec, result = run.spec, run.result
    stats = result.stats
    config = asdict(spec.config)
    config.pop("switches")
    verdicts = []
    for name, status, expected, ok in run.rows():
        v = result.verdicts[name]
        verdicts.append({
            "property": name,
            "kind": v.kind,
            "status": status,
            "expected": expected,
            "as_expected": ok,
            "description": v.description,
            "explanation": spec.explain.get(name, ""),
            "trace": trace_to_dict(run.model, v.trace) if v.trace else None,
        })
    return {
        "spec": spec.name,
        "path": str(spec.path),
        "description": spec.description,
        "variant": spec.config.variant,
        "config": config,
        "as_expected": run.as_expected,
        "stats": {
            "states": stats.states,
            "transitions": stats.transitions,
            "depth": stats.depth,
            "complete": stats.complete,
            "stop_reason": stats.stop_reason,
            "seconds": round(stats.seconds, 3),
            "peak_rss_bytes": stats.peak_rss_bytes,
        },
        "verdicts": verdicts,
    }
