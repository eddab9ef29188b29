"""api: /api/v1/enrollments:batch › POST — per-item results, limits, bad shapes."""

from __future__ import annotations

import sqlite3

import pytest


def count(data_dir) -> int:
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    total = conn.execute("SELECT count(*) FROM enrollments").fetchone()[0]
    conn.close()
    return total


def test_one_result_per_item_in_order_and_bad_items_block_nothing(api, records, data_dir):
    client = api("enumerator")
    good = [records.enrollment() for _ in range(3)]
    dup = dict(records.enrollment(), nik=good[0]["nik"], birth_date=good[0]["birth_date"],
               sex=good[0]["sex"])
    items = [good[0], {"id": "x"}, good[1], dup, "not an object", good[2], good[0]]
    answer = client.post("/api/v1/enrollments:batch", json={"enrollments": items})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 201, 409, 422, 201, 200]
    assert results[3]["code"] == "duplicate_nik" and results[3]["existing_id"] == good[0]["id"]
    assert results[1]["id"] == "x" and "nik" in results[1]["errors"]
    assert results[4]["id"] is None and results[4]["error_codes"]["_body"] == ["not_object"]
    assert count(data_dir) == 3


@pytest.mark.parametrize("body", [{"enrollments": "semua"}, {"items": []}, [],
                                  {"enrollments": [], "extra": 1}])
def test_a_body_that_is_not_a_batch_is_422(api, body, data_dir):
    answer = api("enumerator").post("/api/v1/enrollments:batch", json=body)
    assert answer.status_code == 422
    assert "enrollments" in answer.json()["errors"]


def test_more_than_a_thousand_items_is_422_and_stores_nothing(api, records, data_dir):
    record = records.enrollment()
    answer = api("enumerator").post("/api/v1/enrollments:batch",
                                    json={"enrollments": [record] * 1001})
    assert answer.status_code == 422
    assert answer.json()["error_codes"]["enrollments"] == ["too_many_items"]
    assert count(data_dir) == 0


def test_batch_over_five_megabytes_is_413(api, records, data_dir):
    items = [records.enrollment(notes="n" * 900_000) for _ in range(6)]
    answer = api("enumerator").post("/api/v1/enrollments:batch", json={"enrollments": items})
    assert answer.status_code == 413 and answer.json()["code"] == "payload_too_large"
    assert count(data_dir) == 0


def test_empty_batch_is_fine(api):
    answer = api("enumerator").post("/api/v1/enrollments:batch", json={"enrollments": []})
    assert answer.status_code == 200 and answer.json() == {"results": []}


def test_ids_and_niks_already_held_are_answered_as_single_posts_would_be(api, records,
                                                                         data_dir):
    client = api("enumerator")
    held = records.enrollment()
    assert client.post("/api/v1/enrollments", json=held).status_code == 201
    fresh = records.enrollment()
    items = [held, dict(held, address="Jl. Lain No. 1"),
             dict(records.enrollment(), nik=held["nik"], birth_date=held["birth_date"],
                  sex=held["sex"]),
             fresh, dict(fresh, address="Jl. Lain No. 2"), fresh]
    answer = client.post("/api/v1/enrollments:batch", json={"enrollments": items})
    results = answer.json()["results"]
    assert [(r["status"], r.get("code")) for r in results] == [
        (200, None), (409, "id_conflict"), (409, "duplicate_nik"), (201, None),
        (409, "id_conflict"), (200, None)]
    assert results[2]["existing_id"] == held["id"]
    assert [r.get("version") for r in results] == [1, None, None, 1, None, 1]
    other = api("enumerator2").post("/api/v1/enrollments:batch", json={"enrollments": [fresh]})
    assert other.json()["results"][0]["code"] == "id_conflict"  # a retry is the sender's own
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    created = conn.execute("SELECT record_id FROM audit_log WHERE action = 'enrollment.create'"
                           " ORDER BY seq").fetchall()
    conn.close()
    assert [row[0] for row in created] == [held["id"], fresh["id"]]
    assert count(data_dir) == 2


def test_a_batch_leaves_the_audit_chain_intact_one_entry_per_record(api, records, data_dir):
    from berjasa.database import connect
    from server.storage import audit

    items = [records.enrollment() for _ in range(30)]
    answer = api("enumerator").post("/api/v1/enrollments:batch", json={"enrollments": items})
    assert [r["status"] for r in answer.json()["results"]] == [201] * 30
    conn = connect(data_dir / "kelurahan.db")
    checked, broken = audit.verify_chain(conn)
    entries = [e for e in audit.iter_entries(conn) if e["action"] == "enrollment.create"]
    conn.close()
    assert broken is None and checked >= 30
    assert [e["record_id"] for e in entries] == [item["id"] for item in items]
