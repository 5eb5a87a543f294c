"""The model interface the engine explores.

A model is any object with ``init_states()`` and ``successors(state)``; ``is_terminal`` and
``format_action`` are optional. The contract (checked by the engine where it can be):

- states are immutable and hashable, and equal states hash equal in every run (plain tuples
  of ints/strings/bools, frozen dataclasses; never objects hashed by identity);
- ``successors(state)`` returns a *list or tuple* of ``(action, next_state)`` pairs in a
  deterministic order (never from iterating a bare set); an empty sequence is a dead end;
- ``is_terminal(state)`` says that a dead end is a proper end of the run, not a deadlock;
- actions are hashable labels; ``format_action(action)`` turns one into text for traces;
- optionally ``compact()`` returns a view the explorer runs on instead: the same transition
  system on cheap keys (``init_states``, ``successors(key)`` in the model's order,
  ``is_terminal(key)``, ``encode``/``decode``, ``fingerprinter()`` and, optionally, a batched
  ``fingerprints(keys)``); see :func:`tcpmodel.engine.explore.compact_of`.
"""

from __future__ import annotations

from typing import Any, Hashable, Protocol, Sequence, Tuple, runtime_checkable

State = Hashable
Action = Hashable
Successor = Tuple[Action, State]


@runtime_checkable
class Model(Protocol):
    """What the engine needs of a model (see the module docstring for the contract)."""

    def init_states(self) -> Sequence[State]: ...

    def successors(self, state: State) -> Sequence[Successor]: ...


def is_terminal_of(model: Any):
    """The model's terminal-state predicate, or one that says no dead end is proper."""
    fn = getattr(model, "is_terminal", None)
    return fn if fn is not None else (lambda state: False)


def format_action_of(model: Any):
    """The model's action formatter, or ``str``."""
    fn = getattr(model, "format_action", None)
    return fn if fn is not None else str
