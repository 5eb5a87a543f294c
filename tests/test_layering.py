"""The layers of DESIGN.md, checked on the source (ast), not on trust:

    engine/  generic: imports nothing of tcpmodel but itself and tcpmodel.errors
    tcp/     imports no spec/run/render/cli, never graphviz
    spec, run: import no render/cli
    render/  the only package that imports graphviz
    cli.py   the only module that prints or exits (and __main__.py, which calls it)
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tcpmodel"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for name, path in MODULES.items()}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py" if name in MODULES else False


def resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute module of ``from ... import`` in ``module``."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package(module):
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str):
    """Every module ``module`` imports (anywhere, including inside functions), absolute.
    ``from pkg import name`` counts as importing ``pkg.name`` when that is a module."""
    found = set()
    for node in ast.walk(TREES[module]):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = resolve(module, node)
            subs = [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in MODULES]
            if subs and target == "tcpmodel":
                found.update(subs)  # `from .. import errors` is an import of tcpmodel.errors
            else:
                found.add(target)
                found.update(subs)
    return found


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def in_layer(module: str, *prefixes: str) -> bool:
    return any(within(module, p) for p in prefixes)


def offending(modules, forbidden):
    bad = []
    for m in modules:
        for imp in sorted(imports_of(m)):
            if any(within(imp, f) for f in forbidden):
                bad.append(f"{m} imports {imp}")
    return bad


def test_the_scan_sees_the_package():
    for name in ("tcpmodel.engine.explore", "tcpmodel.tcp.model", "tcpmodel.spec", "tcpmodel.run",
                 "tcpmodel.cli", "tcpmodel.__main__", "tcpmodel.render"):
        assert name in MODULES
    # relative imports are resolved
    assert "tcpmodel.engine.liveness" in imports_of("tcpmodel.engine.explore")
    assert "tcpmodel.engine" in imports_of("tcpmodel.tcp.properties")
    assert "tcpmodel.errors" in imports_of("tcpmodel.spec")
    assert "tcpmodel.run" in imports_of("tcpmodel.cli")  # a lazy import inside a function


def test_resolve_relative_imports():
    def first_from(code):
        return next(n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.ImportFrom))
    assert resolve("tcpmodel.tcp.model", first_from("from ..render import ladder")) == "tcpmodel.render"
    assert resolve("tcpmodel.tcp.model", first_from("from .tcb import SYN")) == "tcpmodel.tcp.tcb"
    assert resolve("tcpmodel.tcp", first_from("from .model import TcpModel")) == "tcpmodel.tcp.model"
    assert resolve("tcpmodel.engine.explore", first_from("from ... import cli")) == ""  # beyond the top
    assert resolve("tcpmodel.cli", first_from("from . import __version__")) == "tcpmodel"
    assert resolve("tcpmodel.spec", first_from("from tcpmodel.render import x")) == "tcpmodel.render"


def test_engine_knows_only_itself_and_errors():
    bad = []
    for m in MODULES:
        if not in_layer(m, "tcpmodel.engine"):
            continue
        for imp in sorted(imports_of(m)):
            if within(imp, "tcpmodel") and not in_layer(imp, "tcpmodel.engine", "tcpmodel.errors"):
                bad.append(f"{m} imports {imp}")
            if within(imp, "graphviz"):
                bad.append(f"{m} imports {imp}")
    assert bad == []


def test_tcp_never_imports_spec_run_render_cli_or_graphviz():
    tcp = [m for m in MODULES if in_layer(m, "tcpmodel.tcp")]
    assert tcp
    assert offending(tcp, ["tcpmodel.spec", "tcpmodel.run", "tcpmodel.render", "tcpmodel.cli",
                           "tcpmodel.__main__", "graphviz"]) == []


def test_spec_and_run_import_no_render_or_cli():
    assert offending(["tcpmodel.spec", "tcpmodel.run"], ["tcpmodel.render", "tcpmodel.cli", "tcpmodel.__main__"]) == []


def test_nothing_below_the_cli_imports_the_cli():
    others = [m for m in MODULES if m not in ("tcpmodel.cli", "tcpmodel.__main__")]
    assert offending(others, ["tcpmodel.cli", "tcpmodel.__main__"]) == []


def test_only_render_imports_graphviz():
    others = [m for m in MODULES if not in_layer(m, "tcpmodel.render")]
    assert offending(others, ["graphviz"]) == []


def call_name(node: ast.Call) -> str:
    f = node.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        return f"{f.value.id}.{f.attr}"
    return ""


EXITS_AND_PRINTS = {"print", "exit", "quit", "sys.exit", "os._exit", "os.abort", "pprint.pprint", "pprint"}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m not in ("tcpmodel.cli", "tcpmodel.__main__")))
def test_only_the_cli_prints_or_exits(module):
    found = []
    for node in ast.walk(TREES[module]):
        if isinstance(node, ast.Call) and call_name(node) in EXITS_AND_PRINTS:
            found.append(f"line {node.lineno}: {call_name(node)}(...)")
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id == "SystemExit":
                found.append(f"line {node.lineno}: raise SystemExit")
    assert found == [], f"{module} prints or exits: {found}"


def test_the_cli_does_print_and_exit():
    # the check above would be vacuous if the scan could not see these calls
    def calls(module):
        return {call_name(n) for n in ast.walk(TREES[module]) if isinstance(n, ast.Call)}
    assert "print" in calls("tcpmodel.cli")
    assert "sys.exit" in calls("tcpmodel.__main__")
