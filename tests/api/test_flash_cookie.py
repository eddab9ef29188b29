"""No personal data in the session cookie (issue 13 item 10): after a decision
and a user change, the cookie is decoded and holds neither the worker's name nor
the username; the next page still shows the notice with the name."""

from __future__ import annotations

import re

from berjasa.database import connect
from tests.api.test_pages_bad_input import Browser, _enroll
from tests.helpers import flask_session_payload


def _cookie_payload(browser) -> str:
    """The Flask session cookie decoded."""
    cookie = browser.client.get_cookie("session")
    assert cookie is not None
    return flask_session_payload(cookie.value)


def test_decision_notice_keeps_the_name_out_of_the_cookie(app, records, data_dir):
    enrollment_id = _enroll(app, records)[0]
    supervisor = Browser(app, "supervisor")
    page = supervisor.get(f"/enrollments/{enrollment_id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    conn = connect(data_dir / "kelurahan.db")
    name = conn.execute("SELECT full_name FROM enrollments WHERE id = ?",
                        (enrollment_id,)).fetchone()[0]
    conn.close()
    answer = supervisor.post(f"/enrollments/{enrollment_id}/decision",
                             {"decision": "approve", "version": version, "then": "queue"})
    assert answer.status_code == 303
    stored = _cookie_payload(supervisor)
    assert "_flashes" in stored
    for part in name.split():
        assert part.lower() not in stored.lower()
    shown = supervisor.get("/").get_data(as_text=True)
    assert f"{name}: " in shown.replace("&#39;", "'")


def test_user_notice_keeps_the_username_out_of_the_cookie(app):
    admin = Browser(app, "admin")
    answer = admin.post("/admin/users", {"username": "rahmawati_daeng", "role": "auditor",
                                         "password": "kata-sandi-baru-123"})
    assert answer.status_code == 303
    stored = _cookie_payload(admin)
    assert "_flashes" in stored and "rahmawati" not in stored.lower()
    assert "Pengguna rahmawati_daeng ditambahkan." in admin.get("/admin/users").get_data(
        as_text=True)
