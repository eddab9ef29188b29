"""bench runner: figures next to their baselines, errors and left-out benches shown."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

# bench/ is not an installed package: load the runner from its file
_spec = importlib.util.spec_from_file_location(
    "berjasa_bench_runner", Path(__file__).resolve().parents[2] / "bench" / "__main__.py")
runner = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = runner  # dataclasses look their module up
_spec.loader.exec_module(runner)


def test_a_ratio_is_computed_when_the_bench_gives_none():
    bench = runner.Bench("x", "x.py", [], [], [
        runner.Figure("speed", "ours.rate", "rec/s", "base.rate"),
        runner.Figure("time", "ours.seconds", "s", "base.seconds", higher_is_better=False)])
    table = runner.rows(bench, {"result": {"ours": {"rate": 50, "seconds": 4.0},
                                           "base": {"rate": 200, "seconds": 1.0}}})
    assert [r["ratio"] for r in table] == [0.25, 0.25]
    assert table[0]["value"] == 50 and table[0]["baseline"] == 200


def test_the_bench_s_own_ratio_wins_and_missing_paths_are_none():
    bench = runner.Bench("x", "x.py", [], [], [
        runner.Figure("a", "v", "", "b", "r"), runner.Figure("b", "nope.deeper", "", None)])
    table = runner.rows(bench, {"result": {"v": 3, "b": 4, "r": 0.7}})
    assert table[0]["ratio"] == 0.7
    assert table[1]["value"] is None and table[1]["ratio"] is None


def test_errors_and_left_out_benches_reach_the_table():
    bench = runner.Bench("broken", "x.py", [], [], [runner.Figure("a", "v", "")])
    table = runner.rows(bench, {"error": "exit 1: boom"})
    text = runner.table(table, ["sync (needs root)"])
    assert "ERROR" in text and "exit 1: boom" in text and "left out: sync (needs root)" in text


def test_last_json_reads_a_pretty_object_after_log_lines():
    assert runner.last_json('starting\n{\n  "a": 1\n}\n') == {"a": 1}
    assert runner.last_json('{"a": 2}') == {"a": 2}
