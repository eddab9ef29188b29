"""SQLite connections and the migration runner shared by the kelurahan server,
the sync agent and central's SQLite backend.

Every connection runs in autocommit mode (``isolation_level=None``) so that
transactions are explicit: :func:`transaction` opens ``BEGIN IMMEDIATE`` (the write
lock is taken up front, so two writers queue instead of failing half-way) and
commits before the caller acknowledges anything. WAL lets readers run beside the
writer; ``synchronous=FULL`` makes a committed write survive power loss.
Concurrent writers that share one transaction: :mod:`berjasa.group_commit`.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import resources
from itertools import chain

try:
    from importlib.resources.abc import Traversable
except ImportError:  # Python 3.10 (pyproject: >=3.10) has it in importlib.abc only
    from importlib.abc import Traversable
from pathlib import Path

SQLITE_FULL = 13
SQLITE_IOERR = 10
# An I/O error with less than this free beside the database is a full disk.
NEARLY_FULL_BYTES = 1 << 20


def _nearly_full(near: Path) -> bool:
    import shutil

    try:
        return shutil.disk_usage(near).free < NEARLY_FULL_BYTES
    except OSError:
        return False


def is_storage_full(exc: BaseException, near: Path | None = None) -> bool:
    """Whether an error means the disk (or quota) is full: SQLite's SQLITE_FULL
    ("database or disk is full") or an OS ENOSPC/EDQUOT, also when wrapped.

    SQLite reports some writes on a full disk only as SQLITE_IOERR ("disk I/O
    error"): opening a connection that must create the ``-wal``/``-shm`` files
    the last connection removed, or growing ``-shm``. With ``near`` (a folder on
    the database's filesystem), such an I/O error counts as a full disk when that
    filesystem has less than NEARLY_FULL_BYTES free."""
    import errno

    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, sqlite3.Error) and (
                getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL
                or "database or disk is full" in str(exc)):
            return True
        if isinstance(exc, sqlite3.Error) and near is not None and (
                (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF == SQLITE_IOERR
                or "disk I/O error" in str(exc)) and _nearly_full(near):
            return True
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
            return True
        if type(exc).__name__ == "DiskFull":  # psycopg.errors.DiskFull (PostgreSQL 53100)
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


class MigrationError(Exception):
    """A migration file failed; the database is left at the previous version."""


class Connection(sqlite3.Connection):
    """sqlite3's connection, knowing the file it opened: ``database_file`` is what
    ``PRAGMA database_list`` names (asked once here instead of on every audited
    write, :func:`berjasa.pseudonyms.key_for_connection`)."""

    database_file = ""


def connect(path: Path | str) -> sqlite3.Connection:
    """Open a SQLite database with the pragmas berjasa relies on."""
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False,
                           factory=Connection)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    # Deleted content is overwritten with zeros, not left in free pages (UU PDP
    # erasure; docs/privacy.md): set on every connection, it is not persistent.
    conn.execute("PRAGMA secure_delete=ON")
    conn.database_file = conn.execute("PRAGMA database_list").fetchone()[2]
    return conn


# An erasure's checkpoint waits at most this long for readers still on an old
# snapshot, each try waiting at most CHECKPOINT_TRY_MS (not the 30-second busy timeout).
CHECKPOINT_TRY_MS = 200


def checkpoint_truncate(conn: sqlite3.Connection, deadline: float) -> bool:
    """``wal_checkpoint(TRUNCATE)`` until it completes or ``time.monotonic()`` passes
    ``deadline``; True when done (every page in the file, the WAL emptied). A reader
    on an old snapshot blocks it: its pages stay in the WAL until it ends."""
    (timeout,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute(f"PRAGMA busy_timeout = {CHECKPOINT_TRY_MS}")
    try:
        while True:
            if conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)  # a reader is still on an old snapshot
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout)}")


# Rows per multi-row INSERT at most; a statement holds a power of two of rows
# (or this many), so a connection prepares at most a handful of texts per table
# and then finds them in its statement cache.
ROWS_PER_INSERT = 64
# Up to this many rows are one statement of exactly that many (when the bound-
# variable limit allows): a few texts more, and a caller writing a few rows (a
# group of single POSTs) knows its INSERT is one statement, which the database
# applies whole or not at all.
ONE_STATEMENT_ROWS = 8


def insert_rows(conn: sqlite3.Connection, table: str, columns: tuple[str, ...],
                rows: list[tuple]) -> None:
    """Insert rows (tuples in ``columns`` order) with multi-row ``INSERT ...
    VALUES (...), (...)`` statements, each within SQLite's bound-variable limit.
    Inside a transaction, every statement that may fail half-way copies each page
    it changes into a statement journal first: ``executemany`` is one statement
    per row, so a table with several indexes journals the same pages again for
    every row (about 40 % of an enrollment's insert); one statement over many rows
    journals each page once. Statements hold ``ROWS_PER_INSERT`` rows, then the
    rest in powers of two: parsing a statement costs more than running it, and
    these few texts stay prepared in the connection's statement cache (one text
    per batch size had been parsed again for every batch); up to
    :data:`ONE_STATEMENT_ROWS` rows are one statement. ``table`` and ``columns``
    are the caller's constants."""
    if not rows:
        return
    largest = max(1, min(ROWS_PER_INSERT, _variable_limit(conn) // len(columns)))
    start, count = 0, len(rows)
    if count <= min(ONE_STATEMENT_ROWS, largest):
        conn.execute(_insert_text(table, columns, count), list(chain.from_iterable(rows)))
        return
    while start < count:
        size = min(largest, 1 << ((count - start).bit_length() - 1))
        conn.execute(_insert_text(table, columns, size),
                     list(chain.from_iterable(rows[start:start + size])))
        start += size


@functools.lru_cache(maxsize=256)
def _insert_text(table: str, columns: tuple[str, ...], size: int) -> str:
    """``INSERT INTO table (columns) VALUES (?, ...), ...`` for ``size`` rows."""
    marks = "(" + ", ".join("?" * len(columns)) + ")"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([marks] * size)


def _variable_limit(conn: sqlite3.Connection) -> int:
    """How many ``?`` one statement may bind (999 where Python cannot ask)."""
    getlimit = getattr(conn, "getlimit", None)  # Python 3.11+
    return getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if getlimit else 999


def ping(conn: sqlite3.Connection) -> None:
    """Raise sqlite3.Error unless the database answers a query (health checks)."""
    conn.execute("SELECT 1").fetchone()


@contextmanager
def transaction(conn: sqlite3.Connection, immediate: bool = True) -> Iterator[sqlite3.Connection]:
    """Run a block in one transaction; nested calls use a savepoint. Every
    savepoint has the same name: SQLite's ``RELEASE``/``ROLLBACK TO`` take the most
    recent one of a name, which is this block's (they nest), and the three texts
    stay prepared in the connection's statement cache (a new name per savepoint
    was parsed anew each time and pushed other statements out of the cache)."""
    if conn.in_transaction:
        name = "berjasa_sp"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")
        return
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def migration_files(package: str) -> list[Traversable]:
    """The ``NNNN_name.sql`` files of a migrations package folder, in order."""
    folder = resources.files(package)
    files = [f for f in folder.iterdir() if f.name.endswith(".sql") and f.name[:4].isdigit()]
    return sorted(files, key=lambda f: f.name)


def applied_versions(conn: sqlite3.Connection) -> set[str]:
    """Versions already recorded in ``schema_migrations``."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version TEXT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


class SchemaBehind(Exception):
    """The database is older than the code: migrations are pending."""


def pending_migrations(conn: sqlite3.Connection, package: str) -> list[str]:
    """The names of the migrations of ``package`` not yet applied, in order."""
    done = applied_versions(conn)
    return [f.name for f in migration_files(package) if f.name[:4] not in done]


def require_current(conn: sqlite3.Connection, package: str, command: str) -> None:
    """Raise :class:`SchemaBehind` naming ``command`` when migrations are pending."""
    pending = pending_migrations(conn, package)
    if pending:
        raise SchemaBehind(behind_message(pending, command))


def behind_message(pending: list[str], command: str) -> str:
    """One line for a database that is behind the code."""
    return (f"Basis data lebih lama dari program ({len(pending)} migrasi belum diterapkan: "
            f"{', '.join(pending)}); hentikan server dan agen, lalu jalankan `{command}`.")


def migration_outcome(pending: list[str], applied: list[str], dry_run: bool) -> str:
    """The last line of ``migrate`` and ``central migrate``: what was applied, what a
    dry run would apply, or that the database is current."""
    if applied:
        return ", ".join(applied)
    if dry_run and pending:
        return "akan diterapkan: " + ", ".join(pending)
    return "sudah terbaru"


def apply_migrations(conn: sqlite3.Connection, package: str) -> list[str]:
    """Apply the migrations of ``package`` not yet applied, each in its own
    transaction, and return the names of those applied now."""
    done = applied_versions(conn)
    applied = []
    for file in migration_files(package):
        version = file.name[:4]
        if version in done:
            continue
        script = file.read_text(encoding="utf-8")
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        record = (
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ("
            f"{_quote(version)}, {_quote(file.name)}, {_quote(now)});"
        )
        try:
            conn.executescript(f"BEGIN IMMEDIATE;\n{script}\n;{record}\nCOMMIT;")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise MigrationError(f"migration {file.name} failed: {exc}") from exc
        applied.append(file.name)
    return applied


def _quote(text: str) -> str:
    """Quote a literal for the migration bookkeeping line (names we control)."""
    return "'" + text.replace("'", "''") + "'"


_seconds: dict[int, str] = {}  # recent seconds' texts (a request asks for two or three)


def utc_now() -> str:
    """The current UTC time as ISO-8601 with microseconds, sortable as text: what
    ``datetime.now(timezone.utc).isoformat(timespec="microseconds")`` gives (the
    same clock, microseconds floored), in a third of its time; every new record
    and audit entry takes one or two."""
    return utc_text(time.time_ns() // 1000)


def utc_text(micros: int, seconds_only: bool = False) -> str:
    """The UTC instant ``micros`` (microseconds since the epoch) as
    ``datetime.isoformat`` writes it with ``timespec="microseconds"`` (or
    ``"seconds"``, the microseconds dropped) and ``+00:00``."""
    seconds, fraction = divmod(micros, 1_000_000)
    text = _seconds.get(seconds)
    if text is None:
        if len(_seconds) >= 64:
            _seconds.clear()
        text = _seconds[seconds] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{text}+00:00" if seconds_only else f"{text}.{fraction:06d}+00:00"
