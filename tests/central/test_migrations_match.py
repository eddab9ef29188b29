"""central's two migration folders (migrations/central/sqlite and .../postgresql)
build the same tables with the same columns of compatible types and the same named
indexes, and apply the same versions, whatever migrations exist: a column added to
one dialect only, or given a type of another kind (text in one, integer in the
other), fails here, and so does an index that one dialect lost (SQLite rebuilds a
table to change it, and a rebuild drops the table's indexes).

SQLite is read with ``PRAGMA table_info`` (the declared types), PostgreSQL with
``information_schema.columns``; sqlite-utils would only wrap the pragma
(docs/architecture.md, "No sqlite-utils")."""

from __future__ import annotations

import secrets
from urllib.parse import quote

import psycopg

from central.storage.db import Database, migrate

# The kind of value a declared column type holds, in either dialect.
KINDS = {"text": "text", "character varying": "text",
         "integer": "integer", "bigint": "integer", "smallint": "integer",
         "blob": "bytes", "bytea": "bytes",
         "real": "number", "double precision": "number", "numeric": "number"}


def _kind(declared: str) -> str:
    return KINDS.get(declared.lower(), f"unknown: {declared}")


def _sqlite_schema(db: Database) -> dict[str, dict[str, str]]:
    tables = [r["name"] for r in db.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {t: {c["name"]: _kind(c["type"]) for c in db.query(f"PRAGMA table_info({t})")}
            for t in tables}


def _postgres_schema(db: Database) -> dict[str, dict[str, str]]:
    schema: dict[str, dict[str, str]] = {}
    for row in db.query("SELECT table_name, column_name, data_type FROM information_schema.columns"
                        " WHERE table_schema = current_schema()"):
        schema.setdefault(row["table_name"], {})[row["column_name"]] = _kind(row["data_type"])
    return schema


def _sqlite_indexes(db: Database) -> set[tuple[str, str]]:
    """(table, index) of every index a migration created (not a constraint's own)."""
    return {(r["tbl_name"], r["name"]) for r in db.query(
        "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}


def _postgres_indexes(db: Database) -> set[tuple[str, str]]:
    """(table, index) of every index a migration created (not a constraint's own)."""
    return {(r["tbl"], r["name"]) for r in db.query(
        "SELECT t.relname AS tbl, c.relname AS name FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid"
        " JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema()"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)")}


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
        differences = {
            table: {"sqlite": {c: k for c, k in lite_schema[table].items()
                               if pg_schema[table].get(c) != k},
                    "postgresql": {c: k for c, k in pg_schema[table].items()
                                   if lite_schema[table].get(c) != k}}
            for table in lite_schema if lite_schema[table] != pg_schema[table]}
        assert differences == {}
        assert not [k for t in lite_schema.values() for k in t.values() if k.startswith("unknown")]
        lite_indexes, pg_indexes = _sqlite_indexes(lite), _postgres_indexes(pg)
        assert {"sqlite only": sorted(lite_indexes - pg_indexes),
                "postgresql only": sorted(pg_indexes - lite_indexes)} == {
            "sqlite only": [], "postgresql only": []}
        assert ("records", "records_received_at") in lite_indexes
    finally:
        lite.close()
        pg.close()
        with psycopg.connect(pg_database, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {name} CASCADE")
