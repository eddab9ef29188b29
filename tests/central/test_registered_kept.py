"""A registered record (a BPJS participant with a KPJ, on the city's payment list)
keeps its registration whatever a verifier decides (both backends, through the CLI
and the pages): "same person, keep the other" against it is refused naming the
decision that keeps it (the other record is the duplicate), a rejection of it is
refused, and the page offers neither. docs/central.md "Verification",
panduan-kantor-pusat.md section 5."""

from __future__ import annotations

import csv
import json

from .office import signed_in, token
from .test_cli import berjasa
from .test_registration_holds import _export_cli, registered_then_flagged


def _registered_then_flagged(central, tmp_path):
    """A registered at BPJS, B the same person under another NIK: an open pair
    (test_registration_holds.registered_then_flagged). (A's record, B's record, A's
    central id, B's central id, A's coverage month)."""
    first, second = registered_then_flagged(central, tmp_path)
    ids = {r["nik"]: r["central_id"] for r in central.query("SELECT nik, central_id FROM records")}
    held = central.query("SELECT coverage_start FROM records WHERE nik = ?", (first["nik"],))
    return first, second, ids[first["nik"]], ids[second["nik"]], held[0]["coverage_start"]


def _statuses(central):
    return {r["nik"]: (r["status"], r["kpj_number"])
            for r in central.query("SELECT nik, status, kpj_number FROM records")}


def _paid(central, month):
    return berjasa("central", "export", "--what", "payment-list", "--month", month, "--draft",
                   data_dir=central.data_dir).stdout


def test_keeping_the_newcomer_against_a_registered_record_is_refused(central, tmp_path):
    first, second, a_id, b_id, month = _registered_then_flagged(central, tmp_path)
    before = _statuses(central)
    refused = berjasa("central", "decide-pair", str(a_id), str(b_id), "--decision", "keep_b",
                      "--reason", "NIK B benar menurut KK", "--by", "vera",
                      data_dir=central.data_dir, check=False)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert "registered_at_bpjs" in refused.stderr
    assert "Sama orang, pertahankan A" in refused.stderr and "(keep_a)" in refused.stderr
    # the same pair named the other way round: the registered record is B to the caller
    swapped = berjasa("central", "decide-pair", str(b_id), str(a_id), "--decision", "keep_a",
                      "--reason", "NIK B benar menurut KK", data_dir=central.data_dir, check=False)
    assert swapped.returncode == 1 and "(keep_b)" in swapped.stderr, swapped.stderr
    assert _statuses(central) == before
    assert central.query("SELECT decided_at FROM duplicate_flags") == [{"decided_at": None}]
    assert central.query("SELECT count(*) AS n FROM audit_log WHERE action LIKE ?",
                         ("decision.pair%",))[0]["n"] == 0
    assert first["nik"] in _paid(central, month)

    # keeping the registered one is right: it stays registered and paid, B is the duplicate
    berjasa("central", "decide-pair", str(a_id), str(b_id), "--decision", "keep_a", "--reason",
            "Orang yang sama, sudah terdaftar", "--by", "vera", data_dir=central.data_dir)
    assert _statuses(central) == {first["nik"]: ("registered", "25012345678"),
                                  second["nik"]: ("duplicate", None)}
    paid = _paid(central, month)
    assert first["nik"] in paid and second["nik"] not in paid
    niks, _ = _export_cli(central)
    assert niks == set()  # nobody registered a second time


def test_the_page_offers_only_keeping_the_registered_record(central, tmp_path):
    *_, a_id, b_id, _month = _registered_then_flagged(central, tmp_path)
    verifier = signed_in(central, "verifier")
    page = verifier.get(f"{central.url}/verifikasi", timeout=10).text
    card = page[page.index(f'id="pasangan-{a_id}-{b_id}"'):]
    card = card[:card.index("</article>")]
    assert 'value="keep_a"' in card and 'value="different"' in card
    assert 'value="keep_b"' not in card
    assert "Data A sudah terdaftar di BPJS" in card and "data B yang menjadi duplikatnya" in card

    refused = verifier.post(f"{central.url}/verifikasi/pasangan/{a_id}/{b_id}", timeout=10,
                            allow_redirects=False,
                            data={"decision": "keep_b", "reason": "NIK B benar",
                                  "csrf_token": token(verifier, central, "/verifikasi")})
    assert refused.status_code == 409, refused.status_code
    assert "Tidak dapat disimpan:" in refused.text and "pertahankan A" in refused.text
    assert central.query("SELECT status FROM records WHERE central_id = ?",
                         (a_id,)) == [{"status": "registered"}]
    assert central.query("SELECT status FROM records WHERE central_id = ?",
                         (b_id,)) == [{"status": "accepted"}]


def test_two_registered_records_are_neither_made_a_duplicate(central, tmp_path):
    """Both at BPJS (a state only an older central or a KPJ claim leaves): neither
    keep decision is taken; the line says BPJS ends one of the two participations."""
    *_, a_id, b_id, _month = _registered_then_flagged(central, tmp_path)
    central.change("UPDATE records SET status = 'registered', kpj_number = '25099999999',"
                   " coverage_start = '2026-11' WHERE central_id = ?", (b_id,))
    for decision in ("keep_a", "keep_b"):
        refused = berjasa("central", "decide-pair", str(a_id), str(b_id), "--decision", decision,
                          "--reason", "Sama orang", data_dir=central.data_dir, check=False)
        assert refused.returncode == 1 and "Kedua data sudah terdaftar di BPJS" in refused.stderr
    assert {s for s, _ in _statuses(central).values()} == {"registered"}
    page = signed_in(central, "verifier").get(f"{central.url}/verifikasi", timeout=10).text
    card = page[page.index(f'id="pasangan-{a_id}-{b_id}"'):]
    card = card[:card.index("</article>")]
    assert 'value="keep_a"' not in card and 'value="keep_b"' not in card
    assert 'value="different"' in card


def test_rejecting_a_registered_record_is_refused(central, tmp_path):
    """A DTSEN identity finding on a registered worker: the verifier may confirm it
    (back on the payment list) but not reject the record (it would leave the list
    while BPJS still holds the KPJ); the page does not offer the rejection."""
    first, _second, a_id, _b_id, month = _registered_then_flagged(central, tmp_path)
    dtsen = tmp_path / "dtsen.csv"
    with dtsen.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["nik", "nama", "tgl_lahir", "desil"])
        writer.writerow([first["nik"], "Orang Lain Sama Sekali", first["birth_date"], "2"])
    berjasa("central", "import", "dtsen", str(dtsen), data_dir=central.data_dir)
    finding = central.query("SELECT id FROM findings WHERE central_id = ? AND status = 'open'",
                            (a_id,))[0]["id"]
    assert first["nik"] not in _paid(central, month)  # the open finding holds the payment

    verifier = signed_in(central, "verifier")
    page = verifier.get(f"{central.url}/verifikasi", timeout=10).text
    card = page[page.index(f'id="temuan-{finding}"'):]
    card = card[:card.index("</article>")]
    assert 'value="confirm"' in card and 'value="reject"' not in card
    assert "tetap terdaftar: pusat tidak menolaknya" in card
    on_page = verifier.post(f"{central.url}/verifikasi/temuan/{finding}", timeout=10,
                            allow_redirects=False,
                            data={"decision": "reject", "reason": "Nama lain",
                                  "csrf_token": token(verifier, central, "/verifikasi")})
    assert on_page.status_code == 409 and "Tidak dapat disimpan:" in on_page.text

    refused = berjasa("central", "decide", str(finding), "--decision", "reject", "--reason",
                      "Nama tidak sama", "--json", data_dir=central.data_dir, check=False)
    assert refused.returncode == 1 and "registered_at_bpjs" in refused.stderr, refused.stderr
    assert "BPJS Ketenagakerjaan" in refused.stderr
    assert _statuses(central)[first["nik"]] == ("registered", "25012345678")
    assert central.query("SELECT status FROM findings WHERE id = ?",
                         (finding,)) == [{"status": "open"}]
    assert not [u for u in central.query("SELECT kind FROM updates") if u["kind"] == "rejected"]

    done = json.loads(berjasa("central", "decide", str(finding), "--decision", "confirm",
                              "--reason", "Nama di DTSEN salah ketik", "--json",
                              data_dir=central.data_dir).stdout)
    assert done["record_status"] == "registered"
    assert first["nik"] in _paid(central, month)
