"""api: ``consent.at``, the consent evidence's time, has the bounds of
``captured_at``: not more than a day ahead of the server's clock, and not before the
program's first round (1 January 2024 WITA); 2031 and 1970 (a reset phone clock)
were accepted. A record held before the bounds keeps its consent time through edits
and fixes (docs/api.md)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest


def _from_now(hours: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=hours)).isoformat()


def _with_consent_at(records, at) -> dict:
    """A valid enrollment whose consent time is ``at`` (text, or hours from now)."""
    at = at if isinstance(at, str) else _from_now(at)
    payload = records.enrollment()
    payload["consent"] = {**payload["consent"], "at": at}
    return payload


@pytest.mark.parametrize("at,code", [
    ("2031-01-01T09:00:00+08:00", "consent_in_future"),
    (25, "consent_in_future"),  # hours from now: past the day of clock slack
    ("1970-01-01T08:00:00+08:00", "consent_before_program"),
    ("2000-01-01T00:00:00+07:00", "consent_before_program"),
    ("2023-12-31T23:59:59+08:00", "consent_before_program"),
    ("2023-12-31T15:59:59Z", "consent_before_program"),
])
def test_consent_time_out_of_bounds_is_refused_naming_it(api, records, at, code):
    client = api("enumerator")
    answer = client.post("/api/v1/enrollments", json=_with_consent_at(records, at))
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error_codes"] == {"consent.at": [code]}
    assert "persetujuan" in body["errors"]["consent.at"][0]
    batch = client.post("/api/v1/enrollments:batch",
                        json={"enrollments": [_with_consent_at(records, at), records.enrollment()]})
    results = batch.json()["results"]
    assert [r["status"] for r in results] == [422, 201]
    assert results[0]["error_codes"] == {"consent.at": [code]}


@pytest.mark.parametrize("at", [
    "2024-01-01T00:00:00+08:00", "2023-12-31T16:00:00Z",
    23, -400 * 24,  # hours from now
])
def test_consent_time_within_bounds_is_accepted(api, records, at):
    answer = api("enumerator").post("/api/v1/enrollments", json=_with_consent_at(records, at))
    assert answer.status_code == 201, answer.text


def test_a_record_held_before_the_bounds_keeps_its_consent_time_through_edits(
        api, records, data_dir):
    """Stored while the API still took any time (here: 1970); an edit of another field,
    and the enumerator's fix after a send-back, are not refused for it. Changing the
    consent time is judged."""
    payload = records.enrollment()
    enumerator, supervisor = api("enumerator"), api("supervisor")
    assert enumerator.post("/api/v1/enrollments", json=payload).status_code == 201
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    with conn:
        conn.execute("UPDATE enrollments SET consent = json_set(consent, '$.at', ?) WHERE id = ?",
                     ("1970-01-01T08:00:00+08:00", payload["id"]))
    conn.close()
    url = f"/api/v1/enrollments/{payload['id']}"
    edit = supervisor.patch(url, json={"notes": "KK dicek"}, headers={"If-Match": "1"})
    assert edit.status_code == 200, edit.text
    assert edit.json()["consent"]["at"] == "1970-01-01T08:00:00+08:00"
    sent_back = api("supervisor2").post(f"{url}/review",
                                        json={"decision": "needs_fix", "reason": "RT salah"})
    assert sent_back.status_code == 200
    # the phone sends the whole record back, its consent as it was
    held = enumerator.get(url).json()
    fix = enumerator.patch(url, json={"rt": "004", "consent": held["consent"]},
                           headers={"If-Match": str(held["version"])})
    assert fix.status_code == 200, fix.text
    assert fix.json()["status"] == "submitted"
    moved = enumerator.patch(url, headers={"If-Match": str(fix.json()["version"])},
                             json={"consent": {**held["consent"], "at": "1971-01-01T08:00:00+08:00"}})
    assert moved.status_code == 422
    assert moved.json()["error_codes"] == {"consent.at": ["consent_before_program"]}


def _held_in_2031(api, records, data_dir) -> dict:
    """A record the previous release stored with consent in 2031, approved."""
    payload = records.enrollment()
    assert api("enumerator").post("/api/v1/enrollments", json=payload).status_code == 201
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    with conn:
        conn.execute("UPDATE enrollments SET consent = json_set(consent, '$.at', ?) WHERE id = ?",
                     ("2031-01-01T00:00:00+08:00", payload["id"]))
    conn.close()
    return payload


def test_a_record_sent_back_for_its_consent_is_judged_on_it(api, records, data_dir):
    """QA: central refused the 2031 consent ("Catatan persetujuan tidak sah"; the agent
    moves the record to needs_fix, central status sent_back); the enumerator's fix of
    another field, or Simpan with no change, keeping 2031 is refused naming
    ``consent.at`` (it was approved and accepted at central before). A supervisor's own
    send-back naming the consent does the same; one for another field does not. A new
    consent time is the fix."""
    from berjasa.database import connect
    from berjasa.record_reasons import fix_request_text
    from server import lifecycle
    from server.storage.audit import Actor
    from sync.outcomes import SENT_BACK_PREFIX

    enumerator = api("enumerator")
    by_central = _held_in_2031(api, records, data_dir)
    assert api("supervisor").post(f"/api/v1/enrollments/{by_central['id']}/review",
                                  json={"decision": "approve"}).status_code == 200
    conn = connect(data_dir / "kelurahan.db")
    lifecycle.transition(conn, by_central["id"], "needs_fix", Actor("sync", "sync"), extra={
        "central_status": "sent_back",
        "central_reason": SENT_BACK_PREFIX + fix_request_text(["invalid_consent"])},
        reason="pusat")
    conn.close()
    by_supervisor, kept = _held_in_2031(api, records, data_dir), _held_in_2031(api, records, data_dir)
    for payload, reason in ((by_supervisor, "Waktu persetujuan salah"), (kept, "RT salah")):
        assert api("supervisor").post(f"/api/v1/enrollments/{payload['id']}/review", json={
            "decision": "needs_fix", "reason": reason}).status_code == 200
    for payload in (by_central, by_supervisor):
        url = f"/api/v1/enrollments/{payload['id']}"
        held = enumerator.get(url).json()
        assert held["status"] == "needs_fix"
        for body in ({"phone": "081399990000", "consent": held["consent"]}, {}):
            refused = enumerator.patch(url, json=body, headers={"If-Match": str(held["version"])})
            assert refused.status_code == 422, refused.text
            assert refused.json()["error_codes"] == {"consent.at": ["consent_in_future"]}
        fix = enumerator.patch(url, headers={"If-Match": str(held["version"])}, json={
            "consent": {**held["consent"], "at": "2025-10-06T09:00:00+08:00"}})
        assert fix.status_code == 200 and fix.json()["status"] == "submitted"
    url = f"/api/v1/enrollments/{kept['id']}"
    fix = enumerator.patch(url, json={"rt": "004"}, headers={"If-Match": "2"})
    assert fix.status_code == 200 and fix.json()["consent"]["at"] == "2031-01-01T00:00:00+08:00"


@pytest.mark.parametrize("field", ["captured_at", "consent.at"])
def test_a_time_ahead_of_the_laptop_names_both_clocks(api, records, field):
    """A laptop whose clock runs behind refuses every phone's records: the message
    says either clock may be wrong and shows both times (h2's report, item 13)."""
    ahead = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)
    payload = records.enrollment()
    if field == "captured_at":
        payload["captured_at"] = ahead.isoformat()
    else:
        payload["consent"] = {**payload["consent"], "at": ahead.isoformat()}
    answer = api("enumerator").post("/api/v1/enrollments", json=payload)
    assert answer.status_code == 422, answer.text
    [message] = answer.json()["errors"][field]
    wita = dt.timezone(dt.timedelta(hours=8))
    assert f"dari HP ({ahead.astimezone(wita):%d-%m-%Y %H:%M} WITA)" in message
    assert "jam laptop kelurahan (" in message and "jam HP atau jam laptop salah" in message
    now = dt.datetime.now(wita)
    assert f"({now:%d-%m-%Y}" in message.split("jam laptop kelurahan", 1)[1]
