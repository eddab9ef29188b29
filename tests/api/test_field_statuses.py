"""api: GET /api/v1/field/statuses, the phone's status look: the caller's own records
only (enumerators and supervisors alike), no personal field, changed since the last
look (re-read with an overlap), page by page; the full listing still answers."""

from __future__ import annotations

from berjasa.database import connect, transaction

LIGHT_KEYS = {"id", "version", "status", "review_reason", "central", "updated_at"}


def _look(client, since=None, limit=None) -> tuple[list[dict], str | None]:
    """Every page of one look: the items and the ``since`` of its last page."""
    items, cursor = [], None
    while True:
        params = {k: v for k, v in (("since", since), ("cursor", cursor), ("limit", limit)) if v}
        answer = client.get("/api/v1/field/statuses", params=params)
        assert answer.status_code == 200, answer.text
        assert answer.headers["Cache-Control"] == "no-store"
        body = answer.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items, body["since"]


def _age(data_dir, stamps: dict[str, str]) -> None:
    """Give records an old ``updated_at`` (as if changed long ago)."""
    conn = connect(data_dir / "kelurahan.db")
    try:
        with transaction(conn):
            for record_id, stamp in stamps.items():
                conn.execute("UPDATE enrollments SET updated_at = ? WHERE id = ?", (stamp, record_id))
    finally:
        conn.close()


def test_own_statuses_only_without_personal_data(api, records):
    enumerator, other, supervisor = api("enumerator"), api("enumerator2"), api("supervisor")
    mine = [records.enrollment() for _ in range(3)]
    for record in mine:
        assert enumerator.post("/api/v1/enrollments", json=record).status_code == 201
    theirs = records.enrollment()
    assert other.post("/api/v1/enrollments", json=theirs).status_code == 201
    own_of_supervisor = records.enrollment()
    assert supervisor.post("/api/v1/enrollments", json=own_of_supervisor).status_code == 201

    items, since = _look(enumerator)
    assert sorted(i["id"] for i in items) == sorted(r["id"] for r in mine)
    assert all(set(i) == LIGHT_KEYS for i in items)
    assert all(set(i["central"]) == {"status", "reason", "kpj_number"} for i in items)
    assert {i["status"] for i in items} == {"submitted"} and since
    text = enumerator.get("/api/v1/field/statuses").text
    for record in mine:
        assert record["nik"] not in text and record["full_name"] not in text
    # a supervisor's phone gets the supervisor's own records, not the kelurahan's
    assert [i["id"] for i in _look(supervisor)[0]] == [own_of_supervisor["id"]]
    assert [i["id"] for i in _look(other)[0]] == [theirs["id"]]
    paged, _ = _look(enumerator, limit=1)                  # three pages of one
    assert [i["id"] for i in paged] == [i["id"] for i in items]

    assert api().get("/api/v1/field/statuses").status_code == 401
    for role in ("admin", "auditor"):
        assert api(role).get("/api/v1/field/statuses").status_code == 403
    bad = enumerator.get("/api/v1/field/statuses", params={"since": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["error_codes"] == {"since": ["invalid_cursor"]}
    # the old path keeps working
    assert len(enumerator.get("/api/v1/enrollments").json()["items"]) == 3


def test_a_look_since_the_last_brings_what_changed(api, records, data_dir):
    enumerator, supervisor = api("enumerator"), api("supervisor")
    a, b, d = (records.enrollment() for _ in range(3))
    for record in (a, b, d):
        assert enumerator.post("/api/v1/enrollments", json=record).status_code == 201
    _age(data_dir, {a["id"]: "2026-01-01T00:00:00.000000+00:00", d["id"]: "2026-01-01T00:30:00.000000+00:00",
                    b["id"]: "2026-01-01T01:00:00.000000+00:00"})
    first, since = _look(enumerator)
    assert [i["id"] for i in first] == [a["id"], d["id"], b["id"]]   # oldest change first

    decided = supervisor.post(f"/api/v1/enrollments/{a['id']}/review",
                              json={"decision": "needs_fix", "reason": "Nama ibu tidak lengkap"})
    assert decided.status_code == 200, decided.text
    c = records.enrollment()
    assert enumerator.post("/api/v1/enrollments", json=c).status_code == 201

    later, since_after = _look(enumerator, since=since)
    ids = [i["id"] for i in later]
    # d changed long before the last look: not again; b, where the look ended, is
    # read again (the overlap), a changed and c is new
    assert d["id"] not in ids and set(ids) == {b["id"], a["id"], c["id"]}
    changed = next(i for i in later if i["id"] == a["id"])
    assert (changed["status"], changed["review_reason"], changed["version"]) == (
        "needs_fix", "Nama ibu tidak lengkap", 2)
    assert since_after != since
    # nothing changed since: only what the overlap reads again (changes of the last minutes)
    again, _ = _look(enumerator, since=since_after)
    assert b["id"] not in {i["id"] for i in again}
