"""The phone never loses what the enumerator typed, and says what happened, in real
Chromium against a real kelurahan server (one server for the module, one enumerator
per scenario so their outboxes stay apart):

- a record open in the form is not sent from under it when the signal returns; the
  correction is what reaches the server;
- what is typed is kept as typed (debounced, on step changes, when the page goes
  away): a reload or Back resumes the form, and typing does not write on every key;
- "Kembali ke daftar" after changing a record that waits to be sent asks (save,
  discard, keep editing), never drops the edit, and the banner says what was done;
- every warning the phone's checks give has a place on the form (the age warning);
- the receipt and "Tambah anggota keluarga" of a record already accepted: a masked
  NIK, the household fields copied (from memory, or read from the server after a
  reload), and an honest message when they cannot be;
- the session ending during a send leaves no "Mengirim…" banner over the login;
- statuses come from the light status listing, not the full records.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).parent))
from field_server import KELURAHAN, FieldServer
from test_field_app import card, fill_record, login, person, save, tap_send

from tests.browser.chromium import BROWSER_TEST

pytestmark = BROWSER_TEST

USERS = ["ani", "budi", "citra", "dewi", "eka", "fajar", "gita", "pengawas"]

RECORDS = """async () => {
  const store = await import('/app/js/store.js');
  return (await store.allRecords()).map((r) => ({ state: r.state, name: r.data.full_name || '',
    data: r.data, editing: r.editing || null }));
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = FieldServer(tmp_path_factory.mktemp("edits") / "data", USERS)
    srv.start()
    yield srv
    srv.kill()


def open_app(context, server, username: str):
    page = context.new_page()
    page.goto(server.base + "/app/")
    login(page, server, username)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    return page


def record_named(page, name: str) -> dict:
    found = [r for r in page.evaluate(RECORDS) if r["name"] == name]
    assert len(found) == 1, found
    return found[0]


def step(page, n: int) -> None:
    page.click(f"#step-tabs li[data-step='{n}']")


def force_send(page) -> None:
    """What the phone does by itself when the signal returns (Background Sync's
    message, the retry timer, the next open): the app's own send, awaited. A send
    the phone began by itself is waited for first, and ours is called in the same
    turn as the wait ends (an ``await`` between them had let such a send begin, and
    ours returned at once: a CI run read "Mengirim…" as the result)."""
    page.evaluate("""async () => {
      const { state } = await import('/app/js/ui.js');
      const { send } = await import('/app/js/outbox_view.js');
      while (state.sending) await new Promise((done) => setTimeout(done, 50));
      await send();
    }""")


def fill(page, worker: dict) -> None:
    """fill_record, and the phone number (step 3) when the worker has one."""
    fill_record(page, worker)
    if worker.get("phone"):
        step(page, 3)
        page.fill("[name=phone]", worker["phone"])
        step(page, 5)


def phones_on_server(server, username: str, name: str) -> list[str]:
    return [r["phone"] for r in server.own_records(username) if r["full_name"] == name]


def test_a_record_open_in_the_form_is_not_sent_from_under_it(context, server):
    page = open_app(context, server, "ani")
    context.set_offline(True)
    page.wait_for_selector("#net-status.offline")
    worker = person(21, full_name="Koreksi Tidak Hilang", phone="081111111111")
    fill(page, worker)
    save(page)
    card(page, "Koreksi Tidak Hilang").locator("button.edit").click()
    page.wait_for_selector("#view-form:not([hidden])")
    step(page, 3)
    page.fill("[name=phone]", "082222222222")

    context.set_offline(False)            # the signal returns with the form still open
    page.wait_for_selector("#net-status:not(.offline)")
    force_send(page)
    assert record_named(page, "Koreksi Tidak Hilang")["state"] == "queued"  # not sent from under the form
    assert phones_on_server(server, "ani", "Koreksi Tidak Hilang") == []
    assert page.is_visible("#view-form")   # and the enumerator is still in it

    step(page, 5)
    page.click("#save-record")
    page.wait_for_selector("#view-outbox:not([hidden])")
    assert "sedang dikirim" not in page.inner_text("#message")
    tap_send(page)                          # saved: now it goes (Background Sync or the tap)
    page.wait_for_selector(".card[data-state=accepted]:has-text('Koreksi Tidak Hilang')")
    assert phones_on_server(server, "ani", "Koreksi Tidak Hilang") == ["+6282222222222"]


def test_what_is_typed_survives_a_reload_and_back(context, server):
    page = context.new_page()
    page.goto(server.base + "/health")     # a page before the app: Back leaves the app
    page.goto(server.base + "/app/")
    login(page, server, "budi")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.evaluate("""() => {
      window.__puts = 0;
      const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (...args) {
        if (this.name === 'records') window.__puts += 1;
        return put.apply(this, args);
      };
    }""")
    context.set_offline(True)
    page.wait_for_selector("#net-status.offline")
    page.click("#new-record")
    page.wait_for_selector("#view-form:not([hidden])")
    worker = person(22, full_name="Hilang Saat Muat Ulang")
    before = page.evaluate("() => window.__puts")
    page.type("[name=nik]", worker["nik"], delay=20)     # key by key, as on a phone
    page.wait_for_timeout(800)
    typed = page.evaluate("() => window.__puts") - before
    assert 1 <= typed <= 3, typed                         # debounced, not one write per key
    page.fill("[name=full_name]", worker["full_name"])
    step(page, 2)                                         # a tab, not "Berikutnya"
    settled = page.evaluate("() => window.__puts")
    step(page, 1)
    step(page, 2)                                         # nothing changed: nothing written
    page.wait_for_timeout(700)
    assert page.evaluate("() => window.__puts") == settled
    page.fill("[name=address]", "Jl. Tidak Hilang 7")
    page.reload()                                         # at once: no debounce has run
    page.wait_for_selector("#view-form:not([hidden])")    # the form is back, as it was
    assert page.input_value("[name=address]") == "Jl. Tidak Hilang 7"
    assert page.is_visible("fieldset[data-step='2']")
    step(page, 1)
    assert page.input_value("[name=nik]") == worker["nik"]
    assert page.input_value("[name=full_name]") == worker["full_name"]

    # Back (the app left for the page before it), then the app opened again
    page.fill("[name=birth_place]", "Pare-Pare")
    context.set_offline(False)
    page.go_back()
    page.wait_for_url("**/health")
    page.goto(server.base + "/app/")
    page.wait_for_selector("#view-form:not([hidden])")
    assert page.input_value("[name=birth_place]") == "Pare-Pare"
    assert page.input_value("[name=full_name]") == worker["full_name"]

    # a change to a record waiting to be sent is kept as a pending change over a
    # reload, and the record does not go out meanwhile
    page.fill("[name=mother_name]", "Hasnah")
    page.click("#form-cancel")
    page.wait_for_selector("#view-outbox:not([hidden])")
    context.set_offline(True)
    fill(page, person(23, full_name="Ubah Lalu Muat Ulang", phone="081300000001"))
    save(page)
    card(page, "Ubah Lalu Muat Ulang").locator("button.edit").click()
    step(page, 3)
    page.fill("[name=phone]", "081300000002")
    page.reload()
    page.wait_for_selector("#view-form:not([hidden])")
    assert page.input_value("[name=phone]") == "081300000002"
    stored = record_named(page, "Ubah Lalu Muat Ulang")
    assert stored["state"] == "queued" and stored["data"]["phone"] == "081300000001"
    assert stored["editing"]["data"]["phone"] == "081300000002"


def test_leaving_a_changed_record_asks_and_never_drops_the_edit(context, server):
    page = open_app(context, server, "citra")
    context.set_offline(True)
    page.wait_for_selector("#net-status.offline")
    fill(page, person(24, full_name="Edit Lalu Kembali", phone="081555555555"))
    save(page)
    assert "Tersimpan di HP" in page.inner_text("#message")

    def change_phone(to: str) -> None:
        card(page, "Edit Lalu Kembali").locator("button.edit").click()
        page.wait_for_selector("#view-form:not([hidden])")
        step(page, 3)
        page.fill("[name=phone]", to)
        page.click("#form-cancel")

    change_phone("082666666666")
    dialog = page.locator("#leave-dialog")
    dialog.wait_for(state="visible")
    assert "belum disimpan" in dialog.inner_text()
    page.click("#leave-continue")                          # keep editing: nothing happens
    assert page.is_visible("#view-form") and page.input_value("[name=phone]") == "082666666666"
    page.click("#form-cancel")
    page.click("#leave-discard")
    page.wait_for_selector("#view-outbox:not([hidden])")
    assert "dibuang" in page.inner_text("#message")
    kept = record_named(page, "Edit Lalu Kembali")
    assert (kept["state"], kept["data"]["phone"], kept["editing"]) == ("queued", "081555555555", None)

    change_phone("082777777777")
    page.click("#leave-save")
    page.wait_for_selector("#view-outbox:not([hidden])")
    saved = record_named(page, "Edit Lalu Kembali")
    assert (saved["state"], saved["data"]["phone"], saved["editing"]) == ("queued", "082777777777", None)
    assert "Tersimpan di HP" in page.inner_text("#message")

    card(page, "Edit Lalu Kembali").locator("button.edit").click()   # opened, nothing changed
    page.click("#form-cancel")
    page.wait_for_selector("#view-outbox:not([hidden])")
    assert page.locator("#leave-dialog").is_hidden()
    assert page.is_hidden("#message")                      # the old "Tersimpan" is not shown again
    assert record_named(page, "Edit Lalu Kembali")["editing"] is None

    page.click("#new-record")                              # closed just before a reload: still closed
    page.wait_for_selector("#view-form:not([hidden])")
    page.fill("[name=full_name]", "Tutup Lalu Muat Ulang")
    page.click("#form-cancel")
    page.reload()
    page.wait_for_selector("#view-outbox:not([hidden])")
    closed = record_named(page, "Tutup Lalu Muat Ulang")
    assert (closed["state"], closed["editing"]) == ("draft", None)
    page.wait_for_timeout(300)
    assert page.is_visible("#view-outbox") and page.is_hidden("#view-form")


def test_the_age_warning_has_a_place_on_the_form(context, server):
    page = open_app(context, server, "dewi")
    page.click("#new-record")
    page.wait_for_selector("#view-form:not([hidden])")
    today = dt.date.today()
    page.fill("[name=birth_date]", today.strftime("%d-%m-%Y"))
    warning = page.locator("[data-warning-for=birth_date]")
    warning.wait_for(state="visible")
    assert "Umur 0 tahun" in warning.inner_text() and "di luar batas program" in warning.inner_text()
    page.fill("[name=birth_date]", "12-03-1980")
    warning.wait_for(state="hidden")


def test_receipt_and_household_of_a_record_already_accepted(context, server):
    page = open_app(context, server, "eka")
    worker = person(25, full_name="Ibu Rumah Tangga", address="Lr. Keluarga 9", rt="4", rw="5")
    fill_record(page, worker)
    page.click("#save-record")
    tap_send(page)
    accepted = page.locator(".card[data-state=accepted]:has-text('Ibu Rumah Tangga')")
    accepted.wait_for()

    def household_from_receipt() -> None:
        accepted.locator("button.receipt-open").click()
        page.wait_for_selector("#view-receipt:not([hidden])")
        assert page.inner_text("#receipt-nik") == f"{worker['nik'][:4]} •••• •••• ••{worker['nik'][-2:]}"
        page.click("#receipt-household")
        page.wait_for_selector("#view-form:not([hidden])")

    def copied() -> dict:
        return {name: page.input_value(f"[name={name}]")
                for name in ("kk_number", "address", "rt", "rw", "kelurahan_code", "nik", "full_name")}

    expected = {"kk_number": worker["kk_number"], "address": worker["address"], "rt": "4", "rw": "5",
                "kelurahan_code": KELURAHAN, "nik": "", "full_name": ""}
    household_from_receipt()                 # the same session: kept in memory since saved
    assert copied() == expected
    assert "disalin" in page.inner_text("#message")
    page.click("#form-cancel")
    page.wait_for_selector("#view-outbox:not([hidden])")

    page.reload()                            # memory gone, signal there: read from the server
    page.wait_for_selector("#view-outbox:not([hidden])")
    page.wait_for_selector("body[data-refreshed-at]", state="attached")
    household_from_receipt()
    assert copied() == {**expected, "rt": "004", "rw": "005"}   # as the server stores them
    page.click("#form-cancel")
    page.wait_for_selector("#view-outbox:not([hidden])")

    context.set_offline(True)                # no memory and no signal: says so, copies nothing
    page.reload()
    page.wait_for_selector("#view-outbox:not([hidden])")
    household_from_receipt()
    assert copied()["kk_number"] == ""
    message = page.inner_text("#message")
    assert "tidak bisa disalin" in message and "periksa sebelum" not in message
    page.click("#form-cancel")


def test_the_session_ending_during_a_send_leaves_no_sending_banner(context, server):
    page = open_app(context, server, "fajar")
    token = page.evaluate("""async () => (await (await import('/app/js/store.js')).getMeta('session')).token""")
    fill_record(page, person(26, full_name="Sesi Habis Saat Kirim"))
    assert requests.delete(server.base + "/api/v1/auth/token", timeout=10,
                           headers={"Authorization": f"Bearer {token}"}).status_code == 204
    page.click("#save-record")
    page.wait_for_selector("#view-outbox:not([hidden]), #view-login:not([hidden])")
    tap_send(page)                            # unless Background Sync got there first
    page.wait_for_selector("#view-login:not([hidden])")
    assert "Masuk lagi" in page.inner_text("#login-reason")
    assert page.is_hidden("#message") or "Mengirim" not in page.inner_text("#message")


def test_statuses_come_from_the_light_listing(context, server):
    """The phone asks for statuses since its last look (id, version, statuses,
    reasons), not for every full record of the enumerator; a supervisor's decision
    still reaches the card."""
    page = open_app(context, server, "gita")
    fill_record(page, person(27, full_name="Status Ringan"))
    page.click("#save-record")
    tap_send(page)
    page.wait_for_selector(".card[data-state=accepted]:has-text('Status Ringan')")
    record_id = card(page, "Status Ringan").get_attribute("data-id")
    supervisor = {"Authorization": f"Bearer {server.token('pengawas')}"}
    decided = requests.post(f"{server.base}/api/v1/enrollments/{record_id}/review", timeout=10,
                            headers=supervisor, json={"decision": "reject", "reason": "Bukan warga sini"})
    assert decided.status_code == 200, decided.text

    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/" in r.url else None)
    page.evaluate("() => { delete document.body.dataset.refreshedAt; }")
    page.reload()
    page.wait_for_selector("body[data-refreshed-at]", state="attached")
    review = card(page, "Status Ringan").locator(".server-status")
    review.wait_for()
    assert review.get_attribute("data-server-status") == "rejected"
    assert "Bukan warga sini" in review.inner_text()
    assert any("/api/v1/field/statuses" in url for url in asked), asked
    assert not any("/api/v1/enrollments?" in url for url in asked), asked
