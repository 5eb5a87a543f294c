"""The generic checker. Knows nothing of TCP, Graphviz or files.

    from tcpmodel.engine import check, Always, Eventually, WeakFairness
    result = check(model, [Always("safe", pred), Eventually("done", goal, [WeakFairness("all", lambda a: True)])])
    result["safe"].status, result["safe"].trace, result.stats.states
"""

from .explore import Graph, Progress, check
from .model import Model
from .properties import (
    Always,
    Eventually,
    Fairness,
    LeadsTo,
    NoDeadlock,
    Property,
    Sometimes,
    SometimesStep,
    Step,
    StrongFairness,
    WeakFairness,
    fair_each,
)
from .result import HOLDS, NOT_FOUND, UNKNOWN, VIOLATED, Result, Stats, Trace, Verdict
from .simulate import SimulationProgress, simulate

__all__ = [
    "Always", "Eventually", "NOT_FOUND", "SimulationProgress", "simulate", "Fairness", "Graph", "HOLDS", "LeadsTo", "Model", "NoDeadlock", "Progress",
    "Property", "Result", "Sometimes", "SometimesStep", "Stats", "Step", "StrongFairness", "Trace",
    "UNKNOWN", "VIOLATED", "Verdict", "WeakFairness", "check", "fair_each",
]
