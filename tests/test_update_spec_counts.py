"""scripts/update_spec_counts.py rewrites a spec's [counts] table and nothing else."""

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "update_spec_counts.py"


def script():
    spec = importlib.util.spec_from_file_location("update_spec_counts", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


COUNTS = {"states": 7, "transitions": 9, "depth": 3}


def test_rewrite_replaces_only_the_counts_table():
    text = ('# why\nvariant = "rfc9293"\n\n[counts]\nstates = 1\ndepth = 2\n\n# the limits\n[limits]\nmax_states = 5\n')
    assert script().rewrite(text, COUNTS) == (
        '# why\nvariant = "rfc9293"\n\n[counts]\nstates = 7\ntransitions = 9\ndepth = 3\n\n# the limits\n[limits]\nmax_states = 5\n')


def test_rewrite_appends_a_table_when_there_is_none():
    new = script().rewrite('variant = "rfc9293"\n[expect]\nno_deadlock = "holds"\n\n\n', COUNTS)
    assert new == ('variant = "rfc9293"\n[expect]\nno_deadlock = "holds"\n\n'
                   "# exact counts of a complete run (scripts/update_spec_counts.py rewrites this table)\n"
                   "[counts]\nstates = 7\ntransitions = 9\ndepth = 3\n")


def test_the_script_writes_then_checks(tmp_path):
    spec = tmp_path / "mine.toml"
    body = 'variant = "three_step_close"\n[parameters]\nmsl = 1\nrto = 3\n[expect]\nclose_delivers_all = "violated"\n'
    spec.write_text(body + "[counts]\nstates = 5\n")
    check = subprocess.run([sys.executable, str(SCRIPT), "--check", str(spec)], capture_output=True, text=True, timeout=300)
    assert check.returncode == 1 and "counts differ" in check.stdout
    assert spec.read_text() == body + "[counts]\nstates = 5\n"  # --check writes nothing
    write = subprocess.run([sys.executable, str(SCRIPT), str(spec)], capture_output=True, text=True, timeout=300)
    assert write.returncode == 0, write.stderr
    assert spec.read_text() == body + "[counts]\nstates = 1261\ntransitions = 3206\ndepth = 21\n"
    again = subprocess.run([sys.executable, str(SCRIPT), "--check", str(spec)], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "counts unchanged" in again.stdout
