"""No personal data in central's session cookie (issue 13 item 10, as for the
kelurahan pages): after the admin adds or changes an office user, the cookie holds
the user's id, not the name; the next page still shows the notice with the name."""

from __future__ import annotations

import requests

from tests.helpers import PASSWORD, flask_session_payload

from .office import signed_in, token


def _stored(browser: requests.Session) -> str:
    return flask_session_payload(browser.cookies.get("berjasa_central"))


def test_user_notices_keep_the_username_out_of_the_cookie(central):
    admin = signed_in(central, "admin")
    answer = admin.post(f"{central.url}/admin/users", allow_redirects=False, timeout=20, data={
        "username": "rahmawati_daeng", "role": "auditor", "password": PASSWORD,
        "csrf_token": token(admin, central, "/admin/users")})
    assert answer.status_code == 303, answer.text[:300]
    stored = _stored(admin)
    assert "_flashes" in stored and "rahmawati" not in stored.lower()
    page = admin.get(f"{central.url}/admin/users", timeout=20).text
    assert "Pengguna rahmawati_daeng ditambahkan." in page

    user_id = central.query("SELECT id FROM users WHERE username = 'rahmawati_daeng'")[0]["id"]
    answer = admin.post(f"{central.url}/admin/users/{user_id}", allow_redirects=False,
                        timeout=20, data={"action": "disable",
                                          "csrf_token": token(admin, central, "/admin/users")})
    assert answer.status_code == 303, answer.text[:300]
    stored = _stored(admin)
    assert "_flashes" in stored and "rahmawati" not in stored.lower()
    assert "Pengguna rahmawati_daeng diperbarui." in admin.get(
        f"{central.url}/admin/users", timeout=20).text
