"""central's two migration folders (migrations/central/sqlite and .../postgresql)
build the same tables with the same columns and apply the same versions, whatever
migrations exist: a column added to one dialect only fails here."""

from __future__ import annotations

import secrets
from urllib.parse import quote

import psycopg

from central.storage.db import Database, migrate


def _sqlite_schema(db: Database) -> dict[str, set[str]]:
    tables = [r["name"] for r in db.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {t: {c["name"] for c in db.query(f"PRAGMA table_info({t})")} for t in tables}


def _postgres_schema(db: Database) -> dict[str, set[str]]:
    schema: dict[str, set[str]] = {}
    for row in db.query("SELECT table_name, column_name FROM information_schema.columns"
                        " WHERE table_schema = current_schema()"):
        schema.setdefault(row["table_name"], set()).add(row["column_name"])
    return schema


def test_sqlite_and_postgresql_migrations_build_the_same_tables_and_columns(tmp_path,
                                                                           pg_database):
    lite = Database(f"sqlite:///{tmp_path / 'central.db'}")
    name = f"m_{secrets.token_hex(5)}"
    with psycopg.connect(pg_database, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {name}")
    pg = Database(f"{pg_database}?options={quote(f'-csearch_path={name}')}")
    try:
        applied_lite, applied_pg = migrate(lite), migrate(pg)
        assert applied_lite == applied_pg and applied_lite  # same versions, in order
        lite_schema, pg_schema = _sqlite_schema(lite), _postgres_schema(pg)
        assert sorted(lite_schema) == sorted(pg_schema)
        differences = {table: {"sqlite only": sorted(lite_schema[table] - pg_schema[table]),
                               "postgresql only": sorted(pg_schema[table] - lite_schema[table])}
                       for table in lite_schema if lite_schema[table] != pg_schema[table]}
        assert differences == {}
    finally:
        lite.close()
        pg.close()
        with psycopg.connect(pg_database, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {name} CASCADE")
