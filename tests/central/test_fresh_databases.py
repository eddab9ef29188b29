"""The tests' migrated central databases (tests/central_databases.py) are what a
fresh ``central migrate`` makes: a reused PostgreSQL schema after a test wrote to
it, and a copied SQLite file, look like a database migrated just now."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from central.storage.db import Database, integrity_errors, migrate
from tests.central_databases import MigratedSchemas, sqlite_copy

from .conftest import KELURAHAN_A, records, start_central


def _state(url: str) -> dict:
    """What a test can see of a database: every table's rows, every sequence's
    next value (read, then set back), the applied migrations."""
    db = Database(url)
    try:
        if db.dialect == "sqlite":
            tables = [r["name"] for r in db.query(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            sequences = {}
        else:
            tables = [r["tablename"] for r in db.query(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                " ORDER BY tablename")]
            sequences = {r["s"]: db.one(f"SELECT last_value, is_called FROM {r['s']}")
                         for r in db.query("SELECT sequencename AS s FROM pg_sequences"
                                           " WHERE schemaname = current_schema()")}
        rows = {t: db.query(f"SELECT * FROM {t}") for t in tables if t != "schema_migrations"}
        versions = [r["name"] for r in db.query("SELECT name FROM schema_migrations ORDER BY name")]
        return {"rows": rows, "sequences": sequences, "migrations": versions}
    finally:
        db.close()


def _fresh(url: str) -> dict:
    with closing(Database(url)) as db:
        migrate(db)
    return _state(url)


def _use(url: str, folder) -> None:
    """A central's usual writes (a device, a batch of records, an office user) and
    an insert refused after taking a number from its table's sequence."""
    server, central = start_central(url, folder)
    try:
        central.register(KELURAHAN_A).send(records(3))
        db = central.db()
        try:
            db.run("INSERT INTO users (username, role, password_hash, created_at, updated_at)"
                   " VALUES ('uji', 'admin', 'x', 't', 't')")
            with pytest.raises(integrity_errors()):
                db.run("INSERT INTO erasures (kelurahan_code) VALUES ('x')")
        finally:
            db.close()
    finally:
        central.close()
        server.close()
        if server.berjasa_pool is not None:
            server.berjasa_pool.close()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_reused_schema_is_as_freshly_migrated(pg_database, database_url, tmp_path):
    schemas = MigratedSchemas(pg_database, most=1)
    url = schemas.take()
    _use(url, tmp_path / "central")
    assert _state(url)["rows"]["records"]  # the test wrote
    schemas.give_back(url)
    assert schemas.take() == url  # handed out again once reset ...
    assert _state(url) == _fresh(database_url)  # ... as a fresh migrate leaves it


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_schema_changed_by_a_test_is_not_handed_out_again(pg_database, backend):
    schemas = MigratedSchemas(pg_database, most=1)
    url = schemas.take()
    db = Database(url)
    try:
        db.run("DROP TRIGGER audit_log_no_update_delete ON audit_log")
    finally:
        db.close()
    schemas.give_back(url)
    again = schemas.take()  # made in its place
    assert again != url
    assert _state(again)["migrations"] == _state(url)["migrations"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_copied_sqlite_file_is_as_freshly_migrated(migrated_sqlite, database_url, tmp_path):
    copy = sqlite_copy(migrated_sqlite, tmp_path / "copy.db")
    assert _state(copy) == _fresh(database_url)
    dumps = []
    for url in (copy, database_url):
        conn = sqlite3.connect(url[len("sqlite:///"):])
        dumps.append([line for line in conn.iterdump() if "schema_migrations" not in line])
        conn.close()
    assert dumps[0] == dumps[1]
