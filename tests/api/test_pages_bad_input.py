"""pages: bad input on every supervisor-page form — missing fields, wrong types, huge
values, HTML/script in reasons and names (escaped in the output), unknown ids, wrong
roles, missing or forged CSRF. Never a 500, never a change to stored data after a
refused form."""

from __future__ import annotations

import re

from berjasa.database import connect
from tests.helpers import PASSWORD

SCRIPT = "<script>alert('x')</script>"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class Browser:
    """A Flask test client logged in through the login form."""

    def __init__(self, app, username: str | None) -> None:
        self.client = app.test_client()
        self.token = _csrf(self.client.get("/login").get_data(as_text=True))
        if username:
            answer = self.client.post("/login", data={"username": username, "password": PASSWORD,
                                                      "csrf_token": self.token})
            assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
            self.token = _csrf(self.client.get("/login").get_data(as_text=True))

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kwargs)


def _enroll(app, records, count: int = 1) -> list[str]:
    """Submit enrollments as the enumerator through the API."""
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "enumerator",
                                                     "password": PASSWORD}).get_json()["token"]
    ids = []
    for _ in range(count):
        payload = records.enrollment()
        answer = client.post("/api/v1/enrollments", json=payload,
                             headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 201, answer.get_data(as_text=True)
        ids.append(payload["id"])
    return ids


def _snapshot(data_dir) -> tuple:
    conn = connect(data_dir / "kelurahan.db")
    try:
        records = conn.execute("SELECT id, status, version, review_reason FROM enrollments"
                               " ORDER BY id").fetchall()
        audit = conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
        users = conn.execute("SELECT id, username, role, active, password_hash FROM users"
                             " ORDER BY id").fetchall()
    finally:
        conn.close()
    return [tuple(r) for r in records], audit, [tuple(u) for u in users]


def _page_error(answer, *statuses: int) -> str:
    html = answer.get_data(as_text=True)
    assert answer.status_code in statuses, (answer.status_code, html[:300])
    assert "Traceback" not in html and "<script>alert" not in html
    return html


def test_decision_form_refuses_bad_fields_and_keeps_the_record(app, records, data_dir):
    enrollment_id = _enroll(app, records)[0]
    supervisor = Browser(app, "supervisor")
    path = f"/enrollments/{enrollment_id}/decision"
    before = _snapshot(data_dir)
    cases = [
        ({}, 422), ({"decision": ""}, 422), ({"decision": "APPROVE"}, 422),
        ({"decision": "delete"}, 422), ({"decision": SCRIPT}, 422),
        ({"decision": "reject"}, 422), ({"decision": "needs_fix", "reason": "   "}, 422),
        ({"decision": "reject", "reason": "x" * 2001}, 422),
        ({"decision": "reject", "reason": "y" * 500_000}, (413, 422)),
        ({"decision": "approve", "version": "99"}, 409),
        ({"decision": "approve", "version": "²"}, (409, 422)),
        ({"decision": "approve", "version": "9" * 5000}, (409, 422)),
        ({"decision": "approve", "version": "9" * 30}, (409, 422)),
        ({"decision": "approve", "version": "-1"}, (409, 422)),
        ({"decision": ["approve", "reject"]}, (200, 303, 422)),
    ]
    for data, statuses in cases:
        if isinstance(data.get("decision"), list):
            continue
        statuses = statuses if isinstance(statuses, tuple) else (statuses,)
        html = _page_error(supervisor.post(path, data), *statuses)
        assert SCRIPT not in html
        assert _snapshot(data_dir) == before, data
    # the reason named on the page when missing (the page sends the version it showed)
    html = supervisor.post(path, {"decision": "reject", "version": "1"}).get_data(as_text=True)
    assert "Alasan wajib diisi" in html
    # without the version a decision could be made on data changed since: refused
    html = _page_error(supervisor.post(path, {"decision": "approve"}), 422)
    assert "Versi data tidak sah" in html and _snapshot(data_dir) == before


def test_html_in_reasons_is_stored_as_typed_and_escaped(app, records, data_dir):
    first, second = _enroll(app, records, 2)
    supervisor = Browser(app, "supervisor")
    reason = f"Foto KTP buram {SCRIPT} &amp; ᨒᨚᨈᨑ 🙂"
    answer = supervisor.post(f"/enrollments/{first}/decision",
                             {"decision": "needs_fix", "reason": reason, "then": "queue",
                              "version": "1"})
    assert answer.status_code == 303
    conn = connect(data_dir / "kelurahan.db")
    stored = conn.execute("SELECT review_reason FROM enrollments WHERE id = ?", (first,)).fetchone()
    conn.close()
    assert stored[0] == reason
    page = _page_error(supervisor.get(f"/enrollments/{first}"), 200)
    assert "&lt;script&gt;" in page and "ᨒᨚᨈᨑ" in page
    # a refused form shows the typed reason back, escaped
    refused = supervisor.post(f"/enrollments/{second}/decision",
                              {"decision": "bogus", "reason": SCRIPT})
    assert "&lt;script&gt;" in _page_error(refused, 422)


def test_unknown_and_hostile_ids_and_query_strings(app, records):
    _enroll(app, records)
    supervisor = Browser(app, "supervisor")
    for path in [f"/enrollments/{SCRIPT}", "/enrollments/00000000-0000-0000-0000-000000000000",
                 "/enrollments/" + "a" * 5000, "/enrollments/%00", "/enrollments/ᨒᨚᨈᨑ"]:
        _page_error(supervisor.get(path), 404)
        _page_error(supervisor.post(path + "/decision", {"decision": "approve"}), 404)
    for query in [f"?q={SCRIPT}", "?q=" + "7" * 10_000, "?cursor=!!!", "?cursor=" + "A" * 5000,
                  "?cursor=W10", "?enumerator=%00", f"?enumerator={SCRIPT}", "?q=%C2%B2"]:
        _page_error(supervisor.get("/" + query), 200)
        _page_error(supervisor.get("/enrollments" + query + "&status=all"), 200)
        # an unknown status is a 400 page naming it (escaped), not some other list
        _page_error(supervisor.get("/enrollments" + query + "&status=" + SCRIPT), 400)


def test_csrf_missing_forged_or_from_another_session(app, records, data_dir):
    enrollment_id = _enroll(app, records)[0]
    supervisor = Browser(app, "supervisor")
    other = Browser(app, "supervisor2")
    admin = Browser(app, "admin")
    before = _snapshot(data_dir)
    decision = f"/enrollments/{enrollment_id}/decision"
    for token in (None, "", "x", other.token, supervisor.token[:-1], "ᨒ" * 40):
        data = {"decision": "approve"} if token is None else {"decision": "approve",
                                                               "csrf_token": token}
        _page_error(supervisor.post(decision, data, csrf=False), 400)
        _page_error(admin.post("/admin/users", {"username": "baru", "role": "auditor",
                                                "password": "kata-sandi-baru-123",
                                                **({} if token is None else {"csrf_token": token})},
                               csrf=False), 400)
        _page_error(supervisor.post("/logout", {} if token is None else {"csrf_token": token},
                                    csrf=False), 400)
    anonymous = Browser(app, None)
    _page_error(anonymous.post("/login", {"username": "supervisor", "password": PASSWORD},
                               csrf=False), 400)
    assert _snapshot(data_dir) == before
    assert supervisor.get("/").status_code == 200  # still logged in


def test_wrong_roles_on_pages(app, records, data_dir):
    enrollment_id = _enroll(app, records)[0]
    decision = f"/enrollments/{enrollment_id}/decision"
    enumerator, auditor, admin, supervisor, anonymous = (
        Browser(app, name) for name in ("enumerator", "auditor", "admin", "supervisor", None))
    before = _snapshot(data_dir)
    for path in ("/", "/enrollments", f"/enrollments/{enrollment_id}", "/admin/users"):
        _page_error(enumerator.get(path), 403)
    _page_error(enumerator.post(decision, {"decision": "approve"}), 403)
    _page_error(auditor.get(f"/enrollments/{enrollment_id}"), 200)
    _page_error(auditor.post(decision, {"decision": "approve"}), 403)
    _page_error(auditor.post("/admin/users", {"username": "x", "role": "admin",
                                              "password": "kata-sandi-baru-123"}), 403)
    _page_error(admin.post(decision, {"decision": "approve"}), 403)
    _page_error(admin.get("/"), 403)
    _page_error(supervisor.post("/admin/users/1", {"action": "role", "role": "admin"}), 403)
    assert anonymous.post(decision, {"decision": "approve"}).status_code in (303, 401)
    assert _snapshot(data_dir) == before


def test_user_admin_forms_refuse_bad_input(app, data_dir):
    admin = Browser(app, "admin")
    before = _snapshot(data_dir)
    for data in [{}, {"username": "", "role": "auditor", "password": "kata-sandi-baru-123"},
                 {"username": "u" * 5000, "role": "auditor", "password": "kata-sandi-baru-123"},
                 {"username": "baru", "role": "root", "password": "kata-sandi-baru-123"},
                 {"username": "baru", "role": SCRIPT, "password": "kata-sandi-baru-123"},
                 {"username": "baru", "role": "auditor", "password": "123"},
                 {"username": "baru", "role": "auditor"},
                 {"username": "supervisor", "role": "auditor", "password": "kata-sandi-baru-123"},
                 {"username": "SUPERVISOR", "role": "auditor", "password": "kata-sandi-baru-123"},
                 {"username": "ba\u0000ru", "role": "auditor", "password": "kata-sandi-baru-123"},
                 {"username": "admin\u200b", "role": "admin", "password": "kata-sandi-baru-123"}]:
        html = _page_error(admin.post("/admin/users", data), 422)
        assert SCRIPT not in html
    users = {u[1]: u[0] for u in before[2]}
    for user_id, data in [(users["supervisor"], {}), (users["supervisor"], {"action": SCRIPT}),
                          (users["supervisor"], {"action": "role", "role": "root"}),
                          (users["supervisor"], {"action": "role"}),
                          (users["supervisor"], {"action": "password"}),
                          (users["supervisor"], {"action": "password", "password": "1"}),
                          (users["admin"], {"action": "deactivate"}),
                          (users["admin"], {"action": "role", "role": "auditor"})]:
        _page_error(admin.post(f"/admin/users/{user_id}", data), 422)
    for path in ("/admin/users/999999", "/admin/users/" + "9" * 30, "/admin/users/-1",
                 "/admin/users/abc", "/admin/users/" + "9" * 5000):
        _page_error(admin.post(path, {"action": "activate"}), 404, 405)
    assert _snapshot(data_dir) == before
    # a name with HTML in it is refused (letters, digits and . _ - @ only), and so are a
    # full-width twin of a user and a password of spaces: nothing stored
    for data in [{"username": SCRIPT, "role": "auditor", "password": "kata-sandi-baru-123"},
                 {"username": "ｓｕｐｅｒｖｉｓｏｒ", "role": "auditor", "password": "kata-sandi-baru-123"},
                 {"username": "baru", "role": "auditor", "password": " " * 12}]:
        html = _page_error(admin.post("/admin/users", data), 422)
        assert SCRIPT not in html
    assert _snapshot(data_dir) == before
    # a full-width name is stored in its plain form
    assert admin.post("/admin/users", {"username": "ｂａｒｕ.２", "role": "auditor",
                                       "password": "kata-sandi-baru-123"}).status_code == 303
    assert ">baru.2<" in _page_error(admin.get("/admin/users"), 200)


def test_login_form_with_hostile_values(app, data_dir):
    before = _snapshot(data_dir)
    for data in [{}, {"username": SCRIPT, "password": "x"}, {"username": "u" * 100_000},
                 {"username": "supervisor", "password": "p" * 200_000},
                 {"username": "ᨒᨚᨈᨑ", "password": "ᨒᨚᨈᨑ"}, {"username": "supervisor\u0000"}]:
        browser = Browser(app, None)
        html = _page_error(browser.post("/login", data), 401, 413)
        assert SCRIPT not in html
    for target in ("//evil.example", "https://evil.example", "/\\evil.example",
                   "/\t/evil.example", "/%0d%0aSet-Cookie:x=1"):
        browser = Browser(app, None)
        answer = browser.post(f"/login?next={target}", {"username": "supervisor",
                                                         "password": PASSWORD})
        assert answer.status_code == 303
        location = answer.headers["Location"]
        assert "evil.example" not in location and "\n" not in location, location
    assert _snapshot(data_dir)[0] == before[0]


def test_record_erased_while_its_review_page_is_open(app, records, data_dir):
    """privacy erase while a supervisor has the review page open: reloading or
    deciding shows that the record is gone (410), never a 500."""
    from server import privacy
    from server.storage.audit import Actor

    [enrollment_id] = _enroll(app, records)
    supervisor = Browser(app, "supervisor")
    page = supervisor.get(f"/enrollments/{enrollment_id}")
    assert page.status_code == 200
    conn = connect(data_dir / "kelurahan.db")
    nik = conn.execute("SELECT nik FROM enrollments WHERE id = ?", (enrollment_id,)).fetchone()[0]
    privacy.erase_subject(conn, nik, "Surat 7/XI/2026", Actor("cli", "admin"))
    conn.close()
    for answer in (supervisor.get(f"/enrollments/{enrollment_id}"),
                   supervisor.post(f"/enrollments/{enrollment_id}/decision",
                                   {"decision": "approve", "version": "1"})):
        html = _page_error(answer, 410)
        assert "sudah dihapus di kelurahan ini atas permintaan pemilik data" in html
        assert "WITA" in html and nik not in html  # where and when
    # an id that never existed stays a plain 404
    _page_error(supervisor.get("/enrollments/00000000-0000-4000-8000-000000000000"), 404)


def test_the_admin_page_offers_no_demotion_or_disabling_of_ones_own_account(app):
    """The server refuses both for one's own account; the page does not offer them
    (it still offers a new password), and every other row keeps its controls."""
    html = Browser(app, "admin").get("/admin/users").get_data(as_text=True)
    rows = {re.search(r"<td>([^<]+)</td>", row).group(1): row
            for row in html.split("<tr")[2:] if re.search(r"<td>([^<]+)</td>", row)}
    own = rows.pop("admin")
    assert "akun Anda (peran tetap)" in own and 'name="action" value="password"' in own
    assert 'value="role"' not in own and "Nonaktifkan" not in own
    assert rows and all('value="role"' in row and "Nonaktifkan" in row for row in rows.values())
