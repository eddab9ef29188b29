"""The send-back loop against real servers, all the way to the phone (issue 10).

Central (``berjasa central serve``, SQLite) holds a DTSEN snapshot whose name for
the worker differs from the record: the record is accepted with a
``dtsen_mismatch`` finding; a verifier sends it back; the kelurahan agent pulls
``needs_fix`` with central's reason; the supervisor sees it in the queue; the
enumerator's phone (Chromium) lists it, opens it prefilled, fixes it offline;
meanwhile a supervisor changed the record, so the phone's PATCH gets 412, shows
a clear message and reloads; the fix goes out; the supervisor approves again;
the agent pushes; central holds the higher version under the same central id,
re-evaluated, the finding closed. The central steps go through central's pages in
Chromium too: the verifier sees the DTSEN evidence side by side and sends the record
back from the page; the auditor's trail shows the send-back and the new version.
Screenshots of each step go to tests/artifacts/send-back-N-*.png (1-10, in order).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).parent))
from field_server import KELURAHAN, FieldServer, run_cli

from berjasa.synthetic import make_kk, make_nik
from tests.browser.chromium import ARTIFACTS, BROWSER_TEST, MOBILE, launch
from tests.helpers import BERJASA, PASSWORD, free_port

REASON = "Nama tidak sama dengan DTSEN (Abdul Kadir Tompo); periksa KTP"

pytestmark = BROWSER_TEST


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"send-back-{name}.png"), full_page=True)


class Central:
    """``berjasa central serve`` in a subprocess on a SQLite file."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        run_cli("central", "init", "--data-dir", str(data_dir))
        self.log = data_dir.parent / "central.log"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [*BERJASA, "central", "serve", "--port", str(self.port), "--data-dir", str(data_dir)],
                stdout=log, stderr=log, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError(self.log.read_text(errors="replace")[-3000:])

    def cli(self, *args: str) -> str:
        return run_cli("central", *args, "--data-dir", str(self.data_dir))

    def query(self, sql: str, params: tuple = ()) -> list[dict]:
        conn = sqlite3.connect(self.data_dir / "central.db")
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


@pytest.fixture
def world(tmp_path):
    central = Central(tmp_path / "pusat")
    kelurahan = FieldServer(tmp_path / "kelurahan", ["petugas", "pengawas", "pengawas2"])
    kelurahan.start()
    for name, role in (("verifikator1", "verifier"), ("auditor1", "auditor")):
        run_cli("central", "user", "add", name, "--role", role, "--password-stdin",
                "--data-dir", str(central.data_dir), stdin=PASSWORD + "\n")
    code = central.cli("device", "add", "--kelurahan", KELURAHAN).strip().splitlines()[-1]
    run_cli("sync", "register", "--central", central.url, "--code", code,
            "--data-dir", str(kelurahan.data_dir))
    yield central, kelurahan
    kelurahan.kill()
    central.stop()


def _api(server, username, method, path, **kwargs):
    headers = {"Authorization": f"Bearer {server.token(username)}", **kwargs.pop("headers", {})}
    return requests.request(method, server.base + path, headers=headers, timeout=20, **kwargs)


def _sync(kelurahan) -> None:
    run_cli("sync", "run", "--once", "--data-dir", str(kelurahan.data_dir))


def _desktop_page(browser, base: str, username: str):
    """A page signed in at ``base`` (a kelurahan's supervisor pages or central's
    office pages: the same login form), on a desktop-sized window."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="id-ID")
    page = ctx.new_page()
    page.goto(base + "/login")
    page.fill("[name=username]", username)
    page.fill("[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return ctx, page


def test_dtsen_mismatch_sent_back_fixed_on_the_phone_and_accepted(world, tmp_path):
    from playwright.sync_api import sync_playwright

    central, kelurahan = world
    born = dt.date(1984, 6, 2)
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    record = {
        "id": str(uuid.uuid4()), "nik": make_nik(born, "L", serial=41),
        "kk_number": make_kk(dt.date(2012, 1, 9), serial=41), "full_name": "Rahman Kadir",
        "birth_place": "Makassar", "birth_date": born.isoformat(), "sex": "L",
        "mother_name": "Hasnah Daeng Bau", "address": "Jl. Rajawali Lr. 3 No. 12", "rt": "2",
        "rw": "5", "kelurahan_code": KELURAHAN, "occupation": "Pedagang",
        "work_category": "Pedagang kecil / pedagang pasar", "monthly_income": 1_500_000,
        "heir_name": "Andi Baso", "heir_relation": "Anak",
        "consent": {"given": True, "method": "verbal", "at": now}, "captured_at": now,
    }
    dtsen = tmp_path / "dtsen.csv"
    with dtsen.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["nik", "no_kk", "nama", "tgl_lahir", "kode_kelurahan", "desil"])
        writer.writerow([record["nik"], record["kk_number"], "Abdul Kadir Tompo",
                         record["birth_date"], KELURAHAN, 2])
    central.cli("import", "dtsen", str(dtsen))

    # 0. recorded, approved, synced: central accepts and raises a finding
    created = _api(kelurahan, "petugas", "POST", "/api/v1/enrollments", json=record)
    assert created.status_code == 201, created.text
    review = _api(kelurahan, "pengawas", "POST", f"/api/v1/enrollments/{record['id']}/review",
                  json={"decision": "approve"})
    assert review.status_code == 200, review.text
    _sync(kelurahan)
    held = central.query("SELECT central_id, version, status FROM records")
    assert len(held) == 1 and held[0]["status"] == "accepted"
    first_version, central_id = held[0]["version"], held[0]["central_id"]
    findings = json.loads(central.cli("findings", "--json"))
    assert [f["kind"] for f in findings] == ["dtsen_mismatch"]
    assert findings[0]["evidence"]["mismatch"] == ["full_name"]

    with sync_playwright() as p:
        browser = launch(p)
        try:
            # 1. the verifier sees the finding: the record's name beside DTSEN's
            office_ctx, office = _desktop_page(browser, central.url, "verifikator1")
            office.goto(central.url + "/verifikasi")
            card = office.locator(f"#temuan-{findings[0]['id']}")
            name_row = card.locator("tr.mismatch").inner_text()
            assert "Nama lengkap" in name_row and "Rahman Kadir" in name_row
            assert "Abdul Kadir Tompo" in name_row and "Tidak sama" in name_row
            shot(office, "1-central-finding")

            # 2. ... and sends it back from the page, with the reason
            card.locator("select[name=decision]").select_option("send_back")
            card.locator("input[name=reason]").fill(REASON)
            card.locator("button[type=submit]").click()
            office.wait_for_selector("text=Keputusan atas temuan disimpan")
            assert "Dikirim balik ke kelurahan untuk diperbaiki" in office.inner_text("main")
            shot(office, "2-central-sent-back")
            office_ctx.close()
            _sync(kelurahan)
            at_kelurahan = _api(kelurahan, "pengawas", "GET",
                                f"/api/v1/enrollments/{record['id']}").json()
            assert at_kelurahan["status"] == "needs_fix"
            assert REASON in at_kelurahan["central"]["reason"]

            # 3. the supervisor sees it in the queue with central's reason
            sup_ctx, sup = _desktop_page(browser, kelurahan.base, "pengawas")
            sup.goto(kelurahan.base + "/")
            section = sup.locator("table.sent-back")
            assert REASON in section.inner_text()
            shot(sup, "3-supervisor-queue")
            sup_ctx.close()

            # 4. the phone lists it with the reason and opens it prefilled
            ctx = browser.new_context(**MOBILE)
            ctx.set_default_timeout(20000)
            page = ctx.new_page()
            page.goto(kelurahan.base + "/app/")
            page.fill("#login-form [name=username]", "petugas")
            page.fill("#login-form [name=password]", PASSWORD)
            page.click("#login-form button[type=submit]")
            page.wait_for_selector("#view-outbox:not([hidden])")
            page.wait_for_function("() => navigator.serviceWorker.controller !== null")
            page.wait_for_selector(".card[data-state=fix]")
            fix_card = page.locator(".card[data-state=fix]")
            assert REASON in fix_card.inner_text() and "pusat" in fix_card.inner_text()
            shot(page, "4-phone-needs-fix")

            # someone else changes the record meanwhile (the phone has version N)
            current = _api(kelurahan, "pengawas", "GET", f"/api/v1/enrollments/{record['id']}")
            patched = _api(kelurahan, "pengawas", "PATCH", f"/api/v1/enrollments/{record['id']}",
                           json={"notes": "Dicek pengawas"},
                           headers={"If-Match": current.headers["ETag"]})
            assert patched.status_code == 200, patched.text
            # that edit is kept, and the record still waits for the enumerator's fix
            assert patched.json()["status"] == "needs_fix"
            assert patched.json()["central"]["status"] == "sent_back"

            # 5. offline: fix the name, save on the phone
            ctx.set_offline(True)
            page.wait_for_selector("#net-status.offline")
            fix_card.locator("button.fix").click()
            page.wait_for_selector("#view-form:not([hidden])")
            assert page.input_value("[name=full_name]") == "Rahman Kadir"    # prefilled
            assert page.input_value("[name=nik]") == record["nik"]
            assert REASON in page.inner_text("#form-result")
            page.fill("[name=full_name]", "Abdul Kadir Tompo")
            shot(page, "5-phone-fix-form-offline")
            page.click("#step-tabs li[data-step='5']")
            page.click("#save-record")
            page.wait_for_selector(".card[data-state=fix_queued]")

            # 6. online: the PATCH meets 412, the phone says so and reloads
            ctx.set_offline(False)
            page.click("#send-all")
            page.wait_for_selector(".card[data-state=fix_conflict]")
            conflict = page.locator(".card[data-state=fix_conflict]")
            assert "diubah orang lain" in page.inner_text("#message") + conflict.inner_text()
            shot(page, "6-phone-412-conflict")
            conflict.locator("button.reload").click()
            # 7. fixed again on the latest version and sent
            page.wait_for_selector(".card[data-state=fix]")
            page.locator(".card[data-state=fix] button.fix").click()
            page.wait_for_selector("#view-form:not([hidden])")
            page.fill("[name=full_name]", "Abdul Kadir Tompo")
            page.click("#step-tabs li[data-step='5']")
            page.click("#save-record")
            page.wait_for_selector(".card[data-state=fix_queued]")
            page.click("#send-all")
            page.wait_for_selector(".card[data-state=accepted]:has-text('Abdul Kadir Tompo')")
            shot(page, "7-phone-fix-sent")

            fixed = _api(kelurahan, "pengawas", "GET", f"/api/v1/enrollments/{record['id']}").json()
            assert fixed["status"] == "submitted" and fixed["full_name"] == "Abdul Kadir Tompo"

            # 8. a supervisor approves again (one who did not edit it), the agent pushes
            sup_ctx, sup = _desktop_page(browser, kelurahan.base, "pengawas2")
            sup.goto(kelurahan.base + f"/enrollments/{record['id']}")
            shot(sup, "8-supervisor-review-again")
            sup_ctx.close()
            approved = _api(kelurahan, "pengawas2", "POST",
                            f"/api/v1/enrollments/{record['id']}/review", json={"decision": "approve"})
            assert approved.status_code == 200, approved.text
            _sync(kelurahan)

            # 9. central holds the new version under the same id, re-evaluated
            held = central.query("SELECT central_id, version, status, full_name FROM records")
            assert len(held) == 1 and held[0]["central_id"] == central_id
            assert held[0]["version"] > first_version and held[0]["status"] == "accepted"
            assert held[0]["full_name"] == "Abdul Kadir Tompo"
            assert central.query("SELECT count(*) AS n FROM findings WHERE status = 'open'")[0]["n"] == 0
            synced = _api(kelurahan, "pengawas", "GET", f"/api/v1/enrollments/{record['id']}").json()
            assert synced["status"] == "synced"
            # central's trail holds both of its ends of the loop
            office_ctx, office = _desktop_page(browser, central.url, "auditor1")
            office.goto(central.url + "/audit")
            trail = office.inner_text("main")
            assert "decision.send_back" in trail and "record.new_version" in trail
            assert "verifikator1" in trail
            shot(office, "9-central-trail-send-back-and-new-version")
            office_ctx.close()

            # 10. the phone shows central's decision once it pulls

            page.reload()
            page.wait_for_selector("body[data-refreshed-at]", state="attached")
            page.wait_for_selector(".card[data-state=accepted] .central-note")
            assert "Diterima pusat" in page.inner_text(".card[data-state=accepted] .central-note")
            shot(page, "10-phone-accepted-at-central")
            ctx.close()
        finally:
            browser.close()
