"""The phone's fix flow (field_client/js/fixes.js) under node's test runner:
needs_fix records arrive whole, PATCH + If-Match, 412 as a conflict, offline waits."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_fixes_module_under_node():
    done = subprocess.run(["node", "--test", str(ROOT / "field_client/tests/fixes.test.mjs")],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
