"""Central migration 0004 on both backends: the status CHECK accepts 'erased' (and
still refuses nonsense), the one-active-NIK partial unique index survives the
SQLite table rebuild, and an erased record does not hold its NIK."""

from __future__ import annotations

import pytest

from central.storage.db import Database, integrity_errors
from tests.central_databases import migrated

COLUMNS = ("kelurahan_code", "record_id", "batch_id", "nik", "name_key", "status",
           "content_hash", "received_at", "updated_at")


def insert(db: Database, record_id: str, nik: str, status: str) -> None:
    db.run(f"INSERT INTO records ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
           ("73.71.01.1001", record_id, "b", nik, "", status, "h", "t", "t"))


def test_erased_status_and_the_active_nik_index(database_url):
    with migrated(database_url) as db:
        with db.transaction():
            insert(db, "r1", "7371014101900001", "accepted")
        with pytest.raises(integrity_errors()), db.transaction():
            insert(db, "r2", "7371014101900001", "accepted")  # one active NIK city-wide
        with pytest.raises(integrity_errors()), db.transaction():
            insert(db, "r3", "7371014101900002", "gone")  # CHECK still refuses other values
        with db.transaction():
            db.run("UPDATE records SET status = 'erased' WHERE record_id = 'r1'")
            insert(db, "r4", "7371014101900001", "accepted")  # erased: no longer holds it
        statuses = {r["record_id"]: r["status"] for r in db.query("SELECT * FROM records")}
        assert statuses == {"r1": "erased", "r4": "accepted"}
        if db.dialect == "sqlite":
            names = {r["name"] for r in db.query(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records'")}
            assert {"records_active_nik", "records_nik", "records_birth_date",
                    "records_kelurahan_status", "records_status"} <= names
