"""README.md's samples are what the tool prints, and its pytest example runs as written."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def regen_module():
    spec = importlib.util.spec_from_file_location("regen_readme", ROOT / "scripts" / "regen_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_samples_are_what_the_tool_prints():
    regen = regen_module()
    text = README.read_text(encoding="utf-8")
    blocks = regen.BLOCK.findall(text)
    assert len(blocks) >= 2
    assert regen.regenerate(text) == text, "README.md is stale: run python3 scripts/regen_readme.py"


def test_regenerate_replaces_only_the_blocks_and_masks_times():
    regen = regen_module()
    text = "before\n<!-- BEGIN generated: specs -->\nold\n<!-- END generated -->\nafter\n"
    new = regen.regenerate(text)
    assert new.startswith("before\n<!-- BEGIN generated: specs -->\n```\n$ tcpmodel specs\nbuilt-in specs (")
    assert new.endswith("```\n<!-- END generated -->\nafter\n")
    assert regen.mask_times("depth 23, 0.01 s (97,000 states/s), in 1.4 s") == "depth 23, … s (… states/s), in … s"


def test_the_readme_pytest_example_runs(tmp_path):
    text = README.read_text(encoding="utf-8")
    m = re.search(r"<!-- BEGIN example: pytest -->\n```python\n(.*?)```\n<!-- END example -->", text, re.S)
    assert m, "the pytest example block is missing from README.md"
    (tmp_path / "test_my_variant.py").write_text(m.group(1), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_my_variant.py"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout
