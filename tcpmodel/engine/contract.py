"""The engine's contract with models and properties, checked where it costs nothing.

Arguments and initial states are checked before exploration, and the successors of the first
initial states eagerly. The hot loop itself checks nothing: when it fails, :func:`diagnose`
re-runs the failing state's step with every contract check on, and names the contract broken
(a property whose predicate raised, with the state shown, truncated) in a
:class:`ModelDefinitionError`, never a bare ``TypeError``.
"""

from __future__ import annotations

import math

from ..errors import ModelDefinitionError, TcpModelError
from .model import is_terminal_of
from .properties import ALWAYS, INITIAL, LEADS_TO, SOMETIMES, Property

FIRST_CHECKED = 8  # initial states whose successors are checked before exploring
SHOW = 200  # characters of a state shown in an error


def short(x, limit: int = SHOW) -> str:
    """``repr(x)`` cut to ``limit`` characters (a broken ``__repr__`` is named, not raised)."""
    try:
        text = repr(x)
    except Exception:
        text = f"<{type(x).__qualname__} with a failing __repr__>"
    return text if len(text) <= limit else text[:limit] + f"... ({len(text):,} characters)"


def _text(exc, limit: int = 300) -> str:
    """An exception's message, cut to ``limit`` characters."""
    try:
        text = str(exc)
    except Exception:
        text = "<an exception whose message cannot be shown>"
    return text if len(text) <= limit else text[:limit] + "..."


def _limit(name, value, integral):
    ok = isinstance(value, int) and not isinstance(value, bool)
    if not integral:
        ok = (ok or isinstance(value, float)) and math.isfinite(value)
    if not ok or value < 0:
        what = "an int >= 0" if integral else "a finite number of seconds >= 0"
        raise ModelDefinitionError(f"{name} must be {what} or None, got {short(value, 60)}")


def check_arguments(model, properties, max_states, max_seconds, max_memory, progress, progress_interval,
                    keep_graph, store, stores, processes=None) -> tuple:
    """Check check()'s arguments; return the properties as a tuple."""
    for method in ("init_states", "successors"):
        if not callable(getattr(model, method, None)):
            raise ModelDefinitionError(f"the model ({type(model).__qualname__}) has no {method}() method: a model "
                                       "gives init_states() and successors(state)")
    if isinstance(properties, Property):
        raise ModelDefinitionError(f"properties must be a list of properties, got a single Property "
                                   f"{properties.name!r}: pass [{properties.name}]")
    if isinstance(properties, (str, bytes)) or not hasattr(properties, "__iter__"):
        raise ModelDefinitionError(f"properties must be a list of properties, got {short(properties, 60)}")
    properties = tuple(properties)
    names = set()
    for p in properties:
        if not isinstance(p, Property):
            raise ModelDefinitionError(f"not a property: {short(p, 80)} (build one with Always, Step, Sometimes, ...)")
        if p.name in names:
            raise ModelDefinitionError(f"two properties are named {p.name!r}; names must be unique")
        names.add(p.name)
    for name, value, integral in (("max_states", max_states, True), ("max_seconds", max_seconds, False),
                                  ("max_memory", max_memory, True)):
        if value is not None:
            _limit(name, value, integral)
    if progress is not None and not callable(progress):
        raise ModelDefinitionError(f"progress must be callable or None, got {short(progress, 60)}")
    if isinstance(progress_interval, bool) or not isinstance(progress_interval, (int, float)) or not progress_interval >= 0:
        raise ModelDefinitionError(f"progress_interval must be a number of seconds >= 0, got {short(progress_interval, 60)}")
    if processes is not None and (isinstance(processes, bool) or processes not in (1, 2)):
        raise ModelDefinitionError(f"processes must be 1, 2 or None (2 where a second core is free), "
                                   f"got {short(processes, 60)}")
    if store not in stores:
        raise ModelDefinitionError(f"store must be one of {', '.join(map(repr, stores))}, got {short(store, 60)}")
    if keep_graph and store != "exact":
        raise ModelDefinitionError("keep_graph=True needs store='exact': the fingerprint store does not keep states")
    return properties


def initial_states(model) -> list:
    """The model's initial states, checked: a non-empty collection of hashable states."""
    try:
        init = model.init_states()
    except Exception as exc:
        raise _raised("model.init_states()", exc) from exc
    if init is None or isinstance(init, (str, bytes)) or not hasattr(init, "__iter__"):
        raise ModelDefinitionError(f"model.init_states() returned {short(init, 60)}: it must return a list of "
                                   "initial states")
    init = list(init)
    if not init:
        raise ModelDefinitionError("the model has no initial state: init_states() returned an empty list")
    for s in init:
        if not _hashable(s):
            raise ModelDefinitionError(f"states must be hashable: the initial state {short(s)} is a "
                                       f"{type(s).__qualname__}, which is not")
    return init


def _hashable(x) -> bool:
    try:
        hash(x)
    except Exception:
        return False
    return True


def _raised(what, exc) -> ModelDefinitionError:
    return ModelDefinitionError(f"{what} raised {type(exc).__name__}: {_text(exc)}")


def successors_problem(succs):
    """What is wrong with a ``successors(state)`` return value, or None."""
    shape = "a list or tuple of (action, next_state) pairs (an empty one for a dead end)"
    if succs is None:
        return f"model.successors(state) returned None; it must return {shape}"
    if not isinstance(succs, (list, tuple)):
        return f"model.successors(state) returned a {type(succs).__qualname__}; it must return {shape}"
    for item in succs:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            return (f"model.successors(state) returned an item that is not an (action, next_state) pair: "
                    f"{short(item, 120)}; it must return {shape}")
        action, t = item
        if not _hashable(action):
            return f"actions must be hashable: successors(state) gave the action {short(action, 120)}"
        if not _hashable(t):
            return f"states must be hashable: successors(state) gave the state {short(t)}"
    return None


def validating(successors):
    """``successors`` that checks what it returns, for the first expansions of a run (the
    explorer switches to the bare function after its first chunk)."""

    def checked(state):
        try:
            succs = successors(state)
        except Exception as exc:
            raise ModelDefinitionError(f"model.successors raised {type(exc).__name__}: {_text(exc)} on the "
                                       f"state {short(state)}") from exc
        problem = successors_problem(succs)
        if problem:
            raise ModelDefinitionError(f"{problem} (from the state {short(state)})")
        return succs

    return checked


def _predicates(p, s, action, t):
    """(what, call) for each user function of property ``p`` evaluated on the step s -a-> t."""
    if p.kind in (ALWAYS, SOMETIMES):
        yield "predicate", lambda: p.predicate(t)
    elif p.kind == LEADS_TO:
        yield "goal", lambda: p.goal(t)
        if p.predicate is not INITIAL:
            yield "trigger", lambda: p.predicate(t)
        for f in p.fairness:
            yield f"fairness {f.name!r} actions", lambda f=f: f.actions(action)
            if f.enabled is not None:
                yield f"fairness {f.name!r} enabled predicate", lambda f=f: f.enabled(t)
            if getattr(f, "key", None) is not None:
                yield f"fairness {f.name!r} key", lambda f=f: f.key(action)
    elif p.predicate is not None:  # step properties
        yield "predicate", lambda: p.predicate(s, action, t)


def diagnose(model, properties, error) -> TcpModelError:
    """The contract error behind an exception raised while expanding a state."""
    exc, s = error
    if isinstance(exc, TcpModelError):
        return exc
    found = _diagnose(model, properties, s)
    if found is None:
        found = ModelDefinitionError(f"exploring the model failed with {type(exc).__name__}: {_text(exc)}"
                                     + ("" if s is None else f" while expanding the state {short(s)}"))
    found.__cause__ = exc
    return found


def _diagnose(model, properties, s):
    if s is None:
        return None
    try:
        succs = model.successors(s)
    except Exception as exc:
        return ModelDefinitionError(f"model.successors raised {type(exc).__name__}: {_text(exc)} on the "
                                    f"state {short(s)}")
    problem = successors_problem(succs)
    if problem:
        return ModelDefinitionError(f"{problem} (from the state {short(s)})")
    if not succs:
        try:
            is_terminal_of(model)(s)
        except Exception as exc:
            return ModelDefinitionError(f"model.is_terminal raised {type(exc).__name__}: {_text(exc)} on the "
                                        f"state {short(s)}")
    steps = [(None, None, s)] + [(s, a, t) for a, t in succs]
    for p in properties:
        for before, action, t in steps:
            if before is None and p.kind not in (ALWAYS, SOMETIMES, LEADS_TO):
                continue
            for what, call in _predicates(p, before, action, t):
                if before is None and "actions" in what or before is None and "key" in what:
                    continue
                try:
                    call()
                except Exception as exc:
                    shown = t if "actions" not in what and "key" not in what else action
                    return ModelDefinitionError(
                        f"property {p.name!r}: its {what} raised {type(exc).__name__}: {_text(exc)} on "
                        f"{'the action' if shown is action else 'the state'} {short(shown)}")
    return None
