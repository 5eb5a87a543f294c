"""A wheel that works anywhere: built from this tree, installed non-editable into a fresh
virtual environment, run from a folder with no specs/ (the catalogue ships in the package)."""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tcpmodel"


def test_pyproject_lists_every_package_and_maps_the_catalogue():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    on_disk = sorted(".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("__init__.py"))
    assert sorted(set(config["packages"]) - {"tcpmodel.catalogue"}) == on_disk
    assert config["package-dir"] == {"tcpmodel.catalogue": "specs"}
    assert config["package-data"]["tcpmodel.catalogue"] == ["*.toml"]
    assert not (PACKAGE / "catalogue").exists()  # one copy of the specs in git: specs/


def _build_wheel(tmp: Path) -> Path:
    """pip wheel from a clean copy of the tree (no build/ or egg-info left in the checkout):
    without build isolation when the installed setuptools can, else with it."""
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", "out", "build", "dist", "*.egg-info",
                                                             "__pycache__", ".pytest_cache", ".hypothesis"))
    dist = tmp / "dist"
    errors = []
    for extra in (["--no-build-isolation"], []):
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", *extra, "-w", str(dist), str(src)],
                              capture_output=True, text=True, timeout=600)
        wheels = sorted(dist.glob("tcpmodel-*.whl"))
        if proc.returncode == 0 and wheels:
            return wheels[0]
        errors.append(proc.stderr[-2000:])
    pytest.fail("cannot build the wheel:\n" + "\n---\n".join(errors))


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(tmp)
    env_dir = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(env_dir)], check=True, timeout=300)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--ignore-installed", str(wheel)], check=True,
                   timeout=300, capture_output=True)
    return env_dir


def run_in(venv, cwd, *args):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run([str(venv / "bin" / "tcpmodel"), *args], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", timeout=300, env=env)


def test_the_installed_wheel_is_imported_not_this_tree(venv, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import tcpmodel, tcpmodel.library as l; print(tcpmodel.__file__); print(l.catalogue_dir())"],
                          cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    module, catalogue = proc.stdout.splitlines()
    assert module.startswith(str(venv)) and catalogue.startswith(str(venv))
    assert catalogue.endswith("tcpmodel/catalogue")


def test_the_wheel_works_from_an_empty_folder(venv, tmp_path):
    listing = run_in(venv, tmp_path, "specs")
    assert listing.returncode == 0, listing.stderr
    assert [line.split()[0] for line in listing.stdout.splitlines()[1:]] == sorted(p.stem for p in (ROOT / "specs").glob("*.toml"))

    check = run_in(venv, tmp_path, "check", "--no-write")
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("no specs/ folder here: checking the built-in catalogue")
    assert check.stdout.splitlines()[-1].endswith("every verdict as expected")

    named = run_in(venv, tmp_path, "check", "three_step_close", "--json", "--no-write")
    assert named.returncode == 0, named.stderr
    assert '"format_version"' in named.stdout

    explain = run_in(venv, tmp_path, "explain", "close", "--no-write")
    assert explain.returncode == 0, explain.stderr
    assert explain.stdout.startswith("Why four segments to close a connection")

    sweep = run_in(venv, tmp_path, "sweep", "three_step_close", "--dup", "0..1", "--no-write")
    assert sweep.returncode == 0, sweep.stderr
    assert "2 point(s)" in sweep.stdout

    diagram = run_in(venv, tmp_path, "diagram", "--out", "o")
    assert diagram.returncode == 0, diagram.stderr
    assert (tmp_path / "o" / "docs" / "index.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]  # nothing else written

    copy = run_in(venv, tmp_path, "specs", "--copy", "rfc9293")
    assert copy.returncode == 0 and (tmp_path / "rfc9293.toml").is_file()
