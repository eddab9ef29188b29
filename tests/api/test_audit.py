"""api: GET /audit › who may read it, paging, verification; and what writes an
entry: decisions, logins (token and page), failed logins, logouts, user changes.
NIK appears in audit entries only masked; page login lockout gives a 429 page."""

from __future__ import annotations

import json
import re

import pytest
import requests

from berjasa.database import connect
from server.storage import audit
from tests.helpers import PASSWORD


def page_session(base: str, username: str, password: str = PASSWORD):
    """A browser-like session after posting the login form; returns (session, answer)."""
    session = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      session.get(f"{base}/login").text).group(1)
    answer = session.post(f"{base}/login", allow_redirects=False,
                          data={"username": username, "password": password, "csrf_token": token})
    return session, answer, token


@pytest.mark.parametrize("username,status", [("supervisor", 200), ("admin", 200),
                                             ("auditor", 200), ("enumerator", 403)])
def test_who_may_read_the_audit_trail(api, username, status):
    assert api(username).get("/api/v1/audit").status_code == status


def test_pages_follow_the_chain_and_verify(api):
    auditor = api("auditor")
    first = auditor.get("/api/v1/audit?limit=3").json()
    assert len(first["items"]) == 3 and first["next_cursor"] == 3
    second = auditor.get(f"/api/v1/audit?limit=3&after={first['next_cursor']}").json()
    assert second["items"][0]["prev_hash"] == first["items"][-1]["entry_hash"]
    assert first["items"][0]["prev_hash"] == first["genesis_hash"]
    verified = auditor.get("/api/v1/audit?verify=1").json()["verification"]
    assert verified["intact"] and verified["checked"] >= 6
    assert auditor.get("/api/v1/audit?limit=0").status_code == 422


def test_decisions_logins_and_user_changes_are_audited(api, records, live_server):
    payload = records.enrollment()
    assert api("enumerator").post("/api/v1/enrollments", json=payload).status_code == 201
    supervisor = api("supervisor")
    supervisor.post(f"/api/v1/enrollments/{payload['id']}/review",
                    json={"decision": "reject", "reason": "Bukan pekerja informal"})
    requests.post(f"{live_server}/api/v1/auth/token", json={"username": "supervisor",
                                                             "password": "salah-sandi"})
    admin, answer, _ = page_session(live_server, "admin")
    assert answer.status_code == 303
    form = admin.get(f"{live_server}/admin/users").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    created = admin.post(f"{live_server}/admin/users", data={
        "csrf_token": token, "username": "pengawas3", "role": "supervisor",
        "password": "sandi-baru-123"})
    assert created.status_code == 200 and "pengawas3" in created.text
    assert admin.post(f"{live_server}/logout", data={"csrf_token": token},
                      allow_redirects=False).status_code == 303

    items = api("auditor").get("/api/v1/audit?limit=1000").json()["items"]
    actions = [(e["actor"], e["action"]) for e in items]
    assert ("supervisor", "login.failed") in actions
    assert ("admin", "login") in actions and ("admin", "logout") in actions
    assert ("admin", "user.create") in actions
    [decision] = [e for e in items if e["action"] == "enrollment.status"]
    assert decision["changes"]["status"] == ["submitted", "rejected"]
    assert decision["reason"] == "Bukan pekerja informal"
    assert decision["role"] == "supervisor" and decision["at"]


def test_nik_only_masked_in_the_audit_trail(api, records, data_dir):
    payload = records.enrollment()
    enumerator = api("enumerator")
    enumerator.post("/api/v1/enrollments", json=payload)
    other = records.enrollment()
    edit = enumerator.patch(f"/api/v1/enrollments/{payload['id']}", headers={"If-Match": "1"},
                            json={k: other[k] for k in ("nik", "birth_date", "sex")})
    assert edit.status_code == 200, edit.text
    api("supervisor").post(f"/api/v1/enrollments/{payload['id']}/review",
                           json={"decision": "approve"})
    conn = connect(data_dir / "kelurahan.db")
    text = json.dumps(list(audit.iter_entries(conn)))
    # The chain holds keyed tags for personal fields: no NIK, masked or not.
    assert payload["nik"] not in text and other["nik"] not in text
    assert "******" not in text
    [edited] = [e for e in audit.iter_entries(conn) if e["action"] == "enrollment.edit"]
    assert all(v.startswith("h1:") for v in json.loads(edited["changes"])["nik"])
    # Supervisors see the (masked) NIK beside the entry.
    items = api("supervisor").get(f"/api/v1/audit?record_id={payload['id']}").json()["items"]
    [edit] = [e for e in items if e["action"] == "enrollment.edit"]
    assert edit["changes"]["nik"] == [payload["nik"][:6] + "******" + payload["nik"][-4:],
                                      other["nik"][:6] + "******" + other["nik"][-4:]]


@pytest.mark.parametrize("username,sees_values", [("supervisor", True), ("auditor", True),
                                                  ("admin", False)])
def test_role_matrix_row_for_audit_values(api, records, username, sees_values):
    """docs/roles.md: the audit trail's personal values only for roles that may read
    records; admins see field names, who and when, not the values."""
    payload = records.enrollment()
    enumerator = api("enumerator")
    assert enumerator.post("/api/v1/enrollments", json=payload).status_code == 201
    edit = enumerator.patch(f"/api/v1/enrollments/{payload['id']}", headers={"If-Match": "1"},
                            json={"full_name": "Wa Ode Nurhayati", "address": "Jl. Rahasia 7",
                                  "phone": "081299887766"})
    assert edit.status_code == 200, edit.text
    api("supervisor").post(f"/api/v1/enrollments/{payload['id']}/review",
                           json={"decision": "needs_fix", "reason": "Alamat Jl. Rahasia 7 salah"})
    answer = api(username).get(f"/api/v1/audit?record_id={payload['id']}&verify=1")
    assert answer.status_code == 200
    body = answer.json()
    text = json.dumps(body, ensure_ascii=False)
    [edited] = [e for e in body["items"] if e["action"] == "enrollment.edit"]
    assert {"full_name", "address", "phone"} <= set(edited["changes"])
    assert edited["actor"] == "enumerator" and edited["at"]
    secrets = ("Wa Ode Nurhayati", "Rahasia", "81299887766", payload["full_name"],
               payload["address"])
    if sees_values:
        assert edited["changes"]["full_name"] == [payload["full_name"], "Wa Ode Nurhayati"]
        assert all(s in text for s in secrets)
    else:
        assert not any(s in text for s in secrets)
        assert edited["changes"]["full_name"][1].startswith("h1:")
    assert body["verification"]["intact"]
    # Either way, the entry's hash can be recomputed from what the reader got.
    sealed = edited.get("sealed") or {"changes": json.dumps(edited["changes"], sort_keys=True,
                                                            ensure_ascii=False),
                                      "reason": edited["reason"]}
    assert audit.entry_hash({**edited, **sealed}) == edited["entry_hash"]
    # what was decided, by whom and when is about the work, not the person: in clear
    # for every reader (the reason stays sealed: it may name the person)
    [decided] = [e for e in body["items"] if e["changes"].get("status", [None, None])[1] == "needs_fix"]
    assert decided["changes"]["decision"] == [None, "needs_fix"]
    assert decided["changes"]["reviewed_by"] == [None, "supervisor"]
    assert not decided["changes"]["reviewed_at"][1].startswith("h1:")


@pytest.fixture
def settings_overrides():
    return {"login_max_failures": 3}


def test_page_login_lockout_is_a_429_page_and_audited(live_server, data_dir, caplog):
    for _ in range(3):
        _, answer, _ = page_session(live_server, "supervisor", "salah-sandi-1")
        assert answer.status_code == 401 and "salah" in answer.text
    _, answer, _ = page_session(live_server, "supervisor", PASSWORD)
    assert answer.status_code == 429
    assert "Terlalu banyak percobaan" in answer.text and int(answer.headers["Retry-After"]) > 0
    # The token endpoint shares the same lockout.
    locked = requests.post(f"{live_server}/api/v1/auth/token",
                           json={"username": "supervisor", "password": PASSWORD})
    assert locked.status_code == 429
    # (The address is locked too, so read the trail from the file.)
    conn = connect(data_dir / "kelurahan.db")
    assert len(audit.list_entries(conn, action="login.failed")) == 3
    assert any("page login" in r.getMessage() for r in caplog.records)
