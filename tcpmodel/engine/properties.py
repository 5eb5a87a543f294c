"""Properties are named values, not asserts.

Each property is a small frozen object naming what it checks; the explorer evaluates it.

Kinds:

- :class:`Always` -- a state invariant; a violation is the shortest path to a bad state.
- :class:`Step` -- a predicate over a transition ``(state, action, next_state)``; a violation
  is the shortest path ending with a bad transition.
- :class:`Sometimes` / :class:`SometimesStep` -- reachability of a state / a transition; the
  trace found is a *witness* (an example), not a failure. It "fails" only when unreachable.
- :class:`NoDeadlock` -- no reachable dead end that the model does not call terminal.
- :class:`Eventually` / :class:`LeadsTo` -- liveness, decided on the strongly connected
  components of the reachable graph under the declared fairness; a violation is a lasso
  (a prefix, then a cycle that can repeat forever) or a path to a dead end.

Fairness is declared per group of actions with :class:`WeakFairness` (if the group is enabled
continuously from some point on, it is taken infinitely often) or :class:`StrongFairness` (if
it is enabled infinitely often, it is taken infinitely often). A group is "enabled" in a state
when some outgoing transition's action belongs to it -- or, when the fairness is given an
``enabled`` state predicate, where that predicate holds. The second form states a demand the
graph alone does not show: "time must pass whenever something depends on time" is weak
fairness of the tick whose enabledness is "a timer runs or a segment is in flight", even in
states where the model must first do something else before the tick is offered. A cycle that
never ticks while something depends on time is then unfair: it is not a run (Zeno).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Tuple

from ..errors import ModelDefinitionError

ALWAYS = "always"
STEP = "step"
SOMETIMES = "sometimes"
SOMETIMES_STEP = "sometimes_step"
DEADLOCK = "deadlock"
LEADS_TO = "leads_to"

WEAK = "weak"
STRONG = "strong"


def _check_name(name):
    if not isinstance(name, str) or not name:
        raise ModelDefinitionError(f"a property or fairness name must be a non-empty string, got {name!r}")


def _check_callable(name, what, fn):
    if not callable(fn):
        raise ModelDefinitionError(f"property {name!r}: {what} must be callable, got {type(fn).__name__}")


@dataclass(frozen=True)
class Fairness:
    """A fairness assumption over the group of actions for which ``actions(action)`` is true."""

    name: str
    actions: Callable = field(compare=False)
    kind: str = WEAK
    enabled: Optional[Callable] = field(default=None, compare=False)  # state -> bool, or None
    key: Optional[Callable] = field(default=None, compare=False)  # action -> group key (fair_each)

    def __post_init__(self):
        _check_name(self.name)
        _check_callable(self.name, "actions", self.actions)
        if self.enabled is not None:
            _check_callable(self.name, "enabled", self.enabled)
        if self.key is not None:
            _check_callable(self.name, "key", self.key)
            if self.enabled is not None:
                raise ModelDefinitionError(f"fairness {self.name!r}: fair_each takes no enabled predicate: each "
                                           "group is enabled where one of its actions is")
        if self.kind not in (WEAK, STRONG):
            raise ModelDefinitionError(f"fairness {self.name!r}: kind must be 'weak' or 'strong', got {self.kind!r}")


def WeakFairness(name: str, actions: Callable, enabled: Optional[Callable] = None) -> Fairness:
    """Weak fairness: a group enabled continuously from some point on is taken infinitely often.

    ``enabled(state)``, when given, says where the group counts as enabled (default: where some
    outgoing action belongs to it)."""
    return Fairness(name, actions, WEAK, enabled)


def StrongFairness(name: str, actions: Callable, enabled: Optional[Callable] = None) -> Fairness:
    """Strong fairness: a group enabled infinitely often is taken infinitely often."""
    return Fairness(name, actions, STRONG, enabled)


def _every_action(action) -> bool:
    return True


def fair_each(name: str, key: Callable, kind: str = WEAK, actions: Optional[Callable] = None) -> Fairness:
    """Per-action fairness: one separate ``kind`` (weak or strong) fairness constraint for each
    distinct value of ``key(action)`` among the actions for which ``actions(action)`` holds
    (default: all), e.g. one per segment in flight. A ``key`` of None puts an action in no group.
    Each group is enabled in a state where one of its actions is."""
    return Fairness(name, actions if actions is not None else _every_action, kind, None, key)


@dataclass(frozen=True)
class Property:
    """A named property. Build one with the constructors below rather than directly."""

    name: str
    kind: str
    predicate: Callable = field(compare=False)
    goal: Callable = field(default=None, compare=False)
    fairness: Tuple[Fairness, ...] = ()
    description: str = ""

    def __post_init__(self):
        _check_name(self.name)
        if self.kind not in (ALWAYS, STEP, SOMETIMES, SOMETIMES_STEP, DEADLOCK, LEADS_TO):
            raise ModelDefinitionError(f"property {self.name!r}: unknown kind {self.kind!r}")
        if self.kind != DEADLOCK:
            _check_callable(self.name, "predicate", self.predicate)
        if self.kind == LEADS_TO:
            _check_callable(self.name, "goal", self.goal)
        fairness = tuple(self.fairness)
        for f in fairness:
            if not isinstance(f, Fairness):
                raise ModelDefinitionError(f"property {self.name!r}: fairness entries must be Fairness, got {f!r}")
        if fairness and self.kind != LEADS_TO:
            raise ModelDefinitionError(f"property {self.name!r}: only liveness properties take fairness")
        names = [f.name for f in fairness]
        if len(set(names)) != len(names):
            raise ModelDefinitionError(f"property {self.name!r}: fairness names repeat: {names}")
        object.__setattr__(self, "fairness", fairness)

    @property
    def is_witness(self) -> bool:
        return self.kind in (SOMETIMES, SOMETIMES_STEP)


def Always(name: str, predicate: Callable, description: str = "") -> Property:
    """``predicate(state)`` holds in every reachable state."""
    return Property(name, ALWAYS, predicate, description=description)


def Step(name: str, predicate: Callable, description: str = "") -> Property:
    """``predicate(state, action, next_state)`` holds on every reachable transition."""
    return Property(name, STEP, predicate, description=description)


def Sometimes(name: str, predicate: Callable, description: str = "") -> Property:
    """Some reachable state satisfies ``predicate(state)``; the shortest path to one is the witness."""
    return Property(name, SOMETIMES, predicate, description=description)


def SometimesStep(name: str, predicate: Callable, description: str = "") -> Property:
    """Some reachable transition satisfies ``predicate(state, action, next_state)``."""
    return Property(name, SOMETIMES_STEP, predicate, description=description)


def NoDeadlock(name: str = "no_deadlock", description: str = "") -> Property:
    """Every reachable dead end is terminal (``model.is_terminal``)."""
    return Property(name, DEADLOCK, None, description=description or "no reachable state without successors that is not terminal")


def LeadsTo(name: str, trigger: Callable, goal: Callable, fairness=(), description: str = "") -> Property:
    """Whenever ``trigger(state)`` holds, ``goal`` holds then or later, on every fair run.

    A violation is a run that reaches a trigger state and afterwards never meets the goal:
    it either ends in a dead end or loops forever in a fair cycle of non-goal states.
    """
    return Property(name, LEADS_TO, trigger, goal, tuple(fairness), description)


def _initial(state) -> bool:  # marker: "the run's first state"
    return True


def Eventually(name: str, goal: Callable, fairness=(), description: str = "") -> Property:
    """Every fair run from an initial state reaches a state satisfying ``goal``."""
    return Property(name, LEADS_TO, INITIAL, goal, tuple(fairness), description)


INITIAL = _initial
