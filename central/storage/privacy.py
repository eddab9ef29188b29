"""SQL of erasure at central (docs/privacy.md): wiping a record's personal fields,
removing what else names it (findings, Dukcapil progress, duplicate flags,
undelivered updates), and the erasures table (audit + tombstones)."""

from __future__ import annotations

from typing import Any

from central.storage.db import Database

# Columns an erased record keeps: ids, bookkeeping, staff names. Every other
# nullable column is set to NULL (columns added by later migrations included).
KEPT_COLUMNS = frozenset({
    "central_id", "kelurahan_code", "record_id", "batch_id", "status", "content_hash",
    "received_at", "updated_at", "version", "enumerator", "reviewed_by", "reviewed_at",
    "duplicate_of_kelurahan", "duplicate_of_record", "registration_exported_at", "nik",
    "name_key",
})


def _nullable_columns(db: Database) -> list[str]:
    if db.dialect == "sqlite":
        rows = db.query("SELECT name, \"notnull\" AS required FROM pragma_table_info('records')")
        return [r["name"] for r in rows if not r["required"]]
    rows = db.query("SELECT column_name AS name FROM information_schema.columns"
                    " WHERE table_name = 'records' AND table_schema = current_schema()"
                    " AND is_nullable = 'YES'")
    return [r["name"] for r in rows]


def records_by_nik(db: Database, nik: str) -> list[dict[str, Any]]:
    """Every record (any status) with this NIK."""
    return db.query("SELECT central_id, kelurahan_code, record_id, status, nik FROM records"
                    " WHERE nik = ? ORDER BY central_id", (nik,))


def records_by_ids(db: Database, kelurahan_code: str, record_ids: list[str]) -> dict[str, dict]:
    """This kelurahan's records by record id."""
    if not record_ids:
        return {}
    among, params = db.in_list("record_id", record_ids)
    rows = db.query("SELECT central_id, kelurahan_code, record_id, status, nik FROM records"
                    f" WHERE kelurahan_code = ? AND {among}", [kelurahan_code, *params])
    return {r["record_id"]: r for r in rows}


def wipe_record(db: Database, central_id: int, pseudonym: str, now: str) -> None:
    """Status ``erased``, NIK replaced by its pseudonym, every personal column NULL."""
    columns = [c for c in _nullable_columns(db) if c not in KEPT_COLUMNS]
    assignments = "".join(f", {c} = NULL" for c in columns)
    db.run(f"UPDATE records SET status = 'erased', nik = ?, name_key = '', updated_at = ?"
           f"{assignments} WHERE central_id = ?", (pseudonym, now, central_id))


def delete_traces(db: Database, central_id: int, kelurahan_code: str, record_id: str) -> None:
    """Remove the rows that describe an erased record beside it."""
    for table in ("findings", "dukcapil_checks"):
        if _table_exists(db, table):
            db.run(f"DELETE FROM {table} WHERE central_id = ?", (central_id,))
    db.run("DELETE FROM duplicate_flags WHERE central_id_a = ? OR central_id_b = ?",
           (central_id, central_id))
    db.run("DELETE FROM record_name_words WHERE central_id = ?", (central_id,))
    db.run("DELETE FROM updates WHERE kelurahan_code = ? AND record_id = ?",
           (kelurahan_code, record_id))


def _table_exists(db: Database, name: str) -> bool:
    if db.dialect == "sqlite":
        return db.one("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?",
                      (name,)) is not None
    row = db.one("SELECT to_regclass(?) IS NOT NULL AS present", (name,))
    return bool(row and row["present"])


def add_erasure(db: Database, row: dict[str, Any]) -> bool:
    """Record an erasure (or tombstone); False when this record was already erased."""
    return db.run(
        "INSERT INTO erasures (kelurahan_code, record_id, central_id, pseudonym, origin, device_id,"
        " reason, erased_by, erased_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (kelurahan_code, record_id) DO NOTHING",
        (row["kelurahan_code"], row["record_id"], row.get("central_id"), row.get("pseudonym"),
         row["origin"], row.get("device_id"), row.get("reason"), row["erased_by"],
         row["erased_at"])) == 1


def erasures_of(db: Database, kelurahan_code: str, record_ids: list[str]) -> dict[str, dict]:
    """Erasures (tombstones included) of these records of one kelurahan."""
    if not record_ids:
        return {}
    among, params = db.in_list("record_id", record_ids)
    rows = db.query(f"SELECT * FROM erasures WHERE kelurahan_code = ? AND {among}",
                    [kelurahan_code, *params])
    return {r["record_id"]: r for r in rows}


def erasures_by_pseudonym(db: Database, pseudonym: str) -> list[dict[str, Any]]:
    """Erasures made for this NIK (by its pseudonym)."""
    return db.query("SELECT * FROM erasures WHERE pseudonym = ? ORDER BY id", (pseudonym,))


def list_erasures(db: Database, limit: int = 1000) -> list[dict[str, Any]]:
    """The latest erasures, newest first (for the audit)."""
    return db.query("SELECT * FROM erasures ORDER BY id DESC LIMIT ?", (limit,))


def compact(db: Database) -> None:
    """After an erasure (outside any transaction): SQLite checkpoints its WAL into the
    file and truncates it (``secure_delete`` already zeroed the old cells); PostgreSQL
    vacuums the tables that held the record, so the dead row versions with the old
    values are cleared for reuse (docs/privacy.md: what PostgreSQL's own WAL and base
    backups keep is the city's backup retention)."""
    if db.dialect == "sqlite":
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    for table in ("records", "updates", "findings"):
        if _table_exists(db, table):
            db.conn.execute(f"VACUUM {table}")


def kelurahan_erasure_ids(db: Database, kelurahan_code: str) -> list[str]:
    """Record ids of the erasures a kelurahan sent (for its USB answers file)."""
    return [r["record_id"] for r in db.query(
        "SELECT record_id FROM erasures WHERE kelurahan_code = ? AND origin = 'kelurahan'"
        " ORDER BY id", (kelurahan_code,))]
