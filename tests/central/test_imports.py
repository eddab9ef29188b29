"""central import dtsen / bpjs-participants / cohort: what Excel writes, per-row
refusals, nothing replaced on a bad file, snapshot ids, and the re-evaluation of
the records held (both backends)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from central.import_reading import ImportFileError
from central.imports import ImportRefused, import_file
from central.recheck import recheck
from central.storage.db import Database
from tests.helpers import rejects_rows

from .conftest import records

NIK_A, NIK_B, NIK_C = "7371014101900001", "7371014101900002", "7371014101900003"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """``encoding`` "bom+cp1252": a UTF-8 BOM, then Windows-1252 text (a program kept
    the BOM of a UTF-8 file and wrote the rest in the ANSI code page)."""
    if encoding == "bom+cp1252":
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("cp1252"))
    else:
        path.write_bytes(text.encode(encoding))
    return path


def _import(central, path, kind, force=False):
    db = central.db()
    try:
        return import_file(db, path, kind, central.data_dir, central.settings, force=force)
    finally:
        db.close()


@pytest.fixture
def store(migrated_database_url):
    """A migrated central database without a server (imports need none)."""
    db = Database(migrated_database_url)
    yield db
    db.close()


def _rejects(summary) -> list[dict]:
    """The rows of the import's rejects file (its header alone when nothing was rejected)."""
    return rejects_rows(summary["rejects_file"])


def test_dtsen_with_indonesian_columns_and_bad_rows(central, tmp_path):
    path = _write(tmp_path / "dtsen.csv",
                  "Nomor_Induk_Kependudukan;No_KK;Nama;Tanggal_Lahir;Kode_Kelurahan;Desil_Nasional\n"
                  f"{NIK_A};7371010101200001;Sitti Aminah;01-01-1990;73.71.01.1001;3\n"
                  f"{NIK_C};;Daeng Baji;1990-01-01;73.71.01.1001;4\n"
                  "7.37101E+15;7371010101200001;Rusak;01-01-1990;73.71.01.1001;3\n"
                  f"{NIK_B};;Desil Salah;1990-01-01;73.71.01.1001;11\n"
                  f"{NIK_A};;Kembar;1990-01-01;73.71.01.1001;2\n")
    summary = _import(central, path, "dtsen", force=True)
    assert {k: summary[k] for k in ("read", "accepted", "rejected")} == {"read": 5, "accepted": 2, "rejected": 3}
    assert [r["alasan"] for r in _rejects(summary)] == ["nik_damaged_by_spreadsheet", "desil_invalid",
                                                        "duplicate_nik_in_file"]
    assert central.query("SELECT nik, birth_date, desil, snapshot_id FROM dtsen ORDER BY nik") == [
        {"nik": NIK_A, "birth_date": "1990-01-01", "desil": 3, "snapshot_id": summary["snapshot_id"]},
        {"nik": NIK_C, "birth_date": "1990-01-01", "desil": 4, "snapshot_id": summary["snapshot_id"]}]
    imported = central.query("SELECT kind, read_count, accepted, rejected, file_sha256 FROM imports")
    assert imported[0]["kind"] == "dtsen" and len(imported[0]["file_sha256"]) == 64


GOOD = f"{NIK_A},2\n{NIK_B},3\n"
DAMAGED_FILES = [
    # (name, bytes, encoding, expected accepted, expected reasons)
    ("cp1252 with ; and apostrophes",
     f"nik;nama;desil\n'{NIK_A};Andi Baso’ Daéng;2\n'{NIK_B};Sitti;3\n", "cp1252", 2, []),
    ("utf-8 BOM with tab", f"\ufeffNIK\tDESIL\n {NIK_A} \t 2 \n{NIK_B}\t3\n", "utf-8", 2, []),
    ("cp1252 after a UTF-8 BOM",
     f"NIK;Nama;Desil\n'{NIK_A};Andi Baso’ Daéng;2\n'{NIK_B};Sitti;3\n", "bom+cp1252", 2, []),
    ("scientific notation", f"nik,desil\n{NIK_A},2\n{NIK_B},3\n7.37101E+15,2\n", "utf-8", 2,
     ["nik_damaged_by_spreadsheet"]),
    ("15 digits", f"nik,desil\n{NIK_A},2\n{NIK_B},3\n737101410190000,2\n", "utf-8", 2,
     ["nik_damaged_by_spreadsheet"]),
    ("trailing .0", f"nik,desil\n{NIK_A},2\n{NIK_B},3\n7371014101900003.0,2\n", "utf-8", 2,
     ["nik_damaged_by_spreadsheet"]),
    ("impossible date", f"nik,tgl_lahir,desil\n{NIK_A},01-01-1990,2\n{NIK_B},,3\n{NIK_C},31-02-1990,2\n",
     "utf-8", 2, ["birth_date_invalid"]),
    ("unknown kelurahan", (f"nik,kode_kelurahan,desil\n{NIK_A},73.71.01.1001,2\n{NIK_B},7371011001,3\n"
                           f"{NIK_C},73.71.99.9999,2\n"), "utf-8", 2, ["kelurahan_unknown"]),
    ("desil 0 and 11", (f"nik,desil\n{NIK_A},2\n{NIK_B},3\n{NIK_C},0\n7371014101900004,11\n"
                        "7371014101900005,10\n"), "utf-8", 3, ["desil_invalid", "desil_invalid"]),
    ("duplicate NIK", f"nik,desil\n{NIK_A},2\n{NIK_B},3\n{NIK_A},4\n", "utf-8", 2, ["duplicate_nik_in_file"]),
    # Excel's "Unicode Text" (Teks Unicode): UTF-16 with a BOM, tab-separated
    ("utf-16 unicode text", f"NIK\tNama\tDesil\r\n'{NIK_A}\tAndi Daéng\t2\r\n{NIK_B}\tSitti\t3\r\n",
     "utf-16", 2, []),
]


@pytest.mark.parametrize("name,text,encoding,accepted,reasons", DAMAGED_FILES,
                         ids=[d[0] for d in DAMAGED_FILES])
def test_damaged_dtsen_files(store, tmp_path, name, text, encoding, accepted, reasons):
    summary = import_file(store, _write(tmp_path / "d.csv", text, encoding), "dtsen", tmp_path, {})
    assert summary["accepted"] == accepted
    assert [r["alasan"] for r in _rejects(summary)] == reasons
    niks = {r["nik"] for r in store.query("SELECT nik FROM dtsen")}
    assert {NIK_A, NIK_B} <= niks
    if name.startswith("cp1252"):
        names = {r["full_name"] for r in store.query("SELECT full_name FROM dtsen")}
        assert "Andi Baso’ Daéng" in names
    if name == "unknown kelurahan":
        assert store.one("SELECT kelurahan_code FROM dtsen WHERE nik = ?", (NIK_B,))["kelurahan_code"] \
            == "73.71.01.1001"


@pytest.mark.parametrize("text,message", [
    ("", "berkas kosong"),
    ("\n\n", "berkas kosong"),
    ("nik,desil\n", "hanya berisi baris judul"),
    ("nama,umur\nA,1\n", "kolom yang diharapkan: nik"),
    # a stray quote runs on past csv's field limit: one line, not a traceback
    (f"nik,nama,desil\n{NIK_C},\"Andi,2\n" + "7371014101900009,Budi,3\n" * 9000,
     "tidak terbaca sebagai CSV .*tanda kutip"),
])
def test_unusable_files_change_nothing(store, tmp_path, text, message):
    import_file(store, _write(tmp_path / "ok.csv", f"nik,desil\n{GOOD}"), "dtsen", tmp_path, {})
    before = set((tmp_path / "imports").glob("*"))
    with pytest.raises(ImportFileError, match=message):
        import_file(store, _write(tmp_path / "bad.csv", text), "dtsen", tmp_path, {})
    assert len(store.query("SELECT nik FROM dtsen")) == 2
    assert len(store.query("SELECT id FROM imports")) == 1
    assert set((tmp_path / "imports").glob("*")) == before  # no rejects file for an unusable one


def test_an_old_xls_workbook_is_refused_with_how_to_save_it(store, tmp_path):
    import_file(store, _write(tmp_path / "ok.csv", f"nik,desil\n{GOOD}"), "dtsen", tmp_path, {})
    book = tmp_path / "dtsen.csv"  # the name does not say what it is
    book.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(ImportFileError, match="Excel lama \\(XLS\\).*xlsx.*CSV UTF-8"):
        import_file(store, book, "dtsen", tmp_path, {})
    assert {r["nik"] for r in store.query("SELECT nik FROM dtsen")} == {NIK_A, NIK_B}


def _workbook(path: Path, rows: list[list], text_columns: tuple[int, ...] = (),
              notes: bool = True) -> Path:
    """An XLSX as Excel saves it: the given columns formatted as Text (``@``); with
    ``notes``, a second sheet of notes (not the list: not read)."""
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for column in text_columns:
        for (cell,) in sheet.iter_rows(min_col=column + 1, max_col=column + 1, min_row=2):
            cell.number_format = "@"
    if notes:
        book.create_sheet("Catatan").append(["bukan data"])  # no list's columns: not read
    book.save(path)
    return path


def test_an_xlsx_workbook_is_read_cell_by_cell(store, tmp_path):
    from datetime import date, datetime
    book = _workbook(tmp_path / "kohort.bin", [  # the name does not say what it is
        [None], [],  # blank lines before the header are skipped, as in a CSV
        ["NIK", "No KPJ", "Nama", "Tgl Lahir", "Kode Kelurahan", "Mulai Kepesertaan", "Penghasilan"],
        [NIK_A, 24012345678, "Sitti <b>", date(1980, 5, 1), "73.71.01.1001",
         datetime(2024, 3, 1), 2_500_000.0],
        [f"'{NIK_B}", "'24012345679", "Baso", "01/05/1981", 7371011001, "Mei-24", None],
        [int(NIK_C), 24012345670, "Angka", date(1982, 5, 1), "73.71.01.1001", "2024-01", None],
        [7371014101900004.0, 24012345671, "Pecahan", None, "73.71.01.1001", "2024-01", None],
        [None, None, None, None, None, None, None],
    ], text_columns=(0,))
    summary = import_file(store, book, "cohort", tmp_path, {}, force=True)
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (4, 2, 2)
    # a NIK typed as a number (int or float) lost its 16th digit in Excel: refused, never repaired
    assert [(r["NIK"], r["alasan"]) for r in _rejects(summary)] == [
        ("7.37101410190000E+15", "nik_damaged_by_spreadsheet"),
        ("7.37101410190000E+15", "nik_damaged_by_spreadsheet")]
    assert store.query("SELECT nik, kpj_number, full_name, birth_date, kelurahan_code,"
                       " coverage_start, monthly_income FROM cohort ORDER BY nik") == [
        {"nik": NIK_A, "kpj_number": "24012345678", "full_name": "Sitti <b>",
         "birth_date": "1980-05-01", "kelurahan_code": "73.71.01.1001",
         "coverage_start": "2024-03", "monthly_income": 2_500_000},
        {"nik": NIK_B, "kpj_number": "24012345679", "full_name": "Baso",
         "birth_date": "1981-05-01", "kelurahan_code": "73.71.01.1001",
         "coverage_start": "2024-05", "monthly_income": None}]
    imported = store.query("SELECT file_sha256 FROM imports ORDER BY id DESC")[0]
    assert imported["file_sha256"] == hashlib.sha256(book.read_bytes()).hexdigest()


@pytest.mark.parametrize("content, message", [
    (b"PK\x03\x04" + bytes(200), "tidak terbaca sebagai buku kerja Excel"),  # not a zip at all
    (None, "berkas kosong"),                                                 # a workbook, no cells
    ("header", "hanya berisi baris judul"),
    ("columns", "kolom wajib tidak ada: nik"),
])
def test_an_unusable_workbook_changes_nothing(store, tmp_path, content, message):
    import_file(store, _write(tmp_path / "ok.csv", f"nik,desil\n{GOOD}"), "dtsen", tmp_path, {})
    path = tmp_path / "dtsen.xlsx"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is None:
        _workbook(path, [], notes=False)
    elif content == "header":
        _workbook(path, [["nik", "desil"]])
    else:
        _workbook(path, [["nomor", "desil"], [NIK_C, 2]])
    with pytest.raises(ImportFileError, match=message):
        import_file(store, path, "dtsen", tmp_path, {})
    assert {r["nik"] for r in store.query("SELECT nik FROM dtsen")} == {NIK_A, NIK_B}


def test_a_workbook_with_xml_entities_is_refused_unexpanded(store, tmp_path):
    """An XLSX is a zip of XML: entity definitions (the "billion laughs") are refused
    by defusedxml, never expanded."""
    import zipfile
    plain = _workbook(tmp_path / "plain.xlsx", [["nik", "desil"], [NIK_C, 2]], text_columns=(0,))
    bomb = tmp_path / "bom.xlsx"
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 9))
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(bomb, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename in ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"):
                text = data.decode()
                head, _, body = text.rpartition("?>")
                root = body.lstrip()[1:].split()[0].rstrip(">")
                data = (f'{head}{"?>" if head else ""}<!DOCTYPE {root} [<!ENTITY e0 "ha">'
                        f'{entities}]>{body.replace(f">{NIK_C}<", ">&e8;<")}').encode()
            target.writestr(item, data)
    import_file(store, _write(tmp_path / "ok.csv", f"nik,desil\n{GOOD}"), "dtsen", tmp_path, {})
    with pytest.raises(ImportFileError, match="buku kerja Excel|rusak"):
        import_file(store, bomb, "dtsen", tmp_path, {})
    assert {r["nik"] for r in store.query("SELECT nik FROM dtsen")} == {NIK_A, NIK_B}


def test_all_rejected_replaces_nothing(store, tmp_path):
    first = import_file(store, _write(tmp_path / "ok.csv", f"nik,desil\n{GOOD}"), "dtsen", tmp_path, {})
    with pytest.raises(ImportRefused, match="tidak ada baris yang diterima") as refused:
        import_file(store, _write(tmp_path / "bad.csv", "nik,desil\n7.37E+15,1\n123,2\n"), "dtsen",
                    tmp_path, {}, force=True)
    assert refused.value.summary["rejected"] == 2
    assert {r["snapshot_id"] for r in store.query("SELECT snapshot_id FROM dtsen")} == {first["snapshot_id"]}
    assert len(store.query("SELECT id FROM imports")) == 1


def test_more_rejected_than_accepted_needs_force(store, tmp_path):
    import_file(store, _write(tmp_path / "ok.csv", f"nik,desil\n{GOOD}"), "dtsen", tmp_path, {})
    mostly_bad = _write(tmp_path / "bad.csv", f"nik,desil\n{NIK_C},1\n7.37E+15,1\n123,2\n")
    with pytest.raises(ImportRefused, match="--force"):
        import_file(store, mostly_bad, "dtsen", tmp_path, {})
    assert {r["nik"] for r in store.query("SELECT nik FROM dtsen")} == {NIK_A, NIK_B}
    summary = import_file(store, mostly_bad, "dtsen", tmp_path, {}, force=True)
    assert summary["accepted"] == 1
    assert {r["nik"] for r in store.query("SELECT nik FROM dtsen")} == {NIK_C}


def test_rejects_file_never_holds_a_formula(store, tmp_path):
    summary = import_file(store, _write(tmp_path / "d.csv", f"nik,nama,desil\n{NIK_A},A,1\n{NIK_B},B,1\n"
                                        "=HYPERLINK(\"x\"),=1+1,1\n"), "dtsen", tmp_path, {})
    row = _rejects(summary)[0]
    assert row["nik"].startswith("'=") and row["nama"].startswith("'=")


def test_cohort_import(store, tmp_path):
    path = _write(tmp_path / "k.csv",
                  "NIK;No_KPJ;Nama;Tgl_Lahir;Kode_Kelurahan;Mulai_Kepesertaan;Penghasilan\n"
                  f"'{NIK_A};'24012345678;Sitti;1980-05-01;73.71.01.1001;2024-03;Rp 2.500.000\n"
                  f"{NIK_B};24012345679;Baso;1981-05-01;73.71.01.1001;01/2024;\n"
                  f"{NIK_C};24012345670;Tanpa;1982-05-01;;2024-01;\n"
                  f"7371014101900004;24012345671;Bulan;1982-05-01;73.71.01.1001;2024-13;\n", "cp1252")
    summary = import_file(store, path, "cohort", tmp_path, {}, force=True)
    assert (summary["accepted"], summary["rejected"]) == (2, 2)
    assert [r["alasan"] for r in _rejects(summary)] == ["kelurahan_missing", "coverage_start_invalid"]
    rows = store.query("SELECT nik, kpj_number, coverage_start, monthly_income, jht, snapshot_id"
                       " FROM cohort ORDER BY nik")
    assert rows == [
        {"nik": NIK_A, "kpj_number": "24012345678", "coverage_start": "2024-03",
         "monthly_income": 2_500_000, "jht": 0, "snapshot_id": summary["snapshot_id"]},
        {"nik": NIK_B, "kpj_number": "24012345679", "coverage_start": "2024-01",
         "monthly_income": None, "jht": 0, "snapshot_id": summary["snapshot_id"]}]


def test_cohort_without_coverage_start_column_names_it(store, tmp_path):
    with pytest.raises(ImportFileError, match="coverage_start"):
        import_file(store, _write(tmp_path / "k.csv", f"nik,kode_kelurahan\n{NIK_A},73.71.01.1001\n"),
                    "cohort", tmp_path, {})


# --- re-evaluation of the records held ------------------------------------------

def _eligibility(central, record_id):
    row = central.query("SELECT status, reasons, eligibility, eligibility_snapshots, evaluated_at"
                        " FROM records WHERE record_id = ?", (record_id,))[0]
    return row, {r["rule"]: r for r in json.loads(row["eligibility"])}, json.loads(row["eligibility_snapshots"])


def test_arriving_records_are_evaluated_with_snapshot_ids(central, tmp_path):
    device = central.register()
    sent = records(3)
    summary = _import(central, _write(tmp_path / "d.csv", f"nik,desil\n{sent[0]['nik']},8\n"
                                      f"{sent[1]['nik']},1\n"), "dtsen")
    results = device.send(sent)
    assert results[0] == {"id": sent[0]["id"], "result": "rejected", "reasons": ["dtsen_desil_above_cutoff"]}
    assert results[1]["result"] == "accepted"
    assert results[2]["result"] == "accepted"  # not in the extract: not proof of anything
    row, rules, stamp = _eligibility(central, sent[1]["id"])
    assert rules["dtsen"]["result"] == "pass" and rules["council"]["result"] == "pass"
    assert rules["bpjs_membership"]["result"] == "unknown"  # BPJS list not loaded: accepted
    assert stamp["dtsen"] == summary["snapshot_id"] and stamp["bpjs"] is None and stamp["parameters"]
    assert row["evaluated_at"]
    _, rules, _ = _eligibility(central, sent[0]["id"])
    assert "di atas batas" in rules["dtsen"]["reason"]
    accepted = [u for u in device.updates().json()["updates"] if u["kind"] == "accepted"]
    assert {c["rule"] for c in accepted[-1]["checks"]} >= {"dtsen", "council", "age"}


def test_dtsen_import_rejects_held_records_above_the_cutoff_and_back(central, tmp_path):
    device = central.register()
    sent = records(2)
    device.send(sent)
    path = _write(tmp_path / "dtsen.csv", f"NIK,DESIL\n{sent[0]['nik']},9\n{sent[1]['nik']},2\n")
    summary = _import(central, path, "dtsen")
    assert summary["rechecked"]["rejected"] == 1
    statuses = central.query("SELECT record_id, status FROM records ORDER BY central_id")
    assert [s["status"] for s in statuses] == ["rejected", "accepted"]
    updates = device.updates().json()["updates"]
    last = [u for u in updates if u["record_id"] == sent[0]["id"]][-1]
    assert last["kind"] == "rejected" and last["reasons"] == ["dtsen_desil_above_cutoff"]
    assert any("desil 9" in r["reason"] for r in last["eligibility"])
    other = [u for u in updates if u["record_id"] == sent[1]["id"]][-1]
    assert other["kind"] == "eligibility" and other["central_status"] == "accepted"
    # a corrected extract: the record is accepted again and the kelurahan told
    _import(central, _write(tmp_path / "d2.csv", f"NIK,DESIL\n{sent[0]['nik']},3\n"), "dtsen")
    assert central.query("SELECT status FROM records WHERE record_id = ?", (sent[0]["id"],)) == [
        {"status": "accepted"}]
    last = [u for u in device.updates().json()["updates"] if u["record_id"] == sent[0]["id"]][-1]
    assert last["kind"] == "reaccepted" and last["central_status"] == "accepted"


def test_bpjs_list_registers_what_we_exported_and_rejects_participants(central, tmp_path):
    device = central.register()
    sent = records(3)
    device.send(sent)
    db = central.db()
    try:
        db.run("UPDATE records SET registration_exported_at = '2026-01-05T00:00:00+00:00'"
               " WHERE record_id = ?", (sent[1]["id"],))
    finally:
        db.close()
    path = _write(tmp_path / "bpjs.csv", "NIK,No_KPJ,Program,Status,Mulai_Kepesertaan\n"
                  f"{sent[1]['nik']},25012345678,JKK+JKM,Aktif,\n"
                  f"{sent[0]['nik']},25012345679,JKK+JKM,AKTIF,2023-04\n"
                  f"{sent[2]['nik']},25012345670,JKK+JKM,Nonaktif,2022-01\n")
    summary = _import(central, path, "bpjs-participants")
    assert summary["accepted"] == 3
    assert summary["rechecked"]["registered"] == 1 and summary["rechecked"]["rejected"] == 1
    rows = {r["record_id"]: r for r in central.query("SELECT record_id, status, kpj_number, coverage_start,"
                                                     " reasons FROM records")}
    assert rows[sent[1]["id"]]["status"] == "registered"
    assert rows[sent[1]["id"]]["kpj_number"] == "25012345678"
    assert len(rows[sent[1]["id"]]["coverage_start"]) == 7  # the import month
    assert rows[sent[0]["id"]]["status"] == "rejected"
    assert json.loads(rows[sent[0]["id"]]["reasons"]) == ["already_bpjs_participant"]
    assert rows[sent[2]["id"]]["status"] == "accepted"  # nonaktif is not participation
    kinds = {u["record_id"]: u for u in device.updates().json()["updates"]}
    assert kinds[sent[1]["id"]]["kind"] == "registered" and kinds[sent[1]["id"]]["kpj_number"] == "25012345678"
    assert kinds[sent[0]["id"]]["kind"] == "rejected"
    _, rules, _ = _eligibility(central, sent[1]["id"])
    assert rules["bpjs_membership"]["result"] == "pass"  # our own registration


def test_active_bpjs_participant_is_rejected_at_ingest(central, tmp_path):
    device = central.register()
    sent = records(1)
    _write(tmp_path / "b.csv", f"nik,kpj_number,status\n{sent[0]['nik']},,aktif\n")
    _import(central, tmp_path / "b.csv", "bpjs-participants")
    assert device.send(sent)[0] == {"id": sent[0]["id"], "result": "rejected",
                                    "reasons": ["already_bpjs_participant"]}


def test_cohort_worker_enrolled_again_is_rejected(central, tmp_path):
    device = central.register()
    sent = records(1)
    _import(central, _write(tmp_path / "k.csv", "nik,kode_kelurahan,mulai_kepesertaan\n"
                            f"{sent[0]['nik']},73.71.01.1001,2024-02\n"), "cohort")
    assert device.send(sent)[0]["reasons"] == ["already_in_cohort"]


def test_recheck_after_a_parameter_change(central, tmp_path):
    device = central.register()
    sent = records(2)
    device.send(sent)
    _import(central, _write(tmp_path / "d.csv", f"nik,desil\n{sent[0]['nik']},4\n{sent[1]['nik']},2\n"),
            "dtsen")
    db = central.db()
    try:
        with db.transaction():
            summary = recheck(db, {**central.settings, "dtsen_max_desil": 3})
    finally:
        db.close()
    assert summary["evaluated"] == 2 and summary["rejected"] == 1
    row, rules, stamp = _eligibility(central, sent[0]["id"])
    assert row["status"] == "rejected" and stamp["parameters"].endswith("+dtsen_max_desil")
    assert "batas desil 3" in rules["dtsen"]["reason"]


def test_disability_reaches_central(central):
    device = central.register()
    sent = records(2)
    sent[0]["disability"] = {"has_disability": True, "kinds": ["walking"]}
    sent[1]["disability"] = None  # not asked
    assert [r["result"] for r in device.send(sent)] == ["accepted", "accepted"]
    rows = {r["record_id"]: r["disability"] for r in central.query("SELECT record_id, disability FROM records")}
    assert json.loads(rows[sent[0]["id"]]) == {"has_disability": True, "kinds": ["walking"]}
    assert rows[sent[1]["id"]] is None


def test_accepted_with_a_failing_rule_tells_the_kelurahan_why(central, tmp_path):
    device = central.register()
    sent = records(2)
    sent[0].update(monthly_income=9_000_000, work_category=None, occupation="Pedagang")
    _import(central, _write(tmp_path / "d.csv", f"nik,desil\n{sent[1]['nik']},2\n"), "dtsen")
    assert [r["result"] for r in device.send(sent)] == ["accepted", "accepted"]
    entries = [u for u in device.updates().json()["updates"] if u["kind"] == "eligibility"]
    assert [e["record_id"] for e in entries] == [sent[0]["id"]]
    council = next(r for r in entries[0]["eligibility"] if r["rule"] == "council")
    assert council["result"] == "fail" and "tidak di bawah UMK" in council["reason"]


def _open_paths() -> set[str]:
    """The files this process holds open (Linux: /proc/self/fd)."""
    fds = Path("/proc/self/fd")
    held = set()
    for fd in fds.iterdir():
        try:
            held.add(str(fd.resolve()))
        except OSError:
            continue
    return held


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="Linux /proc")
def test_an_imported_or_refused_file_is_closed_after_the_import(store, tmp_path):
    """An import left the CSV open until garbage collection: on Windows the
    operator could not move or delete it while central ran."""
    ok = _write(tmp_path / "ok.csv", f"nik,desil\n{GOOD}")
    bad = _write(tmp_path / "bad.csv", "nik,desil\n7.37E+15,1\n123,2\n")
    import_file(store, ok, "dtsen", tmp_path, {})
    # the refusals are kept, as a caller that reports them does: their tracebacks
    # hold the import's frames, so only an explicit close lets the files go
    with pytest.raises(ImportRefused) as refused:
        import_file(store, bad, "dtsen", tmp_path, {}, force=True)
    with pytest.raises(ImportFileError) as unusable:
        import_file(store, _write(tmp_path / "empty.csv", "\n\n"), "dtsen", tmp_path, {})
    book = _workbook(tmp_path / "ok.xlsx", [["nik", "desil"], [NIK_A, 1], [NIK_B, 2]],
                     text_columns=(0,))
    import_file(store, book, "dtsen", tmp_path, {})
    with pytest.raises(ImportFileError) as empty_book:
        import_file(store, _workbook(tmp_path / "empty.xlsx", []), "dtsen", tmp_path, {})
    held = _open_paths()
    assert not {str(p.resolve()) for p in (ok, bad, tmp_path / "empty.csv", book,
                                           tmp_path / "empty.xlsx")} & held
    assert refused.value and unusable.value and empty_book.value


def test_a_much_shorter_list_than_the_one_in_force_needs_force(central, tmp_path):
    """A partial BPJS list (the first rows of the file, say) would accept again the
    records its missing rows had rejected as existing participants: refused without
    --force, naming the list in force; nothing is replaced or re-evaluated."""
    sent = records(4)
    central.register().send(sent)
    full = "nik,no_kpj,status\n" + "".join(f"{r['nik']},2501000000{i},aktif\n" for i, r in enumerate(sent))
    _import(central, _write(tmp_path / "bpjs-lengkap.csv", full), "bpjs-participants")
    held = {r["nik"]: r["status"] for r in central.query("SELECT nik, status FROM records")}
    assert set(held.values()) == {"rejected"}  # all four are participants already
    partial = _write(tmp_path / "bpjs-sebagian.csv", "\n".join(full.splitlines()[:2]) + "\n")
    with pytest.raises(ImportRefused, match="kurang dari separuh") as refused:
        _import(central, partial, "bpjs-participants")
    assert "4 baris dari bpjs-lengkap.csv" in str(refused.value) and "--force" in str(refused.value)
    assert {r["nik"]: r["status"] for r in central.query("SELECT nik, status FROM records")} == held
    assert len(central.query("SELECT nik FROM bpjs_participants")) == 4
    _import(central, partial, "bpjs-participants", force=True)  # the operator says it is whole
    assert sorted(r["status"] for r in central.query("SELECT status FROM records")) == \
        ["accepted", "accepted", "accepted", "rejected"]


# --- the defects a tester found (2026-11-27) -------------------------------------

def _people(count: int, first: int = 1) -> list[str]:
    return [f"73710141019{n:05d}" for n in range(first, first + count)]


@pytest.mark.parametrize("kind", ["dtsen", "cohort"])
@pytest.mark.parametrize("damage,line", [
    ('"Daeng Ngalle', 201),           # a leading quote never closed: every later row vanished
    ('"Daeng\nNgalle"', 201),         # a closed quote around a line break: no column holds one
    ('"Daeng" Ngalle', 201),          # text after a closing quote: not CSV (strict)
])
def test_an_unclosed_quote_is_a_whole_file_error_naming_its_line(store, tmp_path, kind, damage, line):
    header, row = {"dtsen": ("nik,nama,desil", "{nik},{name},2"),
                   "cohort": ("nik,nama,kode_kelurahan,mulai_kepesertaan",
                              "{nik},{name},73.71.01.1001,2024-03")}[kind]
    niks = _people(300)
    import_file(store, _write(tmp_path / "ok.csv", "\n".join(
        [header, *(row.format(nik=n, name="Baso") for n in niks[:2])]) + "\n"), kind, tmp_path, {})
    before = set((tmp_path / "imports").glob("*"))
    rows = [row.format(nik=n, name="Baso") for n in niks]
    rows[line - 2] = row.format(nik=niks[line - 2], name=damage)  # line 1 is the header
    with pytest.raises(ImportFileError, match=f"baris {line}\\b.*tanda kutip"):
        import_file(store, _write(tmp_path / "bad.csv", "\n".join([header, *rows]) + "\n"), kind,
                    tmp_path, {}, force=True)
    table = {"dtsen": "dtsen", "cohort": "cohort"}[kind]
    assert {r["nik"] for r in store.query(f"SELECT nik FROM {table}")} == set(niks[:2])
    assert len(store.query("SELECT id FROM imports")) == 1
    assert set((tmp_path / "imports").glob("*")) == before


def test_the_line_of_an_unclosed_quote_counts_blank_lines_and_crlf(store, tmp_path):
    text = f"\r\nnik,nama,desil\r\n{NIK_A},A,1\r\n\r\n{NIK_B},\"B,2\r\n{NIK_C},C,3\r\n"
    with pytest.raises(ImportFileError, match="baris 5\\b"):
        import_file(store, _write(tmp_path / "d.csv", text), "dtsen", tmp_path, {})


@pytest.mark.parametrize("header", [
    "NIK;No. KPJ;Nama;Tgl. Lahir;Kode Kelurahan;Mulai Kepesertaan;Penghasilan (Rp);JHT?",
    "nik;nomor_kpj;NAMA;Tanggal Lahir;kode-kelurahan;mulai kepesertaan;Penghasilan Rp;jht",
    ("Nomor Induk Kependudukan;Nomor KPJ;Nama Lengkap;TGL_LAHIR;Kode Kelurahan;Tgl. Kepesertaan;"
     "Penghasilan per Bulan;JHT"),
])
def test_cohort_header_variants_lose_no_column(store, tmp_path, header):
    path = _write(tmp_path / "k.csv", f"{header}\n{NIK_A};24012345678;Sitti;01-05-1980;73.71.01.1001;"
                                      f"2024-03;2.500.000;ya\n")
    summary = import_file(store, path, "cohort", tmp_path, {})
    assert summary["unused_columns"] == []
    assert store.query("SELECT kpj_number, full_name, birth_date, monthly_income, jht FROM cohort") == [
        {"kpj_number": "24012345678", "full_name": "Sitti", "birth_date": "1980-05-01",
         "monthly_income": 2_500_000, "jht": 1}]


def test_a_column_no_field_takes_is_listed_not_dropped_silently(store, tmp_path):
    path = _write(tmp_path / "k.csv", "NIK;Kode Kelurahan;Mulai Kepesertaan;Gaji Bulanan;Alamat;;NIK;"
                                      "Ket\x1b[2J\n"
                                      f"{NIK_A};73.71.01.1001;2024-03;2500000;Jl. Kenari;;{NIK_B};\n")
    summary = import_file(store, path, "cohort", tmp_path, {})
    # a second NIK column too; a header is shown on a terminal, so no ESC reaches it
    assert summary["unused_columns"] == ["Gaji Bulanan", "Alamat", "NIK", "Ket [2J"]
    assert store.one("SELECT monthly_income FROM cohort")["monthly_income"] is None


def test_bpjs_status_peserta_and_tanggal_kepesertaan_are_read(central, tmp_path):
    device = central.register()
    sent = records(2)
    device.send(sent)
    path = _write(tmp_path / "bpjs.csv", "NIK,No. KPJ,Status Peserta,Tanggal Kepesertaan\n"
                  f"{sent[0]['nik']},25012345678,Nonaktif,05/01/2026\n"
                  f"{sent[1]['nik']},25012345679,Aktif,13/01/2026\n")
    summary = _import(central, path, "bpjs-participants")
    assert summary["unused_columns"] == []
    assert central.query("SELECT nik, status, coverage_start FROM bpjs_participants ORDER BY nik") == [
        {"nik": sent[0]["nik"], "status": "nonaktif", "coverage_start": "2026-01"},  # as read
        {"nik": sent[1]["nik"], "status": "aktif", "coverage_start": "2026-01"}]
    statuses = {r["record_id"]: r["status"] for r in central.query("SELECT record_id, status FROM records")}
    assert statuses == {sent[0]["id"]: "accepted", sent[1]["id"]: "rejected"}  # nonaktif: not a participant


def test_a_dtsen_extract_is_not_taken_for_the_bpjs_list(central, tmp_path):
    sent = records(2)
    central.register().send(sent)
    _import(central, _write(tmp_path / "bpjs.csv", "nik,no_kpj,status\n"
                            f"{sent[0]['nik']},25012345678,nonaktif\n"), "bpjs-participants")
    held = central.query("SELECT record_id, status, eligibility FROM records ORDER BY record_id")
    dtsen = _write(tmp_path / "dtsen.csv", "NIK;No_KK;Nama;Tanggal_Lahir;Kode_Kelurahan;Desil_Nasional\n"
                   + "".join(f"{r['nik']};;{r['full_name']};01-01-1990;73.71.01.1001;2\n" for r in sent))
    with pytest.raises(ImportFileError, match="kolom wajib tidak ada: kpj_number .*; status "):
        _import(central, dtsen, "bpjs-participants")
    assert central.query("SELECT record_id, status, eligibility FROM records ORDER BY record_id") == held
    assert [r["nik"] for r in central.query("SELECT nik FROM bpjs_participants")] == [sent[0]["nik"]]


def test_a_control_character_rejects_the_row_naming_the_column(store, tmp_path):
    """PostgreSQL cannot store a NUL: the whole import failed there with a database
    error while SQLite stored it. Now the row is refused on both, naming its column."""
    path = _write(tmp_path / "d.csv", f"NIK;Nama Lengkap;Desil;Catatan\n{NIK_A};Sitti\x00;2;\n"
                                      f"{NIK_B};Baso;3;bunyi\x07\n{NIK_C};Andi\x1b[31m;4;\n")
    summary = import_file(store, path, "dtsen", tmp_path, {}, force=True)
    assert (summary["accepted"], summary["rejected"]) == (1, 2)
    assert [(r["alasan"], r["kolom"], r["baris"]) for r in _rejects(summary)] == [
        ("control_character", "Nama Lengkap", "2"), ("control_character", "Nama Lengkap", "4")]
    assert [r["nik"] for r in store.query("SELECT nik FROM dtsen")] == [NIK_B]  # an unused column may


def test_an_invisible_format_character_in_a_name_rejects_the_row_naming_it(store, tmp_path):
    """Imported names and statuses are shown on pages and in exports like the
    kelurahan's free text, under the same rule (berjasa.checks): a right-to-left
    override or a zero-width space inside a name refuses the row and ``keterangan``
    names the character; a zero-width space the NIK cleaner removes, spaces and ZWNJ/ZWJ
    around or inside a name, are kept as before."""
    path = _write(tmp_path / "d.csv", "NIK;Nama;Desil\n"
                                      f"{NIK_A};Sitti \u202eanimA;2\n"
                                      f"{NIK_B};Ba\u200bso;3\n"
                                      f"7371\u200b014101900003;\u200bAndi Wa\u200dOde\u00a0;4\n")
    summary = import_file(store, path, "dtsen", tmp_path, {}, force=True)
    assert (summary["accepted"], summary["rejected"]) == (1, 2)
    rejects = _rejects(summary)
    assert [(r["alasan"], r["kolom"], r["baris"]) for r in rejects] == [
        ("control_character", "Nama", "2"), ("control_character", "Nama", "3")]
    assert "U+202E (pengatur arah teks)" in rejects[0]["keterangan"]
    assert "U+200B" in rejects[1]["keterangan"]
    assert "\u202e" not in rejects[0]["Nama"]  # the rejects file is opened in Excel
    assert [(r["nik"], r["full_name"]) for r in store.query("SELECT nik, full_name FROM dtsen")] == [
        (NIK_C, "Andi Wa\u200dOde")]

    bpjs = _write(tmp_path / "b.csv", f"nik;no_kpj;program;status\n{NIK_A};12345678;JKK;aktif\u2066\n"
                                      f"{NIK_B};12345679;JKK;aktif\n")
    summary = import_file(store, bpjs, "bpjs-participants", tmp_path, {}, force=True)
    assert [(r["alasan"], r["kolom"]) for r in _rejects(summary)] == [("control_character", "status")]


def test_a_line_break_in_a_workbook_cell_rejects_the_row(store, tmp_path):
    book = _workbook(tmp_path / "d.xlsx", [["nik", "nama", "desil"], [NIK_A, "Sitti\nAminah", 2],
                                           [NIK_B, "Baso", 3], [NIK_C, "Andi", 4]], text_columns=(0,))
    summary = import_file(store, book, "dtsen", tmp_path, {})
    assert [(r["alasan"], r["kolom"], r["baris"]) for r in _rejects(summary)] == [
        ("control_character", "nama", "2")]


def test_without_a_rejected_row_the_rejects_file_is_its_header_alone(store, tmp_path):
    """design.md's --json answer names a rejects file (PATH): it is there, empty of rows."""
    summary = import_file(store, _write(tmp_path / "ok.csv", f"nik,desil\n{GOOD}"), "dtsen", tmp_path, {})
    assert summary["rejected"] == 0 and _rejects(summary) == []
    assert Path(summary["rejects_file"]).read_text(encoding="utf-8-sig").startswith("nik,desil,alasan")
    assert store.one("SELECT rejects_file FROM imports")["rejects_file"] == summary["rejects_file"]


def test_rejects_name_the_files_own_column_and_line(store, tmp_path):
    path = _write(tmp_path / "k.csv", "NIK;Kode Kelurahan;Mulai Kepesertaan;Penghasilan (Rp)\n"
                                      f"{NIK_A};73.71.01.1001;2024-03;dua juta\n\n"
                                      f"{NIK_B};73.71.01.1001;2024-13;\n{NIK_C};73.71.01.1001;2024-03;\n"
                                      f"{NIK_C};73.71.01.1001;2024-04;\n")
    summary = import_file(store, path, "cohort", tmp_path, {}, force=True)
    assert [(r["alasan"], r["kolom"], r["baris"]) for r in _rejects(summary)] == [
        ("income_invalid", "Penghasilan (Rp)", "2"), ("coverage_start_invalid", "Mulai Kepesertaan", "4"),
        ("duplicate_nik_in_file", "NIK", "6")]
    assert store.one("SELECT rejects_file FROM imports")["rejects_file"] == summary["rejects_file"]


# --- rows that do not line up with the header (2026-12 review) ---------------------

BPJS_HEADER = "NIK;No KPJ;Program;Status;Mulai Kepesertaan"


def test_a_bpjs_row_shifted_by_an_unquoted_separator_is_refused_not_stored(central, tmp_path):
    """``JKK;JKM`` unquoted in a ``;`` file shifted the status: the NIK was stored with
    status "JKM" (not a participant: registered and paid twice) and "Aktif" dropped.
    A short row (NIK;KPJ) was padded and its empty status counted as active."""
    sent = records(5)
    central.register().send(sent)
    niks = [r["nik"] for r in sent]
    path = _write(tmp_path / "bpjs.csv", f"{BPJS_HEADER}\n"
                  f"{niks[0]};25010000001;JKK;JKM;Aktif;2024-01\n"   # line 2: six cells
                  f"{niks[1]};25010000002\n"                          # line 3: two cells
                  f"{niks[2]};25010000003;\"JKK;JKM\";Aktif;2024-01;;;\n"  # quoted; Excel's ;;;
                  ";;;;;;\n"                                          # an empty row: skipped
                  f"{niks[3]};25010000004;JKK;Aktif;2024-02\n")
    summary = _import(central, path, "bpjs-participants")
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (4, 2, 2)
    refused = _rejects(summary)
    # a NIK of digits keeps an apostrophe in a CSV (Excel would make it a number)
    assert [(r["alasan"], r["baris"], r["NIK"]) for r in refused] == [
        ("wrong_cell_count", "2", f"'{niks[0]}"), ("wrong_cell_count", "3", f"'{niks[1]}")]
    # the row is shown under the file's own headings, alasan under its own
    assert (refused[0]["Program"], refused[0]["Status"], refused[0]["Mulai Kepesertaan"]) == \
        ("JKK", "JKM", "Aktif")
    assert refused[0]["kolom"] == "kolom ke-6 (tanpa judul)"
    assert "baris 2 berisi 6 sel, padahal judul berkas punya 5 kolom" in refused[0]["keterangan"]
    assert "2024-01" in refused[0]["keterangan"] and "tanda kutip" in refused[0]["keterangan"]
    assert refused[1]["kolom"] == "Program"
    assert "baris 3 hanya berisi 2 sel, padahal judul berkas punya 5 kolom" in refused[1]["keterangan"]
    stored = {r["nik"]: (r["program"], r["status"])
              for r in central.query("SELECT nik, program, status FROM bpjs_participants")}
    assert stored == {niks[2]: ("JKK;JKM", "aktif"), niks[3]: ("JKK", "aktif")}


ALIGNED_KINDS = {
    # kind: (header, a good row for a NIK, its table)
    "dtsen": ("nik;nama;desil", "{nik};Baso;2", "dtsen"),
    "bpjs-participants": ("nik;no_kpj;status", "{nik};2501000{n:04d};aktif", "bpjs_participants"),
    "cohort": ("nik;kode_kelurahan;mulai_kepesertaan;penghasilan",
               "{nik};73.71.01.1001;2024-03;2.100.000", "cohort"),
    "jht": ("nik;mulai_jht", "{nik};2026-01", "jht_list"),
}


@pytest.mark.parametrize("kind", list(ALIGNED_KINDS))
def test_every_kind_refuses_a_row_with_more_or_fewer_cells_than_the_header(store, tmp_path, kind):
    header, row, table = ALIGNED_KINDS[kind]
    niks = _people(6)
    lines = [header + ";;", *(row.format(nik=nik, n=n) for n, nik in enumerate(niks))]
    lines[2] += ";x"             # a value past the header: line 3
    lines[3] = lines[3].rsplit(";", 1)[0]  # the last cell missing: line 4
    lines[4] += ";;;  ;"         # empty cells after the last column: not an error
    lines.insert(5, ";;;")       # an empty row: skipped, not read
    summary = import_file(store, _write(tmp_path / "f.csv", "\r\n".join(lines) + "\r\n"), kind,
                          tmp_path, {})
    assert (summary["read"], summary["accepted"], summary["rejected"]) == (6, 4, 2)
    assert [(r["alasan"], r["baris"]) for r in _rejects(summary)] == [
        ("wrong_cell_count", "3"), ("wrong_cell_count", "4")]
    width = len(header.split(";"))
    assert [r["keterangan"].split(":")[0] for r in _rejects(summary)] == [
        f"baris 3 berisi {width + 1} sel, padahal judul berkas punya {width} kolom (sel di luar judul",
        f"baris 4 hanya berisi {width - 1} sel, padahal judul berkas punya {width} kolom"]
    assert {r["nik"] for r in store.query(f"SELECT nik FROM {table}")} == {niks[0], *niks[3:]}


def _without_dimension(book: Path) -> Path:
    """The workbook as some programs write it: no <dimension>, so openpyxl's rows stop
    at their last stored cell."""
    import re
    import zipfile
    bare = book.with_name("bare-" + book.name)
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(bare, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
            target.writestr(item, data)
    return bare


def test_a_workbook_refuses_a_value_past_the_header_but_not_a_missing_empty_cell(store, tmp_path):
    book = _workbook(tmp_path / "bpjs.xlsx", [
        ["NIK", "No KPJ", "Status", "Program"], [NIK_A, "25010000001", "Aktif"],
        [NIK_B, "25010000002", "Aktif", "JKK", "catatan"], [NIK_C, "25010000003", "Aktif", "JKK"]],
        text_columns=(0, 1))
    summary = import_file(store, _without_dimension(book), "bpjs-participants", tmp_path, {})
    assert (summary["read"], summary["accepted"]) == (3, 2)  # a cell not stored is empty
    [refused] = _rejects(summary)
    assert (refused["alasan"], refused["baris"], refused["NIK"]) == ("wrong_cell_count", "3", NIK_B)
    assert "judul lembar kerja punya 4 kolom" in refused["keterangan"]
    assert "catatan" in refused["keterangan"]
    assert {r["nik"] for r in store.query("SELECT nik FROM bpjs_participants")} == {NIK_A, NIK_C}


# --- a refused import and its rejects file ------------------------------------------

def test_a_refused_import_names_its_rejects_file_or_leaves_none(central, tmp_path):
    """The shrink refusal made imports/<kind>-...-rejects.csv that no message named."""
    full = "nik;no_kpj;status\n" + "".join(f"{nik};2501{n:07d};aktif\n" for n, nik in enumerate(_people(10)))
    _import(central, _write(tmp_path / "lengkap.csv", full), "bpjs-participants")
    before = set((central.data_dir / "imports").glob("*"))
    partial = _write(tmp_path / "sebagian.csv", "\n".join(full.splitlines()[:4]) + "\n")
    with pytest.raises(ImportRefused, match="kurang dari separuh") as refused:
        _import(central, partial, "bpjs-participants")
    assert "lihat" not in str(refused.value) and refused.value.summary["rejects_file"] is None
    assert set((central.data_dir / "imports").glob("*")) == before  # no rejects: no file

    damaged = _write(tmp_path / "rusak.csv", "\n".join(full.splitlines()[:4]) + "\n7.37E+15;250100;aktif\n")
    with pytest.raises(ImportRefused, match="kurang dari separuh") as refused:
        _import(central, damaged, "bpjs-participants")
    left = set((central.data_dir / "imports").glob("*")) - before
    assert [str(p) for p in left] == [refused.value.summary["rejects_file"]]
    assert f"1 baris ditolak, lihat {refused.value.summary['rejects_file']}" in str(refused.value)
    assert [r["alasan"] for r in _rejects(refused.value.summary)] == ["nik_damaged_by_spreadsheet"]


def test_an_import_that_fails_half_way_leaves_no_rejects_file(store, tmp_path, monkeypatch):
    from central import imports
    path = _write(tmp_path / "d.csv", f"nik,desil\n{NIK_A},2\n7.37E+15,1\n{NIK_B},3\n")

    def broken(*args):
        raise RuntimeError("disk full")
    monkeypatch.setattr(imports.snapshots, "finish_import", broken)
    with pytest.raises(RuntimeError):
        import_file(store, path, "dtsen", tmp_path, {})
    assert list((tmp_path / "imports").glob("*")) == []


# --- incomes as Indonesian Excel writes them -------------------------------------------

def test_cohort_incomes_in_indonesian_excel_format(store, tmp_path):
    incomes = ["2.100.000,00", "Rp 2.100.000", "Rp2.100.000,-", "2100000", " 2 100 000 ",
               "2.100.000,50", "2,100,000", "2100000.00", "dua juta"]
    niks = _people(len(incomes))
    path = _write(tmp_path / "k.csv", "NIK;Kode Kelurahan;Mulai Kepesertaan;Penghasilan (Rp)\n" + "".join(
        f"{nik};73.71.01.1001;2024-03;{income}\n" for nik, income in zip(niks, incomes)))
    summary = import_file(store, path, "cohort", tmp_path, {})
    assert {r["monthly_income"] for r in store.query("SELECT monthly_income FROM cohort")} == {2_100_000}
    assert summary["accepted"] == 5
    assert [(r["alasan"], r["kolom"], r["Penghasilan (Rp)"]) for r in _rejects(summary)] == [
        ("income_cents", "Penghasilan (Rp)", "2.100.000,50"),
        ("income_ambiguous", "Penghasilan (Rp)", "2,100,000"),
        ("income_ambiguous", "Penghasilan (Rp)", "2100000.00"),
        ("income_invalid", "Penghasilan (Rp)", "dua juta")]
    assert "sen" in _rejects(summary)[0]["keterangan"]
    assert "ribuan atau desimal" in _rejects(summary)[1]["keterangan"]
