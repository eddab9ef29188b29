"""A person erased at their request, met again at intake (docs/privacy.md, section 4:
"Orang yang sudah dihapus, datang lagi"), on a live kelurahan server with the real
`berjasa privacy erase` and `privacy purge` commands:

- another record of the NIK (a new id) captured before the erasure, still in a
  phone's outbox, is refused 409 ``erased`` with the erasure's date, alone and in a
  batch, and nothing is stored;
- one captured after it (a new consent) is accepted with a warning the review page
  shows and the approval records as overridden;
- a record rejected long ago and erased by retention is no request: nothing is said;
- the phone's status look answers the enumerator's erased records as ``erased`` by id
  only (issue 12), to that enumerator alone.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid

from berjasa.local_time import wita
from tests.helpers import berjasa

REASON = "Surat 4/PDP/2026"


def _at(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds")


def _captured(record: dict, moment: dt.datetime) -> dict:
    """The record as captured (and consented to) at ``moment``, under a new id."""
    fresh = dict(record)
    fresh["id"] = str(uuid.uuid4())
    fresh["captured_at"] = _at(moment)
    fresh["consent"] = {**record["consent"], "at": _at(moment)}
    return fresh


def _erase(data_dir, nik: str) -> dt.datetime:
    done = berjasa("privacy", "erase", nik, "--reason", REASON, "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    [at] = conn.execute("SELECT max(erased_at) FROM privacy_erasures").fetchone()
    conn.close()
    return dt.datetime.fromisoformat(at)


def test_a_record_captured_before_the_erasure_is_refused_after_it_accepted_with_a_warning(
        api, records, data_dir):
    enumerator, supervisor = api("enumerator"), api("supervisor")
    person = records.enrollment()
    assert enumerator.post("/api/v1/enrollments", json=person).status_code == 201
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=8)
    erased_at = _erase(data_dir, person["nik"])
    date = wita(erased_at.isoformat())

    # the copy still in another phone's outbox (captured before): refused, nothing stored
    outbox = _captured(person, before)
    single = enumerator.post("/api/v1/enrollments", json=outbox)
    assert single.status_code == 409, single.text
    body = single.json()
    assert body["code"] == "erased" and date in body["message"]
    assert "hapus data ini dari HP" in body["message"] and person["nik"] not in single.text
    again = _captured(person, before)
    batch = enumerator.post("/api/v1/enrollments:batch", json={"enrollments": [again]})
    [result] = batch.json()["results"]
    assert (result["status"], result["code"]) == (409, "erased") and date in result["message"]
    # a card saved before the erasure whose consent box was ticked again after it: still its
    # capture time, still refused
    ticked = _captured(person, before)
    ticked["consent"]["at"] = _at(erased_at + dt.timedelta(seconds=30))
    assert enumerator.post("/api/v1/enrollments", json=ticked).json()["code"] == "erased"
    found = supervisor.get("/api/v1/enrollments", params={"q": person["nik"], "status": ""})
    assert found.json()["items"] == []

    # recorded again afterwards, with a new consent: accepted, marked for the supervisor
    later = _captured(person, erased_at + dt.timedelta(seconds=30))
    created = enumerator.post("/api/v1/enrollments", json=later)
    assert created.status_code == 201, created.text
    [warning] = [w for w in created.json()["warnings"] if w["code"] == "nik_erased_before"]
    assert warning["field"] == "nik" and date in warning["message"]
    assert warning["message"].startswith("NIK ini pernah dihapus atas permintaan pada")
    page = supervisor.get(f"/enrollments/{later['id']}")
    assert page.status_code == 200 and "NIK ini pernah dihapus atas permintaan pada" in page.text
    # an edit keeps the mark
    edited = enumerator.patch(f"/api/v1/enrollments/{later['id']}", json={"notes": "Dicek ulang"},
                              headers={"If-Match": "1"})
    assert edited.status_code == 200, edited.text
    assert "nik_erased_before" in {w["code"] for w in edited.json()["warnings"]}
    approved = supervisor.post(f"/api/v1/enrollments/{later['id']}/review",
                               json={"decision": "approve"})
    assert approved.status_code == 200, approved.text
    trail = api("auditor").get("/api/v1/audit", params={"record_id": later["id"]})
    assert trail.status_code == 200, trail.text
    assert "nik_erased_before" in json.dumps(
        [e["changes"].get("overridden_warnings") for e in trail.json()["items"]])


def test_an_edit_to_an_erased_persons_nik_is_judged_the_same(api, records, data_dir):
    enumerator = api("enumerator")
    erased = records.enrollment()
    assert enumerator.post("/api/v1/enrollments", json=erased).status_code == 201
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10)
    _erase(data_dir, erased["nik"])
    # captured before the erasure under a mistyped NIK (another serial), then corrected
    # to the erased person's
    typo = erased["nik"][:12] + ("9998" if erased["nik"][12:] != "9998" else "9997")
    mistyped = dict(_captured(erased, before), nik=typo)
    assert enumerator.post("/api/v1/enrollments", json=mistyped).status_code == 201
    answer = enumerator.patch(f"/api/v1/enrollments/{mistyped['id']}",
                              json={"nik": erased["nik"]}, headers={"If-Match": "1"})
    assert answer.status_code == 409 and answer.json()["code"] == "erased", answer.text
    assert enumerator.get(f"/api/v1/enrollments/{mistyped['id']}").json()["nik"] == typo


def test_a_retention_purge_is_no_request(api, records, data_dir):
    enumerator, supervisor = api("enumerator"), api("supervisor")
    person = records.enrollment()
    assert enumerator.post("/api/v1/enrollments", json=person).status_code == 201
    assert supervisor.post(f"/api/v1/enrollments/{person['id']}/review",
                           json={"decision": "reject", "reason": "Bukan warga"}).status_code == 200
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    conn.execute("UPDATE enrollments SET updated_at = '2020-01-01T00:00:00+00:00' WHERE id = ?",
                 (person["id"],))
    conn.commit()
    conn.close()
    purged = berjasa("privacy", "purge", "--json", "--clock-checked", "--data-dir", str(data_dir))
    assert json.loads(purged.stdout)["rejected_erased"] == 1, purged.stderr
    # the same person comes again with the old capture time: new data, no warning
    again = _captured(person, dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))
    created = enumerator.post("/api/v1/enrollments", json=again)
    assert created.status_code == 201, created.text
    assert "nik_erased_before" not in {w["code"] for w in created.json()["warnings"]}
    # ... but the rejected card is gone from the server: the phone is told (ids only)
    items = enumerator.get("/api/v1/field/statuses").json()["items"]
    assert {"id": person["id"], "status": "erased"}.items() <= next(
        i for i in items if i["id"] == person["id"]).items()


def test_the_status_look_answers_erased_records_by_id_to_their_enumerator(api, records, data_dir):
    enumerator, other = api("enumerator"), api("enumerator2")
    kept, gone = records.enrollment(), records.enrollment()
    for record in (kept, gone):
        assert enumerator.post("/api/v1/enrollments", json=record).status_code == 201
    theirs = records.enrollment()
    assert other.post("/api/v1/enrollments", json=theirs).status_code == 201
    first = enumerator.get("/api/v1/field/statuses").json()
    _erase(data_dir, gone["nik"])
    _erase(data_dir, theirs["nik"])

    look = enumerator.get("/api/v1/field/statuses", params={"since": first["since"]})
    assert look.status_code == 200, look.text
    items = look.json()["items"]
    [erased] = [i for i in items if i["status"] == "erased"]
    assert set(erased) == {"id", "status", "updated_at"} and erased["id"] == gone["id"]
    assert theirs["id"] not in look.text
    for secret in (gone["nik"], gone["full_name"]):
        assert secret not in look.text
    # a look from the start lists it too (a phone signed in again); a look started after
    # the erasure (and its overlap) no longer does
    assert gone["id"] in {i["id"] for i in enumerator.get("/api/v1/field/statuses").json()["items"]}
    paged = [i["id"] for i in _all_pages(enumerator, limit=1) if i["status"] == "erased"]
    assert paged == [gone["id"]]                          # once, on the look's last page
    assert [i["id"] for i in other.get("/api/v1/field/statuses").json()["items"]
            if i["status"] == "erased"] == [theirs["id"]]
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    conn.execute("UPDATE privacy_erasures SET erased_at = '2020-01-01T00:00:00+00:00'")
    conn.commit()
    conn.close()
    late = enumerator.get("/api/v1/field/statuses", params={"since": first["since"]}).json()
    assert "erased" not in {i["status"] for i in late["items"]}


def _all_pages(client, limit: int) -> list[dict]:
    items, cursor = [], None
    while True:
        body = client.get("/api/v1/field/statuses",
                          params={"limit": limit, **({"cursor": cursor} if cursor else {})}).json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items
