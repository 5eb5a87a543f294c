"""The JSON documents of ``check --json``, ``sweep --json`` and ``explain --json``.

Each document has ``format_version`` and ``kind``; the deterministic content (verdicts,
counts, traces) is apart from the run statistics (``run``: times, memory), so two runs of
the same spec give documents equal but for ``run``. Each is validated against its JSON Schema
(``tcpmodel/formats/schema/<kind>.schema.json``) before it is returned.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from functools import lru_cache
from importlib import resources

from .. import __version__
from ..errors import TcpModelError
from .data import FORMAT_VERSION, action_data, state_data

SCHEMAS = ("check", "sweep", "explain", "itf")


class FormatError(TcpModelError):
    """A document does not match its schema: a bug in tcpmodel, never shown as output."""


@lru_cache(maxsize=None)
def schema(kind: str) -> dict:
    """The JSON Schema of a document kind, as shipped in the package."""
    if kind not in SCHEMAS:
        raise TcpModelError(f"unknown document kind {kind!r}; allowed: {', '.join(SCHEMAS)}")
    text = resources.files(__package__).joinpath("schema", f"{kind}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def validate(doc: dict, kind: str) -> dict:
    """``doc`` if it matches the schema of ``kind``; else :class:`FormatError` naming where."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema(kind))
    error = next(iter(sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise FormatError(f"internal error: the {kind} document does not match its schema at {where}: {error.message}")
    return doc


def _head(kind: str) -> dict:
    return {"format_version": FORMAT_VERSION, "kind": kind, "tool": {"name": "tcpmodel", "version": __version__}}


def trace_data(model, trace, is_witness: bool) -> dict:
    """A trace: its kind, the initial state and each step (structured action, text, state)."""
    steps = [{"index": i + 1,
              "action": action_data(a, model.format_action(a)),
              "description": model.describe(s, a, t),
              "state": state_data(t)}
             for i, s, a, t in trace.steps()]
    kind = "witness" if is_witness else ("lasso" if trace.is_lasso else "counterexample")
    return {"kind": kind, "length": len(trace), "loop_start": trace.loop_start, "dead_end": trace.dead_end,
            "initial": state_data(trace.states[0]), "steps": steps}


def config_data(config) -> dict:
    d = asdict(config)
    d.pop("rules", None)  # derived from the variant and its switches
    d["switches"] = list(config.switches)  # the extra switches, as the spec names them
    d["active_switches"] = sorted(config.active_switches)
    return d


def spec_data(run) -> dict:
    """One checked spec, deterministic content only (no times, no memory)."""
    spec, result = run.spec, run.result
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
            "trace": trace_data(run.model, v.trace, v.is_witness) if v.trace else None,
        })
    return {
        "spec": spec.name,
        "source": str(spec.path),
        "description": spec.description,
        "variant": run.model.config.variant,
        "config": config_data(run.model.config),
        "as_expected": run.as_expected,
        "unexpected": run.unexpected(),
        "counts": run.counts,
        "expected_counts": dict(run.expected_counts),
        "complete": result.stats.complete,
        "stop_reason": result.stats.stop_reason,
        "verdicts": verdicts,
    }


def _finite(x):
    return None if x is None or not math.isfinite(x) else round(x, 6)


def run_stats(name: str, stats) -> dict:
    """What varies from run to run: times and memory."""
    return {"spec": name, "seconds": _finite(stats.seconds), "liveness_seconds": _finite(stats.liveness_seconds),
            "states_per_second": _finite(stats.states_per_second), "peak_rss_bytes": stats.peak_rss_bytes}


def check_document(runs, seconds: float = None, *, exit_code: int = None, interrupted: bool = False) -> dict:
    """The ``check --json`` document of a list of :class:`~tcpmodel.run.SpecRun`. ``exit_code``
    is the command's (default: 1 if a decided verdict or count is not as expected, else 3 if a
    verdict is unknown or ``interrupted``, else 0); ``interrupted``: specs were left unchecked."""
    if exit_code is None:
        exit_code = (1 if any(r.not_as_expected for r in runs)
                     else 3 if interrupted or any(r.undecided for r in runs) else 0)
    doc = _head("check")
    doc["as_expected"] = all(r.as_expected for r in runs)
    doc["exit_code"] = exit_code
    doc["interrupted"] = bool(interrupted)
    doc["specs"] = [spec_data(r) for r in runs]
    doc["run"] = {"seconds": _finite(seconds), "specs": [run_stats(r.spec.name, r.result.stats) for r in runs]}
    return validate(doc, "check")


def sweep_document(result, written=None) -> dict:
    """The ``sweep --json`` document of a :class:`~tcpmodel.sweep.SweepResult`."""
    from ..sweep import sweep_to_dict

    doc = _head("sweep")
    doc.update(sweep_to_dict(result))
    doc["written"] = None if written is None else str(written)
    doc["run"] = {"seconds": _finite(result.seconds),
                  "points": [{"coords": dict(p.coords), "seconds": _finite(p.seconds)} for p in result.points]}
    return validate(doc, "sweep")


def explain_document(lesson) -> dict:
    """The ``explain --json`` document of a :class:`~tcpmodel.explain.Lesson`."""
    doc = _head("explain")
    doc.update({
        "topic": lesson.topic,
        "lang": lesson.lang,
        "title": lesson.title,
        "property": lesson.property,
        "variant": lesson.variant_model.config.variant,
        "switches": list(lesson.variant_model.config.switches),
        "variant_status": lesson.variant_status,
        "real_status": lesson.real_status,
        "real_states": lesson.real_states,
        "parting_step": lesson.parting_step,
        "replayed": lesson.replayed,
        "paragraphs": list(lesson.paragraphs),
        "variant_steps": list(lesson.variant_steps),
        "real_steps": list(lesson.real_steps),
        "variant_trace": trace_data(lesson.variant_model, lesson.variant_trace, False),
        "real_trace": trace_data(lesson.real_model, lesson.real_trace, False),
    })
    return validate(doc, "explain")
