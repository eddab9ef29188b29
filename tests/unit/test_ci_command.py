"""CI runs the README's commands: the last line of .ci/run installs the test extras
and runs plain ``pytest`` (every test, every marker), as README.md tells a newcomer."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ci_runs_the_readme_install_and_test_commands():
    last = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
            if line.strip()][-1]
    assert last == "pip install -e '.[test]' && pytest"
    readme = [line.split("#")[0].strip()
              for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()]
    assert "pip install -e '.[test]'" in readme and "pytest" in readme
