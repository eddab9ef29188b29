"""An open likely-duplicate pair keeps both its records off the BPJS registration
file until a verifier decides (both backends, through the CLI and the pages):
``keep_a``/``keep_b`` lets the kept one on, ``different`` both; a registered record
stays registered and paid; the export says how many records wait for a verifier."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook

from berjasa.synthetic import born_on

from .conftest import KELURAHAN_A, KELURAHAN_B, flagged_pair, records
from .office import signed_in, token
from .test_cli import berjasa
from .test_verification import PASS_ALL

HELD_PAIR = "dalam pasangan kemungkinan ganda yang belum diputus"


def _init(central):
    berjasa("central", "init", "--database", central.database_url, data_dir=central.data_dir)
    return central.data_dir


def _rules_pass(central):
    """Every accepted record passes every rule: what stays off the file is the hold's doing."""
    central.change("UPDATE records SET eligibility = ? WHERE status = 'accepted'", (PASS_ALL,))


def _niks(text: str) -> set[str]:
    return {row["NIK"].lstrip("'") for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}


def _export_cli(central):
    """(NIKs on the registration file, stderr) from `berjasa central export` to stdout."""
    _rules_pass(central)
    done = berjasa("central", "export", "--format", "csv", "--what", "bpjs-registration",
                   data_dir=central.data_dir)
    return _niks(done.stdout), done.stderr


DASHBOARD_PAIRS = ("Pasangan kemungkinan ganda terbuka (data yang belum terdaftar menunggu verifikator"
                   " dan tidak masuk berkas pendaftaran BPJS; data yang sudah terdaftar di BPJS tetap"
                   " terdaftar): {n}.")


def test_an_open_pair_holds_both_and_keep_a_releases_a_only(central):
    _a, _b, first, second, pair = flagged_pair(central)
    other = records(1, KELURAHAN_A, seed=9)[0]  # someone else, on the file all along
    central.register(KELURAHAN_A).send([other])
    _init(central)

    niks, said = _export_cli(central)
    assert niks == {other["nik"]}
    assert f"2 data lolos semua aturan tetapi belum masuk berkas ini, menunggu keputusan " \
           f"verifikator: 2 {HELD_PAIR}." in said
    assert central.query("SELECT nik FROM records WHERE registration_exported_at IS NOT NULL") \
        == [{"nik": other["nik"]}]  # the held ones are not marked as put on a file
    answer = json.loads(berjasa("central", "export", "--what", "bpjs-registration", "--output",
                                str(central.data_dir / "bpjs.xlsx"), "--json",
                                data_dir=central.data_dir).stdout)
    assert answer["rows"] == 1
    assert (answer["filters"]["held_for_verifier"], answer["filters"]["held_open_pair"],
            answer["filters"]["held_open_finding"]) == (2, 2, 0)

    berjasa("central", "decide-pair", str(pair["central_id_a"]), str(pair["central_id_b"]),
            "--decision", "keep_a", "--reason", "KTP sama", "--by", "vera",
            data_dir=central.data_dir)
    niks, said = _export_cli(central)
    assert niks == {other["nik"], first["nik"]} and second["nik"] not in niks
    assert "menunggu keputusan verifikator" not in said
    statuses = {r["nik"]: r["status"] for r in central.query("SELECT nik, status FROM records")}
    assert statuses[second["nik"]] == "duplicate"


def test_different_releases_both_on_the_download(central):
    _a, _b, first, second, pair = flagged_pair(central)
    _rules_pass(central)
    operator = signed_in(central, "operator")

    def downloaded() -> set[str]:
        answer = operator.get(f"{central.url}/unduh/bpjs-registration?format=xlsx", timeout=60)
        assert answer.status_code == 200, answer.text[:300]
        sheet = load_workbook(io.BytesIO(answer.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        column = rows[0].index("NIK")
        return {row[column] for row in rows[1:]}

    assert downloaded() == set()
    entry = central.query("SELECT changes FROM audit_log WHERE action = ?"
                          " ORDER BY seq DESC", ("download.bpjs-registration",))[0]
    filters = json.loads(entry["changes"])["filters"]
    assert (filters["held_for_verifier"], filters["held_open_pair"]) == (2, 2)
    dashboard = operator.get(f"{central.url}/", timeout=30).text
    assert DASHBOARD_PAIRS.format(n=1) in dashboard

    verifier = signed_in(central, "verifier")
    done = verifier.post(f"{central.url}/verifikasi/pasangan/{pair['central_id_a']}/"
                         f"{pair['central_id_b']}", timeout=10,
                         data={"decision": "different", "reason": "Dua orang, KK beda",
                               "csrf_token": token(verifier, central, "/verifikasi")})
    assert done.status_code == 200 and "Keputusan atas pasangan disimpan" in done.text
    assert downloaded() == {first["nik"], second["nik"]}


def registered_then_flagged(central, tmp_path) -> tuple[dict, dict]:
    """A registered at BPJS (put on a file, then listed with its KPJ 25012345678); B,
    the same person under another NIK from another kelurahan, arrives after: an open
    pair. (A's record, B's record)."""
    a, b = central.register(KELURAHAN_A), central.register(KELURAHAN_B)
    first = {**records(1, KELURAHAN_A)[0], "full_name": "Muh. Ridwan Daeng Tompo"}
    a.send([first])
    _init(central)
    niks, _ = _export_cli(central)  # put on a file, then BPJS lists it: registered
    assert niks == {first["nik"]}
    listed = tmp_path / "bpjs.csv"
    listed.write_text(f"nik,no_kpj,status\n{first['nik']},25012345678,aktif\n", encoding="utf-8")
    berjasa("central", "import", "bpjs-participants", str(listed), data_dir=central.data_dir)
    # the same person arrives from another kelurahan under another NIK: flagged, open
    second = born_on({**records(1, KELURAHAN_B, seed=3)[0],
                      "full_name": "MUHAMMAD RIDWAN DG. TOMPO"}, first["birth_date"])
    b.send([second])
    assert central.query("SELECT decided_at FROM duplicate_flags") == [{"decided_at": None}]
    return first, second


def test_a_registered_record_in_an_open_pair_stays_registered_and_paid(central, tmp_path):
    first, second = registered_then_flagged(central, tmp_path)

    niks, said = _export_cli(central)
    assert niks == set()  # the newcomer waits; the registered one is at BPJS already
    assert f"1 {HELD_PAIR}" in said
    month = central.query("SELECT coverage_start FROM records WHERE nik = ?",
                          (first["nik"],))[0]["coverage_start"]
    paid = berjasa("central", "export", "--what", "payment-list", "--month", month, "--draft",
                   data_dir=central.data_dir).stdout
    assert first["nik"] in paid and second["nik"] not in paid
    statuses = {r["nik"]: (r["status"], r["kpj_number"])
                for r in central.query("SELECT nik, status, kpj_number FROM records")}
    assert statuses == {first["nik"]: ("registered", "25012345678"),
                        second["nik"]: ("accepted", None)}
    # the dashboard does not say the registered one waits off the file
    dashboard = signed_in(central, "operator").get(f"{central.url}/", timeout=30).text
    assert DASHBOARD_PAIRS.format(n=1) in dashboard and "kedua datanya menunggu" not in dashboard


def test_a_refused_decision_is_its_status_with_the_line_on_the_page(central):
    """docs/central.md: a refusal (409, 422) is one line on the page, under its status."""
    _a, _b, _first, _second, pair = flagged_pair(central)
    verifier = signed_in(central, "verifier")
    url = f"{central.url}/verifikasi/pasangan/{pair['central_id_a']}/{pair['central_id_b']}"
    refused = verifier.post(url, timeout=10, allow_redirects=False,
                            data={"decision": "different", "reason": "Dua orang\u202e",
                                  "csrf_token": token(verifier, central, "/verifikasi")})
    assert refused.status_code == 422, refused.status_code
    assert "Tidak dapat disimpan:" in refused.text and "U+202E" in refused.text
    assert central.query("SELECT decided_at FROM duplicate_flags") == [{"decided_at": None}]
    done = verifier.post(url, timeout=10, data={"decision": "different", "reason": "Dua orang",
                                                "csrf_token": token(verifier, central, "/verifikasi")})
    assert done.status_code == 200 and "Keputusan atas pasangan disimpan" in done.text
    again = verifier.post(url, timeout=10, allow_redirects=False,
                          data={"decision": "different", "reason": "Dua orang",
                                "csrf_token": token(verifier, central, "/verifikasi")})
    assert again.status_code == 409 and "Tidak dapat disimpan:" in again.text
