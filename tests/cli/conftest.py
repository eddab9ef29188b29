"""The demo city that tests/cli/test_demo.py and test_demo_central.py look at: one
``berjasa demo`` run (persistent, as an operator starts it), started once for both.
A demo costs about 15 CPU-s: central, two kelurahan servers and a dozen commands,
each a process. The two tests share one xdist worker (``xdist_group("demo_city")``)."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import BERJASA

# The summary's last line: the payment-list command of the office's story.
SUMMARY_END = "--output iuran.xlsx"


@dataclass
class DemoCity:
    """A running ``berjasa demo``: its process, what it printed, its --data-dir."""

    process: subprocess.Popen
    stdout: str
    root: Path

    def errors(self) -> str:
        """What the demo wrote to stderr so far."""
        return (self.root / "demo-stderr.log").read_text(errors="replace")

    @property
    def central(self) -> str:
        """Central's base URL, from the printed login line."""
        found = re.search(r"Login registri pusat (http://127\.0\.0\.1:\d+)/login", self.stdout)
        assert found, self.stdout + self.errors()
        return found.group(1)


@pytest.fixture(scope="session")
def demo_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCity]:
    """``berjasa demo --enrollments 12``, once its summary is printed; stopped at the end."""
    root = tmp_path_factory.mktemp("demo-city")
    with open(root / "demo-stderr.log", "w") as stderr:
        demo = subprocess.Popen([*BERJASA, "demo", "--enrollments", "12", "--data-dir", str(root)],
                                stdout=subprocess.PIPE, stderr=stderr, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = demo.stdout.readline()
        if not line:
            break
        lines.append(line)
        if SUMMARY_END in line:
            break
    try:
        yield DemoCity(demo, "".join(lines), root)
    finally:
        demo.terminate()
        demo.wait(timeout=60)
