"""central exports (both backends): the BPJS registration file, the BPKAD payment list,
rejections, progress and all; read back with openpyxl and csv: no formula, NIK as
text, nothing starting with = + - @ tab CR, totals that match a hand sum."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from berjasa.synthetic import same_nik
from central import overview
from central.export_bpkad import DRAFT_WATERMARK, PaymentListRefused
from central.export_fields import ExportError
from central.exports import export

from .conftest import KELURAHAN_A, KELURAHAN_B, records

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
PASS_ALL = [{"rule": r, "result": "pass", "reason": "memenuhi"} for r in
            ("domicile", "occupation", "age", "council", "dtsen", "bpjs_membership")]
HYPERLINK = '=HYPERLINK("http://x","y")'


def _export(central, what, fmt="csv", output=None, **filters):
    db = central.db()
    try:
        return export(db, what, fmt, output, actor="operator-uji", **filters)
    finally:
        db.close()


def _set(central, nik, **values):
    db = central.db()
    try:
        with db.transaction():
            sets = ", ".join(f"{k} = ?" for k in values)
            db.run(f"UPDATE records SET {sets} WHERE nik = ? AND status <> 'duplicate'",
                   [*values.values(), nik])
    finally:
        db.close()




def _csv_rows(content: bytes) -> list[dict]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def _csv_table(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def _assert_inert_xlsx(path):
    sheet = load_workbook(path).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert cells and all(c.data_type != "f" for c in cells)
    for c in cells:
        if isinstance(c.value, str):
            assert not c.value.startswith(DANGEROUS), c.value
    return sheet


@pytest.fixture
def held(central):
    """Records in A: 0 passes every rule, 1 has an unknown rule, 2 passes with a formula
    typed as address, 3 passes but is an active BPJS participant; a duplicate from B."""
    a, b = central.register(KELURAHAN_A), central.register(KELURAHAN_B)
    sent = records(4)
    sent[0]["monthly_income"] = 1_500_000
    sent[2]["address"] = HYPERLINK
    sent[2]["phone"] = "+6281234567890"
    a.send(sent)
    b.send([same_nik(records(1, KELURAHAN_B, seed=4)[0], sent[0])])
    unknown = [*PASS_ALL[:-1], {"rule": "bpjs_membership", "result": "unknown",
                                "reason": "data BPJS belum dimuat"}]
    for index, rules in ((0, PASS_ALL), (1, unknown), (2, PASS_ALL), (3, PASS_ALL)):
        _set(central, sent[index]["nik"], eligibility=json.dumps(rules))
    _set(central, sent[0]["nik"], disability=json.dumps(
        {"has_disability": True, "kinds": ["walking", "seeing"]}), jht=1)
    central.change("INSERT INTO bpjs_participants (nik, kpj_number, program, status)"
                  " VALUES (?, ?, ?, ?)", (sent[3]["nik"], "KPJ3", "BPU", "aktif"))
    return sent


def test_registration_lists_records_passing_every_rule_and_not_listed_by_bpjs(central, held):
    result = _export(central, "bpjs-registration")
    rows = _csv_rows(result.content)
    assert result.rows == 2 and [r["NIK"] for r in rows] == [held[0]["nik"], held[2]["nik"]]
    first = rows[0]
    assert first["NO_KK"] == held[0]["kk_number"] and first["NAMA_IBU_KANDUNG"] == held[0]["mother_name"]
    assert (first["PENGHASILAN"], first["UPAH_DASAR_BAND"]) == ("1500000", "1600000")
    assert first["NAMA_AHLI_WARIS"] == held[0]["heir_name"]
    assert first["HUBUNGAN_AHLI_WARIS"] == held[0]["heir_relation"]
    assert (first["DISABILITAS"], first["JENIS_DISABILITAS"]) == ("Ya", "berjalan, melihat")
    assert first["PROGRAM"] == "JKK+JKM+JHT" and first["PEMBAYAR"] == "APBD"
    assert (first["KELURAHAN"], first["KECAMATAN"], first["RT"]) == ("Bontorannu", "Mariso",
                                                                     held[0]["rt"])
    assert rows[1]["ALAMAT"] == "'" + HYPERLINK and rows[1]["NO_HP"] == "081234567890"

    marked = central.query("SELECT nik, registration_exported_at FROM records"
                           " WHERE registration_exported_at IS NOT NULL ORDER BY nik")
    assert sorted(m["nik"] for m in marked) == sorted([held[0]["nik"], held[2]["nik"]])
    again = _export(central, "bpjs-registration")  # still unregistered: listed again
    assert again.rows == 2
    assert central.query("SELECT nik, registration_exported_at FROM records"
                         " WHERE registration_exported_at IS NOT NULL ORDER BY nik") == marked

    _set(central, held[2]["nik"], status="registered", kpj_number="KPJ2")
    central.change("UPDATE bpjs_participants SET status = 'nonaktif'")  # not participation
    assert sorted(r["NIK"] for r in _csv_rows(_export(central, "bpjs-registration").content)) \
        == sorted([held[0]["nik"], held[3]["nik"]])


def test_a_placeholder_band_is_never_sent_to_bpjs_as_if_real(central, held, tmp_path):
    """Income in a band the schedule marks unconfirmed: the band cell is empty (CSV and
    XLSX), the declared income stays, and the file's result counts and says it."""
    from central.export_bpjs import unconfirmed_line

    _set(central, held[2]["nik"], monthly_income=3_200_000)  # above the confirmed bands
    result = _export(central, "bpjs-registration")
    rows = {r["NIK"]: r for r in _csv_rows(result.content)}
    assert rows[held[0]["nik"]]["UPAH_DASAR_BAND"] == "1600000"  # a confirmed band is kept
    assert (rows[held[2]["nik"]]["PENGHASILAN"], rows[held[2]["nik"]]["UPAH_DASAR_BAND"]) \
        == ("3200000", "")
    assert result.filters["unconfirmed_band"] == 1
    line = unconfirmed_line(result.filters)
    assert line.startswith("Catatan: 1 baris tanpa nilai band upah") and "PP 44/2015" in line
    path = tmp_path / "bpjs.xlsx"
    xlsx = _export(central, "bpjs-registration", "xlsx", path)
    sheet = _assert_inert_xlsx(path)
    header = [c.value for c in sheet[1]]
    by_nik = {row[header.index("NIK")]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert by_nik[held[2]["nik"]][header.index("UPAH_DASAR_BAND")] is None
    assert by_nik[held[0]["nik"]][header.index("UPAH_DASAR_BAND")] == 1_600_000
    assert xlsx.filters["unconfirmed_band"] == 1
    _set(central, held[2]["nik"], monthly_income=1_500_000)
    assert unconfirmed_line(_export(central, "bpjs-registration").filters) is None


def test_registration_xlsx_is_inert_nik_is_text_and_the_export_is_audited(central, held, tmp_path):
    path = tmp_path / "bpjs.xlsx"
    result = _export(central, "bpjs-registration", "xlsx", path)
    assert result.content is None and result.rows == 2
    sheet = _assert_inert_xlsx(path)
    header = [c.value for c in sheet[1]]
    nik = sheet.cell(2, header.index("NIK") + 1)
    assert nik.value == held[0]["nik"] and nik.data_type == "s" and nik.number_format == "@"
    address = sheet.cell(3, header.index("ALAMAT") + 1)
    assert address.value == "'" + HYPERLINK and address.data_type == "s"
    assert sheet.cell(3, header.index("NO_HP") + 1).value == "081234567890"
    assert sheet.cell(2, header.index("PENGHASILAN") + 1).value == 1_500_000
    audit = central.query("SELECT actor, what, format, row_count, output, sha256 FROM export_audit")
    assert audit == [{"actor": "operator-uji", "what": "bpjs-registration", "format": "xlsx",
                      "row_count": 2, "output": str(path),
                      "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}]


def _cohort(central, rows):
    for nik, kpj, name, kel, start, income, jht in rows:
        central.change("INSERT INTO cohort (nik, kpj_number, full_name, birth_date, kelurahan_code,"
                      " coverage_start, monthly_income, jht) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
             (nik, kpj, name, "1980-01-01", kel, start, income, jht))


@pytest.fixture
def payable(central, held):
    """Cohort: two in A from 2024-01 (one without income, one with JHT), one in B from
    2025-12. New: held[0] registered from 2025-11; held[2] registered from 2025-11 but
    its income rule failed (not billed)."""
    _cohort(central, [
        ("7371010101800001", "11000001", "Daeng Sikki", KELURAHAN_A, "2024-01", None, 0),
        ("7371010101800002", "11000002", "=cmd|' /C calc'!A0", KELURAHAN_A, "2024-01", 1_250_000, 1),
        ("7371020101800003", "11000003", "Hj. Besse", KELURAHAN_B, "2025-12", 800_000, 0),
    ])
    _set(central, held[0]["nik"], status="registered", kpj_number="KPJ0", coverage_start="2025-11")
    failed = [*PASS_ALL[:3], {"rule": "council", "result": "fail", "reason": "penghasilan di atas UMK"},
              *PASS_ALL[4:]]
    _set(central, held[2]["nik"], status="registered", kpj_number="KPJ2", coverage_start="2025-11",
         eligibility=json.dumps(failed))
    return held


def _money(row):
    return tuple(int(row[k]) for k in ("IURAN_JKK", "IURAN_JKM", "IURAN_JHT", "TOTAL_IURAN"))


def _payment_table(content):
    table = _csv_table(content)
    start = table.index(next(r for r in table if r and r[0] == "NO"))
    header = table[start]
    return table[:start], [dict(zip(header, r, strict=True)) for r in table[start + 1:]]


def test_payment_list_by_month_with_subtotals_and_a_hand_checked_total(central, payable):
    titles, rows = _payment_table(_export(central, "payment-list", month="2025-10").content)
    assert any("2025-10 (Oktober 2025)" in t[0] for t in titles)
    assert any("PP 44/2015" in t[0] for t in titles)
    # when it was made, in Makassar time for BPKAD and in UTC as the audit trail has it
    made = next(t[0] for t in titles if t and t[0].startswith("Dibuat"))
    local, utc = re.fullmatch(r"Dibuat: (\S+ \S+) WITA \((\S+ \S+) UTC\)", made).groups()
    assert (datetime.strptime(local, "%d-%m-%Y %H:%M:%S")
            - datetime.strptime(utc, "%Y-%m-%d %H:%M:%S")) == timedelta(hours=8)
    workers = [r for r in rows if r["NO"]]
    assert [r["NIK"] for r in workers] == ["7371010101800001", "7371010101800002"]
    # Lowest band for no income: 10.000 + 6.800; band 1.200.000 with JHT: 12.000 + 6.800 + 24.000.
    assert _money(workers[0]) == (10_000, 6_800, 0, 16_800)
    assert _money(workers[1]) == (12_000, 6_800, 24_000, 42_800)
    assert workers[1]["NAMA_LENGKAP"].startswith("'=")
    subtotal, total = rows[-2], rows[-1]
    assert subtotal["NAMA_LENGKAP"] == f"SUBTOTAL Bontorannu {KELURAHAN_A} (2 pekerja)"
    assert _money(subtotal) == _money(total) == (22_000, 13_600, 24_000, 59_600)
    assert total["NAMA_LENGKAP"] == "TOTAL KESELURUHAN (2 pekerja)"

    _, rows = _payment_table(_export(central, "payment-list", month="2025-11").content)
    workers = [r for r in rows if r["NO"]]
    # held[0] joins from its coverage_start (band 1.600.000, JHT); held[2] failed income.
    assert sorted(r["NIK"] for r in workers) == sorted(
        ["7371010101800001", "7371010101800002", payable[0]["nik"]])
    new = next(r for r in workers if r["NIK"] == payable[0]["nik"])
    assert new["KELOMPOK"] == "Pekerja baru" and _money(new) == (16_000, 6_800, 32_000, 54_800)
    assert _money(rows[-1]) == (38_000, 20_400, 56_000, 114_400)

    path = central.data_dir / "bayar-2025-12.xlsx"
    result = _export(central, "payment-list", "xlsx", path, month="2025-12")
    assert result.rows == 4 and result.filters["excluded_income_failed"] == 1
    sheet = _assert_inert_xlsx(path)
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    start = next(i for i, r in enumerate(values) if r[0] == "NO")
    header = values[start]
    body = [dict(zip(header, r, strict=False)) for r in values[start + 1:]]
    workers = [r for r in body if r["NO"] is not None]
    labels = [r["NAMA_LENGKAP"] for r in body if r["NO"] is None]
    assert labels[0] == f"SUBTOTAL Bontorannu {KELURAHAN_A} (3 pekerja)"
    assert labels[1].startswith("SUBTOTAL ") and labels[1].endswith(f"{KELURAHAN_B} (1 pekerja)")
    assert labels[2] == "TOTAL KESELURUHAN (4 pekerja)"
    assert all(isinstance(r["TOTAL_IURAN"], int) for r in body)
    assert sum(r["TOTAL_IURAN"] for r in workers) == body[-1]["TOTAL_IURAN"] == 114_400 + 16_800  # + cohort B, band 1.000.000
    nik_cell = sheet.cell(start + 2, header.index("NIK") + 1)
    assert nik_cell.data_type == "s" and nik_cell.number_format == "@"
    # the subtotals and the total in bold, money with grouped thousands, the header frozen
    total_row = start + 1 + len(body)
    assert sheet.cell(total_row, header.index("NAMA_LENGKAP") + 1).font.b
    money = sheet.cell(total_row, header.index("TOTAL_IURAN") + 1)
    assert money.font.b and money.number_format == "#,##0"
    assert not sheet.cell(start + 2, header.index("NAMA_LENGKAP") + 1).font.b
    assert sheet.freeze_panes == f"A{start + 2}"


def test_the_jht_list_adds_jht_from_its_month(central, payable, tmp_path):
    from central.imports import import_file

    listed = tmp_path / "jht.csv"  # as Excel saves it: cp1252, ;, an apostrophe, a month made a date
    listed.write_bytes("NIK;Mulai_JHT\r\n'7371010101800001;Des-25\r\n"
                       "7371010101800003;bulan depan\r\n".encode("cp1252"))
    db = central.db()
    try:
        summary = import_file(db, listed, "jht", central.data_dir, central.settings)
    finally:
        db.close()
    assert (summary["accepted"], summary["rejected"]) == (1, 1)
    with open(summary["rejects_file"], encoding="utf-8-sig") as handle:
        assert "jht_from_invalid" in handle.read()

    def cohort_row(month):
        _, rows = _payment_table(_export(central, "payment-list", month=month).content)
        return next(r for r in rows if r["NIK"] == "7371010101800001"), rows[-1]

    new_worker = payable[1]["nik"]  # accepted, waiting for registration
    _set(central, new_worker, eligibility=json.dumps(PASS_ALL))
    waiting = {r["NIK"]: r for r in _csv_rows(_export(central, "bpjs-registration").content)}
    assert waiting[new_worker]["PROGRAM"] == "JKK+JKM"
    listed = tmp_path / "jht-baru.csv"  # the list is replaced whole: now a new worker too
    listed.write_text(f"nik,jht_from\n7371010101800001,2025-12\n{new_worker},2026-01\n",
                      encoding="utf-8")
    db = central.db()
    try:
        import_file(db, listed, "jht", central.data_dir, central.settings)
    finally:
        db.close()
    _set(central, new_worker, eligibility=json.dumps(PASS_ALL))  # the import re-evaluated it
    registration = {r["NIK"]: r for r in _csv_rows(_export(central, "bpjs-registration").content)}
    assert registration[new_worker]["PROGRAM"] == "JKK+JKM+JHT"  # BPJS enrolls it in JHT
    every = {r["NIK"]: r for r in _csv_rows(_export(central, "all").content)
             if r["STATUS_PUSAT"] != "duplicate"}
    assert every[new_worker]["JHT"] == "Ya, sejak 2026-01"
    assert every[payable[0]["nik"]]["JHT"] == "Ya"  # flagged on its record

    november, total_november = cohort_row("2025-11")
    december, total_december = cohort_row("2025-12")
    assert _money(november) == (10_000, 6_800, 0, 16_800)  # an earlier month stays as it was
    assert _money(december) == (10_000, 6_800, 20_000, 36_800)  # domain.md: Rp36.800 with JHT
    # JHT in the totals: held[0] (flagged on its record) and the JHT-flagged cohort row,
    # then this cohort row too from December
    assert (int(total_november["IURAN_JHT"]), int(total_december["IURAN_JHT"])) == (56_000, 76_000)


def test_unconfirmed_band_refuses_the_final_list_and_draft_watermarks(central, payable, tmp_path):
    _set(central, payable[0]["nik"], monthly_income=5_000_000)
    folder = tmp_path / "keluaran"
    folder.mkdir()
    path = folder / "bayar.xlsx"
    with pytest.raises(PaymentListRefused) as refused:
        _export(central, "payment-list", "xlsx", path, month="2025-11")
    assert "1 baris" in str(refused.value) and "band Rp20.700.000" in str(refused.value)
    assert list(folder.iterdir()) == []  # no file, no temporary left behind
    assert central.query("SELECT COUNT(*) AS n FROM export_audit")[0]["n"] == 0

    result = _export(central, "payment-list", "xlsx", path, month="2025-11", draft=True)
    sheet = _assert_inert_xlsx(path)
    assert sheet["A1"].value == DRAFT_WATERMARK and result.filters["draft"] is True
    titles, rows = _payment_table(_export(central, "payment-list", month="2025-11",
                                          draft=True).content)
    assert titles[0] == [DRAFT_WATERMARK]
    row = next(r for r in rows if r["NIK"] == payable[0]["nik"])
    assert row["BAND_TERKONFIRMASI"] == "Belum" and row["UPAH_DASAR_BAND"] == "20700000"
    # The placeholder band (JKK 207.000 + JKM 6.800 + JHT 414.000) is shown on its row but
    # never summed as if real: subtotal and total are the two confirmed cohort rows only.
    placeholder = (207_000, 6_800, 414_000, 627_800)
    assert _money(row) == placeholder
    subtotal, unconfirmed, total = rows[-3:]
    assert subtotal["NAMA_LENGKAP"] == (f"SUBTOTAL Bontorannu {KELURAHAN_A} (2 pekerja; 1 pekerja "
                                        "band belum terkonfirmasi tidak dijumlahkan)")
    assert _money(subtotal) == _money(total) == (22_000, 13_600, 24_000, 59_600)
    confirmed = [r for r in rows if r["NO"] and r["BAND_TERKONFIRMASI"] == "Ya"]
    assert sum(int(r["TOTAL_IURAN"]) for r in confirmed) == int(total["TOTAL_IURAN"])
    assert unconfirmed["NAMA_LENGKAP"] == ("BELUM TERKONFIRMASI (PERKIRAAN), TIDAK DIJUMLAHKAN"
                                           " (1 pekerja)")
    assert _money(unconfirmed) == placeholder
    assert total["NAMA_LENGKAP"] == ("TOTAL KESELURUHAN (2 pekerja; 1 pekerja band belum "
                                     "terkonfirmasi tidak dijumlahkan)")


def test_an_empty_month_is_a_header_and_a_zero_total(central):
    result = _export(central, "payment-list", month="2023-01")
    titles, rows = _payment_table(result.content)
    assert result.rows == 0 and titles
    assert len(rows) == 1 and rows[0]["NAMA_LENGKAP"] == "TOTAL KESELURUHAN (0 pekerja)"
    assert _money(rows[0]) == (0, 0, 0, 0)


def test_rejections_give_codes_and_indonesian_reasons(central, held):
    _set(central, held[1]["nik"], status="rejected", reasons=json.dumps(["dtsen_desil_above_cutoff"]))
    rows = _csv_rows(_export(central, "rejections").content)
    by_status = {r["STATUS_PUSAT"]: r for r in rows}
    assert set(by_status) == {"ditolak", "duplikat"}
    assert by_status["ditolak"]["KODE_ALASAN"] == "dtsen_desil_above_cutoff"
    assert by_status["ditolak"]["ALASAN"] == "Desil DTSEN di atas batas program"
    assert by_status["duplikat"]["DUPLIKAT_DARI"] == f"{KELURAHAN_A}/{held[0]['id']}"
    assert "kelurahan lain" in by_status["duplikat"]["ALASAN"]


def test_a_rejection_and_the_rule_it_came_from_are_named_once(central, held):
    """The rejection code and the failed rule behind it (bpjs_membership) were both
    listed, the same failure twice; now once, under the code, with the rule's reason."""
    failed = [{"rule": "bpjs_membership", "result": "fail",
               "reason": "Sudah peserta aktif BPJS Ketenagakerjaan (KPJ 25010000001)."},
              {"rule": "age", "result": "fail", "reason": "Umur 66 tahun (batas 15-65 tahun)."}]
    _set(central, held[1]["nik"], status="rejected", eligibility=json.dumps(failed),
         reasons=json.dumps(["already_bpjs_participant"]))
    rejected = next(r for r in _csv_rows(_export(central, "rejections").content)
                    if r["STATUS_PUSAT"] == "ditolak")
    assert rejected["KODE_ALASAN"] == "already_bpjs_participant; age"
    assert rejected["ALASAN"] == ("Sudah peserta aktif BPJS Ketenagakerjaan (KPJ 25010000001); "
                                  "Umur 66 tahun (batas 15-65 tahun)")


def test_rejections_name_a_verifiers_decisions_for_what_they_are(central):
    """A pair decision's duplicate (another NIK) said "NIK already active
    elsewhere", and a verifier's free text sat in the code column; now each has a
    code of its own and the words in the text column."""
    from central import verification

    from .conftest import flagged_pair

    _a, _b, first, second, pair = flagged_pair(central)
    extra = central.register()
    other = records(1, seed=77)[0]
    extra.send([other])
    db = central.db()
    try:
        verification.decide_pair(db, pair["central_id_a"], pair["central_id_b"], "keep_a",
                                 "Orang yang sama", "vera")
        sent = verification.send_back(db, other["nik"], "cek KTP", "vera")
        verification.decide_finding(db, sent["finding_id"], "reject", "KTP bukan miliknya", "vera")
    finally:
        db.close()
    rows = {r["NIK"].lstrip("'"): r for r in _csv_rows(_export(central, "rejections").content)}
    dup = rows[second["nik"]]
    assert dup["KODE_ALASAN"] == "duplicate_person"
    assert "kelurahan lain" not in dup["ALASAN"]
    assert dup["ALASAN"] == (f"Orang yang sama dengan data {KELURAHAN_A}/{first['id']}"
                             " (keputusan verifikator)")
    rejected = rows[other["nik"]]
    assert rejected["KODE_ALASAN"] == "verifier_rejected"
    assert rejected["ALASAN"] == "Ditolak verifikator: KTP bukan miliknya"


def test_progress_has_the_cohort_and_new_workers_apart(central, payable):
    rows = _csv_rows(_export(central, "progress", work_categories=["Nelayan", "Lainnya"]).content)
    kel = {r["KODE_KELURAHAN"]: r for r in rows if r["TINGKAT"] == "Kelurahan"}
    assert len(kel) == 153
    assert (kel[KELURAHAN_A]["KOHORT_2024"], kel[KELURAHAN_A]["BARU_DITERIMA"]) == ("2", "4")
    assert kel[KELURAHAN_A]["TOTAL_DICAKUP"] == "6" and kel[KELURAHAN_A]["DISABILITAS"] == "1"
    males = sum(1 for r in payable if r["sex"] == "L")
    assert (kel[KELURAHAN_A]["LAKI_LAKI"], kel[KELURAHAN_A]["PEREMPUAN"]) == (str(males), str(4 - males))
    kecamatan = [r for r in rows if r["TINGKAT"] == "Kecamatan"]
    assert len(kecamatan) == 15 and kecamatan[0]["KOHORT_2024"] == "2"
    city = rows[-1]
    assert city["TINGKAT"] == "Kota" and city["TARGET_TOTAL"] == "81466"
    assert city["TARGET_KOHORT_2024"] == "35782" and city["KOHORT_2024"] == "3"
    assert city["BARU_DITERIMA"] == "4" and "PEKERJAAN: Nelayan" in city
    quiet = next(r for code, r in kel.items() if code != KELURAHAN_A)
    assert quiet["PEKERJAAN: Nelayan"] == "0" and quiet["BARU_DITERIMA"] == "0"  # counts, not blanks


def test_progress_counts_a_registered_worker_also_in_the_cohort_once(central, payable):
    """held[0] is registered and its NIK is also in the cohort: the payment list pays
    it once, as cohort; progress counted it twice (cohort + new)."""
    _cohort(central, [(payable[0]["nik"], "KPJ0", "Sama Orang", KELURAHAN_A, "2024-01", 900_000, 0)])
    rows = _csv_rows(_export(central, "progress", work_categories=["Nelayan", "Lainnya"]).content)
    kel = next(r for r in rows if r["KODE_KELURAHAN"] == KELURAHAN_A)
    assert (kel["KOHORT_2024"], kel["BARU_DITERIMA"], kel["TOTAL_DICAKUP"]) == ("3", "3", "6")
    assert int(kel["LAKI_LAKI"]) + int(kel["PEREMPUAN"]) == 3
    city = rows[-1]
    assert (city["KOHORT_2024"], city["BARU_DITERIMA"], city["TOTAL_DICAKUP"]) == ("4", "3", "7")
    paid = _payment_table(_export(central, "payment-list", month="2026-01", draft=True).content)[1]
    assert sum(1 for r in paid if r["NIK"].lstrip("'") == payable[0]["nik"]) == 1
    db = central.db()
    try:
        assert overview.dashboard(db, None)["totals"]["all"] == 4 + 3
    finally:
        db.close()


def test_all_lists_every_record_with_its_status(central, held):
    result = _export(central, "all")
    rows = _csv_rows(result.content)
    assert result.rows == 5
    assert sorted(r["STATUS_PUSAT"] for r in rows) == ["accepted"] * 4 + ["duplicate"]
    duplicate = next(r for r in rows if r["STATUS_PUSAT"] == "duplicate")
    assert duplicate["DUPLIKAT_DARI"] == f"{KELURAHAN_A}/{held[0]['id']}"
    assert next(r for r in rows if r["NIK"] == held[0]["nik"])["DISABILITAS"] == "Ya"


def test_a_columns_file_replaces_the_template(central, held, tmp_path):
    template = tmp_path / "kolom.json"
    template.write_text(json.dumps({"bpjs-registration": [
        {"key": "full_name", "header": "Nama"}, {"key": "nik", "header": "No. KTP", "kind": "id"}]}))
    rows = _csv_rows(_export(central, "bpjs-registration", columns_file=str(template)).content)
    assert list(rows[0]) == ["Nama", "No. KTP"]
    template.write_text(json.dumps({"all": [{"key": "gaji", "header": "X"}]}))
    with pytest.raises(ExportError, match="gaji"):
        _export(central, "all", columns_file=str(template))


def test_bad_month_is_refused(central):
    for bad in ("2025-13", "2025-1", "Oktober", "1999-01", "2101-01", "2026-1\u0661",
                "\uff12\uff10\uff12\uff16-\uff11\uff11"):
        with pytest.raises(ExportError, match="bulan tidak sah"):
            _export(central, "payment-list", month=bad)
