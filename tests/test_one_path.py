"""One path from a spec to a result (DESIGN.md): only tcpmodel.run builds the TCP model and
calls the engine (the explorer, which steps through a model by hand, gets it from
run.build_model); render reads results through public fields only (the reachable graph as
Result.state_graph). Checked on the source."""

import ast
from pathlib import Path

from tcpmodel.run import SpecRun, run_spec
from tcpmodel.spec import load

PACKAGE = Path(__file__).resolve().parent.parent / "tcpmodel"
# namedtuple's public API starts with an underscore
NAMEDTUPLE_API = {"_asdict", "_replace", "_make", "_fields", "_field_defaults"}


def modules(*skip):
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if not rel.startswith(skip):
            yield rel, ast.parse(path.read_text(encoding="utf-8"))


def test_only_run_builds_models_and_calls_the_engine():
    found = []
    for rel, tree in modules("engine/", "tcp/"):
        if rel == "run.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith("engine"):
                if any(a.name == "check" for a in node.names):
                    found.append(f"{rel}: imports engine.check")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("TcpModel", "build"):
                found.append(f"{rel}:{node.lineno}: {node.func.id}(...)")
    assert found == []


def test_render_reads_no_private_fields():
    found = []
    for rel, tree in modules():
        if not (rel.startswith("render/") or rel.startswith("formats/")):
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and node.attr not in NAMEDTUPLE_API
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                found.append(f"{rel}:{node.lineno}: .{node.attr}")
    assert found == []


def test_a_run_made_by_hand_takes_the_spec_expectations():
    spec = load(PACKAGE.parent / "specs" / "three_step_close.toml")
    run = run_spec(spec)
    again = SpecRun(spec, run.model, run.result)
    assert again.expect == spec.expect and again.expected_counts == spec.counts and again.as_expected
    # a changed configuration is not the spec: its expectations do not apply
    other = run_spec(spec, config=spec.config.replace(variant="rfc9293"))
    assert other.expect == {} and other.expected_counts == {} and list(other.rows()) == [
        ("close_delivers_all", "holds", None, None)]


def test_formats_import_no_render_or_cli():
    bad = []
    for rel, tree in modules():
        if not rel.startswith("formats/"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level >= 2 \
                    and node.module.split(".")[0] in ("render", "cli", "__main__"):
                bad.append(f"{rel}: from {'.' * node.level}{node.module}")
            if isinstance(node, ast.Import) and any(a.name.startswith(("tcpmodel.render", "tcpmodel.cli", "graphviz"))
                                                    for a in node.names):
                bad.append(f"{rel}: import")
    assert bad == []
