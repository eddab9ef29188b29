"""pages: no page of the supervisor site shows Python's ``None`` (the "Semua status"
tab was titled "None · Kelurahan ..."). A register with records in every status,
with and without the optional fields, sent back by central, edited, decided; then
every page reachable by following the site's links is read as a supervisor, an
auditor and an admin, plus the search forms, error pages and the login page."""

from __future__ import annotations

import re
from collections import deque
from html import unescape

from berjasa.database import connect
from server.pages.labels import STATUS_LABELS
from tests.api.test_pages_bad_input import Browser
from tests.helpers import PASSWORD

HREF = re.compile(r'href="([^"]+)"')
NONE = re.compile(r"\bNone\b")
MAX_PAGES = 200


def _register(app, records, data_dir) -> list[str]:
    """Records in every status; some with every optional field empty."""
    from sync import outcomes

    client = app.test_client()

    def token(username: str) -> dict[str, str]:
        answer = client.post("/api/v1/auth/token", json={"username": username,
                                                          "password": PASSWORD})
        return {"Authorization": f"Bearer {answer.get_json()['token']}"}

    enumerator, supervisor = token("enumerator"), token("supervisor")
    bare = {"phone": None, "heir_phone": None, "work_category": None, "location": None,
            "notes": None, "disability": None}
    ids = []
    for index in range(12):
        payload = records.enrollment(**(bare if index % 2 else {}))
        answer = client.post("/api/v1/enrollments", json=payload, headers=enumerator)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        ids.append(payload["id"])

    def review(record_id: str, decision: str, reason: str | None = None) -> None:
        answer = client.post(f"/api/v1/enrollments/{record_id}/review", headers=supervisor,
                             json={"decision": decision, "reason": reason})
        assert answer.status_code == 200, answer.get_data(as_text=True)

    edit = client.patch(f"/api/v1/enrollments/{ids[1]}", json={"notes": "dicek pengawas"},
                        headers={**supervisor, "If-Match": "1"})
    assert edit.status_code == 200
    for record_id in ids[2:9]:
        review(record_id, "approve")
    review(ids[9], "reject", "Bukan warga kelurahan ini")
    review(ids[10], "needs_fix", "RT salah")
    conn = connect(data_dir / "kelurahan.db")
    try:
        with conn:
            assert outcomes.apply_update(conn, {"seq": 1, "record_id": ids[3], "kind": "needs_fix",
                                                "reason": "Nama beda dengan DTSEN"})
            for record_id, status, extra in (
                    (ids[4], "synced", ", central_status = 'accepted'"),
                    (ids[5], "registered", ", central_status = 'registered', kpj_number = '25123456789'"),
                    (ids[6], "central_rejected", (", central_status = 'rejected',"
                     " central_reason = 'rejected: dtsen_desil_above_cutoff'")),
                    (ids[7], "central_rejected", (", central_status = 'duplicate',"
                     " central_reason = 'duplicate_nik: 73.71.02.1002'"))):
                conn.execute(f"UPDATE enrollments SET status = ?{extra} WHERE id = ?",
                             (status, record_id))
    finally:
        conn.close()
    assert {row for row in STATUS_LABELS} <= _statuses(data_dir)
    return ids


def _statuses(data_dir) -> set[str]:
    conn = connect(data_dir / "kelurahan.db")
    try:
        return {row[0] for row in conn.execute("SELECT status FROM enrollments")}
    finally:
        conn.close()


def _crawl(browser: Browser, starts: list[str]) -> dict[str, str]:
    """Every same-site page reachable from ``starts`` by links: {url: html}."""
    seen: dict[str, str] = {}
    todo = deque(starts)
    while todo and len(seen) < MAX_PAGES:
        url = todo.popleft()
        if url in seen:
            continue
        answer = browser.get(url, headers={"Accept": "text/html"})
        seen[url] = answer.get_data(as_text=True)
        if answer.mimetype != "text/html":
            continue
        for href in HREF.findall(seen[url]):
            href = unescape(href)
            if href.startswith("?"):
                href = url.split("?", 1)[0] + href
            if href.startswith("/") and not href.startswith(("//", "/static/", "/app/")):
                todo.append(href)
    return seen


def _no_none(pages: dict[str, str]) -> None:
    shown = {url: NONE.findall(html) for url, html in pages.items()}
    assert not {url: found for url, found in shown.items() if found}, [
        (url, pages[url][max(0, m.start() - 120):m.end() + 40])
        for url in pages for m in [NONE.search(pages[url])] if m][:3]


def test_no_supervisor_page_shows_none(app, records, data_dir):
    ids = _register(app, records, data_dir)
    forms = ["/?q=zzz", "/?enumerator=enumerator", "/enrollments?status=all&q=a",
             *(f"/enrollments?status={s}&q=zzz" for s in STATUS_LABELS),
             "/enrollments?status=all&q=zzz",
             "/enrollments/00000000-0000-4000-8000-000000000000", "/enrollments?status=bogus",
             "/tidak-ada"]
    for username in ("supervisor", "auditor"):
        pages = _crawl(Browser(app, username), ["/", *forms])
        reviewed = {url.split("?")[0].rsplit("/", 1)[-1] for url in pages
                    if url.startswith("/enrollments/")}
        assert set(ids) <= reviewed, (username, len(pages))
        assert any("/receipt" in url for url in pages)
        assert any("status=all" in url for url in pages)
        _no_none(pages)
    _no_none(_crawl(Browser(app, "admin"), ["/admin/users", "/"]))
    _no_none(_crawl(Browser(app, None), ["/login", "/", "/tidak-ada"]))
