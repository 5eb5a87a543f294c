"""Seeded random simulation: reproducible walks, violations found, shrunk and replayed, and
never a "holds" for what it did not meet."""

from pathlib import Path

import pytest
from toymodels import DiningPhilosophers, NaiveLock, Peterson, naive_mutex, peterson_mutex

from tcpmodel.engine import (
    HOLDS,
    NOT_FOUND,
    UNKNOWN,
    VIOLATED,
    Always,
    Eventually,
    NoDeadlock,
    Sometimes,
    Step,
    WeakFairness,
    check,
    simulate,
)
from tcpmodel.engine.simulate import SimulationProgress, shrink
from tcpmodel.errors import ModelDefinitionError

ROOT = Path(__file__).resolve().parent.parent


class Recorded:
    """Wraps a model and records every state it is asked to expand, in order."""

    def __init__(self, model):
        self.model = model
        self.asked = []

    def init_states(self):
        return self.model.init_states()

    def successors(self, s):
        self.asked.append(s)
        return self.model.successors(s)


def assert_replays(model, trace):
    assert trace.states[0] in model.init_states()
    for _, s, a, t in trace.steps():
        assert (a, t) in model.successors(s)


def test_the_same_seed_gives_the_same_walks():
    runs = []
    for seed in (11, 11, 12):
        model = Recorded(Peterson())
        result = simulate(model, [Always("mutex", peterson_mutex)], walks=40, max_depth=30, seed=seed)
        runs.append((model.asked, result.stats.states, result.stats.transitions, result.stats.depth))
    assert runs[0] == runs[1]
    assert runs[0][0] != runs[2][0]
    assert len(runs[0][0]) == 40 * 30  # Peterson never dead-ends: every walk is max_depth long


def test_a_violation_is_found_shrunk_and_replayed():
    result = simulate(NaiveLock(), [Always("mutex", naive_mutex)], walks=200, max_depth=60, seed=3)
    v = result["mutex"]
    assert result.mode == "simulation" and v.status == VIOLATED
    shortest = check(NaiveLock(), [Always("mutex", naive_mutex)])["mutex"].trace
    assert len(v.trace) <= 8 and len(v.trace) >= len(shortest) == 6
    assert_replays(NaiveLock(), v.trace)
    assert not naive_mutex(v.trace.states[-1]) and all(naive_mutex(s) for s in v.trace.states[:-1])
    assert "shrunk to" in v.note


def test_deadlock_and_step_violations_and_witnesses():
    model = DiningPhilosophers(3)
    props = [NoDeadlock(), Step("no_release", lambda s, a, t: not a.endswith("release")),
             Sometimes("someone_eats", lambda s: 2 in s)]
    result = simulate(model, props, walks=100, max_depth=40, seed=5)
    assert result["no_deadlock"].status == VIOLATED
    assert result["no_deadlock"].trace.actions == ("p2:take_left", "p1:take_left", "p0:take_left")
    assert result["no_deadlock"].trace.dead_end is False  # a plain trace; its last state is the dead end
    assert result["no_release"].status == VIOLATED
    assert result["no_release"].trace.actions == ("p0:take_left", "p0:take_right", "p0:release")
    assert result["someone_eats"].status == HOLDS
    assert result["someone_eats"].trace.actions == ("p0:take_left", "p0:take_right")
    for v in result.verdicts.values():
        assert_replays(model, v.trace)


def test_a_simulation_never_says_holds():
    result = simulate(Peterson(), [Always("mutex", peterson_mutex), Sometimes("never", lambda s: False),
                                   Eventually("p0_in", lambda s: s[0] == 3, [WeakFairness("all", lambda a: True)])],
                      walks=50, max_depth=20, seed=1)
    assert result["mutex"].status == NOT_FOUND and result["mutex"].holds is None
    assert result["mutex"].note == "no violation found in 50 walks of at most 20 steps"
    assert result["never"].status == NOT_FOUND and result["never"].note.startswith("no witness found in 50 walks")
    assert result["p0_in"].status == UNKNOWN and "not decided by simulation" in result["p0_in"].note
    assert result.stats.walks == 50 and result.complete
    assert all(v.status != HOLDS for v in result.verdicts.values())


def test_time_limit_and_progress():
    reports = []
    result = simulate(Peterson(), [Always("mutex", peterson_mutex)], walks=10 ** 6, max_depth=20, seed=1,
                      max_seconds=0.2, progress=reports.append, progress_interval=0.0)
    assert not result.complete and result.stats.stop_reason == "time limit"
    assert 0 < result.stats.walks < 10 ** 6
    assert reports and isinstance(reports[-1], SimulationProgress)
    assert reports[-1].distinct <= 2 * 4 * 4 * 2 * 2 and reports[-1].depth == 20


def test_bad_arguments():
    for kw in (dict(walks=0), dict(walks="5"), dict(max_depth=0), dict(seed=-1)):
        args = dict(walks=5, max_depth=5, seed=1)
        args.update(kw)
        with pytest.raises(ModelDefinitionError):
            simulate(Peterson(), [], **args)


def test_shrink_keeps_a_locally_minimal_trace():
    # A long run that reaches the violation the long way round is cut to the minimal one.
    model = NaiveLock()
    prop = Always("mutex", naive_mutex)
    shortest = check(model, [prop])["mutex"].trace
    # pad the shortest violation with a detour of both processes doing a full round first
    detour = ("p0:read_free", "p0:set", "p0:enter", "p0:exit")
    actions = detour + shortest.actions
    states = [model.init_states()[0]]
    for a in actions:
        states.append(next(t for b, t in model.successors(states[-1]) if b == a))
    got_states, got_actions = shrink(model, prop, states[0], list(actions), states)
    assert len(got_actions) == len(shortest.actions)


@pytest.mark.parametrize("name,prop,bound", [("three_step_close", "close_delivers_all", 20),
                                             ("no_retransmit", "no_deadlock", 4)])
def test_a_tcp_violation_is_found_and_shrunk(name, prop, bound):
    from tcpmodel.spec import load
    from tcpmodel.tcp import TcpModel, build

    spec = load(ROOT / "specs" / f"{name}.toml")
    model = TcpModel(spec.config)
    result = simulate(model, build(spec.properties), walks=300, max_depth=60, seed=7)
    v = result[prop]
    assert v.status == VIOLATED and len(v.trace) <= bound
    assert_replays(model, v.trace)
    again = simulate(TcpModel(spec.config), build(spec.properties), walks=300, max_depth=60, seed=7)
    assert again[prop].trace == v.trace


def test_check_simulate_through_the_real_entry_point(tmp_path):
    import subprocess
    import sys

    spec = ROOT / "specs" / "three_step_close.toml"
    cmd = [sys.executable, "-m", "tcpmodel", "check", "--simulate", "100", "--seed", "7", "--depth", "60"]
    out = subprocess.run(cmd + [str(spec)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "simulation, seed 7" in out.stdout and "found by simulation, shrunk to" in out.stdout
    # The same run against a spec that expects the property to hold: a contradiction, exit 1.
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(spec.read_text().replace('close_delivers_all = "violated"', 'close_delivers_all = "holds"'))
    out = subprocess.run(cmd + [str(wrong)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1 and "NOT as expected: wrong.close_delivers_all" in out.stdout
    out = subprocess.run(cmd[:4] + ["0", str(spec)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2


def test_a_raising_predicate_in_a_simulation_is_named():
    with pytest.raises(ModelDefinitionError, match=r"property 'fragile': its predicate raised ZeroDivisionError.*\(2, "):
        simulate(Peterson(), [Always("fragile", lambda s: 1 / (s[0] - 2))], walks=50, max_depth=20, seed=1)
