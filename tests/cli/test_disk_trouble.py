"""cli: a disk or folder the operator must fix (read-only, full, no permission) that
no command names itself is one ``Galat:`` line from the command group, not a
traceback (berjasa.cli.LazyGroup.invoke). Read-only folders cannot be made here
(the tests run as root), so the errors are raised by commands added for the test."""

from __future__ import annotations

import errno
import sqlite3

import click
import pytest
from click.testing import CliRunner

from berjasa.cli import main

TROUBLES = {
    "rofs": OSError(errno.EROFS, "Read-only file system", "/data/kelurahan.db"),
    "full": OSError(errno.ENOSPC, "No space left on device"),
    "sqlite-ro": sqlite3.OperationalError("attempt to write a readonly database"),
    "sqlite-full": sqlite3.OperationalError("database or disk is full"),
}


@pytest.fixture
def troubled():
    """A command per trouble, added to the real group for the test only."""
    for name, error in TROUBLES.items():
        def raiser(error=error):
            raise error
        main.add_command(click.Command(f"uji-{name}", callback=raiser), f"uji-{name}")
    main.add_command(click.Command("uji-bug", callback=lambda: 1 / 0), "uji-bug")
    yield
    for name in [*TROUBLES, "bug"]:
        main.commands.pop(f"uji-{name}", None)


@pytest.mark.parametrize("name, words", [
    ("rofs", "Galat: disk hanya bisa dibaca (/data/kelurahan.db)"),
    ("full", "Galat: disk penuh; kosongkan ruang lalu ulangi"),
    ("sqlite-ro", "Galat: basis data tidak bisa ditulis"),
    ("sqlite-full", "Galat: disk penuh"),
])
def test_disk_trouble_is_one_clear_line(troubled, name, words):
    done = CliRunner().invoke(main, [f"uji-{name}"])
    assert done.exit_code == 1
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert done.stderr.strip().splitlines()[-1].startswith(words), done.stderr


def test_a_bug_still_shows_as_one(troubled):
    done = CliRunner().invoke(main, ["uji-bug"])
    assert isinstance(done.exception, ZeroDivisionError)  # not hidden behind a "Galat:" line
