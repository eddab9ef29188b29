"""Imports of files as Excel and openpyxl really write them (the h1 review, defects 3, 4,
5, 9, 10 and 16): a NIK column whose 16th digit Excel zeroed, formulas without a stored
result and merged cells, workbooks of several sheets, the spellings of yes/no and of a
BPJS status, and a rejects file Excel opens right. Both backends."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest

from central.import_reading import ImportFileError
from central.imports import ImportRefused, import_file
from central.storage.db import Database
from tests.helpers import rejects_rows

from .conftest import records
from .test_cli import berjasa
from .test_imports import _import


@pytest.fixture
def store(migrated_database_url):
    """A migrated central database without a server (imports need none)."""
    db = Database(migrated_database_url)
    yield db
    db.close()


def _people(count: int, first: int = 1) -> list[str]:
    """NIKs of consecutive serials: one in ten ends in 0, as in a real list."""
    return [f"73710141019{n:05d}" for n in range(first, first + count)]


def _spread(count: int, first: int = 0) -> list[str]:
    """NIKs of people born on different days (no two alike in their first 15 digits)."""
    return [f"737101{n % 28 + 1:02d}{n // 28 % 12 + 1:02d}{80 + n // 336:02d}{n % 9 + 1:04d}"
            for n in range(first, first + count)]


def _excel_number(nik: str) -> str:
    """What Excel writes for a NIK held in a Number cell: 15 significant digits, then 0."""
    return f"{int(nik[:15]) * 10}"


def _csv(path: Path, header: str, lines: list[str], encoding: str = "cp1252") -> Path:
    path.write_bytes(("\r\n".join([header, *lines]) + "\r\n").encode(encoding))
    return path


def _book(path: Path, sheets: dict[str, list[list]], hidden: tuple[str, ...] = (),
          text: tuple[int, ...] = (0,)) -> Path:
    """A workbook as openpyxl saves it: one sheet per name (the first is the active one),
    the given columns formatted Text (``@``) as an office formats its NIK column."""
    from openpyxl import Workbook
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for column in text:
            for (cell,) in sheet.iter_rows(min_col=column + 1, max_col=column + 1):
                cell.number_format = "@"
        if name in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


def _sheet_xml(book: Path, edit, name: str = "edited") -> Path:
    """``book`` with its sheets' XML passed through ``edit`` (as other programs write it)."""
    with zipfile.ZipFile(book) as source:
        items = [(item, source.read(item)) for item in source.infolist()]
    out = book.with_name(f"{name}-{book.name}")
    with zipfile.ZipFile(out, "w") as target:
        for item, data in items:
            if item.filename.startswith("xl/worksheets/sheet"):
                data = edit(data.decode()).encode()
            target.writestr(item, data)
    return out


def _excel_saved(book: Path, results: dict[str, object]) -> Path:
    """``book`` as Excel saves it after calculating: each formula cell keeps its formula
    and stores its result (``<v>``; a text result with ``t="str"``, the empty text as an
    empty ``<v>``), where openpyxl left every result out."""
    def calculated(text: str) -> str:
        for ref, result in results.items():
            kind = ' t="str"' if isinstance(result, str) else ""
            text = re.sub(rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?</c>',
                          lambda m, ref=ref, kind=kind, result=result:
                          f'<c r="{ref}"{m[1]}{kind}><f>{m[2]}</f><v>{result}</v></c>', text)
        return text
    return _sheet_xml(book, calculated, "excel")


COHORT = ["NIK", "No KPJ", "Nama", "Kode Kelurahan", "Mulai Kepesertaan", "Penghasilan", "JHT",
          "Penghasilan Asli"]


def _cohort_rows(niks: list[str]) -> list[list]:
    return [[nik, f"2401{n:07d}", f"Pekerja {n}", "73.71.01.1001", "2024-03", None, None, 2_600_000]
            for n, nik in enumerate(niks)]


# --- defect 3: a column whose 16th digit Excel zeroed -----------------------------------

@pytest.mark.parametrize("kind,header,row", [
    ("dtsen", "NIK;No_KK;Nama;Desil_Nasional", "{nik};{kk};Baso;3"),
    ("bpjs-participants", "NIK;No_KPJ;Status", "{nik};2501{n:07d};Aktif"),
    ("cohort", "NIK;Kode_Kelurahan;Mulai_Kepesertaan", "{nik};73.71.01.1001;2024-03"),
    ("jht", "NIK;Mulai_JHT", "{nik};2026-01"),
])
def test_a_nik_column_excel_zeroed_refuses_the_file_naming_it(store, tmp_path, kind, header, row):
    """The demo's BPJS list with every NIK's 16th digit zeroed was taken whole: 11 of 12
    participants were not recognised and went on the registration file again."""
    good = _people(30)
    kk = "7371010101120001"
    import_file(store, _csv(tmp_path / "ok.csv", header, [row.format(nik=nik, kk=kk, n=n)
                                                          for n, nik in enumerate(good)]), kind, tmp_path, {})
    before = sorted(tmp_path.joinpath("imports").iterdir())
    zeroed = _csv(tmp_path / "rusak.csv", header, [row.format(nik=_excel_number(nik), kk=kk, n=n)
                                                   for n, nik in enumerate(_spread(30))])
    with pytest.raises(ImportFileError) as refused:
        import_file(store, zeroed, kind, tmp_path, {}, force=True)
    message = str(refused.value)
    assert "\n" not in message and message.startswith("rusak.csv: kolom NIK: 30 dari 30 NIK berakhiran 0")
    assert "15 digit" in message and "Teks" in message and "data lama tidak diganti" in message
    table = {"dtsen": "dtsen", "bpjs-participants": "bpjs_participants", "cohort": "cohort",
             "jht": "jht_list"}[kind]
    assert sorted(r["nik"] for r in store.query(f"SELECT nik FROM {table}")) == good
    assert sorted(tmp_path.joinpath("imports").iterdir()) == before  # no rejects file for it


def test_a_kk_column_excel_zeroed_is_named_too(store, tmp_path):
    niks = _people(40)
    lines = [f"'{nik};{_excel_number(f'737101010112{n:04d}')};3" for n, nik in enumerate(niks, 1)]
    with pytest.raises(ImportFileError, match="kolom No_KK: 40 dari 40 No. KK berakhiran 0"):
        import_file(store, _csv(tmp_path / "d.csv", "NIK;No_KK;Desil", lines), "dtsen", tmp_path, {})


def test_a_real_list_with_its_tenth_of_zeros_and_a_few_zeroed_rows_is_imported(store, tmp_path):
    """One NIK in ten ends in 0 (a serial ending in 0): never a reason to refuse. A few rows
    a spreadsheet damaged among many good ones are not a damaged column (3 in 100)."""
    niks = _people(100)
    assert sum(nik.endswith("0") for nik in niks) == 10
    lines = [f"{nik};3" for nik in niks[:97]] + [f"{_excel_number(n)};3" for n in _spread(3)]
    summary = import_file(store, _csv(tmp_path / "d.csv", "NIK;Desil", lines), "dtsen", tmp_path, {})
    assert summary["accepted"] == 100


def test_a_zeroed_nik_column_in_a_workbook_of_text_cells_is_refused(store, tmp_path):
    """Pasted from a Number column into Text cells: 16 digits, the last one 0."""
    book = _book(tmp_path / "bpjs.xlsx", {"Peserta": [["NIK", "No KPJ", "Status"]] + [
        [_excel_number(nik), f"2501{n:07d}", "Aktif"] for n, nik in enumerate(_spread(12))]})
    with pytest.raises(ImportFileError, match="bpjs.xlsx: kolom NIK: 12 dari 12 NIK berakhiran 0"):
        import_file(store, book, "bpjs-participants", tmp_path, {})


def test_a_nik_held_as_a_number_in_a_workbook_is_still_refused_row_by_row(store, tmp_path):
    """A NIK cell Excel holds as a number (7.37101E+15) is refused as damaged, never repaired."""
    niks = _people(3)
    book = _book(tmp_path / "d.xlsx", {"DTSEN": [["NIK", "Desil"], [niks[0], 2], [int(niks[1]), 3],
                                                 [float(niks[2]), 4]]}, text=())
    summary = import_file(store, book, "dtsen", tmp_path, {}, force=True)
    assert [r["alasan"] for r in rejects_rows(summary["rejects_file"])] == ["nik_damaged_by_spreadsheet"] * 2
    # a whole column of numbers: the one line says why nothing was accepted
    numbers = _book(tmp_path / "angka.xlsx", {"DTSEN": [["NIK", "Desil"], *([int(n), 2] for n in niks)]},
                    text=())
    with pytest.raises(ImportRefused, match="tidak ada baris yang diterima \\(3 ditolak, terbanyak: "
                                            "nik_damaged_by_spreadsheet \\(kolom NIK, 3 baris\\); lihat "):
        import_file(store, numbers, "dtsen", tmp_path, {}, force=True)


def test_the_cli_refuses_a_zeroed_column_in_one_line(database_url, tmp_path):
    folder = tmp_path / "pusat"
    berjasa("central", "init", "--database", database_url, data_dir=folder)
    zeroed = _csv(tmp_path / "peserta.csv", "NIK;No KPJ;Status",
                  [f"{_excel_number(nik)};2501{n:07d};Aktif" for n, nik in enumerate(_spread(12))])
    done = berjasa("central", "import", "bpjs-participants", str(zeroed), data_dir=folder, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.strip()]
    assert "kolom NIK: 12 dari 12 NIK berakhiran 0" in line


# --- defect 4: formulas without their result, merged cells ------------------------------

def _formula_cohort(path: Path, niks: list[str]) -> Path:
    """The reviewer's workbook: income ``=H2`` and JHT ``=IF(H2>2500000,"ya","")``, the
    real values in column H, saved by openpyxl (no result stored)."""
    rows = _cohort_rows(niks)
    for line, row in enumerate(rows, start=2):
        row[5], row[6] = f"=H{line}", f'=IF(H{line}>2500000,"ya","")'
    return _book(path, {"Kohort": [COHORT, *rows]})


def test_formulas_without_a_stored_result_refuse_the_file_naming_the_cell(store, tmp_path):
    """All 300 incomes were stored NULL (lowest band) and every JHT 0: Rp 1 million a month
    off the payment list, "diterima 300, ditolak 0"."""
    import_file(store, _book(tmp_path / "ok.xlsx", {"Kohort": [COHORT, *_cohort_rows(_people(5))]}),
                "cohort", tmp_path, {})
    with pytest.raises(ImportFileError) as refused:
        import_file(store, _formula_cohort(tmp_path / "kohort.xlsx", _people(8, first=40)), "cohort",
                    tmp_path, {})
    message = str(refused.value)
    assert message.startswith('kohort.xlsx: lembar "Kohort", kolom Penghasilan, JHT: 16 sel berisi rumus '
                              "tanpa hasil tersimpan (yang pertama sel F2, baris 2)")
    assert "simpan ulang di Excel" in message and "\n" not in message
    assert sorted(r["nik"] for r in store.query("SELECT nik FROM cohort")) == _people(5)


def test_a_status_formula_without_its_result_is_refused(store, tmp_path):
    """Empty counts as active: 12 workers whose status is Nonaktif became participants."""
    rows = [[nik, f"2501{n:07d}", f"=E{n + 2}", "JKK", "Nonaktif"] for n, nik in enumerate(_people(12))]
    book = _book(tmp_path / "bpjs.xlsx", {"Peserta": [["NIK", "No KPJ", "Status Peserta", "Program",
                                                       "Asli"], *rows]})
    with pytest.raises(ImportFileError, match='lembar "Peserta", kolom Status Peserta: 12 sel .*sel C2, '
                                              "baris 2"):
        import_file(store, book, "bpjs-participants", tmp_path, {})


def test_formulas_excel_calculated_are_read_by_their_stored_result(store, tmp_path):
    niks = _people(3)
    book = _formula_cohort(tmp_path / "kohort.xlsx", niks)
    saved = _excel_saved(book, {"F2": 2_600_000, "G2": "ya", "F3": 1_500_000, "G3": "",
                                "F4": 3_100_000, "G4": "ya"})
    summary = import_file(store, saved, "cohort", tmp_path, {})
    assert summary["accepted"] == 3
    assert store.query("SELECT nik, monthly_income, jht FROM cohort ORDER BY nik") == [
        {"nik": niks[0], "monthly_income": 2_600_000, "jht": 1},
        {"nik": niks[1], "monthly_income": 1_500_000, "jht": 0},  # the empty text Excel stored
        {"nik": niks[2], "monthly_income": 3_100_000, "jht": 1}]


def _prefixed(xml: str) -> str:
    """Every element of the sheet under an ``x:`` prefix (some writers do that)."""
    xml = re.sub(r"<(/?)(?!\?)([A-Za-z]+)", r"<\1x:\2", xml)
    return xml.replace('<x:worksheet xmlns="', '<x:worksheet xmlns:x="', 1)


@pytest.mark.parametrize("writer", ["no value element", "a text result without its value",
                                    "cells without their place", "prefixed elements"])
def test_formulas_without_a_result_as_other_programs_write_them(store, tmp_path, writer):
    niks = _people(4)
    book = _formula_cohort(tmp_path / "kohort.xlsx", niks)
    edit = {
        "no value element": lambda xml: re.sub(r"</f><v\s*/?>(?:</v>)?", "</f>", xml),
        "a text result without its value": lambda xml: re.sub(
            r'<c r="G(\d+)"><f>(.*?)</f><v\s*/?>(?:</v>)?', r'<c r="G\1" t="str"><f>\2</f>', xml),
        "cells without their place": lambda xml: re.sub(r' r="[A-Z]*\d+"', "", xml),
        "prefixed elements": _prefixed,
    }[writer]
    with pytest.raises(ImportFileError, match='lembar "Kohort", kolom (Penghasilan, )?JHT: [48] sel .*baris 2'):
        import_file(store, _sheet_xml(book, edit), "cohort", tmp_path, {})


def test_a_formula_in_a_column_not_read_changes_nothing(store, tmp_path):
    rows = [["=ROW()-1", nik, 3] for nik in _people(4)]
    book = _book(tmp_path / "d.xlsx", {"DTSEN": [["No", "NIK", "Desil"], *rows]}, text=(1,))
    assert import_file(store, book, "dtsen", tmp_path, {})["accepted"] == 4


def test_a_merged_range_over_a_read_column_refuses_the_file_naming_it(store, tmp_path):
    """Only a merge's first cell holds its value: the rows under it were refused for a
    missing kelurahan, and an income or JHT merged over rows was read empty."""
    from openpyxl import load_workbook
    path = _book(tmp_path / "kohort.xlsx", {"Kohort": [COHORT, *_cohort_rows(_people(6))]})
    book = load_workbook(path)
    book["Kohort"].merge_cells("J2:K3")  # a note beside the table: no column read
    book.save(path)
    assert import_file(store, path, "cohort", tmp_path, {})["accepted"] == 6
    book["Kohort"].merge_cells("D2:D4")  # one kelurahan for three rows, as offices lay it out
    book.save(path)
    with pytest.raises(ImportFileError) as refused:
        import_file(store, path, "cohort", tmp_path, {})
    assert str(refused.value).startswith('kohort.xlsx: lembar "Kohort", sel gabungan (merge) D2:D4 di kolom '
                                         "Kode Kelurahan")
    assert "Unmerge" in str(refused.value) and "\n" not in str(refused.value)
    assert len(store.query("SELECT nik FROM cohort")) == 6


def test_the_sheet_scanned_is_the_one_the_workbook_names_not_the_file_of_its_position(store, tmp_path):
    """Excel names a sheet's file relative to the workbook (``worksheets/sheet1.xml``),
    and after sheets are moved their files no longer follow their order: the list on the
    second sheet, held in ``sheet1.xml``, is the XML checked for formulas without a result
    (central.import_sheet_xml.sheet_members: the package read as ECMA-376 describes it)."""
    book = _formula_cohort(tmp_path / "kohort.xlsx", _people(3, first=60))
    with zipfile.ZipFile(book) as source:
        items = {item.filename: (item, source.read(item)) for item in source.infolist()}
    book = _book(tmp_path / "two.xlsx", {"Petunjuk": [["Isi daftar di lembar Kohort"]],
                                         "Kohort": [["x"]]})
    with zipfile.ZipFile(book) as source:
        parts = {item.filename: (item, source.read(item)) for item in source.infolist()}
    moved = tmp_path / "moved.xlsx"
    with zipfile.ZipFile(moved, "w") as target:
        for name, (item, data) in parts.items():
            if name == "xl/_rels/workbook.xml.rels":  # Petunjuk in sheet2.xml, Kohort in sheet1.xml
                data = (data.decode().replace('Target="/xl/worksheets/sheet1.xml"', 'Target="@"')
                        .replace('Target="/xl/worksheets/sheet2.xml"', 'Target="worksheets/sheet1.xml"')
                        .replace('Target="@"', 'Target="worksheets/sheet2.xml"').encode())
            elif name == "xl/worksheets/sheet1.xml":
                data = items["xl/worksheets/sheet1.xml"][1]  # the formula list
            elif name == "xl/worksheets/sheet2.xml":
                data = parts["xl/worksheets/sheet1.xml"][1]  # the instructions
            target.writestr(item, data)
    with pytest.raises(ImportFileError) as refused:
        import_file(store, moved, "cohort", tmp_path, {})
    assert str(refused.value).startswith('moved.xlsx: lembar "Kohort", kolom Penghasilan, JHT: 6 sel '
                                         "berisi rumus tanpa hasil tersimpan (yang pertama sel F2, baris 2)")


# --- defect 5: which sheet -------------------------------------------------------------

def test_a_list_split_over_two_sheets_is_refused_naming_both(store, tmp_path):
    """169 and 131 rows by kecamatan: only the first sheet was read, the second never named,
    and the payment list fell from 329 rows to 198."""
    book = _book(tmp_path / "kohort.xlsx", {
        "Mariso": [COHORT, *_cohort_rows(_people(7))],
        "Tallo\nTamalanrea": [COHORT, *_cohort_rows(_people(5, first=50))]})  # a title may hold \n
    with pytest.raises(ImportFileError) as refused:
        import_file(store, book, "cohort", tmp_path, {})
    assert str(refused.value).startswith('kohort.xlsx: kohort 2024 ada di lebih dari satu lembar: "Mariso" '
                                         '(7 baris data), "Tallo Tamalanrea" (5 baris data)')
    assert "Gabungkan" in str(refused.value) and "\n" not in str(refused.value)
    assert store.query("SELECT nik FROM cohort") == []


def test_rows_continued_on_a_sheet_without_a_header_refuse_the_file(store, tmp_path):
    book = _book(tmp_path / "kohort.xlsx", {
        "Kohort": [COHORT, *_cohort_rows(_people(7))],
        "Sheet2": _cohort_rows(_people(4, first=50))})
    with pytest.raises(ImportFileError, match='lembar "Sheet2" \\(4 baris terisi\\) juga berisi NIK'):
        import_file(store, book, "cohort", tmp_path, {})


def test_the_sheet_with_the_list_is_read_and_the_others_named(database_url, tmp_path):
    """An instruction sheet first, a hidden sheet holding an older list, an empty sheet:
    the list's sheet is read and every other one is named in the summary."""
    folder = tmp_path / "pusat"
    berjasa("central", "init", "--database", database_url, data_dir=folder)
    book = _book(tmp_path / "kohort.xlsx", {
        "Petunjuk": [["Isi data di lembar Kohort"], ["Kolom NIK berformat Teks"]],
        "Kohort": [COHORT, *_cohort_rows(_people(6))],
        "Lama": [COHORT, *_cohort_rows(_people(3, first=70))],
        "Kosong": []}, hidden=("Lama",))
    summary = json.loads(berjasa("central", "import", "cohort", str(book), "--json", data_dir=folder).stdout)
    assert (summary["accepted"], summary["sheet"]) == (6, "Kohort")
    assert summary["sheets_not_read"] == [{"sheet": "Petunjuk", "hidden": False, "rows": 2},
                                          {"sheet": "Lama", "hidden": True, "rows": 4},
                                          {"sheet": "Kosong", "hidden": False, "rows": 0}]
    shown = berjasa("central", "import", "cohort", str(book), data_dir=folder).stdout
    assert ('Dibaca lembar "Kohort"; lembar lain tidak dibaca: "Petunjuk" (2 baris terisi), "Lama" '
            '(tersembunyi, 4 baris terisi), "Kosong" (kosong)') in shown


def test_a_workbook_without_the_list_names_its_sheets(store, tmp_path):
    book = _book(tmp_path / "kohort.xlsx", {"Petunjuk": [["Isi data"]], "Data": [["Nama", "Alamat"]]})
    with pytest.raises(ImportFileError, match='kolom wajib tidak ada: nik.*lembar di buku kerja: "Petunjuk", '
                                              '"Data"; yang terbaca di atas: lembar "Petunjuk"'):
        import_file(store, book, "cohort", tmp_path, {})


# --- defects 9 and 10: yes/no and BPJS statuses as people write them ---------------------

def test_jht_as_excel_users_write_it_and_unknown_values_refused(database_url, tmp_path):
    """BENAR, Iya, Ikut, v, ✓ and Ya. were stored as "no JHT" without a word."""
    folder = tmp_path / "pusat"
    berjasa("central", "init", "--database", database_url, data_dir=folder)
    values = ["BENAR", "Iya", "Ikut", "v", "\u2713", "Ya.", "YA ", "SALAH", "", "Tidak", "mungkin",
              "mungkin", "2", "7371014101900099"]
    niks = _people(len(values))
    path = tmp_path / "kohort.csv"
    path.write_text("NIK;Kode_Kelurahan;Mulai_Kepesertaan;Ikut JHT\r\n" + "".join(
        f"{nik};73.71.01.1001;2024-01;{value}\r\n" for nik, value in zip(niks, values)), encoding="utf-8-sig")
    done = berjasa("central", "import", "cohort", str(path), data_dir=folder)
    assert ('Nilai tidak dikenal (barisnya ditolak): kolom Ikut JHT: "mungkin" (2 baris), "2" (1 baris), '
            '"737101******0099" (1 baris)' in done.stdout)
    summary = json.loads(berjasa("central", "import", "cohort", str(path), "--json", data_dir=folder).stdout)
    assert summary["unknown_values"] == {"Ikut JHT": {"values": [["mungkin", 2], ["2", 1], ["737101******0099", 1]],
                                                      "other_rows": 0}}
    refused = rejects_rows(summary["rejects_file"])
    assert [(r["alasan"], r["kolom"], r["Ikut JHT"]) for r in refused] == [
        ("jht_invalid", "Ikut JHT", "mungkin"), ("jht_invalid", "Ikut JHT", "mungkin"),
        ("jht_invalid", "Ikut JHT", "2"), ("jht_invalid", "Ikut JHT", "7371014101900099")]
    db = Database(database_url, data_dir=folder)
    try:
        stored = {r["nik"]: r["jht"] for r in db.query("SELECT nik, jht FROM cohort")}
        trail = json.dumps(db.query("SELECT changes FROM audit_log WHERE action = 'import.cohort'"))
    finally:
        db.close()
    assert "737101******0099" in trail and "7371014101900099" not in trail  # the trail holds no NIK
    assert stored == {nik: int(n < 7) for n, nik in enumerate(niks[:10])}


def test_bpjs_statuses_as_lists_spell_them_and_unknown_ones_refused(central, tmp_path):
    """``Aktif (BPU)``, ``Aktif/Active``, ``Status Aktif``... meant "not a participant":
    those people went on the registration file again."""
    sent = records(12)
    central.register().send(sent)
    statuses = ["Aktif (BPU)", "AKTIF-BPU", "Aktif/Active", "aktif.", "Active Member", "AKTIF BPU",
                "Status Aktif", "Ya Aktif", "Non Aktif", "Meninggal Dunia", "Suspend", "7371014101900099"]
    path = _csv(tmp_path / "bpjs.csv", "NIK,No KPJ,Status Peserta",
                [f"{r['nik']},2501{n:07d},{s}" for n, (r, s) in enumerate(zip(sent, statuses))], "utf-8-sig")
    summary = _import(central, path, "bpjs-participants")
    assert (summary["accepted"], summary["rejected"]) == (10, 2)
    # a NIK in the status column is masked (the summary goes to the audit trail)
    assert summary["unknown_values"] == {"Status Peserta": {"values": [["Suspend", 1], ["737101******0099", 1]],
                                                            "other_rows": 0}}
    stored = {r["nik"]: r["status"] for r in central.query("SELECT nik, status FROM bpjs_participants")}
    assert [stored.get(r["nik"]) for r in sent] == ["aktif"] * 8 + ["nonaktif", "meninggal", None, None]
    held = {r["record_id"]: (r["status"], json.loads(r["eligibility"]))
            for r in central.query("SELECT record_id, status, eligibility FROM records")}
    membership = {rid: next(x["result"] for x in rules if x["rule"] == "bpjs_membership")
                  for rid, (_, rules) in held.items()}
    assert [held[r["id"]][0] for r in sent[:8]] == ["rejected"] * 8  # already participants
    assert [membership[r["id"]] for r in sent[8:]] == ["pass", "pass", "unknown", "unknown"]


def test_a_list_of_unknown_statuses_only_is_refused_naming_them(store, tmp_path):
    path = _csv(tmp_path / "bpjs.csv", "NIK;No KPJ;Status",
                [f"{nik};2501{n:07d};Tertunda" for n, nik in enumerate(_people(4))])
    with pytest.raises(ImportRefused, match='tidak ada baris yang diterima .*nilai tidak dikenal: kolom '
                                            'Status: "Tertunda" \\(4 baris\\)'):
        import_file(store, path, "bpjs-participants", tmp_path, {})


# --- defect 16: a rejects file Excel opens right -----------------------------------------

def _bad_dtsen(niks: list[str]) -> list[str]:
    return [f"'{niks[0]};'7371010101120001;'24010000001;Baso;3", f"{niks[1]};7371010101120002;;Sitti;11",
            f"{niks[2]};;;=HYPERLINK(\"x\");12", f"{niks[3]};;;Andi;2"]


@pytest.mark.parametrize("separator,encoding", [(";", "cp1252"), (",", "utf-8-sig"), (",", "cp1252")])
def test_rejects_of_a_csv_use_its_separator_and_keep_identifiers_text(store, tmp_path, separator, encoding):
    niks = _people(4)
    lines = [line.replace(";", separator) for line in _bad_dtsen(niks)]
    path = _csv(tmp_path / "d.csv", separator.join(["NIK", "No_KK", "No_KPJ", "Nama", "Desil"]), lines,
                encoding)
    summary = import_file(store, path, "dtsen", tmp_path, {}, force=True)
    raw = Path(summary["rejects_file"]).read_bytes()
    assert summary["rejects_file"].endswith("-rejects.csv") and raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == separator.join(["NIK", "No_KK", "No_KPJ", "Nama", "Desil", "alasan",
                                                   "kolom", "keterangan", "baris"])
    refused = rejects_rows(summary["rejects_file"])
    # Excel shows '7371...: every digit, as text; the import removes the apostrophe again
    assert [(r["NIK"], r["No_KK"], r["Nama"], r["alasan"]) for r in refused] == [
        (f"'{niks[1]}", "'7371010101120002", "Sitti", "desil_invalid"),
        (f"'{niks[2]}", "", "'=HYPERLINK(\"x\")", "desil_invalid")]
    fixed = Path(summary["rejects_file"]).read_text(encoding="utf-8-sig").replace(
        f"{separator}11{separator}", f"{separator}4{separator}").replace(f"{separator}12{separator}",
                                                                         f"{separator}5{separator}")
    again = tmp_path / "perbaikan.csv"
    again.write_text(fixed, encoding="utf-8-sig")
    assert import_file(store, again, "dtsen", tmp_path, {})["accepted"] == 2
    assert sorted(r["nik"] for r in store.query("SELECT nik FROM dtsen")) == niks[1:3]


def test_rejects_of_unicode_text_are_unicode_text(store, tmp_path):
    niks = _people(4)
    path = tmp_path / "d.txt"
    path.write_text("NIK\tDesil\r\n" + "".join(f"{nik}\t{d}\r\n" for nik, d in zip(niks, (2, 3, 11, 4))),
                    encoding="utf-16")
    summary = import_file(store, path, "dtsen", tmp_path, {})
    assert summary["rejects_file"].endswith("-rejects.txt")
    assert Path(summary["rejects_file"]).read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    assert [(r["NIK"], r["alasan"]) for r in rejects_rows(summary["rejects_file"])] == [
        (f"'{niks[2]}", "desil_invalid")]


def test_rejects_of_a_workbook_are_a_workbook_of_text_cells(store, tmp_path):
    from openpyxl import load_workbook
    niks = _people(4)
    book = _book(tmp_path / "dtsen.xlsx", {"DTSEN": [["NIK", "No KK", "Nama", "Tgl Lahir", "Desil"],
                                                     [niks[0], "7371010101120001", "Baso", date(1980, 1, 2), 3],
                                                     [niks[1], "7371010101120002", "-1+1", date(1981, 1, 2), 11],
                                                     [niks[2], None, "Sitti", None, 4]]}, text=(0, 1))
    summary = import_file(store, book, "dtsen", tmp_path, {})
    assert summary["rejects_file"].endswith("-rejects.xlsx")
    assert not list(Path(summary["rejects_file"]).parent.glob(".*part"))
    opened = load_workbook(summary["rejects_file"])
    sheet = opened.active
    assert [c.value for c in sheet[1]] == ["NIK", "No KK", "Nama", "Tgl Lahir", "Desil", "alasan", "kolom",
                                           "keterangan", "baris"]
    nik, kk, name, born = sheet["A2"], sheet["B2"], sheet["C2"], sheet["D2"]
    assert (nik.value, nik.data_type, nik.number_format) == (niks[1], "s", "@")
    assert (kk.value, kk.data_type, kk.number_format) == ("7371010101120002", "s", "@")
    assert (name.value, born.value, sheet["F2"].value, sheet["I2"].value) == ("'-1+1", "1981-01-02",
                                                                             "desil_invalid", 3)
    assert sheet.freeze_panes == "A2" and sheet.max_row == 2
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
