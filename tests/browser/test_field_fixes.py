"""Fixes on the phone against a real kelurahan server, in real Chromium (QA round h4):

- a status look whose download of a record to fix is slow does not replace that
  record while the enumerator types its fix: the form stays open (also after a
  reload), and the fix goes with the version the form was opened on, so a
  supervisor's edit meanwhile answers 412 instead of being overwritten;
- "Tambah anggota keluarga" (or "Pendaftaran baru") left untouched leaves no draft:
  the KK and address of a sent household do not stay on the phone;
- "Buang perubahan" with signal: the discard message stays with the send's result;
- a value stored invalid (U+202E in the address, a consent time, central's refusal of
  the consent) is marked red, with its code, as the fix opens; "check the phone's
  clock" only when the phone's clock is wrong;
- a record rejected for good while it was being fixed shows that at the send (409).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).parent))
from field_server import FieldServer
from test_field_app import api_payload, card, fill_record, person, tap_send
from test_field_edits import RECORDS, force_send, open_app, record_named, step

from tests.browser.chromium import BROWSER_TEST

pytestmark = BROWSER_TEST

USERS = ["ani", "budi", "citra", "dewi", "eka", "pengawas"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = FieldServer(tmp_path_factory.mktemp("fixes") / "data", USERS)
    srv.start()
    yield srv
    srv.kill()


def headers(server, username: str) -> dict:
    return {"Authorization": f"Bearer {server.token(username)}"}


def sent_back(server, username: str, worker: dict, reason: str = "Nama ibu salah",
              stored: dict | None = None) -> str:
    """A record of ``username`` on the server, sent back by the supervisor; ``stored``:
    columns written straight into the database first (as an older release stored them)."""
    payload = api_payload(worker)
    answer = requests.post(server.base + "/api/v1/enrollments", json=payload, timeout=10,
                           headers=headers(server, username))
    assert answer.status_code == 201, answer.text
    if stored:
        write_db(server, payload["id"], stored)
    review = requests.post(f"{server.base}/api/v1/enrollments/{payload['id']}/review", timeout=10,
                           headers=headers(server, "pengawas"),
                           json={"decision": "needs_fix", "reason": reason})
    assert review.status_code == 200, review.text
    return payload["id"]


def write_db(server, record_id: str, columns: dict) -> None:
    conn = sqlite3.connect(server.data_dir / "kelurahan.db")
    try:
        sets = ", ".join(f"{name} = ?" for name in columns)
        conn.execute(f"UPDATE enrollments SET {sets} WHERE id = ?", (*columns.values(), record_id))
        conn.commit()
    finally:
        conn.close()


def server_record(server, record_id: str) -> dict:
    return requests.get(f"{server.base}/api/v1/enrollments/{record_id}", timeout=10,
                        headers=headers(server, "pengawas")).json()


def stored(page, record_id: str) -> dict:
    return page.evaluate("""async (id) => {
      const r = await (await import('/app/js/store.js')).getRecord(id);
      return { state: r.state, base_version: r.base_version, editing: r.editing || null, data: r.data };
    }""", record_id)


def look_again(page) -> None:
    """The status look the phone takes when the signal returns, not awaited."""
    page.evaluate("() => { delete document.body.dataset.refreshedAt; window.dispatchEvent(new Event('online')); }")


def test_a_slow_status_look_neither_wipes_the_fix_nor_overwrites_the_supervisor(context, server):
    record_id = sent_back(server, "ani", person(41, full_name="Lambat Baca", phone="081211112222"))
    page = open_app(context, server, "ani")
    card(page, "Lambat Baca").locator("button.fix").wait_for()
    opened_on = stored(page, record_id)["base_version"]

    current = server_record(server, record_id)       # the supervisor edits it, still needs_fix
    edit = requests.patch(f"{server.base}/api/v1/enrollments/{record_id}", timeout=10,
                          headers={**headers(server, "pengawas"), "If-Match": str(current["version"])},
                          json={"phone": "081344445555"})
    assert edit.status_code == 200 and edit.json()["status"] == "needs_fix", edit.text

    held = []
    page.route(f"**/api/v1/enrollments/{record_id}", lambda route: held.append(route))   # a slow download of the new version
    look_again(page)
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the status look did not ask for the record to fix"

    card(page, "Lambat Baca").locator("button.fix").click()          # meanwhile: she opens it and types
    page.wait_for_selector("#view-form:not([hidden])")
    page.fill("[name=mother_name]", "Hasnah Daeng Ngai")
    page.wait_for_timeout(800)                                       # written as typed
    for route in held:
        route.continue_()
    page.unroute(f"**/api/v1/enrollments/{record_id}")
    page.wait_for_selector("body[data-refreshed-at]", state="attached")

    kept = stored(page, record_id)                                   # the download did not replace it
    assert kept["editing"] and kept["editing"]["data"]["mother_name"] == "Hasnah Daeng Ngai"
    assert kept["base_version"] == opened_on

    page.reload()                                                    # and the form opens again as left
    page.wait_for_selector("#view-form:not([hidden])")
    step(page, 1)
    assert page.input_value("[name=mother_name]") == "Hasnah Daeng Ngai"

    step(page, 5)
    page.click("#save-record")
    page.wait_for_selector("#view-outbox:not([hidden])")
    force_send(page)
    card(page, "Lambat Baca").locator("button.reload").wait_for()    # 412: reload and compare
    assert record_named(page, "Lambat Baca")["state"] == "fix_conflict"
    after = server_record(server, record_id)
    assert (after["phone"], after["mother_name"]) == ("+6281344445555", "Hasnah Daeng Bau")


def test_a_new_form_left_untouched_leaves_no_draft(context, server):
    page = open_app(context, server, "budi")
    worker = person(42, full_name="Kepala Rumah", address="Jl. Rahasia Keluarga 12")
    fill_record(page, worker)
    page.click("#save-record")
    tap_send(page)
    accepted = page.locator(".card[data-state=accepted]:has-text('Kepala Rumah')")
    accepted.wait_for()

    for _ in range(2):                                 # one more draft per tap, before
        accepted.locator("button.receipt-open").click()
        page.click("#receipt-household")
        page.wait_for_selector("#view-form:not([hidden])")
        assert page.input_value("[name=kk_number]") == worker["kk_number"]
        page.click("#form-cancel")
        page.wait_for_selector("#view-outbox:not([hidden])")
        assert "Draf tersimpan" not in page.inner_text("#message")
    page.click("#new-record")                           # the general case: an empty new form
    page.wait_for_selector("#view-form:not([hidden])")
    page.click("#form-cancel")
    page.wait_for_selector("#view-outbox:not([hidden])")
    accepted.locator("button.receipt-open").click()     # reloaded before any typing: the form
    page.click("#receipt-household")                    # opens again, still untouched
    page.wait_for_selector("#view-form:not([hidden])")
    page.wait_for_function("() => document.querySelector('[name=kk_number]').value !== ''")
    page.reload()
    page.wait_for_selector("#view-form:not([hidden])")
    assert page.input_value("[name=kk_number]") == worker["kk_number"]
    page.click("#form-cancel")
    page.wait_for_selector("#view-outbox:not([hidden])")
    assert "Draf tersimpan" not in page.inner_text("#message")

    left = [r for r in page.evaluate(RECORDS) if r["state"] != "accepted"]
    assert left == []
    assert worker["kk_number"] not in json.dumps(page.evaluate(RECORDS))
    assert page.locator("#outbox-list .card").count() == 0


def test_discarding_with_signal_says_so_with_the_send(context, server):
    page = open_app(context, server, "citra")
    context.set_offline(True)
    page.wait_for_selector("#net-status.offline")
    fill_record(page, person(43, full_name="Buang Ubah"))
    page.click("#save-record")
    card(page, "Buang Ubah").locator("button.edit").click()
    page.wait_for_selector("#view-form:not([hidden])")
    page.fill("[name=full_name]", "Buang Ubah X")
    context.set_offline(False)
    page.wait_for_selector("#net-status:not(.offline)")
    page.click("#form-cancel")
    page.click("#leave-discard")
    page.wait_for_selector("#view-outbox:not([hidden])")
    force_send(page)                                    # the send closing it starts (Background Sync)
    page.locator(".card[data-state=accepted]:has-text('Buang Ubah')").wait_for()
    message = page.inner_text("#message")
    assert "Perubahan dibuang" in message and "Terkirim: 1 diterima" in message, message


def test_values_stored_invalid_are_red_as_the_fix_opens(context, server):
    consent = {"given": True, "method": "signature", "at": "2031-01-01T00:00:00+08:00"}
    record_id = sent_back(server, "dewi", person(44, full_name="Alamat Terbalik"),
                          stored={"address": "Jl. \u202eBontorannu 5", "consent": json.dumps(consent)})
    write_db(server, record_id, {"central_status": "sent_back",
                                 "central_reason": "Dikirim balik oleh pusat: Catatan persetujuan tidak sah"})
    page = open_app(context, server, "dewi")

    def open_fix() -> None:
        card(page, "Alamat Terbalik").locator("button.fix").click()
        page.wait_for_selector("#view-form:not([hidden])")

    open_fix()
    address = page.locator("[data-error-for=address]")
    step(page, 2)
    assert "U+202E" in address.inner_text()                       # marked as it opens, code named
    step(page, 5)
    consent_error = page.inner_text("[data-error-for=consent]")
    assert "Catatan persetujuan tidak sah" in consent_error       # central's refusal, on the field
    assert "consent_in_future" in consent_error and "centang lagi" in consent_error
    assert "jam" not in consent_error                              # the phone's clock is right

    page.click("#form-cancel")
    page.wait_for_selector("#view-outbox:not([hidden])")
    page.evaluate("""async () => (await import('/app/js/store.js')).setMeta('clock_offset', -3 * 86400000)""")
    open_fix()                                                    # a phone three days ahead: says so
    step(page, 5)
    assert "jam HP ini salah" in page.inner_text("[data-error-for=consent]")
    page.evaluate("""async () => (await import('/app/js/store.js')).setMeta('clock_offset', 0)""")
    page.click("#form-cancel")
    page.wait_for_selector("#view-outbox:not([hidden])")

    open_fix()
    step(page, 5)
    page.uncheck("[name=consent]")                                # the consent taken again
    page.check("[name=consent]")
    page.check("[name=consent_method][value=signature]")
    assert page.inner_text("[data-error-for=consent]") == ""
    step(page, 2)
    page.fill("[name=address]", "Jl. Bontorannu 5")
    assert address.inner_text() == ""


def test_a_record_rejected_while_being_fixed_says_so_at_the_send(context, server):
    record_id = sent_back(server, "eka", person(45, full_name="Tolak Pusat"), reason="KK salah")
    page = open_app(context, server, "eka")
    card(page, "Tolak Pusat").locator("button.fix").click()
    page.wait_for_selector("#view-form:not([hidden])")
    page.fill("[name=kk_number]", person(46)["kk_number"])
    write_db(server, record_id, {"status": "central_rejected", "central_status": "rejected",
                                 "central_reason": "rejected: Ditolak verifikator pusat: orang yang sama"})
    step(page, 5)
    page.click("#save-record")
    page.wait_for_selector("#view-outbox:not([hidden])")
    force_send(page)
    note = card(page, "Tolak Pusat").locator(".central-note")
    note.wait_for()
    text = card(page, "Tolak Pusat").inner_text()
    assert "Ditolak pusat" in note.inner_text() and "orang yang sama" in note.inner_text(), text
    assert "Diubah orang lain" not in text and "tidak mengizinkan" not in text, text
    assert record_named(page, "Tolak Pusat")["state"] == "accepted"



def test_a_record_left_sending_by_a_reload_goes_at_the_next_open(context, server):
    page = open_app(context, server, "budi")
    context.set_offline(True)
    page.wait_for_selector("#net-status.offline")
    fill_record(page, person(47, full_name="Terputus Saat Kirim"))
    page.click("#save-record")
    page.wait_for_selector("#view-outbox:not([hidden])")
    page.evaluate("""async () => {   // as a reload in the middle of a send leaves it: no answer, no retry time
      const store = await import('/app/js/store.js');
      const r = (await store.allRecords()).find((x) => x.data.full_name === 'Terputus Saat Kirim');
      await store.putRecords([{ ...r, state: 'sent', sent_at: new Date().toISOString(), next_try_at: null }]);
    }""")
    context.set_offline(False)
    page.reload()
    page.locator(".card[data-state=accepted]:has-text('Terputus Saat Kirim')").wait_for()
