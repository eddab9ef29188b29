"""Central's database connection: one thin wrapper over SQLite and PostgreSQL.

Storage modules write SQL once with ``?`` placeholders; for PostgreSQL the wrapper
turns them into psycopg's ``%s`` (storage SQL never holds a literal ``?`` or
``%``). Rows come back as dicts. :meth:`Database.transaction` is one transaction
(a savepoint when nested); :func:`integrity_errors` lets storage turn a unique
violation into a domain answer in one place.

psycopg is imported only when a PostgreSQL database is used (about 0.3 s of CPU
per process): every ``berjasa central`` command on SQLite is a new process.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from berjasa import database as sqlite_db
from berjasa.database import utc_now  # the one clock of both apps (central modules import it here)

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

MIGRATIONS = {"sqlite": "migrations.central.sqlite", "postgresql": "migrations.central.postgresql"}
# Any fixed number: the PostgreSQL advisory lock that serialises batch ingestion.
INGEST_LOCK_KEY = 7371_0001


def integrity_errors() -> tuple[type[Exception], ...]:
    """The constraint violations of both backends, for ``except integrity_errors():``
    (evaluated only when an exception is raised)."""
    import psycopg

    return (sqlite3.IntegrityError, psycopg.errors.IntegrityError)


def _connect_kwargs() -> dict[str, Any]:
    """How every PostgreSQL connection is opened: autocommit, rows as dicts."""
    from psycopg.rows import dict_row

    return {"autocommit": True, "row_factory": dict_row}


class DatabaseUrlError(ValueError):
    """The database URL is neither sqlite:///path nor postgresql://..."""


def dialect_of(url: str) -> str:
    """``sqlite`` or ``postgresql`` for a database URL."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    raise DatabaseUrlError(f"URL basis data tidak dikenal (pakai sqlite:/// atau postgresql://): {url}")


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///path`` URL (``sqlite:////abs`` or ``sqlite:///rel``)."""
    return Path(url[len("sqlite:///"):])


class Database:
    """A connection with the same small API on both backends."""

    def __init__(self, url: str, pool: ConnectionPool | None = None,
                 data_dir: Path | None = None) -> None:
        """Open a connection, or borrow one from ``pool`` (PostgreSQL; see
        :func:`open_pool`), which :meth:`close` then gives back. ``data_dir``: central's
        data folder, whose key seals the audit trail (central.storage.audit); for
        SQLite, the database file's folder unless given."""
        self.url = url
        self.dialect = dialect_of(url)
        self.data_dir = Path(data_dir) if data_dir is not None else (
            sqlite_path(url).parent if self.dialect == "sqlite" else None)
        self._pool = pool if self.dialect == "postgresql" else None
        if self.dialect == "sqlite":
            self.conn: Any = sqlite_db.connect(sqlite_path(url))
        elif self._pool is not None:
            self.conn = self._pool.getconn()
        else:
            import psycopg

            self.conn = psycopg.connect(url, **_connect_kwargs())
            configure_session(self.conn)

    def _sql(self, sql: str) -> str:
        return sql if self.dialect == "sqlite" else sql.replace("?", "%s")

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        """All rows of a SELECT as dicts."""
        cursor = self.conn.execute(self._sql(sql), tuple(params))
        rows = cursor.fetchall()
        return [dict(r) for r in rows] if self.dialect == "sqlite" else rows

    def stream(self, sql: str, params: Iterable[Any] = (), size: int = 2000) -> Iterator[dict[str, Any]]:
        """The rows of a SELECT as dicts, fetched ``size`` at a time (bounded memory
        for exports of any length). PostgreSQL: a server-side cursor inside its own
        read transaction; SQLite: ``fetchmany`` on a cursor. Consume it fully or
        close the generator."""
        if self.dialect == "sqlite":
            cursor = self.conn.execute(self._sql(sql), tuple(params))
            try:
                while rows := cursor.fetchmany(size):
                    for row in rows:
                        yield dict(row)
            finally:
                cursor.close()
            return
        with self.conn.transaction(), self.conn.cursor(name="berjasa_stream") as cursor:
            cursor.itersize = size
            cursor.execute(self._sql(sql), tuple(params))
            while rows := cursor.fetchmany(size):
                yield from rows

    def one(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
        """The first row, or None."""
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def run(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Execute a write; the number of rows changed."""
        return self.conn.execute(self._sql(sql), tuple(params)).rowcount

    def many(self, sql: str, rows: list[tuple]) -> None:
        """One statement for many rows (psycopg pipelines it: one round trip)."""
        if not rows:
            return
        if self.dialect == "sqlite":
            self.conn.executemany(sql, rows)
        else:
            with self.conn.cursor() as cursor:
                cursor.executemany(self._sql(sql), rows)

    def in_list(self, column: str, values: list[Any], kind: str = "text") -> tuple[str, list[Any]]:
        """``column IN (?, ...)`` for text values (``kind="bigint"``: whole numbers),
        and its parameters.

        On PostgreSQL: ``column = ANY(ARRAY(SELECT unnest(?::text[])))``, one array
        parameter. One short statement whatever the batch size (psycopg does not
        cache the conversion of long query texts and re-parsed a 500-placeholder
        list on every batch), and the planner sees an array it cannot look into:
        planning takes 0.2 ms instead of 2-4 ms of per-value estimates, and the
        plan is an index scan with or without statistics."""
        if kind not in ("text", "bigint"):
            raise ValueError(f"in_list: unknown kind {kind!r}")
        if self.dialect == "sqlite":
            if kind == "bigint":  # any count (a city's candidates can pass the ? limit)
                return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(values)]
            return f"{column} IN ({placeholders(len(values))})", list(values)
        return f"{column} = ANY(ARRAY(SELECT unnest(?::{kind}[])))", [list(values)]

    def insert_rows(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Bulk insert: ``COPY`` on PostgreSQL (several times faster than a
        pipelined ``executemany`` and still one round trip), multi-row ``INSERT``
        statements on SQLite (:func:`berjasa.database.insert_rows`: each page is
        journalled once per statement, not once per row). ``table`` and ``columns``
        are the storage module's own names. Constraint violations raise one of
        :func:`integrity_errors`."""
        if not rows:
            return
        if self.dialect == "sqlite":
            sqlite_db.insert_rows(self.conn, table, tuple(columns), rows)
            return
        from psycopg import sql as pgsql

        statement = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
            pgsql.Identifier(table), pgsql.SQL(", ").join(map(pgsql.Identifier, columns)))
        with self.conn.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """One transaction; nested calls become savepoints on both backends."""
        if self.dialect == "sqlite":
            with sqlite_db.transaction(self.conn):
                yield self
        else:
            with self.conn.transaction():
                yield self

    @contextmanager
    def statement_journals_in_memory(self) -> Iterator[None]:
        """SQLite, around a transaction begun inside: its statement journals stay in
        memory (``temp_store=MEMORY``, the earlier value restored after). Inside a
        transaction SQLite copies each page a multi-row INSERT (or any statement in a
        savepoint) changes into a statement journal, which past 64 KiB spilled to a
        temporary file (open, unlink, two writes a page; bench/README.md "Session q").
        For a batch-sized transaction only: it would also hold a VACUUM's copy or a big
        temporary index in memory. SQLite decides where the journal goes as the write
        transaction begins, so inside one (or on PostgreSQL) this changes nothing."""
        if self.dialect != "sqlite" or self.conn.in_transaction:
            yield
            return
        (before,) = self.conn.execute("PRAGMA temp_store").fetchone()
        self.conn.execute("PRAGMA temp_store=MEMORY")
        try:
            yield
        finally:
            if not self.conn.in_transaction:
                self.conn.execute(f"PRAGMA temp_store={int(before)}")

    def lock_ingest(self) -> None:
        """Serialise batch ingestion for the rest of the transaction (SQLite's
        BEGIN IMMEDIATE already holds the write lock)."""
        if self.dialect == "postgresql":
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (INGEST_LOCK_KEY,))

    def close(self) -> None:
        """Close the connection (or give it back to its pool)."""
        if self._pool is not None:
            self._pool.putconn(self.conn)
        else:
            self.conn.close()


def open_pool(url: str, max_size: int) -> ConnectionPool | None:
    """A small pool of configured PostgreSQL connections for the server (None for
    SQLite, where opening the file is cheap). A new PostgreSQL connection costs
    5-10 ms (the server forks a backend): as much as a whole updates request.
    Connections are opened on demand, checked before use (a restarted server
    leaves dead ones), and closed after a minute idle; close the pool on shutdown."""
    if dialect_of(url) != "postgresql":
        return None
    from psycopg_pool import ConnectionPool

    return ConnectionPool(url, min_size=0, max_size=max(1, max_size), kwargs=_connect_kwargs(),
                          configure=configure_session, check=ConnectionPool.check_connection,
                          max_idle=60, num_workers=1, name="berjasa-central", open=True)


def configure_session(conn: psycopg.Connection) -> None:
    """Session settings for every central PostgreSQL connection.

    psycopg prepares a statement after a few runs, and PostgreSQL may then keep a
    generic plan made while ``records`` was nearly empty (a sequential scan) until
    the next ANALYZE: the batch lookups grew from milliseconds to most of a second
    at 20,000 records. Custom plans keep the parse savings and plan for the table
    as it is now.

    ``random_page_cost`` 1.1 instead of PostgreSQL's 4.0 (a default for spinning
    disks; the usual value for SSDs and for data held in memory, where central's
    working set lives): at 4.0 the planner sorted every name word held rather than
    probe the index for each of a batch's few hundred words (16 ms against 2 ms a
    batch at 20,000 records held; bench/README.md "Central ingest"). Set for central's
    own sessions only: other users of the server keep theirs."""
    conn.execute("SET plan_cache_mode = force_custom_plan")
    conn.execute("SET random_page_cost = 1.1")


def placeholders(count: int) -> str:
    """``?, ?, ?`` for an IN list of ``count`` values."""
    return ", ".join("?" * count)


def pending_migrations(db: Database) -> list[str]:
    """The names of central's migrations not yet applied to this database."""
    if db.dialect == "sqlite":
        return sqlite_db.pending_migrations(db.conn, MIGRATIONS["sqlite"])
    exists = db.one("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
    done = ({r["version"] for r in db.query("SELECT version FROM schema_migrations")}
            if exists and exists["present"] else set())
    return [f.name for f in sqlite_db.migration_files(MIGRATIONS["postgresql"])
            if f.name[:4] not in done]


def behind_pending(db: Database) -> list[str]:
    """The migrations pending on a database an older version set up (none for an
    empty one, which ``central init`` sets up whole)."""
    pending = pending_migrations(db)
    every = sqlite_db.migration_files(MIGRATIONS[db.dialect])
    return pending if 0 < len(pending) < len(every) else []


def migrate(db: Database) -> list[str]:
    """Apply central's migrations for this dialect, each in its own transaction
    (a failing step leaves the database at the step before); the names applied now."""
    if db.dialect == "sqlite":
        return sqlite_db.apply_migrations(db.conn, MIGRATIONS["sqlite"])
    if not pending_migrations(db):
        return []  # up to date (every start of central): one query, not a locked step per file
    applied = []
    for file in sqlite_db.migration_files(MIGRATIONS["postgresql"]):
        with db.conn.transaction():
            # Two processes migrating at once: the second waits, then sees the step done.
            db.conn.execute("SELECT pg_advisory_xact_lock(%s)", (INGEST_LOCK_KEY + 1,))
            db.conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                            " version TEXT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
            done = {r["version"] for r in db.conn.execute("SELECT version FROM schema_migrations")}
            if file.name[:4] in done:
                continue
            db.conn.execute(file.read_text(encoding="utf-8"))
            db.conn.execute("INSERT INTO schema_migrations (version, name, applied_at) "
                            "VALUES (%s, %s, %s)", (file.name[:4], file.name, utc_now()))
            applied.append(file.name)
    return applied
