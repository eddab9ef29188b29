"""browser: the supervisor pages in Debian's Chromium (Playwright, headless) ›
log in, approve one, reject one with a reason, the CSRF failure page, clearing a
queue of 50 entries (timed), a screenshot of the review page in tests/artifacts/,
and no Content-Security-Policy violations on the way."""

from __future__ import annotations

import time

import pytest

from tests.browser.chromium import ARTIFACTS, BROWSER_TEST
from tests.helpers import PASSWORD

pytestmark = BROWSER_TEST


@pytest.fixture
def page(browser):
    """A fresh page at the laptop's screen size; collects CSP violations."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID")
    tab = context.new_page()
    tab.csp_violations = []  # type: ignore[attr-defined]
    tab.on("console", lambda message: "Content Security Policy" in message.text
           and tab.csp_violations.append(message.text))
    yield tab
    context.close()


def seed(api, records, count: int) -> list[dict]:
    """``count`` enrollments recorded by the enumerator through the batch API."""
    items = [records.enrollment() for _ in range(count)]
    answer = api("enumerator").post("/api/v1/enrollments:batch", json={"enrollments": items})
    assert [r["status"] for r in answer.json()["results"]] == [201] * count
    return items


def log_in(page, base: str, username: str = "supervisor") -> None:
    """Fill and send the login form."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def statuses(api, items) -> dict:
    """Status of each seeded record, by id."""
    client = api("auditor")
    return {i["id"]: client.get(f"/api/v1/enrollments/{i['id']}").json()["status"] for i in items}


def test_log_in_approve_one_reject_one_and_screenshot(page, api, records, live_server):
    items = seed(api, records, 3)
    log_in(page, live_server)
    assert page.url == f"{live_server}/"
    assert page.locator("h1").first.inner_text().startswith("Antrian pemeriksaan")
    page.click(f"text={items[0]['full_name']}")
    assert "/enrollments/" in page.url
    assert page.locator("text=Kelayakan").count() == 1
    assert page.locator(f"text={items[0]['nik']}").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-page.png"), full_page=True)
    first = page.url.rsplit("/", 1)[1]

    page.click("button[value=approve]")
    assert page.locator(".flash").inner_text().endswith("Disetujui.")
    second = page.url.rsplit("/", 1)[1]
    assert second != first
    page.click("button[value=reject]")  # without a reason: refused, said why
    assert "Alasan wajib diisi" in page.content()
    page.fill("textarea[name=reason]", "Sudah bekerja sebagai PNS <script>alert(1)</script>")
    page.click("button[value=reject]")
    assert page.locator(".flash").inner_text().endswith("Ditolak.")

    shown = statuses(api, items)
    assert shown[first] == "approved" and shown[second] == "rejected"
    page.goto(f"{live_server}/enrollments/{second}")
    assert "<script>alert(1)</script>" in page.locator("text=Alasan:").inner_text()
    assert page.csp_violations == []


def test_forged_csrf_token_shows_the_failure_page(page, api, records, live_server):
    [item] = seed(api, records, 1)
    log_in(page, live_server)
    page.goto(f"{live_server}/enrollments/{item['id']}")
    page.locator("form:has(button[value=approve]) input[name=csrf_token]").evaluate(
        "input => { input.value = 'palsu' }")
    page.click("button[value=approve]")
    assert "Formulir tidak sah" in page.locator("h1").inner_text()
    assert "token keamanan tidak cocok" in page.content()
    assert statuses(api, [item])[item["id"]] == "submitted"


def test_two_tabs_the_second_decision_is_refused(browser, api, records, live_server):
    [item] = seed(api, records, 1)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    first, second = context.new_page(), context.new_page()
    log_in(first, live_server)
    for tab in (first, second):
        tab.goto(f"{live_server}/enrollments/{item['id']}")
    first.click("button[value=approve]")
    second.fill("textarea[name=reason]", "KK tidak cocok")
    second.click("button[value=reject]")
    assert "sudah diputuskan" in second.locator(".error").first.inner_text()
    assert statuses(api, [item])[item["id"]] == "approved"
    context.close()


def test_a_supervisor_clears_a_queue_of_50(page, api, records, live_server):
    items = seed(api, records, 50)
    started = time.perf_counter()
    log_in(page, live_server)
    page.click("table.records tbody tr:first-child a")
    for number in range(50):
        if number % 10 == 9:  # every tenth one is refused, with a reason
            page.fill("textarea[name=reason]", "Dokumen tidak lengkap")
            page.click("button[value=reject]")
        else:
            page.click("button[value=approve]")
    elapsed = time.perf_counter() - started
    assert page.url == f"{live_server}/"
    assert "Tidak ada data" in page.content()
    counted = list(statuses(api, items).values())
    assert counted.count("approved") == 45 and counted.count("rejected") == 5
    print(f"\n50 entries cleared in the browser in {elapsed:.1f} s "
          f"({elapsed / 50 * 1000:.0f} ms per decision, page round trips only)")
    assert page.csp_violations == []


def test_admin_adds_a_user_and_auditor_sees_no_decision_form(page, api, records, live_server):
    [item] = seed(api, records, 1)
    log_in(page, live_server, "admin")
    assert page.url.endswith("/admin/users")
    page.fill("#new-username", "pengawas_baru")
    page.select_option("#new-role", "supervisor")
    page.fill("#new-password", "sandi-yang-panjang")
    page.click("form:has(#new-username) button[type=submit]")
    assert "Pengguna pengawas_baru ditambahkan." in page.locator(".flash").inner_text()
    page.click("text=Keluar")
    log_in(page, live_server, "auditor")
    page.goto(f"{live_server}/enrollments/{item['id']}")
    assert page.locator("button[value=approve]").count() == 0
    page.goto(f"{live_server}/admin/users")
    assert "Tidak diizinkan" in page.locator("h1").inner_text()
