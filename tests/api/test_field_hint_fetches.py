"""Downloads of the duplicate index and key are recorded (who, what, key) in the
audit trail and limited per enumerator per hour; the key only for enumerators."""

from __future__ import annotations

import pytest

from berjasa.database import connect


@pytest.fixture
def settings_overrides():
    return {"field_hint_fetches_per_hour": 3}


def test_fetches_are_audited_and_rate_limited(api, data_dir):
    enumerator = api("enumerator")
    assert enumerator.get("/api/v1/field/dedupe-index").status_code == 200
    assert enumerator.get("/api/v1/field/dedupe-key").status_code == 200
    assert enumerator.get("/api/v1/field/dedupe-index").status_code == 200
    refused = enumerator.get("/api/v1/field/dedupe-key")
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_fetches"
    assert "key" not in refused.json()
    # another enumerator has their own allowance
    assert api("enumerator2").get("/api/v1/field/dedupe-key").status_code == 200
    assert api("supervisor").get("/api/v1/field/dedupe-key").status_code == 403
    conn = connect(data_dir / "kelurahan.db")
    try:
        rows = [tuple(r) for r in conn.execute(
            "SELECT username, what FROM field_index_fetches ORDER BY id")]
        key_ids = {r[0] for r in conn.execute("SELECT key_id FROM field_index_fetches")}
    finally:
        conn.close()
    assert rows == [("enumerator", "index"), ("enumerator", "key"), ("enumerator", "index"),
                    ("enumerator2", "key")]
    assert len(key_ids) == 1 and len(next(iter(key_ids))) == 16
    # and in the audit trail, which the auditor reads (who, what, which key; no key itself)
    trail = api("auditor").get("/api/v1/audit", params={"limit": 500}).json()["items"]
    downloads = [(e["actor"], e["changes"]["what"], e["changes"]["key_id"])
                 for e in trail if e["action"] == "field.hint_download"]
    key_id = next(iter(key_ids))
    assert downloads == [("enumerator", "index", key_id), ("enumerator", "key", key_id),
                         ("enumerator", "index", key_id), ("enumerator2", "key", key_id)]


def test_index_travels_gzipped_when_the_phone_accepts_it(api, records):
    import gzip
    import json

    import requests

    enumerator = api("enumerator")
    for _ in range(3):
        assert enumerator.post("/api/v1/enrollments", json=records.enrollment()).status_code == 201
    raw = requests.get(enumerator.base + "/api/v1/field/dedupe-index", stream=True, timeout=30,
                       headers={**enumerator.session.headers, "Accept-Encoding": "gzip"})
    assert raw.headers["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(raw.raw.read()))
    assert body["count"] == 3
    # the index is kept between downloads and rebuilt when a record arrives
    assert enumerator.post("/api/v1/enrollments", json=records.enrollment()).status_code == 201
    assert enumerator.get("/api/v1/field/dedupe-index").json()["count"] == 4
