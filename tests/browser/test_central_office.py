"""browser: central's office pages in Debian's Chromium (Playwright, headless), one
pass per role: log in through the form, see what the role may see (and be refused
what it may not), the operator downloads the payment list and it opens with
openpyxl, the auditor finds the download in the trail. Screenshots go to
tests/artifacts/central-<role>.png; no CSP violations on the way."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook

from tests.browser.chromium import ARTIFACTS, BROWSER_TEST
from tests.central.conftest import KELURAHAN_A, KELURAHAN_B, born_on, records, start_central
from tests.central.office import PASSWORD, add_user
from tests.central.test_verification import _import_dtsen

pytestmark = BROWSER_TEST
USERS = {"operator": "rina.operator", "verifier": "budi.verifikator", "admin": "sari.admin",
         "auditor": "andi.bpkp"}
# role -> (menu links it sees, menu links it must not see)
MENU = {"operator": ({"Dasbor"}, {"Pengguna", "Perangkat", "Jejak audit"}),
        "verifier": ({"Dasbor"}, {"Pengguna", "Perangkat", "Jejak audit"}),
        "admin": ({"Dasbor", "Pengguna", "Perangkat"}, {"Jejak audit"}),
        "auditor": ({"Dasbor", "Jejak audit", "Pengguna", "Perangkat"}, set())}


@pytest.fixture(scope="module")
def central(tmp_path_factory) -> Iterator:
    """A central on SQLite with a few records and one user per role, and what a
    verifier's day holds (the guide's screenshot shows it): a record whose name
    DTSEN spells otherwise (an identity finding) and one person sent by two
    kelurahan under two spellings of the name (a likely duplicate pair)."""
    folder = tmp_path_factory.mktemp("central-office")
    server, running = start_central(f"sqlite:///{folder / 'central.db'}", folder / "data")
    try:
        running.register().send(records(8))
        checked = records(1, seed=9)[0]
        _import_dtsen(running, folder, [(checked["nik"], checked["kk_number"],
                                         "Nurhayati Daeng Ngintang", checked["birth_date"],
                                         KELURAHAN_A, 2)])
        running.register().send([checked])
        first = {**records(1, KELURAHAN_A, seed=11)[0], "full_name": "Muh. Ridwan Daeng Tompo"}
        second = born_on({**records(1, KELURAHAN_B, seed=13)[0],
                          "full_name": "MUHAMMAD RIDWAN DG. TOMPO"}, first["birth_date"])
        running.register(KELURAHAN_A).send([first])
        running.register(KELURAHAN_B).send([second])
        for role, name in USERS.items():
            add_user(running, name, role)
        yield running
    finally:
        running.close()
        server.close()


def _page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID",
                                  accept_downloads=True)
    tab = context.new_page()
    tab.csp_violations = []  # type: ignore[attr-defined]
    tab.on("console", lambda message: "Content Security Policy" in message.text
           and tab.csp_violations.append(message.text))
    return context, tab


def _log_in(tab, base: str, name: str) -> None:
    tab.goto(f"{base}/")
    assert "/login" in tab.url  # no session: the login form
    tab.fill("input[name=username]", name)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{base}/")
    assert tab.locator(".username").inner_text() == name


@pytest.mark.parametrize("role", ["operator", "verifier", "admin", "auditor"])
def test_each_role_sees_what_it_may(browser, central, role):
    ARTIFACTS.mkdir(exist_ok=True)
    context, tab = _page(browser)
    try:
        _log_in(tab, central.url, USERS[role])
        menu = set(tab.locator("nav.nav a").all_inner_texts())
        shown, hidden = MENU[role]
        assert shown <= menu and not (hidden & menu), menu
        downloads = tab.locator(".download")  # links, and the registration file's buttons
        if role in ("operator", "auditor"):
            assert downloads.count() >= 10
        else:
            assert downloads.count() == 0
        tab.screenshot(path=str(ARTIFACTS / f"central-{role}.png"), full_page=True)
        if role == "verifier":
            assert tab.goto(f"{central.url}/verifikasi").status == 200
            text = tab.locator("main").inner_text()
            assert "Temuan untuk diputuskan (1)" in text and "Kemungkinan ganda (1)" in text
            assert "Nurhayati Daeng Ngintang" in text and "RIDWAN" in text
            tab.screenshot(path=str(ARTIFACTS / "central-verification.png"), full_page=True)
        answer = tab.goto(f"{central.url}/admin/users")
        assert answer.status == (200 if role in ("admin", "auditor") else 403)
        if role not in ("admin", "auditor"):
            assert "Tidak diizinkan" in tab.content()
        if role == "auditor":  # the list, read-only
            assert tab.locator("main form").count() == 0
        answer = tab.goto(f"{central.url}/audit")
        assert answer.status == (200 if role == "auditor" else 403)
        if role == "auditor":
            tab.screenshot(path=str(ARTIFACTS / "central-auditor-trail.png"), full_page=True)
        tab.goto(f"{central.url}/kecamatan/73.71.01")
        assert "Mutu per petugas pendata" in tab.content()
        assert tab.csp_violations == []
    finally:
        context.close()


def test_operator_downloads_the_payment_list_and_the_auditor_sees_it(browser, central, tmp_path):
    context, tab = _page(browser)
    try:
        _log_in(tab, central.url, USERS["operator"])
        form = tab.locator("form[action$='/unduh/payment-list']")
        form.locator("input[name=month]").fill("2025-10")
        form.locator("select[name=format]").select_option("xlsx")
        form.locator("input[name=draft]").check()
        with tab.expect_download() as info:
            form.locator("button[type=submit]").click()
        saved = tmp_path / info.value.suggested_filename
        info.value.save_as(saved)
        assert saved.name == "payment-list-2025-10-draft.xlsx"  # a draft says so in its name
        workbook = load_workbook(saved)
        cells = [c for row in workbook.active.iter_rows(values_only=True) for c in row if c]
        assert any("NIK" in str(c) for c in cells)
    finally:
        context.close()
    context, tab = _page(browser)
    try:
        _log_in(tab, central.url, USERS["auditor"])
        tab.goto(f"{central.url}/audit?action=download.payment-list")
        row = tab.locator("table.trail tbody tr").first
        assert USERS["operator"] in row.inner_text() and "2025-10" in row.inner_text()
        tab.screenshot(path=str(ARTIFACTS / "central-auditor-download.png"), full_page=True)
        assert tab.csp_violations == []
    finally:
        context.close()


def test_the_registration_file_is_posted_and_another_sites_link_is_refused(browser, central,
                                                                             tmp_path):
    """The dashboard's registration download is a form posted with the CSRF token; a link
    on another site (Chromium sends the session cookie with a top-level navigation and
    says ``Sec-Fetch-Site: cross-site``) gets the refusal page and marks nothing (h1 #13)."""
    from tests.central.test_verification import PASS_ALL

    central.change("UPDATE records SET eligibility = ? WHERE status = 'accepted'", (PASS_ALL,))
    central.change("UPDATE records SET registration_exported_at = NULL")

    def marked() -> int:
        return len(central.query("SELECT central_id FROM records"
                                 " WHERE registration_exported_at IS NOT NULL"))

    context, tab = _page(browser)
    try:
        _log_in(tab, central.url, USERS["operator"])
        evil = "http://localhost:9/surat.html"  # another site, served by the test itself
        tab.route(evil, lambda route: route.fulfill(content_type="text/html", body=(
            f'<a id="x" href="{central.url}/unduh/bpjs-registration?format=csv">Lihat</a>')))
        tab.goto(evil)
        tab.click("#x")
        tab.wait_for_url(f"{central.url}/unduh/bpjs-registration?format=csv")
        assert "hanya dapat dimulai dari halaman kantor pusat" in tab.content()
        assert marked() == 0

        tab.goto(f"{central.url}/")
        form = tab.locator("form[action$='/unduh/bpjs-registration']")
        with tab.expect_download() as info:
            form.locator("button[value=xlsx]").click()
        saved = tmp_path / info.value.suggested_filename
        info.value.save_as(saved)
        # when it was made, in WITA: a second download never takes the first one's name
        assert re.fullmatch(r"bpjs-registration-\d{4}-\d{2}-\d{2}-\d{4}\.xlsx", saved.name), saved.name
        rows = list(load_workbook(saved).active.iter_rows(values_only=True))
        assert rows[0][0] == "NIK" and len(rows) - 1 == marked() > 0
        assert tab.csp_violations == []
    finally:
        context.close()
