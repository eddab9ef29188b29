"""What many test files need, kept once: the test password, free ports, running
the ``berjasa`` command as a subprocess, and the hypothesis example counts of the
quick loop. Import as ``from tests.helpers import ...``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from berjasa.processes import BERJASA, free_port, start_server  # noqa: F401  (re-exported)

# The password of every user the tests create (tests/conftest.py, the subprocess
# servers of tests/browser and tests/reliability, central's office users).
PASSWORD = "kata-sandi-uji-123"
# The passphrase of the tests' encrypted backups.
PASSPHRASE = "frasa-sandi-cadangan"


def examples(count: int) -> int:
    """``max_examples`` for a hypothesis test: ``count``, or a fifth of it (at
    least 10) in the quick loop. ``pytest -m "not browser and not reliability"``
    sets ``BERJASA_TEST_QUICK=1`` (tests/conftest.py); plain ``pytest`` (CI) runs
    every example."""
    return max(10, count // 5) if os.environ.get("BERJASA_TEST_QUICK") == "1" else count


def berjasa(*args: str, stdin: str | None = None, data_dir: Path | None = None,
            env: dict[str, str] | None = None, check: bool = False,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``berjasa ARGS`` (``--data-dir`` appended when given, ``env`` added to
    this process's environment) to completion; ``check`` fails the test with the
    command's output when it exits non-zero."""
    extra = ["--data-dir", str(data_dir)] if data_dir is not None else []
    done = subprocess.run([*BERJASA, *args, *extra], input=stdin, capture_output=True,
                          text=True, timeout=timeout,
                          env={**os.environ, **env} if env is not None else None, check=False)
    if check:
        assert done.returncode == 0, f"berjasa {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done
