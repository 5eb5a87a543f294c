"""The TCP model's global states, segments, TCBs and actions are read by name, not position
(issue 13, point 1).

Only the modules that encode them know their layout: ``tcp/tcb.py`` (GlobalState, Segment,
TCB), ``tcp/actions.py`` (the action constructors and readers) and ``tcp/model.py`` (which
builds them in its hot loop). Everywhere else a positional read -- ``state[2 + side]``,
``state[0]``, ``seg[:6]``, ``seg[6]``, ``action[1]``, ``t[side]``, unpacking a state or an
action into a tuple of names -- or an action written as a literal tuple
(``("deliver", 0, seg)``) is a second copy of that layout; this test finds them with ``ast``.

The rule: a subscript of a variable whose name this codebase gives to a global state, a
segment or an action (``STATE_LIKE``) by an integer, a negative integer, a slice, an
arithmetic expression or a side/direction name; a tuple assignment or loop target unpacked
from such a variable; and a tuple literal that starts with an action's kind and carries
something else than kinds (``("OPEN", 0, 100)``, ``("tick",)``), i.e. an action built by
hand. Generic code is not affected: the engine (``tcpmodel/engine``) and its toy models
(``tests/toymodels.py``, ``tests/test_engine_*.py``) index generic traces whose states are
not the TCP model's.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tcpmodel.tcp.tcb import TCB, Segment

ROOT = Path(__file__).resolve().parent.parent

# Variables that hold a TCP global state, a segment, a TCB or an action in this codebase.
STATE_LIKE = frozenset({
    "state", "s", "t", "st", "nxt", "next_state", "prev", "prev_state", "src", "dst",
    "u", "start", "last", "final", "target", "before", "after", "tcb", "me", "other",
    "seg", "segment", "lost", "copy", "packet",
    "action", "a", "act", "move",
})
# Index names that stand for a side or a direction (CLIENT = C2S = 0, SERVER = S2C = 1), and
# tcb.py's field positions (SND_NXT, ...), which only the model's in-place TCB edits use.
SIDE_INDICES = frozenset({"side", "who", "direction", "d", "CLIENT", "SERVER", "C2S", "S2C", "receiver", "sender", "peer"}
                         | {field.upper() for field in TCB._fields} | {field.upper() for field in Segment._fields})
# An action's kind and its length (tcp/actions.py): ("tick",), ("CLOSE", side), ("OPEN", side, iss),
# ("deliver", direction, segment), ("timeout", side, timer), ...
ACTION_LENGTH = {"tick": 1, "LISTEN": 2, "SEND": 2, "CLOSE": 2, "ABORT": 2,
                 "OPEN": 3, "deliver": 3, "timeout": 3, "lose": 3, "dup": 3}
ACTION_KINDS = frozenset(ACTION_LENGTH)

# The modules that encode the layout (they may read by position).
OWNERS = {
    "tcpmodel/tcp/tcb.py",
    "tcpmodel/tcp/actions.py",
    "tcpmodel/tcp/model.py",
}
# Generic code: the engine knows nothing of TCP; its tests run toy models with tuple states.
GENERIC = ("tcpmodel/engine/", "tests/toymodels.py", "tests/test_engine_", "benchmarks/bench_engine.py")
# Owned elsewhere, converted separately: the lead shrinks this list as those branches merge.
OWNED_ELSEWHERE = ()  # every file is converted (the list named files being converted by others)


def _exempt(rel: str) -> bool:
    return rel in OWNERS or rel.startswith(GENERIC) or rel == "tests/test_names.py"


def checked_files():
    files = sorted(ROOT.glob("tcpmodel/**/*.py")) + sorted(ROOT.glob("tests/*.py")) + sorted(ROOT.glob("benchmarks/*.py"))
    return [p for p in files if not _exempt(p.relative_to(ROOT).as_posix())]


def _positional(index: ast.AST) -> bool:
    if isinstance(index, ast.Constant):
        return isinstance(index.value, int) and not isinstance(index.value, bool)
    if isinstance(index, (ast.Slice, ast.BinOp, ast.UnaryOp)):
        return True
    return isinstance(index, ast.Name) and index.id in SIDE_INDICES


def _names_a_state(node: ast.AST) -> bool:
    """``t``, ``t2``, ``s_1``: a STATE_LIKE name, possibly numbered; or an element of a
    trace's states or actions, ``trace.actions[i]``."""
    if isinstance(node, ast.Subscript):
        return isinstance(node.value, ast.Attribute) and node.value.attr in ("states", "actions")
    return isinstance(node, ast.Name) and node.id.rstrip("0123456789_") in STATE_LIKE


def _is_tuple_target(target: ast.AST) -> bool:
    return isinstance(target, (ast.Tuple, ast.List))


def _hand_built_action(node: ast.Tuple) -> bool:
    elts = node.elts
    if not elts or not (isinstance(elts[0], ast.Constant) and elts[0].value in ACTION_KINDS):
        return False
    if len(elts) != ACTION_LENGTH[elts[0].value]:
        return False
    if len(elts) == 1:
        return True
    # An action's second field is the side or the direction it concerns: ("OPEN", 0, 100),
    # ("deliver", C2S, seg), ("timeout", 1 - side, "time-wait"); not ("dup", args.dup).
    second = elts[1]
    return _positional(second) and not isinstance(second, ast.Slice)


def positional_reads(source: str, filename: str = "<source>"):
    """``(line, code)`` of every positional read of a state, segment, TCB or action, every
    unpacking of one, and every action built as a literal tuple, in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Subscript) and _names_a_state(node.value) and _positional(node.slice):
            found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Assign) and _names_a_state(node.value) and any(map(_is_tuple_target, node.targets)):
            found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Tuple) and _hand_built_action(node):
            found.append((node.lineno, ast.unparse(node)))
    return found


@pytest.mark.parametrize("path", checked_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_positional_reads(path):
    found = positional_reads(path.read_text(encoding="utf-8"), str(path))
    assert not found, "read by name (GlobalState/Segment/TCB fields, tcp.actions readers and constructors):\n" + "\n".join(
        f"{path.relative_to(ROOT)}:{line}: {code}" for line, code in found)


def test_the_rule_catches_a_reintroduced_position():
    """A one-character change back to a position in properties.py fails the rule."""
    source = (ROOT / "tcpmodel/tcp/properties.py").read_text(encoding="utf-8")
    assert positional_reads(source) == []
    assert "state.c2s" in source
    assert positional_reads(source.replace("state.c2s", "state[2]", 1)) == [
        (_line_of(source, "state.c2s"), "state[2]")]


def test_the_rule_reads_each_form():
    flagged = [
        "x = state[2 + side]", "x = t[side]", "x = seg[:6]", "x = seg[6]", "x = lost[4:]", "x = action[1]",
        "x = a[-1]", "x = t2[CLIENT]", "x = tcb[SND_NXT]", "x = seg[AGE]", "x = trace.actions[i][0]", "client, server, c2s, s2c, loss, dup = state", "x = ('deliver', 0, seg)", "x = ('tick',)",
        "x = ('OPEN', CLIENT, 100)",
    ]
    for code in flagged:
        assert len(positional_reads(code)) == 1, code
    allowed = [
        "x = state.tcb(side)", "x = state.channel(direction)", "x = seg.content", "x = kind(a) in ('lose', 'dup')",
        "x = trace.states[0]", "x = parts[0]", "x = states[i]", "x = ('OPEN', 'LISTEN')", "x = line.split()[1]",
        "x = ('dup', args.dup)", "x = [('dup', 0), ('time_wait', 1)]",
    ]
    for code in allowed:
        assert positional_reads(code) == [], code


def _line_of(source, text):
    return source[:source.index(text)].count("\n") + 1
