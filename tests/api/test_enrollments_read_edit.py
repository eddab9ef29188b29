"""api: /api/v1/enrollments › GET list, GET one, PATCH with If-Match."""

from __future__ import annotations

import sqlite3

import pytest


def create(client, record) -> dict:
    answer = client.post("/api/v1/enrollments", json=record)
    assert answer.status_code == 201, answer.text
    return answer.json()


def set_status(data_dir, enrollment_id: str, status: str) -> None:
    """Put a record in a status the intake API cannot reach by itself."""
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    conn.execute("UPDATE enrollments SET status = ? WHERE id = ?", (status, enrollment_id))
    conn.commit()
    conn.close()


def test_enumerators_see_only_their_own(api, records):
    mine = create(api("enumerator"), records.enrollment())
    theirs = create(api("enumerator2"), records.enrollment())
    listed = api("enumerator").get("/api/v1/enrollments").json()
    assert [item["id"] for item in listed["items"]] == [mine["id"]]
    assert api("enumerator").get(f"/api/v1/enrollments/{theirs['id']}").status_code == 404
    everyone = api("supervisor").get("/api/v1/enrollments").json()
    assert {item["id"] for item in everyone["items"]} == {mine["id"], theirs["id"]}


def test_cursor_paging_visits_every_record_once(api, records):
    client = api("enumerator")
    batch = [records.enrollment() for _ in range(53)]
    answer = client.post("/api/v1/enrollments:batch", json={"enrollments": batch})
    assert {r["status"] for r in answer.json()["results"]} == {201}
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/enrollments", params=params).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 6
    assert sorted(seen) == sorted(r["id"] for r in batch)


def test_search_by_nik_and_by_part_of_the_name(api, records):
    client = api("supervisor")
    target = create(client, records.enrollment(full_name="Daeng Ngérang Sitti"))
    create(client, records.enrollment(full_name="Andi Baso"))
    by_nik = client.get("/api/v1/enrollments", params={"q": target["nik"]}).json()["items"]
    assert [i["id"] for i in by_nik] == [target["id"]]
    by_name = client.get("/api/v1/enrollments", params={"q": "ngerang"}).json()["items"]
    assert [i["id"] for i in by_name] == [target["id"]]
    nothing = client.get("/api/v1/enrollments", params={"q": "%_"}).json()["items"]
    assert nothing == []


@pytest.mark.parametrize("params,field", [({"status": "lost"}, "status"), ({"limit": "0"}, "limit"),
                                          ({"limit": "x"}, "limit"), ({"cursor": "!!"}, "cursor")])
def test_bad_list_parameters_are_422(api, params, field):
    answer = api("supervisor").get("/api/v1/enrollments", params=params)
    assert answer.status_code == 422 and field in answer.json()["errors"]


def test_get_one_has_status_version_history_and_etag(api, records):
    client = api("enumerator")
    created = create(client, records.enrollment())
    answer = client.get(f"/api/v1/enrollments/{created['id']}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "submitted" and body["version"] == 1 and body["history"] == []
    assert {r["rule"] for r in body["eligibility"]} >= {"domicile", "age", "council"}
    assert answer.headers["ETag"] == '"1"'
    assert client.get("/api/v1/enrollments/nope").status_code == 404


@pytest.mark.parametrize("if_match", ["1", '"1"', 'W/"1"'])
def test_patch_with_current_version_changes_and_keeps_history(api, records, if_match):
    client = api("enumerator")
    created = create(client, records.enrollment())
    answer = client.patch(f"/api/v1/enrollments/{created['id']}", json={"rt": "7"},
                          headers={"If-Match": if_match})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["rt"] == "007" and body["version"] == 2
    assert body["history"][0]["old_values"] == {"rt": created["rt"]}
    assert answer.headers["ETag"] == '"2"'


def test_patch_with_stale_version_is_412_and_changes_nothing(api, records):
    client = api("enumerator")
    created = create(client, records.enrollment())
    url = f"/api/v1/enrollments/{created['id']}"
    assert client.patch(url, json={"rt": "7"}, headers={"If-Match": "1"}).status_code == 200
    stale = client.patch(url, json={"rt": "8"}, headers={"If-Match": "1"})
    assert stale.status_code == 412 and stale.json()["code"] == "version_mismatch"
    assert client.get(url).json()["rt"] == "007"


def test_patch_without_if_match_is_428(api, records):
    client = api("enumerator")
    created = create(client, records.enrollment())
    answer = client.patch(f"/api/v1/enrollments/{created['id']}", json={"rt": "7"})
    assert answer.status_code == 428 and answer.json()["code"] == "if_match_required"


def test_patch_with_bad_values_is_422_and_changes_nothing(api, records):
    client = api("enumerator")
    created = create(client, records.enrollment())
    url = f"/api/v1/enrollments/{created['id']}"
    answer = client.patch(url, json={"nik": "123", "unknown": 1}, headers={"If-Match": "1"})
    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == {"nik", "unknown"}
    assert client.get(url).json()["version"] == 1


def test_patch_refuses_a_tab_in_a_one_line_field_and_keeps_it_in_a_multi_line_one(api, records):
    """An edit follows the intake's text rule (docs/api.md "Free text"): a tab in
    ``birth_place`` is 422 ``unprintable_characters`` naming U+0009, the record
    unchanged; the address, a multi-line field, keeps its tab with its line breaks."""
    client = api("enumerator")
    created = create(client, records.enrollment())
    url = f"/api/v1/enrollments/{created['id']}"
    answer = client.patch(url, json={"birth_place": "Makassar\tGowa"}, headers={"If-Match": "1"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error_codes"] == {"birth_place": ["unprintable_characters"]}
    assert "U+0009" in answer.json()["errors"]["birth_place"][0]
    assert client.get(url).json()["birth_place"] == created["birth_place"]
    address = "Jl. Somba Opu\nRT 002\tdekat masjid"
    kept = client.patch(url, json={"address": address}, headers={"If-Match": "1"})
    assert kept.status_code == 200 and kept.json()["address"] == address


@pytest.mark.parametrize("status", ["approved", "rejected", "synced"])
def test_patch_when_status_forbids_is_409(api, records, data_dir, status):
    client = api("enumerator")
    created = create(client, records.enrollment())
    set_status(data_dir, created["id"], status)
    answer = client.patch(f"/api/v1/enrollments/{created['id']}", json={"rt": "7"},
                          headers={"If-Match": "1"})
    assert answer.status_code == 409
    assert answer.json()["current_status"] == status


def test_enumerator_cannot_patch_another_enumerators_record(api, records):
    created = create(api("enumerator"), records.enrollment())
    answer = api("enumerator2").patch(f"/api/v1/enrollments/{created['id']}", json={"rt": "7"},
                                      headers={"If-Match": "1"})
    assert answer.status_code == 404


def test_supervisor_may_edit_and_becomes_last_editor(api, records):
    created = create(api("enumerator"), records.enrollment())
    answer = api("supervisor").patch(f"/api/v1/enrollments/{created['id']}",
                                     json={"heir_relation": "anak"}, headers={"If-Match": "1"})
    assert answer.status_code == 200
    assert answer.json()["heir_relation"] == "Anak"
    assert answer.json()["last_edited_by"] == "supervisor"


def test_patch_cannot_change_the_id(api, records):
    client = api("enumerator")
    created = create(client, records.enrollment())
    answer = client.patch(f"/api/v1/enrollments/{created['id']}",
                          json={"id": "6c1e7c51-6a58-4c0e-9d43-0b5c7d1f5d10"},
                          headers={"If-Match": "1"})
    assert answer.status_code == 422 and "id" in answer.json()["errors"]


# The lines of an edited-then-approved record after tamper_with_history, as flagged.
TAMPERED = [("edit", False, ["changed_by", "old_values.rt"]), ("approve", True, []),
            ("approve", False, ["trail_entry"])]


def tamper_with_history(data_dir, enrollment_id: str) -> None:
    """What someone with the database file can do to an edited (rt) and approved
    record's history: rewrite the edit's author and old value, copy the approval."""
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    conn.execute("UPDATE enrollment_history SET changed_by = 'supervisor2',"
                 " old_values = json_object('rt', '009') WHERE enrollment_id = ? AND action = 'edit'",
                 (enrollment_id,))
    conn.execute("INSERT INTO enrollment_history (enrollment_id, version, status, changed_at,"
                 " changed_by, action, old_values, new_values, reason) SELECT enrollment_id,"
                 " version, status, changed_at, changed_by, action, old_values, new_values, reason"
                 " FROM enrollment_history WHERE enrollment_id = ? AND action = 'approve'",
                 (enrollment_id,))
    conn.commit()
    conn.close()


def test_history_lines_the_sealed_trail_does_not_stand_for_are_flagged(api, records, data_dir):
    """A history row changed or added in SQLite by hand is shown with ``verified: false``
    and the parts that differ, by name only; the genuine lines stay verified."""
    created = create(api("enumerator"), records.enrollment(rt="001"))
    url = f"/api/v1/enrollments/{created['id']}"
    edited = api("enumerator").patch(url, json={"rt": "7"}, headers={"If-Match": "1"})
    assert edited.status_code == 200, edited.text
    decided = api("supervisor").post(f"{url}/review", json={"decision": "approve"})
    assert decided.status_code == 200, decided.text
    history = api("supervisor").get(url).json()["history"]
    assert [(line["action"], line["verified"], line["mismatch"]) for line in history] == \
        [("edit", True, []), ("approve", True, [])]
    assert decided.json()["history"] == history  # the review's answer shows the same lines

    tamper_with_history(data_dir, created["id"])
    answer = api("supervisor").get(url)
    assert answer.status_code == 200
    history = answer.json()["history"]
    assert [(line["action"], line["verified"], line["mismatch"]) for line in history] == TAMPERED
    assert history[0]["old_values"] == {"rt": "009"}  # shown as held, flagged, not hidden
    assert created["nik"] not in answer.text.split('"history"')[1]
