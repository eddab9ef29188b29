"""central.storage.records.insert_records: bulk insert, and the unique index
deciding a NIK that another writer made active first (both backends)."""

from __future__ import annotations

from central.storage import records as store
from central.storage.db import Database, migrate


def _row(record_id: str, nik: str, kelurahan: str = "73.71.01.1001") -> dict:
    return {"kelurahan_code": kelurahan, "record_id": record_id, "batch_id": "b", "nik": nik,
            "full_name": "Sitti Aminah", "name_key": "sitti aminah", "birth_date": "1980-01-01",
            "consent": {"given": True, "method": "signature"}, "location": None,
            "status": "accepted", "reasons": None, "checks": [{"rule": "x", "result": "unknown"}],
            "duplicate_of_kelurahan": None, "duplicate_of_record": None,
            "content_hash": "h", "received_at": "t", "updated_at": "t"}


def test_bulk_insert_gives_central_ids_and_stores_json(database_url):
    db = Database(database_url)
    try:
        migrate(db)
        rows = [_row("r1", "7371010101800001"), _row("r2", "7371010101800002")]
        with db.transaction():
            assert store.insert_records(db, rows) == []
        stored = db.query("SELECT central_id, record_id, consent, checks FROM records ORDER BY central_id")
        assert [r["central_id"] for r in stored] == [r["central_id"] for r in rows]
        assert stored[0]["consent"] == '{"given":true,"method":"signature"}'
        assert stored[1]["checks"] == '[{"result":"unknown","rule":"x"}]'
    finally:
        db.close()


def test_nik_made_active_by_another_writer_becomes_duplicate(database_url):
    db = Database(database_url)
    try:
        migrate(db)
        with db.transaction():
            store.insert_records(db, [_row("first", "7371010101800001", "73.71.02.1001")])
        rows = [_row("a", "7371010101800009"), _row("b", "7371010101800001")]
        with db.transaction():
            changed = store.insert_records(db, rows)
        assert [r["record_id"] for r in changed] == ["b"]
        stored = {r["record_id"]: r for r in db.query(
            "SELECT record_id, status, duplicate_of_kelurahan, duplicate_of_record FROM records")}
        assert stored["a"]["status"] == "accepted"
        assert stored["b"] == {"record_id": "b", "status": "duplicate",
                               "duplicate_of_kelurahan": "73.71.02.1001",
                               "duplicate_of_record": "first"}
    finally:
        db.close()
