"""central.storage.records.insert_records: bulk insert, and the unique index
deciding a NIK that another writer made active first (both backends)."""

from __future__ import annotations

import json
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from central.storage import records as store
from central.storage import updates as update_store
from central.storage.db import Database, migrate
from tests.central_databases import migrated
from tests.helpers import examples


def _row(record_id: str, nik: str, kelurahan: str = "73.71.01.1001") -> dict:
    return {"kelurahan_code": kelurahan, "record_id": record_id, "batch_id": "b", "nik": nik,
            "full_name": "Sitti Aminah", "name_key": "sitti aminah", "birth_date": "1980-01-01",
            "consent": {"given": True, "method": "signature"}, "location": None,
            "status": "accepted", "reasons": None, "checks": [{"rule": "x", "result": "unknown"}],
            "duplicate_of_kelurahan": None, "duplicate_of_record": None,
            "content_hash": "h", "received_at": "t", "updated_at": "t"}


def test_bulk_insert_gives_central_ids_and_stores_json(database_url):
    with migrated(database_url) as db:
        rows = [_row("r1", "7371010101800001"), _row("r2", "7371010101800002")]
        with db.transaction():
            assert store.insert_records(db, rows) == []
        stored = db.query("SELECT central_id, record_id, consent, checks FROM records ORDER BY central_id")
        assert [r["central_id"] for r in stored] == [r["central_id"] for r in rows]
        assert stored[0]["consent"] == '{"given":true,"method":"signature"}'
        assert stored[1]["checks"] == '[{"result":"unknown","rule":"x"}]'


def test_nik_made_active_by_another_writer_becomes_duplicate(database_url):
    with migrated(database_url) as db:
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


TRICKY = ['"},{"', "Daeng Ngérang", "ᨕᨗᨊᨈ", "<b>x</b>", "\\u0000", "\u2028", "😀", ""]


def test_json_columns_and_update_payloads_round_trip(database_url):
    """What goes into the JSON columns comes back equal, whatever the text holds
    (a ``"},{"`` inside a value once broke a hand-split encoder)."""
    with migrated(database_url) as db:
        rows = []
        for number, text in enumerate(TRICKY):
            row = _row(f"r{number}", f"737101010180{number:04d}")
            row["consent"] = {"given": True, "method": text, "at": text, "nested": {"b": [text, 1]}}
            row["location"] = {"lat": -5.1477, "lon": 119.4327, "accuracy_m": 12.5}
            row["checks"] = [{"rule": text, "result": "unknown"}]
            rows.append(row)
        with db.transaction():
            store.insert_records(db, rows)
            update_store.add_updates(db, [{"kelurahan_code": "73.71.01.1001",
                                           "record_id": r["record_id"], "kind": "accepted",
                                           "central_id": r["central_id"],
                                           "central_status": "accepted", "checks": r["checks"]}
                                          for r in rows], "t")
        stored = {r["record_id"]: r for r in db.query(
            "SELECT record_id, consent, location, checks FROM records")}
        for row in rows:
            got = stored[row["record_id"]]
            assert [json.loads(got[c]) for c in ("consent", "location", "checks")] == [
                row["consent"], row["location"], row["checks"]]
        updates = update_store.updates_since(db, "73.71.01.1001", 0, 100)
        assert [(u["record_id"], u["checks"], u["central_id"]) for u in updates] == [
            (r["record_id"], r["checks"], r["central_id"]) for r in rows]


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)


@settings(max_examples=examples(60), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(consents=st.lists(st.dictionaries(st.text(max_size=8), _json_values, max_size=5),
                         min_size=1, max_size=5))
def test_any_json_object_round_trips_through_the_records_table(consents, tmp_path):
    db = Database(f"sqlite:///{tmp_path / f'central-{uuid.uuid4().hex}.db'}")
    try:
        migrate(db)
        rows = [{**_row(f"r{n}", f"737101010180{n:04d}"), "consent": c}
                for n, c in enumerate(consents)]
        with db.transaction():
            store.insert_records(db, rows)
        stored = db.query("SELECT consent FROM records ORDER BY central_id")
        assert [json.loads(r["consent"]) for r in stored] == consents
    finally:
        db.close()
