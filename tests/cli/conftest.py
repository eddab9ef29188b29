"""The demo city that tests/cli/test_demo.py and test_demo_central.py look at: one
``berjasa demo --once`` run, made once for both. A demo costs about 7 CPU-s:
central, two kelurahan servers and a dozen commands, each a process. After it
exits, ``berjasa central serve`` serves its central folder again for the office's
story (the persistent demo's servers are checked by tests/cli/test_demo_stop.py).
The two tests share one xdist worker (``xdist_group("demo_city")``)."""

from __future__ import annotations

import random
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import berjasa, free_port, start_server


@dataclass
class DemoCity:
    """What ``berjasa demo --once`` did (its answer, its --data-dir) and central's
    URL, served again from the demo's central folder."""

    answer: subprocess.CompletedProcess
    root: Path
    central: str


def _free_run_of_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports below the kernel's ephemeral range
    (where other tests' servers on port 0 land): the demo's defaults (8090, 8080, 8081)
    are any other program's too, and one answering there once passed for the demo's
    central (berjasa.processes.start_server now refuses that)."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 30000 - count)
        if all(free_port(base + i) == base + i for i in range(count)):
            return base
    raise RuntimeError("no run of free ports between 20000 and 30000")


@pytest.fixture(scope="session")
def demo_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCity]:
    """``berjasa demo --once --enrollments 12`` (in this process: the users it makes
    get the suite's cheap argon2 hashes, a second of CPU each otherwise; its servers
    and commands are processes as always); then central on its folder until the end."""
    root = tmp_path_factory.mktemp("demo-city")
    answer = berjasa("demo", "--once", "--enrollments", "12", "--port-base",
                     str(_free_run_of_ports(3)), data_dir=root)
    assert answer.returncode == 0, answer.stderr
    port = free_port()
    central = start_server(["central", "serve", "--port", str(port), "--data-dir",
                            str(root / "demo" / "central")], f"http://127.0.0.1:{port}")
    try:
        yield DemoCity(answer, root, f"http://127.0.0.1:{port}")
    finally:
        central.terminate()
        central.wait(timeout=60)
