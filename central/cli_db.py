"""The central database of a ``berjasa central`` command: the data folder's
database URL (kept at ``central init`` in settings.toml, ``central_database_url``),
the database opened as one clear error when it cannot be, and database errors as
one Indonesian line. Shared by every central command module (assembled in
:mod:`central.cli`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from berjasa.commandline import data_dir_and_settings
from berjasa.database import MigrationError
from berjasa.os_errors import os_error_text

if TYPE_CHECKING:
    from central.storage.db import Database


def db_errors() -> tuple[type[BaseException], ...]:
    """The errors a database command turns into one clear line. psycopg and the
    storage module are imported here, not at module level: ``berjasa central --help``
    must not pay for them (tests/cli/test_startup.py)."""
    import psycopg

    from central.storage.db import DatabaseUrlError

    return (sqlite3.Error, psycopg.Error, DatabaseUrlError, MigrationError, OSError)


def default_url(data_dir: Path) -> str:
    """SQLite file central.db in the data folder."""
    return f"sqlite:///{data_dir / 'central.db'}"


def central_folder(data_dir: Path | None) -> tuple[Path, dict[str, Any], str]:
    """An initialised central data folder: (folder, settings, database URL), or one
    clear error when central was never set up there."""
    folder, settings = data_dir_and_settings(data_dir)
    url = settings["central_database_url"]
    if not url:
        if not (folder / "central.db").exists():
            raise click.ClickException(
                f"registri pusat belum disiapkan di {folder}: jalankan `berjasa central init` dulu")
        url = default_url(folder)
    return folder, settings, url


@contextmanager
def central_db(data_dir: Path | None) -> Iterator[tuple[Database, dict[str, Any], Path]]:
    """The initialised central database of a data folder, as one clear error if absent."""
    from central.storage.db import Database

    folder, settings, url = central_folder(data_dir)
    try:
        db = Database(url, data_dir=folder)
    except db_errors() as exc:
        raise click.ClickException(f"tidak dapat membuka basis data pusat: {one_line(exc)}") from exc
    try:
        yield db, settings, folder
    except db_errors() as exc:
        raise click.ClickException(f"kesalahan basis data pusat: {one_line(exc)}") from exc
    finally:
        db.close()


def one_line(exc: BaseException) -> str:
    """A database error as one Indonesian line: the common causes by name, any other
    with the driver's own first line marked as technical detail for the IT officer."""
    from central.storage.db import DatabaseUrlError

    if isinstance(exc, OSError):
        return os_error_text(exc)
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, (DatabaseUrlError, MigrationError)):
        return detail  # our own messages, already Indonesian
    lowered = detail.lower()
    for needle, text in _DB_CAUSES:
        if needle in lowered:
            return text
    return f"galat basis data (rincian teknis: {detail})"


# Driver messages (sqlite3, psycopg) an operator meets, in Indonesian.
_DB_CAUSES = (
    ("unable to open database file", ("berkas basis data tidak dapat dibuka (folder tidak ada "
                                     "atau tidak boleh ditulisi)")),
    ("database is locked", "basis data sedang dikunci program lain; coba lagi sebentar"),
    ("database or disk is full", "disk penuh; kosongkan ruang lalu ulangi"),
    ("connection refused", ("server PostgreSQL tidak menjawab (koneksi ditolak); periksa alamat, "
                           "port dan apakah PostgreSQL berjalan")),
    ("password authentication failed", "PostgreSQL menolak nama pengguna atau kata sandi"),
    ("does not exist", "basis data atau pengguna PostgreSQL itu tidak ada"),
    ("timeout", "server PostgreSQL tidak menjawab (waktu habis)"),
)
