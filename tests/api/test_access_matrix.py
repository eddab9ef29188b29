"""The role matrix (server/access.py) against every route of the app: each route
has an entry (a new route without one fails here), and every role (plus no
login) gets exactly what the matrix says on every route and method, through a
bearer token for the API and through a browser session for the pages."""

from __future__ import annotations

import re

import pytest
import requests

from server import access
from tests.helpers import PASSWORD

ROLE_USERS = {"enumerator": "enumerator", "supervisor": "supervisor", "admin": "admin",
              "auditor": "auditor"}
# Requests that end the caller's login go last so the others still run logged in.
LAST = ("auth.revoke_token", "pages.logout")


def routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) for every route, logout-like ones last."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return sorted(found, key=lambda item: (item[0] in LAST, item[0], item[1]))


def fill(rule: str, record_id: str) -> str:
    """A concrete URL for a rule: a real record, user 1, a file name."""
    url = rule.replace("<enrollment_id>", record_id).replace("<int:user_id>", "1")
    return re.sub(r"<(?:path:)?\w+>", "x.js", url)


def test_every_route_has_a_row_in_the_matrix(app):
    missing = sorted({e for e, _, _ in routes(app)
                      if e not in access.PUBLIC and e not in access.ROUTES})
    assert missing == [], f"routes without a role-matrix entry: {missing}"


def test_no_stale_rows_in_the_matrix(app):
    endpoints = {e for e, _, _ in routes(app)}
    assert sorted(set(access.ROUTES) - endpoints) == []


def test_admin_never_reviews_and_auditor_never_writes():
    for endpoint, roles in access.ROUTES.items():
        if endpoint in ("review.review_enrollment", "pages.decide"):
            assert roles == {access.SUPERVISOR}
    writes = {"enrollments.create_enrollment", "enrollments.create_batch",
              "enrollments.edit_enrollment", "review.review_enrollment", "pages.decide",
              "pages.user_create", "pages.user_update"}
    assert not any(access.AUDITOR in access.ROUTES[e] for e in writes)


def browser_login(base: str, username: str) -> requests.Session:
    """A requests session logged in through the page login form."""
    session = requests.Session()
    page = session.get(f"{base}/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = session.post(f"{base}/login", allow_redirects=False,
                          data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    session.csrf = token  # type: ignore[attr-defined]
    return session


def call(base: str, session: requests.Session, method: str, url: str, page: bool):
    data = {"csrf_token": getattr(session, "csrf", "")} if page and method == "POST" else None
    json = None if page or method not in ("POST", "PATCH") else {}
    return session.request(method, base + url, data=data, json=json, allow_redirects=False,
                           timeout=60)


@pytest.mark.parametrize("role", [None, *ROLE_USERS])
def test_every_role_on_every_route(app, api, live_server, records, role):
    record = records.enrollment()
    assert api("enumerator2").post("/api/v1/enrollments", json=record).status_code == 201
    bearer = api(ROLE_USERS[role]).session if role else requests.Session()
    pages = browser_login(live_server, ROLE_USERS[role]) if role else requests.Session()
    wrong = []
    for endpoint, method, rule in routes(app):
        page = endpoint.startswith("pages.")
        answer = call(live_server, pages if page else bearer, method, fill(rule, record["id"]),
                      page)
        status = answer.status_code
        if endpoint in access.PUBLIC:
            # A public route may still say "wrong password" (401 bad_credentials).
            ok = status != 403 and not (status == 401 and "unauthorized" in answer.text)
        elif role is None:
            ok = (status == 303 and "/login" in answer.headers["Location"]) if page \
                else status == 401
        elif role in access.ROUTES[endpoint]:
            ok = status not in (401, 403) and not (status == 303 and "/login" in
                                                   answer.headers.get("Location", ""))
        else:
            ok = status == 403
        if not ok:
            wrong.append(f"{role} {method} {rule} ({endpoint}) -> {status}")
    assert wrong == []


def test_bearer_token_does_not_open_a_page_session_cookie_does_not_open_the_api(api,
                                                                                 live_server):
    browser = browser_login(live_server, "supervisor")
    assert browser.get(f"{live_server}/api/v1/enrollments").status_code == 401
    assert browser.get(f"{live_server}/").status_code == 200
