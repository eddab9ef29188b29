"""Central's office pages: login, the role matrix, CSRF, lockout, disabled users
(both backends, real server)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from berjasa.settings import read_app_config
from central import access
from central.app import create_app

from .office import PASSWORD, ROLES, add_user, login, signed_in, token

# Every GET page with a concrete path, to walk with each role.
GET_PAGES = {"pages.dashboard": "/", "pages.kecamatan": "/kecamatan/73.71.01",
             "pages.download": "/unduh/progress?format=csv", "pages.users": "/admin/users",
             "pages.audit": "/audit", "pages.audit_export": "/audit/export.csv",
             "pages.verification": "/verifikasi", "pages.devices": "/admin/perangkat"}
WRITES = [("/admin/users", {"username": "baru", "role": "operator", "password": PASSWORD}),
          ("/admin/users/1", {"action": "disable"})]
# the verifiers' decisions (issue 10): verifier only
VERIFY_WRITES = [("/verifikasi/kirim-balik", {"nik": "7371010101900001", "reason": "x"}),
                 ("/verifikasi/temuan/1", {"decision": "confirm", "reason": "x"}),
                 ("/verifikasi/pasangan/1/2", {"decision": "different", "reason": "x"})]


def test_every_central_route_has_a_row_in_the_role_matrix(tmp_path: Path):
    app = create_app(read_app_config(tmp_path, database_url=f"sqlite:///{tmp_path / 'c.db'}"))
    missing = [rule.endpoint for rule in app.url_map.iter_rules()
               if rule.endpoint not in access.PUBLIC and rule.endpoint not in access.ROUTES]
    assert missing == []
    stale = [e for e in access.ROUTES if e not in {r.endpoint for r in app.url_map.iter_rules()}]
    assert stale == []
    assert set(GET_PAGES) | {"pages.logout", "pages.user_create", "pages.user_update",
                             "pages.send_back", "pages.decide_finding", "pages.decide_pair"} == \
        set(access.ROUTES)


def test_pages_redirect_to_login_without_a_session_but_the_public_ones_answer(central):
    for path in GET_PAGES.values():
        answer = requests.get(f"{central.url}{path}", timeout=10, allow_redirects=False)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].startswith("/login"), path
    for path in ("/logout", "/admin/users", "/admin/users/1"):
        answer = requests.post(f"{central.url}{path}", timeout=10, allow_redirects=False)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert requests.get(f"{central.url}/health", timeout=10).status_code == 200
    assert requests.get(f"{central.url}/login", timeout=10).status_code == 200
    assert requests.get(f"{central.url}/static/central.css", timeout=10).status_code == 200
    # the device API is signed, not session-bound: no redirect, its own refusal
    answer = requests.get(f"{central.url}/api/v1/updates?since=0", timeout=10,
                          allow_redirects=False)
    assert answer.status_code in (400, 401, 403) and answer.json()["code"]


def test_login_lands_on_the_dashboard_naming_the_user_with_strict_headers(central):
    add_user(central, "rina.operator", "operator")
    browser, answer = login(central, "rina.operator")
    assert answer.status_code == 200 and answer.url == f"{central.url}/"
    assert "rina.operator" in answer.text and "Dasbor" in answer.text
    headers = answer.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] and headers["Cache-Control"] == "no-store"
    cookie = next(c for c in browser.cookies if c.name == "berjasa_central")
    assert cookie.has_nonstandard_attr("HttpOnly")
    # logout is a POST with the token; afterwards the dashboard asks for a login again
    out = browser.post(f"{central.url}/logout", data={"csrf_token": token(browser, central)},
                       timeout=10)
    assert out.url.startswith(f"{central.url}/login")
    again = browser.get(f"{central.url}/", timeout=10, allow_redirects=False)
    assert again.status_code == 302


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_what_the_matrix_allows(central, role):
    browser = signed_in(central, role)
    for endpoint, path in GET_PAGES.items():
        answer = browser.get(f"{central.url}{path}", timeout=30, allow_redirects=False)
        expected = 200 if role in access.ROUTES[endpoint] else 403
        assert answer.status_code == expected, (role, path, answer.text[:200])


def test_every_form_refuses_a_missing_or_forged_csrf_token(central):
    admin = signed_in(central, "admin")
    forms = [("/logout", {}), *WRITES]  # VERIFY_WRITES: test_verification_pages.py
    for path, data in forms:
        for forged in (None, "palsu-" + "x" * 40):
            body = dict(data) if forged is None else {**data, "csrf_token": forged}
            answer = admin.post(f"{central.url}{path}", data=body, timeout=10,
                                allow_redirects=False)
            assert answer.status_code == 400, (path, forged)
    # login form too (no session yet)
    stranger = requests.Session()
    stranger.get(f"{central.url}/login", timeout=10)
    answer = stranger.post(f"{central.url}/login", timeout=10,
                           data={"username": "admin-uji", "password": PASSWORD})
    assert answer.status_code == 400
    # the admin is still signed in and nothing was changed
    assert admin.get(f"{central.url}/admin/users", timeout=10).status_code == 200
    assert [r["username"] for r in central.query("SELECT username FROM users")] == ["admin-uji"]


def test_auditor_and_operator_cannot_write_or_open_admin_pages(central):
    for role in ("auditor", "operator", "verifier"):
        browser = signed_in(central, role)
        csrf = token(browser, central)
        for path, data in WRITES + (VERIFY_WRITES if role != "verifier" else []):
            answer = browser.post(f"{central.url}{path}", data={**data, "csrf_token": csrf},
                                  timeout=10, allow_redirects=False)
            assert answer.status_code == 403, (role, path)
        users = browser.get(f"{central.url}/admin/users", timeout=10)
        if role == "auditor":  # reads everything, changes nothing: the list without forms
            assert users.status_code == 200 and "auditor-uji" in users.text
            assert "<form" not in users.text.split("<main", 1)[-1].split("</main>")[0]
            assert "Hanya baca" in users.text
        else:
            assert users.status_code == 403, role
    assert {r["username"] for r in central.query("SELECT username FROM users")} == {
        "auditor-uji", "operator-uji", "verifier-uji"}


def test_a_disabled_users_live_session_stops_at_the_next_request(central):
    admin = signed_in(central, "admin")
    operator = signed_in(central, "operator")
    assert operator.get(f"{central.url}/", timeout=10).status_code == 200
    user_id = central.query("SELECT id FROM users WHERE username = 'operator-uji'")[0]["id"]
    answer = admin.post(f"{central.url}/admin/users/{user_id}", timeout=10, data={
        "action": "disable", "csrf_token": token(admin, central, "/admin/users")})
    assert answer.status_code == 200 and "diperbarui" in answer.text
    stopped = operator.get(f"{central.url}/", timeout=10, allow_redirects=False)
    assert stopped.status_code == 302 and stopped.headers["Location"].startswith("/login")
    _, again = login(central, "operator-uji")
    assert again.status_code == 401


def test_ten_wrong_passwords_then_the_right_one_is_429_and_the_name_is_not_stored(central):
    add_user(central, "sari", "operator")
    for _ in range(10):
        _, answer = login(central, "sari", "salah-salah-salah")
        assert answer.status_code == 401
    _, answer = login(central, "sari")
    assert answer.status_code == 429 and answer.headers.get("Retry-After")
    trail = central.query("SELECT actor, action FROM audit_log WHERE action = 'login.failed'")
    assert len(trail) == 10 and {e["actor"] for e in trail} == {"sari"}


def test_a_failed_sign_in_with_an_unknown_name_keeps_only_a_keyed_hash(central):
    _, answer = login(central, "<script>orang-asing</script>", "apa-saja-123")
    assert answer.status_code == 401 and "<script>orang" not in answer.text
    trail = central.query("SELECT actor, role, action, changes FROM audit_log")
    assert [e["action"] for e in trail] == ["login.failed"]
    assert trail[0]["actor"].startswith("?") and len(trail[0]["actor"]) == 17
    failures = central.query("SELECT * FROM login_failures")
    assert len(failures) == 1
    assert "orang-asing" not in repr(trail) + repr(failures)


def test_the_admin_page_offers_no_demotion_or_disabling_of_ones_own_account(central):
    admin = signed_in(central, "admin")
    signed_in(central, "operator")
    html = admin.get(f"{central.url}/admin/users", timeout=10).text
    rows = {re.search(r"<td>([^<]+)</td>", row).group(1): row
            for row in html.split("<tr")[2:] if re.search(r"<td>([^<]+)</td>", row)}
    own = rows.pop("admin-uji")
    assert "akun Anda (peran tetap)" in own and 'value="password"' in own
    assert 'value="role"' not in own and "Nonaktifkan" not in own
    assert rows["operator-uji"].count('value="role"') == 1 and "Nonaktifkan" in rows["operator-uji"]


def test_an_office_user_that_reads_like_another_is_refused(central):
    """"Operator-Kota", a full-width "ｏｐｅｒａｔｏｒ-kota" or one with a Cyrillic "о" beside
    "operator-kota" would
    be two actors in the trail that read as one; HTML in a name and a password of
    spaces are refused too. Nothing is stored."""
    admin = signed_in(central, "admin")
    add_user(central, "operator-kota", "operator")
    before = central.query("SELECT username FROM users ORDER BY id")
    for name, password in (("Operator-Kota", PASSWORD), ("ｏｐｅｒａｔｏｒ-kota", PASSWORD),
                           ("\u043eperator-kota", PASSWORD),  # a Cyrillic "о"
                           ("<b>x</b>", PASSWORD), ("baru", " " * 12)):
        answer = admin.post(f"{central.url}/admin/users", timeout=20, data={
            "username": name, "role": "auditor", "password": password,
            "csrf_token": token(admin, central, "/admin/users")})
        assert answer.status_code == 422, (name, answer.status_code)
    assert central.query("SELECT username FROM users ORDER BY id") == before


def test_head_requests_are_refused_without_acting(central):
    """HEAD ran the GET view: on /login each counted as a failed login (eleven
    locked the office out) and on /unduh/... it built the file, marked the records as
    put on a registration file and wrote a download entry. Only /health answers it."""
    operator = signed_in(central, "operator", "sari")
    trail_before = central.query("SELECT COUNT(*) AS n FROM audit_log")[0]["n"]
    for _ in range(11):
        assert requests.head(f"{central.url}/login", timeout=10).status_code == 405
    for path in ("/unduh/bpjs-registration?format=xlsx", "/unduh/payment-list", "/"):
        answer = operator.head(f"{central.url}{path}", timeout=20)
        assert answer.status_code == 405 and answer.headers.get("Allow") == "GET", path
    assert requests.head(f"{central.url}/health", timeout=10).status_code == 200
    offered = operator.options(f"{central.url}/unduh/payment-list", timeout=10).headers["Allow"]
    assert "GET" in offered and "HEAD" not in offered  # nothing offers what is refused
    assert central.query("SELECT COUNT(*) AS n FROM audit_log")[0]["n"] == trail_before
    _, answer = login(central, "sari")
    assert answer.status_code == 200


def test_a_browser_gets_the_office_error_page_anywhere_and_programs_get_json(central):
    """An unknown URL or a wrong method typed in a browser got raw JSON outside the
    pages' own routes; programs, the device API and the machine paths keep JSON."""
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    for answer, status in ((requests.get(f"{central.url}/tidak-ada", headers=browser, timeout=10), 404),
                           (requests.delete(f"{central.url}/login", headers=browser, timeout=10), 405)):
        assert answer.status_code == status
        assert answer.headers["Content-Type"].startswith("text/html"), answer.text[:200]
        assert "<html" in answer.text.lower() and '"code"' not in answer.text
        assert answer.headers["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in answer.headers
    for url, headers in ((f"{central.url}/tidak-ada", {"Accept": "*/*"}),
                         (f"{central.url}/tidak-ada", {"Accept": "application/json"}),
                         (f"{central.url}/api/v1/tidak-ada", browser)):
        answer = requests.get(url, headers=headers, timeout=10)
        assert answer.status_code == 404 and answer.json()["code"] == "not_found", url
    answer = requests.delete(f"{central.url}/health", headers=browser, timeout=10)
    assert answer.status_code == 405 and answer.json()["code"] == "method_not_allowed"
