"""The generic checker. Knows nothing of TCP, Graphviz or files.

    from tcpmodel.engine import check, Always, Eventually, WeakFairness
    result = check(model, [Always("safe", pred), Eventually("done", goal, [WeakFairness("all", lambda a: True)])])
    result["safe"].status, result["safe"].trace, result.stats.states

    check(model, props, store="fingerprint")          # 64-bit fingerprints instead of states
    check(model, props, max_memory=8 * 2**30)         # stops cleanly (incomplete) past 8 GiB RSS
    simulate(model, props, walks=1000, max_depth=100, seed=1)   # seeded random walks, shrunk traces
    Eventually("done", goal, [fair_each("per_segment", key=lambda a: a.segment)])
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
