#!/usr/bin/env python3
"""Mutation campaign: how many single-token changes of one source file do the tests catch?

A benchmark-style script (it prints a score; it is not a test). For each mutant of the target
file (one change at a time) it writes the mutated file into a temporary copy of the project
(the repository itself is never modified), runs a fast, targeted test subset there with
``pytest -x`` under a per-mutant timeout and memory cap, and records the outcome:

- killed:   a test failed (or the tests could not even be collected);
- timeout:  the tests ran past the per-mutant timeout or the memory cap (counted as detected:
            a mutant that makes the checker hang or explode does not pass unnoticed);
- survived: every test passed.

Survivors are listed with file:line, the enclosing function and the mutated text. Survivors
classified by hand as equivalent (no behaviour change; the reason is in docs/mutation.md) are
listed in ``EQUIVALENT`` below and left out of the score: score = detected / (mutants run -
equivalent survivors).

Mutation operators (AST-based, one node at a time):
  cmp      comparison swapped to its neighbour: < <=, > >=, == !=, in / not in, is / is not
  not-     ``not x`` -> ``x``
  not+     ``x`` -> ``not x`` for the test of every if / elif / while / conditional
           expression and every operand of and / or (except where that repeats a cmp or
           not- mutant: ``not a == b`` is ``a != b``)
  boolop   ``and`` <-> ``or``
  int      integer constant c -> c + 1 and c - 1
  bool     True <-> False
  arith    ``+`` <-> ``-`` (binary and augmented assignment)

Usage (run it niced: it is CPU-heavy)::

    nice -n 10 python3 scripts/mutation_campaign.py                      # tcpmodel/tcp/model.py
    nice -n 10 python3 scripts/mutation_campaign.py --target tcpmodel/engine/liveness.py
    python3 scripts/mutation_campaign.py --list                          # the mutants, not run
    python3 scripts/mutation_campaign.py --only 12,40-45 --max-seconds 600

Exit status: 0 when the campaign ran (whatever the score), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The test subset run against each mutant, by target: fast, rule-level tests first (with -x
# the first failure ends the run).
TCP_TESTS = ["tests/test_tcp_rules.py", "tests/test_rfc_boundaries.py", "tests/test_tcp_semantics.py", "tests/test_tcp_specs.py"]
ENGINE_TESTS = [
    "tests/test_engine_api.py", "tests/test_engine_models.py", "tests/test_engine_properties.py",
    "tests/test_engine_fairness.py", "tests/test_engine_limits.py", "tests/test_tcp_semantics.py",
    "tests/test_engine_liveness_mutants.py", "tests/test_tcp_specs.py",
]
DEFAULT_TESTS = {"tcpmodel/tcp/": TCP_TESTS, "tcpmodel/engine/": ENGINE_TESTS}

# Survivors judged equivalent by hand: (target, function, original text, mutated text,
# occurrence) -> why.
# The reasons are spelled out in docs/mutation.md. Keys use the function and the text, not the
# line, so they survive edits elsewhere in the file.
_M = "tcpmodel/tcp/model.py"
_NO_ZERO_TIMER = "_tick_tcb runs only when no timer is 0 (_tick returns first)"
_RTO_DOMAIN = "rto is -1 (no_retransmit) or >= 1 (TcpConfig): never 0"
_FIN_SEQ_DOMAIN = "FIN_SEQ is -1 or a sequence number > ISS >= 0: never 0"
EQUIVALENT: dict[tuple, str] = {
    (_M, "TcpModel._output", "t[FIN_SEQ] < 0", "t[FIN_SEQ] <= 0", 0): _FIN_SEQ_DOMAIN,
    (_M, "TcpModel._output", "0", "1", 0): _FIN_SEQ_DOMAIN + " (t[FIN_SEQ] < 1)",
    (_M, "TcpModel._output", "self.rto > 0", "self.rto >= 0", 0): _RTO_DOMAIN,
    (_M, "TcpModel._output", "0", "-1", 3): _RTO_DOMAIN + " (self.rto > -1)",
    (_M, "TcpModel._arrive_synchronized", "t[FIN_SEQ] >= 0", "t[FIN_SEQ] > 0", 0): _FIN_SEQ_DOMAIN,
    (_M, "TcpModel._arrive_synchronized", "0", "1", 5): _FIN_SEQ_DOMAIN + " (t[FIN_SEQ] >= 1)",
    (_M, "TcpModel._acked_all_or_restart", "self.rto > 0", "self.rto >= 0", 0): _RTO_DOMAIN,
    (_M, "TcpModel._acked_all_or_restart", "0", "-1", 0): _RTO_DOMAIN + " (self.rto > -1)",
    (_M, "TcpModel.__init__", "1", "2", 0): _RTO_DOMAIN + " (no_retransmit's -2 is also below 1)",
    (_M, "TcpModel.__init__", "1", "0", 0): _RTO_DOMAIN + " (no_retransmit's 0: self.rto is only compared with > 0)",
    (_M, "TcpModel._tick", "max(timers) > 0", "max(timers) >= 0", 0): "0 in timers returned just before",
    (_M, "TcpModel._tick", "0", "-1", 1): "0 in timers returned just before (max(timers) > -1)",
    (_M, "TcpModel._tick_tcb", "tcb.rexmt <= 0", "tcb.rexmt < 0", 0): _NO_ZERO_TIMER,
    (_M, "TcpModel._tick_tcb", "0", "-1", 0): _NO_ZERO_TIMER + " (tcb.rexmt <= -1)",
    (_M, "TcpModel._tick_tcb", "tcb.tw <= 0", "tcb.tw < 0", 0): _NO_ZERO_TIMER,
    (_M, "TcpModel._tick_tcb", "0", "-1", 1): _NO_ZERO_TIMER + " (tcb.tw <= -1)",
    (_M, "TcpModel._tick_tcb", "t[REXMT] > 0", "t[REXMT] >= 0", 0): _NO_ZERO_TIMER,
    (_M, "TcpModel._tick_tcb", "0", "-1", 2): _NO_ZERO_TIMER + " (t[REXMT] > -1)",
    (_M, "TcpModel._tick_tcb", "t[TW] > 0", "t[TW] >= 0", 0): _NO_ZERO_TIMER,
    (_M, "TcpModel._tick_tcb", "0", "-1", 3): _NO_ZERO_TIMER + " (t[TW] > -1)",
    (_M, "TcpModel._deliveries", "6", "7", 0): "the memo key seg[:7] adds the age, which no rule reads: a smaller hit rate only",
    (_M, "TcpModel._arrivals", "0", "1", 0): "the ISS argument is read only for a SYN reaching LISTEN, which takes the other branch",
    (_M, "TcpModel._arrivals", "0", "-1", 0): "the ISS argument is read only for a SYN reaching LISTEN, which takes the other branch",
}
_L = "tcpmodel/engine/liveness.py"
_WIDER = "int64 wherever the original uses it (int32 at most at 2n = 2**31, where node 2n - 1 and -1 still fit)"
_SPARE = "entries at 2n and above are never indexed (node numbers are < 2n): more memory only"
EQUIVALENT.update({
    (_L, "_Arrays.__init__", "isinstance(graph.targets, np.ndarray)", "not isinstance(graph.targets, np.ndarray)", 0):
        "targets is array('i') or the int32 id array: asarray and frombuffer(int32) give the same int32 values",
    (_L, "fairness_groups", "1", "2", 0): "None keys get id -2 instead of -1: ids are compared only with group numbers >= 0",
    (_L, "_scc_labels", "False", "True", 0): "astype(int32, copy=True): a private copy of the labels, same values",
    (_L, "fair_components", "0", "1", 0):
        "fair ids start at 1: callers only test fair >= 0 and equality of ids (distinct ids stay distinct)",
    (_L, "fair_components", "1", "2", 1): "remap's filler -2: only remap[good labels] is read, all assigned",
    (_L, "fair_components", "1", "0", 1): "remap's filler 0: only remap[good labels] is read, all assigned",
    (_L, "_shortest_prefix", "2 * n >= 2 ** 31", "2 * n > 2 ** 31", 0): _WIDER,
    (_L, "_shortest_prefix", "2", "3", 0): _WIDER + " (3n >= 2**31)",
    (_L, "_shortest_prefix", "2", "1", 1): _WIDER + " (2n >= 1)",
    (_L, "_shortest_prefix", "31", "30", 0): _WIDER + " (2n >= 2**30)",
    (_L, "_shortest_prefix", "2", "3", 2): _SPARE + " (visited has 3n)",
    (_L, "_shortest_prefix", "2", "3", 3): _SPARE + " (pred has 3n)",
    (_L, "_shortest_prefix", "prev < n <= v", "prev <= n <= v", 0):
        "prev == n also needs prev == v - n, i.e. v == 2n: no such node",
    (_L, "_fair_cycle", "0", "1", 0):
        "len(member) == 0 only with no actions, hence no edges and no fair cycle: _fair_cycle is not called",
    (_L, "_fair_cycle", "0", "-1", 0):
        "len(member) == 0 only with no actions, hence no edges and no fair cycle: _fair_cycle is not called",
    (_L, "recheck", "1", "2", 0):
        "no goal anywhere and the trigger at the last state: first -1 instead of f <= loop_start; "
        "the goal checks pass either way and loop_start < first fails either way",
})


@dataclass
class Mutant:
    index: int
    line: int
    col: int
    function: str
    occurrence: int  # how many earlier mutants share function, before and after (usually 0)
    operator: str
    before: str   # the mutated node's text, before
    after: str    # ... and after
    site: tuple   # (position in ast.walk order, operator, variant): see mutated_source

    def key(self, target):
        return (target, self.function, self.before, self.after, self.occurrence)

    def where(self, target):
        return f"{target}:{self.line}"


# ------------------------------------------------------------------ generating mutants

_CMP_SWAP = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}


def _docstring_nodes(tree):
    """Constant nodes that are docstrings (never mutated)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                found.add(id(body[0].value))
    return found


def _annotation_nodes(tree):
    """Nodes inside annotations (``dict[str, int]`` etc.): not behaviour."""
    found = set()
    for node in ast.walk(tree):
        anns = []
        if isinstance(node, ast.AnnAssign):
            anns.append(node.annotation)
        elif isinstance(node, ast.arg) and node.annotation is not None:
            anns.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            anns.append(node.returns)
        for ann in anns:
            found.update(id(n) for n in ast.walk(ann))
    return found


def _functions(tree):
    """id(node) -> qualified name of the innermost enclosing function or class."""
    owner = {}

    def visit(node, name):
        for child in ast.iter_child_nodes(node):
            child_name = name
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                child_name = f"{name}.{child.name}" if name != "<module>" else child.name
            owner[id(child)] = child_name
            visit(child, child_name)

    visit(tree, "<module>")
    return owner


def _sites(tree):
    """Every mutation site, in source order: (node, operator, variant, apply) where apply(node)
    edits a deep copy's node in place (or returns a replacement node)."""
    skip = _docstring_nodes(tree) | _annotation_nodes(tree)
    negatable = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.While, ast.IfExp)):
            negatable.add(id(node.test))
        elif isinstance(node, ast.BoolOp):
            negatable.update(id(v) for v in node.values)
    sites = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                new = _CMP_SWAP.get(type(op))
                if new is not None:
                    sites.append((node, "cmp", (i, new)))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            sites.append((node, "not-", None))
        elif isinstance(node, ast.BoolOp):
            sites.append((node, "boolop", None))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            sites.append((node, "arith", None))
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
            sites.append((node, "arith", None))
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            sites.append((node, "bool", None))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            sites.append((node, "int", +1))
            sites.append((node, "int", -1))
        if id(node) in negatable and not _negation_is_a_cmp_mutant(node):
            sites.append((node, "not+", None))
    sites.sort(key=lambda s: (s[0].lineno, s[0].col_offset, s[1]))
    return sites


def _negation_is_a_cmp_mutant(node):
    """``not`` added would repeat another mutant: ``not not x`` is what ``not-`` tests, and
    ``not a == b`` is the cmp mutant ``a != b`` (likewise in / is)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return True
    return isinstance(node, ast.Compare) and len(node.ops) == 1 \
        and isinstance(node.ops[0], (ast.Eq, ast.NotEq, ast.In, ast.NotIn, ast.Is, ast.IsNot))


def _mutate(node, operator, variant):
    """The replacement for ``node`` (a deep copy may be edited in place and returned)."""
    node = copy.deepcopy(node)
    if operator == "cmp":
        i, new = variant
        node.ops[i] = new()
        return node
    if operator == "not-":
        return node.operand
    if operator == "not+":
        return ast.UnaryOp(op=ast.Not(), operand=node)
    if operator == "boolop":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        return node
    if operator == "arith":
        node.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
        return node
    if operator == "bool":
        return ast.Constant(value=not node.value)
    if operator == "int":
        return ast.Constant(value=node.value + variant)
    raise AssertionError(operator)


class _Replace(ast.NodeTransformer):
    def __init__(self, target, replacement):
        self.target, self.replacement = target, replacement

    def visit(self, node):
        if node is self.target:
            return self.replacement
        return super().visit(node)


def _text(node):
    text = ast.unparse(node)
    return text if len(text) <= 120 else text[:117] + "..."


def mutants(source: str):
    """Every mutant of ``source``, in a fixed order (source position, then operator)."""
    tree = ast.parse(source)
    owner = _functions(tree)
    position = {id(node): i for i, node in enumerate(ast.walk(tree))}
    out = []
    seen = {}
    for node, operator, variant in _sites(tree):
        replacement = _mutate(node, operator, variant)
        before, after = _text(node), _text(replacement)
        function = owner.get(id(node), "<module>")
        occurrence = seen.get((function, before, after), 0)
        seen[(function, before, after)] = occurrence + 1
        out.append(Mutant(len(out) + 1, node.lineno, node.col_offset, function, occurrence,
                          operator, before, after, (position[id(node)], operator, variant)))
    return out


def mutated_source(source: str, mutant: Mutant) -> str:
    """The whole module with ``mutant`` applied (made when it runs: a parse and an unparse)."""
    walk_index, operator, variant = mutant.site
    tree = ast.parse(source)  # the same source parses to the same tree, walked in the same order
    for i, node in enumerate(ast.walk(tree)):
        if i == walk_index:
            break
    mutated = _Replace(node, _mutate(node, operator, variant)).visit(tree)
    ast.fix_missing_locations(mutated)
    return ast.unparse(mutated) + "\n"


# ------------------------------------------------------------------ running them

def _copy_project(dest: Path):
    """The package, the tests and the specs: what the tests need, without caches or outputs."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "out")
    for name in ("tcpmodel", "tests", "specs"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)


def _limit_memory(megabytes):
    def apply():
        os.setsid()
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def run_tests(work: Path, tests, timeout, memory_mb):
    """Run the test subset in ``work``: 'passed', 'failed' or 'timeout', and the seconds it took."""
    # No third-party pytest plugins: hypothesis' alone doubles the start-up of each run.
    env = dict(os.environ, PYTHONPATH=str(work), PYTHONHASHSEED="0", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
           "--no-header", *tests]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=_limit_memory(memory_mb))
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return "timeout", time.monotonic() - start, b""
    except KeyboardInterrupt:
        # The test run has its own session (so a timeout can kill all of it): end it too.
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    took = time.monotonic() - start
    if proc.returncode == 0:
        return "passed", took, out
    if b"MemoryError" in out:
        return "timeout", took, out  # the memory cap: the mutant blew the state space up
    return "failed", took, out


def _select(spec, count):
    """``--only 3,7-9`` -> {3, 7, 8, 9}."""
    if not spec:
        return set(range(1, count + 1))
    chosen = set()
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            a, b = part.split("-", 1)
            chosen.update(range(int(a), int(b) + 1))
        elif part:
            chosen.add(int(part))
    return chosen


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", default="tcpmodel/tcp/model.py", help="file to mutate, relative to the repository root")
    ap.add_argument("--tests", nargs="+", help="test files run against each mutant (default: by target)")
    ap.add_argument("--only", help="mutant numbers to run, e.g. 3,7-9 (default: all)")
    ap.add_argument("--timeout", type=float, help="seconds per mutant (default: 5 x the unmutated run, at least 30)")
    ap.add_argument("--max-seconds", type=float, default=3600.0, help="time budget of the whole campaign")
    ap.add_argument("--memory-mb", type=int, default=2048, help="address-space cap of each test run")
    ap.add_argument("--list", action="store_true", help="list the mutants and stop")
    ap.add_argument("--json", metavar="FILE", help="also write every outcome to FILE as JSON")
    args = ap.parse_args(argv)

    target = args.target
    path = ROOT / target
    if not path.is_file() or path.suffix != ".py" or ROOT not in path.resolve().parents:
        ap.error(f"--target {target!r}: not a Python file in {ROOT}")
    tests = args.tests
    if tests is None:
        tests = next((t for prefix, t in DEFAULT_TESTS.items() if target.startswith(prefix)), None)
        if tests is None:
            ap.error(f"--target {target!r}: no default test subset; give --tests")
    for t in tests:
        if not args.list and not (ROOT / t).is_file():
            ap.error(f"--tests: {t!r} does not exist")
    if args.max_seconds <= 0 or (args.timeout is not None and args.timeout <= 0) or args.memory_mb < 256:
        ap.error("--max-seconds and --timeout must be positive, --memory-mb at least 256")

    source = path.read_text(encoding="utf-8")
    all_mutants = mutants(source)
    if args.list:
        for m in all_mutants:
            print(f"{m.index:4d}  {m.where(target)}  {m.function}  [{m.operator}]  {m.before}  ->  {m.after}")
        print(f"{len(all_mutants)} mutants")
        return 0
    chosen = _select(args.only, len(all_mutants))
    todo = [m for m in all_mutants if m.index in chosen]

    interrupted = False
    campaign_start = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        work = Path(tmp)
        _copy_project(work)
        copy_target = work / target
        pycache = copy_target.parent / "__pycache__"
        print(f"target {target}: {len(all_mutants)} mutants, running {len(todo)}; tests: {' '.join(tests)}", flush=True)
        status, base_time, out = run_tests(work, tests, timeout=600, memory_mb=args.memory_mb)
        if status != "passed":
            sys.stdout.write(out.decode(errors="replace")[-3000:])
            print(f"the unmutated tests do not pass ({status}); nothing to measure")
            return 2
        timeout = args.timeout or max(30.0, 5 * base_time)
        print(f"unmutated run: {base_time:.1f} s; per-mutant timeout {timeout:.0f} s; budget {args.max_seconds:.0f} s", flush=True)
        for m in todo:
            if time.monotonic() - campaign_start > args.max_seconds:
                break
            copy_target.write_text(mutated_source(source, m), encoding="utf-8")
            # A same-size rewrite within the same second could let a stale .pyc be used.
            for pyc in pycache.glob(copy_target.stem + ".*.pyc"):
                pyc.unlink()
            try:
                status, took, _ = run_tests(work, tests, timeout, args.memory_mb)
            except KeyboardInterrupt:
                interrupted = True
                print("interrupted: the summary covers the mutants finished so far", flush=True)
                break
            outcome = {"failed": "killed", "passed": "survived", "timeout": "timeout"}[status]
            equivalent = outcome == "survived" and m.key(target) in EQUIVALENT
            results.append((m, outcome, took, equivalent))
            mark = " (equivalent)" if equivalent else ""
            print(f"{m.index:4d}/{len(all_mutants)} {outcome:8s}{mark} {took:5.1f}s  {m.where(target)} "
                  f"[{m.operator}] {m.before} -> {m.after}", flush=True)
        copy_target.write_text(source, encoding="utf-8")
    elapsed = time.monotonic() - campaign_start

    killed = sum(1 for _, o, _, _ in results if o == "killed")
    timeouts = sum(1 for _, o, _, _ in results if o == "timeout")
    survivors = [(m, eq) for m, o, _, eq in results if o == "survived"]
    equivalent = sum(1 for _, eq in survivors if eq)
    live = [m for m, eq in survivors if not eq]
    considered = len(results) - equivalent
    score = 100.0 * (killed + timeouts) / considered if considered else 100.0
    print()
    why = "interrupted" if interrupted else "budget"
    print(f"target {target}: {len(all_mutants)} mutants, {len(results)} run, {len(todo) - len(results)} not run ({why})")
    print(f"killed {killed}, timeout {timeouts}, survived {len(survivors)} ({equivalent} equivalent, {len(live)} not)")
    print(f"score: {killed + timeouts}/{considered} non-equivalent mutants detected = {score:.1f} %")
    print(f"time: {elapsed:.0f} s")
    if live:
        print("\nsurvivors not classified as equivalent:")
        for m in live:
            print(f"  #{m.index} {m.where(target)} in {m.function} [{m.operator}]: {m.before}  ->  {m.after}")
            print(f"      key {m.key(target)!r}")
    if equivalent:
        print("\nequivalent survivors (see docs/mutation.md):")
        for m, eq in survivors:
            if eq:
                print(f"  #{m.index} {m.where(target)} in {m.function} [{m.operator}]: {m.before}  ->  {m.after}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "target": target, "mutants": len(all_mutants), "seconds": round(elapsed, 1), "score": round(score, 2),
            "interrupted": interrupted,
            "results": [{"index": m.index, "line": m.line, "function": m.function, "occurrence": m.occurrence,
                         "operator": m.operator,
                         "before": m.before, "after": m.after, "outcome": o, "equivalent": eq,
                         "seconds": round(t, 2)} for m, o, t, eq in results],
        }, indent=1), encoding="utf-8")
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    # SIGTERM (and SIGINT, which a background job may have ignored) end the campaign cleanly:
    # the running test is killed, the temporary copy removed, the partial score printed.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted before any mutant ran", file=sys.stderr)
        sys.exit(130)
