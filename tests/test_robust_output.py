"""Robust output (issue 10): hostile spec file names, atomic report updates, leftovers, and
an unusable --out refused before any run."""

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import tcpmodel.render.outputs as outputs
from tcpmodel.render import write_outputs
from tcpmodel.render.canonical import write_canonical_docs
from tcpmodel.render.outputs import (OutputError, check_out_dir, clean_leftovers, folder_names, make_staging, slug,
                                     swap_in)
from tcpmodel.run import run_spec
from tcpmodel.spec import load

ROOT = Path(__file__).resolve().parent.parent
# 45 states: FIFO, no data, no faults; a witness gives each report a ladder to draw.
TINY = ('description = "tiny"\n[parameters]\nmsl = 1\nrto = 3\nchannel = "fifo"\nclient_data = 0\nserver_data = 0\n'
        '[expect]\nno_bogus_open = "holds"\nthree_way_handshake = "holds"\n')
HUGE = "[parameters]\nmsl = 8\n[faults]\nloss = 3\ndup = 3\n[expect]\nno_bogus_open = \"holds\"\n"


def cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "tcpmodel", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", errors="replace", timeout=timeout)


def tiny_runs(folder: Path, names):
    runs = []
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(TINY, encoding="utf-8")
        runs.append(run_spec(load(path), keep_graph=True))
    return runs


# --------------------------------------------------------------------------------------------
# Folder names


def test_slugs_of_hostile_names():
    assert [slug(n) for n in (".", "..", "index.html", "x.old", 'a"b', "a b/c", "rfc9293", "-x-", "中文", "x" * 100)] == [
        "spec", "spec", "index_html", "x_old", "a_b", "a_b_c", "rfc9293", "x", "spec", "x" * 64]


def test_folder_names_are_unique_and_never_reserved():
    assert folder_names(["x", "x", "X", "x-2", "sweep", "docs", "explain", "index", ".", ".."]) == [
        "x", "x-2", "X-3", "x-2-2", "sweep-2", "docs-2", "explain-2", "index-2", "spec", "spec-2"]


def test_hostile_spec_file_names_get_safe_folders(tmp_path):
    names = ["..toml", "...toml", "index.html.toml", "x.toml", "x.old.toml", "a\"b'c<d>.toml", "other/x.toml"]
    runs = tiny_runs(tmp_path / "specs", names)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    written = write_outputs(out, runs)
    assert list(written.folders.values()) == ["spec", "spec-2", "index_html", "x", "x_old", "a_b_c_d", "x-2"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["index.html", "keep.txt", "spec", "spec-2", "index_html", "x", "x_old", "a_b_c_d", "x-2"])
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine"  # out/ was not renamed away
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "specs"]  # nothing written beside out/
    for run, folder in zip(runs, written.folders.values()):  # each folder holds its own spec's report
        data = json.loads((out / folder / "verdicts.json").read_text(encoding="utf-8"))
        assert data["source"] == str(run.spec.path)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "a&quot;b&#x27;c&lt;d&gt;" in page  # the name is shown, escaped
    assert "a\"b'c<d>" not in page
    for folder in written.folders.values():
        assert f"href='#{folder}'" in page and f"id='{folder}'" in page


def test_a_second_run_replaces_only_its_own_folders(tmp_path):
    out = tmp_path / "out"
    write_outputs(out, tiny_runs(tmp_path / "a", ["x.toml", "y.toml"]))
    (out / "y" / "marker").write_text("old", encoding="utf-8")
    (out / "x" / "marker").write_text("old", encoding="utf-8")
    write_outputs(out, tiny_runs(tmp_path / "b", ["x.toml"]))
    assert not (out / "x" / "marker").exists()  # replaced
    assert (out / "y" / "marker").read_text(encoding="utf-8") == "old"  # untouched
    assert not [p for p in out.iterdir() if p.name.startswith(".") or p.name.endswith(".old")]


# --------------------------------------------------------------------------------------------
# Atomic as seen by a reader


def test_swap_in_exchanges_a_folder_in_one_step(tmp_path):
    dst, src = tmp_path / "report", tmp_path / ".staging" / "report"
    dst.mkdir()
    (dst / "f").write_text("old", encoding="utf-8")
    src.mkdir(parents=True)
    (src / "f").write_text("new", encoding="utf-8")
    assert outputs._exchange(src, dst) is True  # Linux: renameat2(RENAME_EXCHANGE)
    assert (dst / "f").read_text(encoding="utf-8") == "new" and (src / "f").read_text(encoding="utf-8") == "old"
    swap_in(src, dst)  # and back, through the public function
    assert (dst / "f").read_text(encoding="utf-8") == "old"


def test_swap_in_without_the_exchange_call_still_replaces(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    dst, src = tmp_path / "report", tmp_path / "new"
    dst.mkdir()
    src.mkdir()
    (src / "f").write_text("new", encoding="utf-8")
    swap_in(src, dst)
    assert (dst / "f").read_text(encoding="utf-8") == "new" and not src.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_a_reader_never_sees_a_report_folder_missing(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_outputs(out, tiny_runs(tmp_path / "a", ["x.toml", "y.toml"]))
    seen = []
    real_exchange, real_replace = outputs._exchange, os.replace

    def exchange(a, b):
        assert b.is_dir()  # the old report is there up to the exchange...
        done = real_exchange(a, b)
        assert b.is_dir() and (b / "verdicts.json").is_file()  # ...and the new one right after it
        seen.append(b.name)
        return done

    def replace(a, b):
        if Path(b).name == "index.html":
            seen.append("index.html")
            assert all((out / name).is_dir() for name in ("x", "y"))  # index.html last
        return real_replace(a, b)

    monkeypatch.setattr(outputs, "_exchange", exchange)
    monkeypatch.setattr(outputs.os, "replace", replace)
    write_outputs(out, tiny_runs(tmp_path / "b", ["x.toml", "y.toml"]))
    assert seen == ["x", "y", "index.html"]


def test_an_interrupt_while_writing_leaves_the_old_reports_and_no_staging(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_outputs(out, tiny_runs(tmp_path / "a", ["x.toml"]))
    before = (out / "index.html").read_bytes()

    def interrupted(jobs):
        raise KeyboardInterrupt

    monkeypatch.setattr(outputs, "render_all", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(out, tiny_runs(tmp_path / "b", ["x.toml", "new.toml"]))
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "x"]
    assert (out / "index.html").read_bytes() == before


def test_leftovers_are_cleaned_at_the_next_run(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    dead = out / ".staging-999999999-abc"  # no such process
    legacy = out / ".staging-k2j3h4"       # from a version that did not name the process
    old = out / "x.old"                    # from the older two-rename swap
    live = out / f".staging-{os.getpid()}-live"
    for d in (dead, legacy, old, live):
        d.mkdir()
        (d / "f").write_text("x", encoding="utf-8")
    assert clean_leftovers(out) == [dead.name, legacy.name, old.name]
    assert sorted(p.name for p in out.iterdir()) == [live.name]
    write_outputs(out, tiny_runs(tmp_path / "a", ["x.toml"]))
    assert live.is_dir()  # a running process's staging folder is left alone


# --------------------------------------------------------------------------------------------
# Modes


def test_folders_are_created_0755(tmp_path):
    old = os.umask(0o022)
    try:
        assert stat.S_IMODE(make_staging(tmp_path).stat().st_mode) == 0o755
        runs = tiny_runs(tmp_path / "a", ["rfc9293.toml"])
        write_outputs(tmp_path / "out", runs)
        canonical = [run_spec(load(ROOT / "specs" / name), keep_graph=True)
                     for name in ("canonical_fifo.toml", "canonical_simultaneous.toml", "canonical_lost_ack.toml")]
        write_canonical_docs(tmp_path / "out" / "docs", canonical)
    finally:
        os.umask(old)
    for folder in (tmp_path / "out", tmp_path / "out" / "rfc9293", tmp_path / "out" / "docs"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o755, folder


# --------------------------------------------------------------------------------------------
# An unusable --out: one line, exit 2, before any run


def _unwritable(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # root writes through permissions: /proc refuses everyone
        return Path("/proc/tcpmodel-out")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    return ro / "out"


@pytest.mark.parametrize("case", ["read-only", "/dev/null", "too long", "empty", "a file"])
def test_unusable_out_is_refused_before_exploring(tmp_path, case):
    spec = tmp_path / "huge.toml"
    spec.write_text(HUGE, encoding="utf-8")  # hours of exploring: only an early check returns at once
    (tmp_path / "file").write_text("x", encoding="utf-8")
    out = {"read-only": _unwritable(tmp_path), "/dev/null": "/dev/null", "too long": tmp_path / ("o" * 300),
           "empty": "", "a file": tmp_path / "file"}[case]
    r = cli("check", spec, "--out", out, "--max-seconds", "100", timeout=60)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == "" and "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tcpmodel: error: --out"), lines
    assert {"read-only": "cannot write there", "/dev/null": "exists and is not a folder",
            "too long": "File name too long", "empty": "an empty folder name",
            "a file": "exists and is not a folder"}[case] in lines[0]


def test_check_out_dir_creates_the_folder(tmp_path):
    assert check_out_dir(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert (tmp_path / "a" / "b").is_dir() and list((tmp_path / "a" / "b").iterdir()) == []
    with pytest.raises(OutputError):
        check_out_dir("")


def test_explain_and_diagram_check_out_too(tmp_path):
    for args in (["explain", "close"], ["diagram"]):
        r = cli(*args, "--out", "/dev/null", timeout=60)
        assert r.returncode == 2 and r.stdout == ""
        assert r.stderr.splitlines() == ["tcpmodel: error: --out /dev/null: exists and is not a folder"]


def test_a_full_disk_is_an_output_error(tmp_path, monkeypatch):
    def full(*a, **k):
        raise OSError(28, "No space left on device")

    runs = tiny_runs(tmp_path / "a", ["x.toml"])
    monkeypatch.setattr(outputs, "write_spec_folder", full)
    with pytest.raises(OutputError, match="No space left on device"):
        write_outputs(tmp_path / "out", runs)
    assert list((tmp_path / "out").iterdir()) == []
    shutil.rmtree(tmp_path / "out")


def test_a_sweep_folder_name_is_a_slug_too(tmp_path):
    from tcpmodel.render.sweep_plot import write_sweep
    from tcpmodel.sweep import Axis, sweep

    path = tmp_path / "..toml"
    path.write_text(TINY, encoding="utf-8")
    written = write_sweep(tmp_path / "out", sweep(load(path), [Axis.parse("loss", "0..1")]), plot=False)
    assert written.folder == tmp_path / "out" / "sweep" / "spec"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["sweep"]
    assert sorted(p.name for p in (tmp_path / "out" / "sweep").iterdir()) == ["spec"]
    assert stat.S_IMODE(written.folder.stat().st_mode) & 0o755 == 0o755
