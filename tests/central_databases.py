"""Central databases as a fresh ``central migrate`` leaves them, made cheaply for
the hundreds of tests that run a central (tests/central, tests/sync).

SQLite: the migrated file is made once per process and copied per test (a file
copy is the database byte for byte). PostgreSQL: migrating a schema and dropping
it cost about 0.2 s per test, so each process keeps a few migrated schemas and
hands one out again after setting it back to as-migrated (in a thread, while the
next test runs): every table the test wrote to (any table with a page on disk) is
emptied, every sequence restarts, and a schema whose objects changed (a test's
DDL) is never handed out again.

Tests of migrating itself (tests/central/test_migrations_match.py, ``central
init`` on an empty database, migration 0010) make their own empty databases or use
tests/central/conftest.py's ``database_url``. psycopg is imported only when
PostgreSQL is used.
"""

from __future__ import annotations

import queue
import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

from central.storage.db import Database, migrate

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"

# One round trip describing a schema's objects (tables, indexes, sequences,
# columns, constraints, triggers, functions) and its applied migrations: a reset
# schema must show the same as right after migrating.
_SHAPE = """
SELECT md5(concat_ws('|',
  (SELECT string_agg(c.relname || ':' || c.relkind::text, ',' ORDER BY c.relname)
     FROM pg_class c WHERE c.relnamespace = %(s)s::regnamespace),
  (SELECT string_agg(c.relname || '.' || a.attname || ':' || a.atttypid::text || a.attnotnull::text
                     || a.atthasdef::text, ',' ORDER BY c.relname, a.attnum)
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
     WHERE c.relnamespace = %(s)s::regnamespace AND a.attnum > 0 AND NOT a.attisdropped),
  (SELECT string_agg(conname || ':' || pg_get_constraintdef(k.oid), ',' ORDER BY conname)
     FROM pg_constraint k WHERE k.connamespace = %(s)s::regnamespace),
  (SELECT string_agg(t.tgname || ':' || t.tgenabled::text, ',' ORDER BY t.tgname)
     FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = %(s)s::regnamespace AND NOT t.tgisinternal),
  (SELECT string_agg(p.proname || ':' || md5(p.prosrc), ',' ORDER BY p.proname)
     FROM pg_proc p WHERE p.pronamespace = %(s)s::regnamespace),
  (SELECT string_agg(version || name, ',' ORDER BY version) FROM {schema}.schema_migrations)
)) AS shape
"""
# Tables written to since the last reset: a table that never held a row has no page.
_WRITTEN = """
SELECT format('%%I.%%I', n.nspname, c.relname) AS name FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(s)s AND c.relkind = 'r' AND c.relname <> 'schema_migrations'
  AND pg_relation_size(c.oid) > 0
"""
# A fresh sequence has not been read: its last_value shows as NULL.
_RESTART_SEQUENCES = """
SELECT setval(format('%%I.%%I', schemaname, sequencename)::regclass, 1, false)
FROM pg_sequences WHERE schemaname = %(s)s AND last_value IS NOT NULL
"""


@contextmanager
def migrated(url: str) -> Iterator[Database]:
    """A connection to the central database at ``url`` once ``central migrate`` has
    run on it (a test of what migrating leaves, on an empty ``database_url``),
    closed on leaving."""
    with closing(Database(url)) as db:
        migrate(db)
        yield db


def migrated_sqlite_template(folder: Path) -> Path:
    """A central SQLite file in ``folder`` with every migration applied (its WAL
    folded in, so the file alone is the database)."""
    path = folder / "central-migrated.db"
    db = Database(f"sqlite:///{path}")
    try:
        migrate(db)
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return path


def sqlite_copy(template: Path, path: Path) -> str:
    """The URL of a copy of the migrated template at ``path``."""
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def create_pg_database(prefix: str = "berjasa_test") -> str:
    """The URL of a new, empty PostgreSQL database ``<prefix>_<random>`` on the local
    server (drop it with :func:`drop_pg_database`)."""
    import psycopg

    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}"


def drop_pg_database(url: str) -> None:
    """Drop a database made by :func:`create_pg_database`, whoever is still connected."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_schema_url(base: str) -> str:
    """A new, empty schema inside the database at ``base``, as a URL with its search_path."""
    schema = f"t_{secrets.token_hex(5)}"
    with closing(Database(base)) as db:
        db.run(f"CREATE SCHEMA {schema}")
    return schema_url(base, schema)


def schema_url(base: str, schema: str) -> str:
    """The URL of one schema of the database at ``base`` (its search_path)."""
    return f"{base}?options={quote(f'-csearch_path={schema}')}"


def schema_of(url: str) -> str:
    """The schema a :func:`schema_url` names."""
    return url.rsplit("search_path%3D", 1)[1]


class MigratedSchemas:
    """Migrated PostgreSQL schemas of one test database, reused in this process.

    ``take()`` gives a schema's URL as a fresh migrate leaves it; ``give_back(url)``
    once the test's connections are closed (the central server and its pool
    stopped). Resetting is mostly PostgreSQL waiting on its files, so a thread
    does it while the next test runs on another schema: up to ``most`` schemas
    are kept (more only while a test holds them all)."""

    def __init__(self, base: str, most: int = 2) -> None:
        self.base = base
        self._most = most
        self._clean: queue.SimpleQueue[str | None] = queue.SimpleQueue()  # None: make one
        self._dirty: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._made = 0  # schemas in use, being reset or clean
        self._in_use = 0
        self._resetter: threading.Thread | None = None
        self._shape: str | None = None

    def take(self) -> str:
        """A migrated schema's URL: a reset one, or a new one migrated now."""
        with self._lock:
            coming_back = self._made - self._in_use  # clean or being reset
            grow = coming_back == 0 or (self._clean.empty() and self._made < self._most)
            self._made += grow
            self._in_use += 1
        schema = None if grow else self._clean.get(timeout=120)
        return schema_url(self.base, schema or self._new())

    def give_back(self, url: str) -> None:
        """Hand the schema to the resetting thread (started on first use)."""
        with self._lock:
            self._in_use -= 1
            if self._resetter is None:
                self._resetter = threading.Thread(target=self._reset_each, daemon=True,
                                                  name="schema-reset")
                self._resetter.start()
        self._dirty.put(schema_of(url))

    def _new(self) -> str:
        """A new schema, migrated now."""
        url = new_schema_url(self.base)
        schema = schema_of(url)
        with closing(Database(url)) as db:
            migrate(db)
            shape = self._shape_of(db, schema)
        assert self._shape in (None, shape), "two fresh migrations differ"
        self._shape = shape
        return schema

    def _reset_each(self) -> None:
        """Set each given-back schema back to as-migrated. One still locked by a
        test's connection, or changed by its DDL, is left alone (the whole test
        database is dropped at the end) and a new one is made in its place."""
        import psycopg

        db = None
        while True:
            schema = self._dirty.get()
            try:
                db = db or Database(self.base)
                clean = self._reset(db, schema)
            except psycopg.Error:  # e.g. the test database dropped at the end of the run
                db, clean = None, False
            self._clean.put(schema if clean else None)

    def _reset(self, db: Database, schema: str) -> bool:
        import psycopg

        try:
            with db.conn.transaction():
                db.run("SET LOCAL lock_timeout = '5s'")
                # replica mode skips user triggers (audit_log refuses deletes) and the
                # foreign key checks, so the tables empty in any order
                db.run("SET LOCAL session_replication_role = replica")
                written = [r["name"] for r in db.conn.execute(_WRITTEN, {"s": schema})]
                for table in written:
                    # DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE
                    # gives each table and index a new file (37 ms of the server's
                    # CPU for records and what cascades from it, against ~1 ms)
                    db.run(f"DELETE FROM {table}")
                db.conn.execute(_RESTART_SEQUENCES, {"s": schema})
                db.run(f"SET LOCAL search_path = {schema}")  # constraints read as when made
                return self._shape_of(db, schema) == self._shape
        except psycopg.errors.LockNotAvailable:
            return False

    @staticmethod
    def _shape_of(db: Database, schema: str) -> str:
        """A digest of the schema's objects and applied migrations."""
        return db.conn.execute(_SHAPE.format(schema=schema), {"s": schema}).fetchone()["shape"]


class OfficeBackups:
    """Central's database as the office backs it up and restores it: SQLite's file
    (central stopped), or a PostgreSQL dump restored with pg_restore."""

    def __init__(self, backend: str, url: str, folder: Path) -> None:
        self.backend, self.url, self.folder = backend, url, folder
        folder.mkdir()

    def back_up(self) -> None:
        if self.backend == "sqlite":
            for part in self._db_file().parent.glob(self._db_file().name + "*"):
                shutil.copy2(part, self.folder / part.name)
            return
        base, schema = self.url.split("?", 1)[0], schema_of(self.url)
        subprocess.run(["pg_dump", "--format=custom", "--schema", schema, "--file",
                        str(self.folder / "central.dump"), base], check=True)

    def restore(self) -> None:
        """Put the backup back (central stopped)."""
        if self.backend == "sqlite":
            for part in self._db_file().parent.glob(self._db_file().name + "*"):
                part.unlink()
            for part in self.folder.glob("*"):
                shutil.copy2(part, self._db_file().parent / part.name)
            return
        base, schema = self.url.split("?", 1)[0], schema_of(self.url)
        db = Database(base)
        try:
            db.run(f"DROP SCHEMA {schema} CASCADE")
        finally:
            db.close()
        subprocess.run(["pg_restore", "--dbname", base, str(self.folder / "central.dump")],
                       check=True)

    def _db_file(self) -> Path:
        return Path(self.url.removeprefix("sqlite:///"))
