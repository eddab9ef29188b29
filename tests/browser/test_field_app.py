"""The field app in Debian's Chromium against a real kelurahan server.

The issue's scenario: load on 127.0.0.1, log in, save three records with the
network off, reload offline and see them, go online, send, see the server's
answers (accepted, 422 on its field, duplicate NIK); kill the server mid-send
and find nothing lost or doubled once it is back; a record saved offline leaves by
Background Sync with the app closed. Prints the first-load size and
the time to save one record offline; screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).parent))
from field_server import FieldServer, run_cli

from berjasa.synthetic import make_kk, make_nik
from tests.browser.chromium import ARTIFACTS, BROWSER_TEST, MOBILE, launch
from tests.helpers import PASSWORD

pytestmark = BROWSER_TEST


def person(serial: int, sex: str = "P", born: dt.date = dt.date(1980, 3, 12), **extra) -> dict:
    """A valid worker whose NIK agrees with birth date and sex."""
    record = {
        "nik": make_nik(born, sex, serial=serial), "kk_number": make_kk(dt.date(2015, 3, 12), serial=serial),
        "full_name": f"Siti Nur'aini {chr(65 + serial % 26)}", "birth_place": "Makassar",
        "birth_date": born.isoformat(), "sex": sex, "mother_name": "Hasnah Daeng Bau",
        "address": "Jl. Rajawali Lr. 3 No. 12", "rt": "2", "rw": "5",
        "occupation": "Pedagang", "work_category": "Pedagang kecil / pedagang pasar",
        "monthly_income": 1_500_000, "heir_name": "Andi Baso", "heir_relation": "Anak",
    }
    record.update(extra)
    return record


def api_payload(record: dict) -> dict:
    """The same worker as the API expects it."""
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    return {**record, "id": str(uuid.uuid4()), "kelurahan_code": "73.71.01.1001",
            "consent": {"given": True, "method": "verbal", "at": now}, "captured_at": now}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real server with three enumerators (one per scenario, so counts stay clean)."""
    srv = FieldServer(tmp_path_factory.mktemp("field") / "data",
                      ["petugas", "petugas2", "petugas3", "pengawas"])
    srv.start()
    yield srv
    srv.kill()


def login(page, server, username: str) -> None:
    """Sign in and wait until the lists, hints and statuses have arrived: the outbox
    is re-rendered when they do, so a test that counts cards must start after it."""
    page.evaluate("() => { delete document.body.dataset.refreshedAt; }")
    page.fill("#login-form [name=username]", username)
    page.fill("#login-form [name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#view-outbox:not([hidden])")
    page.wait_for_selector("body[data-refreshed-at]", state="attached")


def fill_record(page, record: dict, screenshot: str | None = None) -> None:
    """Fill the five steps as an enumerator would (step by step)."""
    page.click("#new-record")
    page.wait_for_selector("#view-form:not([hidden])")
    for name in ("nik", "kk_number", "full_name", "birth_place", "mother_name"):
        page.fill(f"[name={name}]", record[name])
    # typed as the label asks (hh-bb-tttt), as an enumerator copies it from the KTP
    page.fill("[name=birth_date]", dt.date.fromisoformat(record["birth_date"]).strftime("%d-%m-%Y"))
    page.check(f"[name=sex][value={record['sex']}]")
    if screenshot:
        # the phone's screen (its header and step buttons are fixed: a full-page
        # shot would paint them mid-page), scrolled to the top of the step
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(ARTIFACTS / screenshot))
    page.click("#step-next")
    page.fill("[name=address]", record["address"])
    page.fill("[name=rt]", record["rt"])
    page.fill("[name=rw]", record["rw"])
    page.click("#step-next")
    page.select_option("[name=occupation]", record["occupation"])
    page.select_option("[name=work_category]", record["work_category"])
    page.fill("[name=monthly_income]", str(record["monthly_income"]))
    page.click("#step-next")
    page.fill("[name=heir_name]", record["heir_name"])
    page.select_option("[name=heir_relation]", record["heir_relation"])
    page.click("#step-next")
    page.check("[name=consent]")
    page.check("[name=consent_method][value=thumbprint]")


def save(page) -> float:
    """Press Simpan and wait until the outbox shows the record; milliseconds taken."""
    before = page.locator("#outbox-list .card").count()
    started = time.perf_counter()
    page.click("#save-record")
    page.wait_for_function("(n) => document.querySelectorAll('#outbox-list .card').length > n", arg=before)
    return (time.perf_counter() - started) * 1000


def tap_send(page) -> None:
    """Tap "Kirim", unless Background Sync (asked for at save; Chromium fires it as
    soon as the network is there) is already sending and the button is disabled."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):  # disabled: already sending
        page.click("#send-all", timeout=3000)


def card(page, name: str):
    return page.locator(".card", has_text=name)


def test_offline_enrollment_then_send(context, server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    accepted = person(11, full_name="Rahmawati Daeng Ngai")
    too_rich = person(12, full_name="Nurhayati Lestari", monthly_income=75_000_000)
    twin = person(13, full_name="Hasniah Tahir")
    token = server.token("petugas")
    seeded = requests.post(server.base + "/api/v1/enrollments", json=api_payload(twin),
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert seeded.status_code == 201, seeded.text

    page = context.new_page()
    page.goto(server.base + "/app/")
    page.wait_for_selector("#view-login:not([hidden])")
    first_load = page.evaluate("""() => performance.getEntriesByType('navigation')
        .concat(performance.getEntriesByType('resource'))
        .reduce((sum, e) => sum + (e.transferSize || 0), 0)""")
    print(f"\nfirst load of /app/: {first_load / 1024:.1f} KB transferred")
    assert page.locator("#secure-warning").is_hidden()  # 127.0.0.1 is a secure context
    login(page, server, "petugas")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_selector("body[data-refreshed-at]", state="attached")

    context.set_offline(True)
    page.wait_for_selector("#net-status.offline")
    fill_record(page, accepted, screenshot="field-form-360x740.png")
    save_ms = save(page)
    print(f"save one record offline: {save_ms:.0f} ms")
    fill_record(page, too_rich)
    save(page)
    fill_record(page, twin)
    page.click("#step-prev")
    page.click("#step-prev")
    page.click("#step-prev")
    page.click("#step-prev")
    assert "mungkin sudah terdaftar" in page.inner_text("#dedupe-hint")
    for _ in range(4):
        page.click("#step-next")
    save(page)
    assert page.locator("#outbox-list .card[data-state=queued]").count() == 3

    page.reload()  # no network: the service worker serves the app, IndexedDB the records
    page.wait_for_selector("#view-outbox:not([hidden])")
    assert page.locator("#outbox-list .card[data-state=queued]").count() == 3
    page.screenshot(path=str(ARTIFACTS / "field-outbox-offline-360x740.png"), full_page=True)

    context.set_offline(False)
    # Chromium fires Background Sync when the network returns (the app asked for it
    # at save): the outbox may already be on its way; else the tap sends it.
    tap_send(page)
    page.wait_for_selector("#message:has-text('Terkirim')")
    assert card(page, "Rahmawati Daeng Ngai").get_attribute("data-state") == "accepted"
    assert card(page, "Nurhayati Lestari").get_attribute("data-state") == "needs_fix"
    assert card(page, "Hasniah Tahir").get_attribute("data-state") == "duplicate"
    page.screenshot(path=str(ARTIFACTS / "field-outbox-results-360x740.png"), full_page=True)

    card(page, "Nurhayati Lestari").locator("button.edit").click()
    income_error = page.locator("[data-error-for=monthly_income]")
    income_error.wait_for(state="visible")
    assert "Penghasilan" in income_error.inner_text()  # the server's own message
    page.fill("[name=monthly_income]", "1.750.000")
    assert page.inner_text("#income-echo") == "Rp1.750.000"
    page.click("#step-tabs li[data-step='5']")
    page.click("#save-record")
    page.wait_for_selector("#view-outbox:not([hidden])")
    tap_send(page)
    page.wait_for_selector(".card[data-state=accepted]:has-text('Nurhayati Lestari')")
    assert page.locator(".card[data-state=needs_fix]").count() == 0

    stored = server.own_records("petugas")
    names = sorted(r["full_name"] for r in stored)
    assert names == ["Hasniah Tahir", "Nurhayati Lestari", "Rahmawati Daeng Ngai"]
    assert {r["monthly_income"] for r in stored if r["full_name"] == "Nurhayati Lestari"} == {1_750_000}


def _names_on_server(server) -> set[str]:
    return {r["full_name"] for r in server.own_records("petugas")}


def test_outbox_leaves_with_the_app_closed(context, server):
    """Background Sync with the app closed: where the browser has it the app runs the
    module worker (sw_send.js); a record saved offline leaves when the signal returns
    with no window of the app open (Chromium fires the pending sync itself), through
    the same idempotent :batch, and the next open shows it accepted."""
    page = context.new_page()
    page.goto(server.base + "/app/")
    login(page, server, "petugas")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    assert page.evaluate("() => navigator.serviceWorker.controller.scriptURL").endswith("/app/sw_send.js")

    context.set_offline(True)
    worker = person(51, full_name="Hasnawati Latar")
    try:
        fill_record(page, worker)
    finally:
        print("STEP", page.evaluate("() => [...document.querySelectorAll('fieldset[data-step]')].map(f => f.hidden)"),
              page.locator("[name=monthly_income]").input_value(), page.locator("[name=occupation]").input_value())
        page.screenshot(path="/tmp/dbg.png")
    page.click("#save-record")
    page.wait_for_selector("#outbox-list .card[data-state=queued]")
    assert page.evaluate("async () => (await navigator.serviceWorker.ready).sync.getTags()") == ["outbox"]

    keeper = context.new_page()            # about:blank: not a window of the app
    page.close()                           # the app is closed
    assert "Hasnawati Latar" not in _names_on_server(server)
    context.set_offline(False)             # the signal returns
    # Chromium fires the pending 'outbox' sync itself; only the worker is there to send
    deadline = time.monotonic() + 30
    while "Hasnawati Latar" not in _names_on_server(server) and time.monotonic() < deadline:
        keeper.wait_for_timeout(250)
    assert "Hasnawati Latar" in _names_on_server(server)

    again = context.new_page()              # the next open shows what the worker did
    again.goto(server.base + "/app/")
    again.wait_for_selector(".card[data-state=accepted]:has-text('Hasnawati Latar')")


def test_server_killed_mid_send_loses_and_doubles_nothing(context, server):
    page = context.new_page()
    page.goto(server.base + "/app/")
    login(page, server, "petugas2")
    total = 120
    records = [api_payload(person(1000 + i, sex="L", full_name=f"Pekerja Nomor {chr(65 + i % 26)}"))
               for i in range(total)]
    page.evaluate("""async (items) => {
        const store = await import('/app/js/store.js');
        const outbox = await import('/app/js/outbox.js');
        const list = items.map((data, i) => {
          const r = outbox.newRecord(data.id, new Date(Date.UTC(2026, 0, 1, 0, 0, i)));
          return { ...outbox.saveEdits(r, data, true), owner: 'petugas2' };
        });
        await store.putRecords(list);
    }""", records)

    calls = []

    def cut_after_commit(route):
        # The first chunk reaches the server and is committed; then the server
        # dies before the phone hears the answer. Later chunks find it dead.
        calls.append(route.request.url)
        if len(calls) == 1:
            route.fetch()
            server.kill()
            route.abort("connectionreset")
        else:
            route.continue_()

    # The cut is in place before the reload: the app sends queued records by itself
    # at start (after its first refresh), and that send may beat the tap.
    page.route("**/api/v1/enrollments:batch", cut_after_commit)
    page.reload()
    page.wait_for_selector("#view-outbox:not([hidden])")
    assert page.locator("#outbox-list .card").count() == total
    page.evaluate("() => document.querySelector('#send-all').click()")  # a no-op while sending
    page.wait_for_selector("#message:has-text('tidak terjangkau')")
    assert page.locator(".card[data-state=sent]").count() == 50
    assert page.locator(".card[data-state=queued]").count() == total - 50

    page.reload()  # the tab is closed and opened again while the server is down
    page.wait_for_selector("#view-outbox:not([hidden])")
    assert page.locator("#outbox-list .card").count() == total
    page.unroute("**/api/v1/enrollments:batch")

    server.start()
    # The outbox's automatic retry may get there before the tap: a click on the
    # button while it is disabled (sending, or nothing left) is then a no-op.
    page.evaluate("() => document.querySelector('#send-all').click()")
    page.wait_for_function(
        f"() => document.querySelectorAll('.card[data-state=accepted]').length === {total}",
        timeout=90_000)
    page.wait_for_selector("#message:has-text('Terkirim')")
    stored = server.own_records("petugas2")
    assert len(stored) == total
    assert sorted(r["id"] for r in stored) == sorted(r["id"] for r in records)


def test_plain_http_lan_address_warns_but_keeps_working(playwright, server):
    """A name that is not localhost over http: no secure context, no service
    worker; the page says so, and records still save in IndexedDB."""
    chromium = launch(playwright, "--host-resolver-rules=MAP kelurahan.lan 127.0.0.1")
    try:
        page = chromium.new_context(**MOBILE).new_page()
        page.goto(f"http://kelurahan.lan:{server.port}/app/")
        page.wait_for_selector("#secure-warning:not([hidden])")
        assert "HTTPS" in page.inner_text("#secure-warning")
        assert page.evaluate("window.isSecureContext") is False
        login(page, server, "petugas")
        fill_record(page, person(77, full_name="Tanpa Https"))
        save(page)
        assert card(page, "Tanpa Https").get_attribute("data-state") == "queued"
        uuid.UUID(card(page, "Tanpa Https").get_attribute("data-id"))  # no crypto.randomUUID here
    finally:
        chromium.close()


def test_logout_revokes_the_token_and_the_next_user_sees_only_a_count(context, server):
    """Issue 13 item 9: logging out (even offline) revokes the token at the server;
    on a shared phone the next user sees how many records others left, not them."""
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(server.base + "/app/")
    page.wait_for_selector("#view-login:not([hidden])")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/token")
                              and r.request.method == "POST") as answer:
        login(page, server, "petugas")
    token = answer.value.json()["token"]
    page.wait_for_selector("body[data-refreshed-at]", state="attached")
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(server.base + "/api/v1/enrollments", headers=bearer,
                        timeout=10).status_code == 200

    context.set_offline(True)
    page.wait_for_selector("#net-status.offline")
    fill_record(page, person(41, full_name="Halimah Rahasia"))
    save(page)
    page.click("#logout")  # offline: the token waits on the phone to be revoked
    page.wait_for_selector("#view-login:not([hidden])")
    context.set_offline(False)
    deadline = time.monotonic() + 20
    while requests.get(server.base + "/api/v1/enrollments", headers=bearer,
                       timeout=10).status_code != 401:
        assert time.monotonic() < deadline, "the logged-out token still works"
        time.sleep(0.2)

    login(page, server, "petugas2")
    assert page.locator("#outbox-list .card").count() == 0
    assert "Halimah" not in page.inner_text("#view-outbox")
    assert page.inner_text("#outbox-others").startswith("1 data milik petugas lain")
    page.click("#logout")
    page.wait_for_selector("#view-login:not([hidden])")
    login(page, server, "petugas")
    assert card(page, "Halimah Rahasia").get_attribute("data-state") == "queued"
    assert page.locator("#outbox-others").is_hidden()


def test_an_account_that_may_not_enroll_is_refused_at_login_and_its_token_revoked(context, server):
    """An admin or auditor signed in, recorded workers, and every send came back 403
    while the phone said "server unreachable": the phone is for enumerators and
    supervisors, so the login says so and leaves no session behind."""
    run_cli("user", "add", "kepala", "--role", "admin", "--password-stdin",
            "--data-dir", str(server.data_dir), stdin=PASSWORD + "\n")
    page = context.new_page()
    page.goto(server.base + "/app/")
    page.wait_for_selector("#view-login:not([hidden])")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/token")
                              and r.request.method == "POST") as answer:
        page.fill("#login-form [name=username]", "kepala")
        page.fill("#login-form [name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")
    token = answer.value.json()["token"]
    page.wait_for_selector("#login-error:has-text('hanya untuk petugas pendata dan pengawas')")
    assert page.is_visible("#view-login") and not page.is_visible("#view-outbox")
    assert page.input_value("#login-form [name=password]") == ""
    deadline = time.monotonic() + 20
    while requests.get(server.base + "/api/v1/auth/me", timeout=10,
                       headers={"Authorization": f"Bearer {token}"}).status_code != 401:
        assert time.monotonic() < deadline, "the refused login's token still works"
        time.sleep(0.2)
    login(page, server, "petugas2")  # an enumerator still signs in on the same phone
    assert page.inner_text("#user-name") == "petugas2"


def test_a_nik_recorded_twice_offline_is_flagged_on_the_second_form(context, server):
    """Two records of one NIK in one offline round: the phone knew only the server's
    hints, so the second form said nothing until the server refused it."""
    page = context.new_page()
    page.goto(server.base + "/app/")
    page.wait_for_selector("#view-login:not([hidden])")
    login(page, server, "petugas2")
    context.set_offline(True)
    page.wait_for_selector("#net-status.offline")
    first = person(77, full_name="Rahmawati Dua Kali")
    fill_record(page, first)
    save(page)
    page.click("#new-record")
    page.wait_for_selector("#view-form:not([hidden])")
    page.fill("[name=nik]", first["nik"])
    hint = page.locator("#dedupe-hint")
    hint.wait_for(state="visible")
    assert "NIK ini sudah dicatat di HP ini (Rahmawati Dua Kali)" in hint.inner_text()
    page.fill("[name=nik]", person(78)["nik"])
    hint.wait_for(state="hidden")
    context.set_offline(False)


def test_typed_text_and_income_are_read_on_the_phone_as_the_server_reads_them(context, server):
    """The phone's own checks (field_client/js/typed.js, held to the server's answers by
    typed_cases.json): an address pasted with a right-to-left override is refused on the
    phone, naming U+202E, before anything is sent; "1,5 juta" is not guessed; the income
    box reads "1.500.000,00" (Excel's way) as 1.500.000 rupiah, as central's imports do."""
    page = context.new_page()
    page.goto(server.base + "/app/")
    page.wait_for_selector("#view-login:not([hidden])")
    login(page, server, "petugas3")
    fill_record(page, person(91, full_name="Sitti Hadijah Baso"))

    def retype(step: str, name: str, text: str) -> None:
        page.click(f"#step-tabs li[data-step='{step}']")
        page.fill(f"[name={name}]", text)
        page.press(f"[name={name}]", "Tab")  # left, as a finger leaves it

    retype("2", "address", "Jl. Somba Opu \u202e12 .oN")
    retype("3", "monthly_income", "1,5 juta")
    page.click("#step-tabs li[data-step='5']")
    page.click("#save-record")
    address_error = page.locator("[data-error-for=address]")
    address_error.wait_for(state="visible")  # the form went back to the address's step
    assert "U+202E (pengatur arah teks)" in address_error.inner_text()
    income_error = page.locator("[data-error-for=monthly_income]").text_content()
    assert income_error.startswith("Penghasilan: harus angka rupiah")
    assert page.locator("#outbox-list .card").count() == 0  # nothing saved, nothing sent

    retype("2", "address", "Jl. Somba Opu No. 12")
    assert page.locator("[data-error-for=address]").text_content() == ""
    retype("3", "monthly_income", "1.500.000,00")
    assert page.inner_text("#income-echo") == "Rp1.500.000"
    assert page.locator("[data-error-for=monthly_income]").text_content() == ""
    page.click("#step-tabs li[data-step='5']")
    save(page)
    tap_send(page)
    page.wait_for_selector(".card[data-state=accepted]:has-text('Sitti Hadijah Baso')")
    stored = server.own_records("petugas3")
    assert [(r["address"], r["monthly_income"]) for r in stored] == [("Jl. Somba Opu No. 12", 1_500_000)]
