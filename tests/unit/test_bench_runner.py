"""``python -m bench``: a tiny subset run through the command line writes one JSON
file and a table where every figure stands next to a baseline and a ratio.
Nothing here is timed (speed is the benches' business, not the tests')."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow
def test_a_quick_subset_writes_figures_with_baselines_and_ratios(tmp_path):
    out = tmp_path / "bench.json"
    done = run_bench("--quick", "--only", "identity,scale", "--out", str(out))
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))

    assert report["quick"] is True
    assert set(report["benches"]) == {"identity"}           # scale is not quick
    assert any(item.startswith("scale") for item in report["left_out"])
    assert len(report["load_before"]["load_average"]) == 3
    figures = report["table"]
    assert figures and {f["bench"] for f in figures} == {"identity"}
    for figure in figures:
        assert isinstance(figure["value"], (int, float)), figure
        assert isinstance(figure["baseline"], (int, float)), figure
        assert isinstance(figure["ratio"], (int, float)), figure
        assert figure["unit"] is not None and figure["figure"]
    recall = next(f for f in figures if "recall" in f["figure"])
    assert recall["ratio"] == round(recall["value"] / recall["baseline"], 3)

    lines = done.stdout.splitlines()
    assert lines[0].split()[:5] == ["bench", "figure", "berjasa", "baseline", "ratio"]
    assert any(line.startswith("left out: scale") for line in lines)
    assert str(out) in done.stdout


@pytest.mark.slow
def test_an_unknown_bench_name_is_refused_before_anything_runs(tmp_path):
    out = tmp_path / "bench.json"
    done = run_bench("--quick", "--only", "identity,nope", "--out", str(out))
    assert done.returncode != 0
    assert "nope" in done.stderr and "identity" in done.stderr
    assert not out.exists()
