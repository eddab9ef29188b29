"""What many test files need, kept once: the test password, free ports, running
the ``berjasa`` command as a subprocess, and the hypothesis example counts of the
quick loop. Import as ``from tests.helpers import ...``."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _pytest.mark.expression import Expression

from berjasa.processes import BERJASA, free_port, start_server  # noqa: F401  (re-exported)

# The password of every user the tests create (tests/conftest.py, the subprocess
# servers of tests/browser and tests/reliability, central's office users).
PASSWORD = "kata-sandi-uji-123"
# The passphrase of the tests' encrypted backups.
PASSPHRASE = "frasa-sandi-cadangan"

# libfaketime (Debian's `faketime` package): a process started with
# ``faketime_env("+400d")`` in its environment sees its clock moved (the clock tests).
FAKETIME_LIB = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


def faketime_env(offset: str) -> dict[str, str]:
    """The environment that moves a child process's clock by ``offset`` ("+400d",
    "-2h"), for ``berjasa(..., process=True, env=...)`` or a served process."""
    return {"LD_PRELOAD": str(FAKETIME_LIB), "FAKETIME": offset,
            "FAKETIME_DONT_RESET": "1"}


# Workers of the quick loop: one more than the cores, because a test spends about a
# fifth of its time waiting (fsync, PostgreSQL, its subprocesses), and at most 8
# (each worker holds the whole suite's imports, about 0.5 GB). README.md, Tests.
QUICK_LOOP_WORKERS = min(8, (os.cpu_count() or 1) + 1)


def is_quick_loop(config: Any) -> bool:
    """The ``-m`` expression leaves out every browser and every reliability test
    (``not browser and not reliability``, or any equal expression)."""
    if not config.option.markexpr:
        return False
    expression = Expression.compile(config.option.markexpr)
    return not any(expression.evaluate(lambda name, marker=marker, **_: name == marker)
                   for marker in ("browser", "reliability"))


def examples(count: int, least: int = 10) -> int:
    """``max_examples`` for a hypothesis test: ``count``, or a fifth of it (at
    least ``least``) in the quick loop. ``pytest -m "not browser and not reliability"``
    sets ``BERJASA_TEST_QUICK=1`` (tests/conftest.py); plain ``pytest`` (CI) runs
    every example. The fuzz tests run ``count`` per operation and user, so they
    allow a lower floor: their examples multiply."""
    return max(least, count // 5) if quick_run() else count


def quick_run() -> bool:
    """This run is the quick loop's (``BERJASA_TEST_QUICK=1``, set by tests/conftest.py
    for ``-m "not browser and not reliability"``; ``BERJASA_TEST_QUICK=0`` runs it whole)."""
    return os.environ.get("BERJASA_TEST_QUICK") == "1"


# Commands that serve until stopped: always a real process (a server that
# failed to refuse would otherwise hang the test run instead of timing out).
_SERVING = (("serve",), ("central", "serve"))


def berjasa(*args: str, stdin: str | None = None, data_dir: Path | None = None,
            env: dict[str, str] | None = None, check: bool = False,
            timeout: float = 120, process: bool = False) -> subprocess.CompletedProcess:
    """Run ``berjasa ARGS`` (``--data-dir`` appended when given, ``env`` added to
    this process's environment) to completion; ``check`` fails the test with the
    command's output when it exits non-zero.

    The command runs in this process through click's test runner (a new Python
    costs about a second of CPU per command), exactly as the console script calls
    it: the same click group in standalone mode, its exit code, stdout and stderr,
    and an uncaught exception's traceback on stderr with exit code 1. ``process=True``
    runs ``python -m berjasa`` instead: for what only a real process shows (the
    entry point, product argon2 parameters, locks held until the process ends,
    signals); the serving commands always run as a process."""
    extra = ["--data-dir", str(data_dir)] if data_dir is not None else []
    argv = [*args, *extra]
    if process or any(tuple(args[:len(s)]) == s for s in _SERVING) or _runs_forever(args):
        done = subprocess.run([*BERJASA, *argv], input=stdin, capture_output=True, text=True,
                              timeout=timeout, check=False,
                              env={**os.environ, **env} if env is not None else None)
    else:
        done = _in_process(argv, stdin, env)
    if check:
        assert done.returncode == 0, f"berjasa {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done


def _runs_forever(args: tuple[str, ...]) -> bool:
    """``sync run`` without ``--once`` runs on its schedule until stopped, and
    ``demo`` without ``--once`` serves its city until stopped."""
    return "--once" not in args and (tuple(args[:2]) == ("sync", "run") or args[:1] == ("demo",))


def _in_process(argv: list[str], stdin: str | None,
                env: dict[str, str] | None) -> subprocess.CompletedProcess:
    """``berjasa ARGV`` through click's CliRunner, as a CompletedProcess."""
    from click.testing import CliRunner

    from berjasa.cli import main

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level  # the CLI's logging setup replaces them
    try:
        result = CliRunner().invoke(main, argv, input=stdin, env=env, prog_name="berjasa")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        _forget_process_state()
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # what Python prints for an uncaught exception (exit code 1, as here)
        stderr += "".join(traceback.format_exception(*result.exc_info))
    return subprocess.CompletedProcess([*BERJASA, *argv], result.exit_code, result.stdout,
                                       stderr)


def _forget_process_state() -> None:
    """Drop what a command keeps for its process's life, as if it had exited:
    cached pseudonym keys (a restore may replace a folder's key)."""
    from berjasa import pseudonyms

    pseudonyms._cache.clear()


def flask_session_payload(value: str) -> str:
    """A Flask session cookie's content as text (itsdangerous: ``[.]payload.time.sig``,
    a leading dot when zlib-compressed): what anyone holding the cookie can read."""
    import base64
    import json
    import zlib

    compressed = value.startswith(".")
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = (zlib.decompress(raw) if compressed else raw).decode()
    json.loads(text)  # really the session
    return text


@contextlib.contextmanager
def intake_before_the_format_rule() -> Iterator[None]:
    """The enrollment intake as it was before free text refused invisible format
    characters (U+202E...): it refused only controls, surrogates and unassigned code
    points. For the records an older version stored (in this process: the in-thread
    servers and central's re-judging included, until the block ends)."""
    import unicodedata

    import pytest

    from berjasa import checks, enrollment_fields

    def older(text: str, allowed: str = checks.TYPED_CONTROLS, subject: str = "Berisi"):
        bad = [c for c in text if c not in allowed and unicodedata.category(c) in ("Cc", "Cs", "Cn")]
        return checks.unprintable_problem("\x00", "", subject) if bad else None

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(enrollment_fields, "unprintable_problem", older)
        yield


def rejects_rows(path: str | Path) -> list[dict[str, Any]]:
    """The rows of an import's rejects file as Excel would show them, whatever format
    it has (docs/central.md "The rejects file"): a workbook's cells as written, a
    ``.txt`` as UTF-16 with tabs, a ``.csv`` as UTF-8 with a BOM in the separator its
    header uses (the one of the file imported). ``baris`` always as text."""
    import csv

    path = Path(path)
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook
        book = load_workbook(path, read_only=True)
        try:
            rows = [["" if v is None else str(v) for v in row]
                    for row in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
        return [dict(zip(rows[0], row)) for row in rows[1:]]
    if path.suffix == ".txt":
        with path.open(encoding="utf-16", newline="") as handle:
            return list(csv.DictReader(handle, delimiter="\t"))
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = handle.readline()
        delimiter = header[header.rindex("alasan") - 1]
        handle.seek(0)
        return list(csv.DictReader(handle, delimiter=delimiter))
