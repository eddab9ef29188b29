"""Who the BPKAD payment list leaves out, said where the treasurer sees it (both
backends, through `berjasa central` and the pages): registered workers held by an open
finding, counted per finding kind (any kind, one added later too), and a failed income
rule, as ``held_*`` counts in ``--json`` and the trail, one line on stderr, a note line
in the CSV and XLSX file, and the same sentence on the dashboard. And a registered
worker whom the cohort file lists from a later month is paid as a new worker until
then (h1 #6, #12)."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook

from berjasa import local_time

from .conftest import KELURAHAN_A, records
from .office import signed_in, token
from .test_cli import berjasa
from .test_verification import PASS_ALL

THIS_MONTH = local_time.today().strftime("%Y-%m")


def _later(month: str, months: int) -> str:
    year, number = (int(p) for p in month.split("-"))
    number += months
    year, number = year + (number - 1) // 12, (number - 1) % 12 + 1
    return f"{year:04d}-{number:02d}"


def _registered(central, tmp_path, count: int = 3) -> list[dict]:
    """``count`` workers of kelurahan A put on a registration file by `central export`
    and listed by BPJS from this month: registered, due on this month's list."""
    sent = [{**r, "monthly_income": 1_500_000} for r in records(count)]
    central.register(KELURAHAN_A).send(sent)
    berjasa("central", "init", "--database", central.database_url, data_dir=central.data_dir)
    central.change("UPDATE records SET eligibility = ? WHERE status = 'accepted'", (PASS_ALL,))
    berjasa("central", "export", "--what", "bpjs-registration", "--output",
            str(tmp_path / "daftar.csv"), data_dir=central.data_dir)
    listed = tmp_path / "bpjs.csv"
    listed.write_text("nik;no_kpj;status;mulai_kepesertaan\n" + "".join(
        f"{r['nik']};2501000000{i};Aktif;{THIS_MONTH}\n" for i, r in enumerate(sent)),
        encoding="utf-8")
    berjasa("central", "import", "bpjs-participants", str(listed), data_dir=central.data_dir)
    statuses = central.query("SELECT status FROM records")
    assert [s["status"] for s in statuses] == ["registered"] * count
    return sent


def _finding(central, nik: str, kind: str) -> None:
    central.change("INSERT INTO findings (kind, central_id, record_version, source, evidence,"
                   " status, raised_at, raised_by) SELECT ?, central_id, version, 'uji', '{}',"
                   " 'open', '2026-01-01T00:00:00Z', 'uji' FROM records WHERE nik = ?", (kind, nik))


def _payment(central, tmp_path, month: str, name: str = "iuran.csv"):
    """(the --json answer, stderr, the file's lines) of a payment list export."""
    out = tmp_path / name
    done = berjasa("central", "export", "--what", "payment-list", "--month", month, "--output",
                   str(out), "--json", data_dir=central.data_dir)
    if out.suffix == ".xlsx":
        sheet = load_workbook(out).active
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
        lines = [[c.value for c in row] for row in sheet.iter_rows()]
    else:
        lines = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    return json.loads(done.stdout), done.stderr, lines


def _paid(lines) -> dict[str, str]:
    """{NIK: KELOMPOK} of the worker rows."""
    start = next(i for i, r in enumerate(lines) if r and r[0] == "NO")
    header = lines[start]
    rows = [dict(zip(header, r, strict=False)) for r in lines[start + 1:]]
    return {str(r["NIK"]).lstrip("'"): r["KELOMPOK"] for r in rows if r["NO"] not in (None, "")}


def test_workers_held_by_open_findings_are_counted_per_kind_everywhere(central, tmp_path):
    sent = _registered(central, tmp_path, 4)
    answer, said, lines = _payment(central, tmp_path, THIS_MONTH)
    assert answer["rows"] == 4 and answer["filters"]["held_for_verifier"] == 0
    assert "Perhatian" not in said and not any("ditahan" in str(r) for r in lines)

    # a DTSEN list naming the first worker otherwise: a dtsen_mismatch finding holds them
    dtsen = tmp_path / "dtsen.csv"
    dtsen.write_text("nik;nama;desil\n" + f"{sent[0]['nik']};Nama Lain Sekali;3\n" + "".join(
        f"{r['nik']};{r['full_name']};3\n" for r in sent[1:]), encoding="utf-8")
    berjasa("central", "import", "dtsen", str(dtsen), data_dir=central.data_dir)
    assert central.query("SELECT kind FROM findings WHERE status = 'open'") == [
        {"kind": "dtsen_mismatch"}]
    # a kind this code has never heard of holds (and is reported) as well; a NIK to
    # correct at BPJS does not hold: that worker is a participant under their KPJ
    _finding(central, sent[1]["nik"], "bpjs_status_not_active")
    _finding(central, sent[2]["nik"], "bpjs_nik_changed")
    # the stored income rule of the fourth failed meanwhile: not billed, and said so
    failed = json.loads(PASS_ALL)
    failed[3] = {"rule": "council", "result": "fail", "reason": "penghasilan di atas UMK"}
    central.change("UPDATE records SET eligibility = ? WHERE nik = ?",
                   (json.dumps(failed), sent[3]["nik"]))

    answer, said, lines = _payment(central, tmp_path, THIS_MONTH)
    filters = answer["filters"]
    assert answer["rows"] == 1 and set(_paid(lines)) == {sent[2]["nik"]}
    assert (filters["held_for_verifier"], filters["held_open_finding"],
            filters["held_finding_dtsen_mismatch"], filters["held_finding_bpjs_status_not_active"],
            filters["excluded_income_failed"]) == (2, 2, 1, 1, 1)
    assert "held_finding_bpjs_nik_changed" not in filters
    line = (f"Perhatian: tidak ada di daftar iuran {THIS_MONTH} ini: 2 pekerja terdaftar BPJS "
            f"ditahan temuan terbuka yang menunggu keputusan verifikator (1 bpjs_status_not_active, "
            f"1 Identitas tidak sama dengan DTSEN [dtsen_mismatch]); 1 pekerja terdaftar BPJS yang "
            f"aturan penghasilannya tidak terpenuhi. Cocokkan dengan tagihan BPJS: pekerja "
            f"terdaftar yang ditahan tetap peserta BPJS.")
    # the holds' line, then (a second final list of the month) the re-issue line
    assert said.strip().splitlines()[0] == line
    assert said.strip().splitlines()[1].startswith(f"Perhatian: daftar final bulan {THIS_MONTH} ini")
    start = next(i for i, r in enumerate(lines) if r and r[0] == "NO")
    assert [line] in lines[:start]  # a note line above the table, one cell
    _, _, sheet = _payment(central, tmp_path, THIS_MONTH, "iuran.xlsx")
    start = next(i for i, r in enumerate(sheet) if r[0] == "NO")
    assert line in [r[0] for r in sheet[:start]]
    entry = central.query("SELECT changes FROM audit_log WHERE action = 'export.payment-list'"
                          " ORDER BY seq DESC")[0]
    assert json.loads(entry["changes"])["filters"]["held_finding_dtsen_mismatch"] == 1

    # the dashboard says the same for this month, counted live
    operator = signed_in(central, "operator")
    assert line in operator.get(f"{central.url}/", timeout=30).text.replace("&#39;", "'")

    # a verifier's decision releases the worker: paid again, the line and counts follow
    finding = central.query("SELECT id FROM findings WHERE kind = 'dtsen_mismatch'")[0]["id"]
    verifier = signed_in(central, "verifier")
    done = verifier.post(f"{central.url}/verifikasi/temuan/{finding}", timeout=20, data={
        "decision": "confirm", "reason": "Nama di KTP benar",
        "csrf_token": token(verifier, central, "/verifikasi")})
    assert done.status_code == 200, done.text[:300]
    answer, said, lines = _payment(central, tmp_path, THIS_MONTH)
    assert answer["rows"] == 2 and sent[0]["nik"] in _paid(lines)
    assert answer["filters"]["held_open_finding"] == 1
    assert "held_finding_dtsen_mismatch" not in answer["filters"]
    assert "1 pekerja terdaftar BPJS ditahan temuan terbuka" in said
    assert "1 pekerja terdaftar BPJS ditahan" in operator.get(f"{central.url}/", timeout=30).text


def test_the_registration_file_names_its_finding_holds_by_kind(central, tmp_path):
    sent = [{**r, "monthly_income": 1_500_000} for r in records(2)]
    central.register(KELURAHAN_A).send(sent)
    berjasa("central", "init", "--database", central.database_url, data_dir=central.data_dir)
    central.change("UPDATE records SET eligibility = ? WHERE status = 'accepted'", (PASS_ALL,))
    _finding(central, sent[0]["nik"], "dtsen_mismatch")
    _finding(central, sent[0]["nik"], "bpjs_status_not_active")
    done = berjasa("central", "export", "--what", "bpjs-registration", "--output",
                   str(tmp_path / "daftar.csv"), "--json", data_dir=central.data_dir)
    filters = json.loads(done.stdout)["filters"]
    assert (filters["held_open_finding"], filters["held_finding_dtsen_mismatch"],
            filters["held_finding_bpjs_status_not_active"]) == (1, 1, 1)
    assert ("1 data lolos semua aturan tetapi belum masuk berkas ini, menunggu keputusan "
            "verifikator: 1 dengan temuan terbuka (1 bpjs_status_not_active, 1 Identitas tidak "
            "sama dengan DTSEN [dtsen_mismatch]).") in done.stderr


def test_a_cohort_row_starting_later_does_not_stop_a_registered_workers_payment(central, tmp_path):
    sent = _registered(central, tmp_path, 2)
    later = _later(THIS_MONTH, 2)
    cohort = tmp_path / "kohort.csv"
    cohort.write_text("nik;no_kpj;nama;kode_kelurahan;mulai_kepesertaan\n"
                      f"{sent[0]['nik']};41770000001;{sent[0]['full_name']};{KELURAHAN_A};{later}\n"
                      f"7371010101800009;41770000002;Daeng Sikki;{KELURAHAN_A};{THIS_MONTH}\n",
                      encoding="utf-8")
    berjasa("central", "import", "cohort", str(cohort), data_dir=central.data_dir)
    assert central.query("SELECT status FROM records WHERE nik = ?", (sent[0]["nik"],)) == [
        {"status": "registered"}]
    for month, group in ((THIS_MONTH, "Pekerja baru"), (_later(THIS_MONTH, 1), "Pekerja baru"),
                         (later, "Kohort 2024"), (_later(THIS_MONTH, 3), "Kohort 2024")):
        answer, _, lines = _payment(central, tmp_path, month)
        paid = _paid(lines)
        assert paid[sent[0]["nik"]] == group, month  # paid every month, once
        assert answer["rows"] == 3 and len(paid) == 3
