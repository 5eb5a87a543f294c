"""Seeded random simulation, for configurations beyond exhaustive reach (TLC ``-simulate``).

Each walk starts at an initial state and takes, at every step, one successor chosen by a
``random.Random(seed)`` of its own (never the global generator), up to ``max_depth`` steps or a
dead end. Faults are ordinary actions of the model, so walks inject them as they come. The
same seed and model give the same walks, in every process and under every PYTHONHASHSEED.

Safety properties are checked on every state and step of every walk. A violation is replayed
through the model, then shrunk to a locally minimal trace (delta debugging, as Hypothesis
shrinks): drop chunks of steps (halves of the trace, then every length from 8 to 1, at every
position), replay what is left by its actions (leaving out actions no longer enabled), and
keep it when it is shorter and still violates; the result replays through the model's
successors with the same actions and is re-checked before it is returned.

A simulation never says "holds": an unviolated safety property (or a witness not met) is
``not found``, with the number of walks in the verdict's note; liveness properties are not
decided by simulation (``unknown``, with a note saying so). ``Result.mode`` is "simulation".
"""

from __future__ import annotations

import gc
import random
import time
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from ..errors import ModelDefinitionError, ReplayError, TcpModelError
from . import contract
from .explore import _peak_rss_bytes, shows
from .fingerprint import make_fingerprint
from .model import is_terminal_of
from .properties import ALWAYS, LEADS_TO, SOMETIMES, SOMETIMES_STEP, STEP, Property
from .result import HOLDS, NOT_FOUND, UNKNOWN, VIOLATED, Result, Stats, Trace, Verdict

DISTINCT_LIMIT = 1 << 22  # distinct states counted (by fingerprint) before the count stops growing
MAX_SHRINK_REPLAYS = 20_000  # replays one shrink may spend (it is locally minimal before, usually)
CHECK_EVERY = 64  # walks between two looks at the clock and progress


@dataclass(frozen=True)
class SimulationProgress:
    """What a simulation progress callback is given."""

    walks: int
    steps: int
    depth: int  # the deepest walk so far
    distinct: int  # distinct states seen (by fingerprint; the count stops at DISTINCT_LIMIT)
    seconds: float
    walks_per_second: float


def _violation_index(model, p: Property, states, actions):
    """The length of the shortest prefix of the run ``states``/``actions`` that shows ``p``
    (a violation, or for a witness the witness), or None."""
    pred = p.predicate
    if p.kind == ALWAYS:
        return next((i for i, s in enumerate(states) if not pred(s)), None)
    if p.kind == SOMETIMES:
        return next((i for i, s in enumerate(states) if pred(s)), None)
    if p.kind == STEP:
        return next((i + 1 for i, a in enumerate(actions) if not pred(states[i], a, states[i + 1])), None)
    if p.kind == SOMETIMES_STEP:
        return next((i + 1 for i, a in enumerate(actions) if pred(states[i], a, states[i + 1])), None)
    last = states[-1]  # deadlock: only at the end of a run
    if not model.successors(last) and not is_terminal_of(model)(last):
        return len(actions)
    return None


def replay_actions(model, first, actions, states=None, skip=False):
    """Follow ``actions`` from state ``first``: at each step the first successor with that action
    (and, when ``states`` is given, that next state). An action that is not enabled makes the
    replay fail, or with ``skip`` is left out. Returns (states, actions taken) or None."""
    seq = [first]
    taken = []
    for i, want in enumerate(actions):
        for action, t in model.successors(seq[-1]):
            if action == want and (states is None or t == states[i + 1]):
                seq.append(t)
                taken.append(action)
                break
        else:
            if not skip:
                return None
    return seq, taken


def shrink(model, p: Property, first, actions, states, budget: int = MAX_SHRINK_REPLAYS):
    """A locally minimal action sequence from ``first`` that still replays and still shows ``p``.

    ``states``/``actions`` is the run found, which must show ``p``: it is replayed first (same
    actions, same states). Then chunks of steps are dropped, from half the trace down to single
    steps; a candidate is replayed by its actions, leaving out those no longer enabled, and kept
    when it is shorter and shows ``p`` (cut right after the first place it does). Returns the
    shrunk (states, actions), which replays exactly."""
    run = replay_actions(model, first, actions, states)
    if run is None:
        raise ReplayError(f"property {p.name!r}: the simulated run does not replay through the model; successors "
                          "must be deterministic")
    cut = _violation_index(model, p, *run)
    if cut is None:
        raise ReplayError(f"property {p.name!r}: the replayed run no longer shows what was found; the property's "
                          "predicate is not deterministic")
    best = (run[0][:cut + 1], run[1][:cut])
    run = replay_actions(model, first, actions)  # by actions alone, as the candidates are
    cut = None if run is None else _violation_index(model, p, *run)
    if cut is None:  # an action label with two outcomes: keep the run as found
        return best
    cur = run[1][:cut]
    best = (run[0][:cut + 1], cur)
    improved = True
    while improved and budget > 0:
        improved = False
        for chunk in _chunk_sizes(len(cur)):
            i = 0
            while i + chunk <= len(cur) and budget > 0:
                cand = cur[:i] + cur[i + chunk:]
                budget -= 1
                # Steps that the removal disabled are skipped too (a shorter trace still).
                run = replay_actions(model, first, cand, skip=True)
                cut = _violation_index(model, p, *run)
                if cut is not None and cut < len(cur):
                    cur = run[1][:cut]
                    best = (run[0][:cut + 1], cur)
                    improved = True
                else:
                    i += 1
    return best


def _chunk_sizes(n):
    """Chunk lengths to try dropping: halves of the trace down to 16, then every length 8..1."""
    sizes = []
    k = n // 2
    while k > 8:
        sizes.append(k)
        k //= 2
    return sizes + [k for k in range(min(8, n), 0, -1)]


def simulate(
    model,
    properties: Sequence[Property] = (),
    *,
    walks: int,
    max_depth: int,
    seed: int,
    max_seconds: Optional[float] = None,
    progress: Optional[Callable[[SimulationProgress], None]] = None,
    progress_interval: float = 1.0,
) -> Result:
    """Run ``walks`` seeded random walks of at most ``max_depth`` steps; check safety on each.

    Returns a :class:`Result` with ``mode == "simulation"``: violations (and witnesses met)
    with shrunk, replayed traces; ``not found`` for the rest, ``unknown`` for liveness.
    """
    properties = contract.check_arguments(model, properties, None, max_seconds, None, progress, progress_interval,
                                          False, "exact", ("exact",))
    for name, value in (("walks", walks), ("max_depth", max_depth), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "seed" else 1):
            raise ModelDefinitionError(f"{name} must be an int {'>= 0' if name == 'seed' else '>= 1'}, got {value!r}")
    init = contract.initial_states(model)
    rng = random.Random(seed)
    successors = contract.validating(model.successors)
    pending = [p for p in properties if p.kind != LEADS_TO]
    found = {}  # name -> (first state, actions) of the first walk that showed it
    fingerprint = make_fingerprint()
    seen = set()
    steps_total = 0
    deepest = 0
    done = 0
    stop_reason = ""
    started = last = time.perf_counter()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    states = []
    try:
        for done in range(1, walks + 1):
            s = init[rng.randrange(len(init))]
            states, actions = [s], []
            for _ in range(max_depth):
                succs = successors(s)
                if not succs:
                    break
                action, s = succs[rng.randrange(len(succs))]
                states.append(s)
                actions.append(action)
            if len(seen) < DISTINCT_LIMIT:  # a count, bounded: the walks' states are not kept
                seen.update(map(fingerprint, states))
            steps_total += len(actions)
            deepest = max(deepest, len(actions))
            for p in list(pending):
                cut = _violation_index(model, p, states, actions)
                if cut is not None:
                    found[p.name] = (states[:cut + 1], actions[:cut])
                    pending.remove(p)
            if done % CHECK_EVERY == 0 or done == walks:
                now = time.perf_counter()
                if progress is not None and now - last >= progress_interval:
                    elapsed = now - started
                    progress(SimulationProgress(done, steps_total, deepest, len(seen), elapsed,
                                                done / elapsed if elapsed > 0 else 0.0))
                    last = now
                if max_seconds is not None and now - started >= max_seconds and done < walks:
                    stop_reason = "time limit"
                    break
            if not pending and done < walks:
                break  # every safety property decided: more walks cannot change a verdict
    except KeyboardInterrupt:
        stop_reason = "interrupted"
        done = max(done - 1, 0)
    except TcpModelError:
        raise
    except Exception as exc:  # a contract breach: name it, from the walk's states
        for state in reversed(states):
            error = contract.diagnose(model, properties, (exc, state))
            if "exploring the model failed" not in str(error):
                raise error from exc
        raise contract.diagnose(model, properties, (exc, states[-1] if states else None)) from exc
    finally:
        if gc_was_enabled:
            gc.enable()

    verdicts = {}
    for p in properties:
        if p.kind == LEADS_TO:
            verdicts[p.name] = Verdict(p.name, p.kind, UNKNOWN, None, p.description,
                                       note="liveness is not decided by simulation")
        elif p.name in found:
            run_states, run_actions = found[p.name]
            run_states, run_actions = shrink(model, p, run_states[0], run_actions, run_states)
            trace = Trace(tuple(run_states), tuple(run_actions))
            if not shows(model, p, trace):  # the re-check of the shrunk trace
                raise ReplayError(f"property {p.name!r}: the shrunk trace does not show what was found")
            status = HOLDS if p.kind in (SOMETIMES, SOMETIMES_STEP) else VIOLATED
            verdicts[p.name] = Verdict(p.name, p.kind, status, trace, p.description,
                                       note=f"found by simulation, shrunk to {len(trace)} steps")
        else:
            what = "witness" if p.kind in (SOMETIMES, SOMETIMES_STEP) else "violation"
            verdicts[p.name] = Verdict(p.name, p.kind, NOT_FOUND, None, p.description,
                                       note=f"no {what} found in {done:,} walks of at most {max_depth} steps")
    stats = Stats(
        states=len(seen),
        transitions=steps_total,
        depth=deepest,
        seconds=time.perf_counter() - started,
        liveness_seconds=0.0,
        peak_rss_bytes=_peak_rss_bytes(),
        complete=not stop_reason,
        stop_reason=stop_reason,
        store="fingerprint",
        walks=done,
    )
    return Result(verdicts, stats, None, mode="simulation")
