"""Imports of files as Excel and openpyxl really write them (the h1 review, defects 3, 4,
5, 9, 10 and 16): a NIK column whose 16th digit Excel zeroed, formulas without a stored
result and merged cells, workbooks of several sheets, the spellings of yes/no and of a
BPJS status, and a rejects file Excel opens right. Both backends."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

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


def _excel_saved(book: Path, results: dict[str, object]) -> Path:
    """``book`` as Excel saves it after calculating: each formula cell keeps its formula
    and stores its result (``<v>``; a text result with ``t="str"``, the empty text as an
    empty ``<v>``), where openpyxl left every result out."""
    with zipfile.ZipFile(book) as source:
        items = [(item, source.read(item)) for item in source.infolist()]
    out = book.with_name("excel-" + book.name)
    with zipfile.ZipFile(out, "w") as target:
        for item, data in items:
            if item.filename.startswith("xl/worksheets/sheet"):
                text = data.decode()
                for ref, result in results.items():
                    kind = ' t="str"' if isinstance(result, str) else ""
                    text = re.sub(rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?</c>',
                                  lambda m, ref=ref, kind=kind, result=result:
                                  f'<c r="{ref}"{m[1]}{kind}><f>{m[2]}</f><v>{result}</v></c>', text)
                data = text.encode()
            target.writestr(item, data)
    return out


COHORT = ["NIK", "No KPJ", "Nama", "Kode Kelurahan", "Mulai Kepesertaan", "Penghasilan", "JHT",
          "Penghasilan Asli"]


def _cohort_rows(niks: list[str]) -> list[list]:
    return [[nik, f"2401{n:07d}", f"Pekerja {n}", "73.71.01.1001", "2024-03", None, None, 2_600_000]
            for n, nik in enumerate(niks)]


# --- defects 9 and 10: yes/no and BPJS statuses as people write them ---------------------

def test_jht_as_excel_users_write_it_and_unknown_values_refused(database_url, tmp_path):
    """BENAR, Iya, Ikut, v, ✓ and Ya. were stored as "no JHT" without a word."""
    folder = tmp_path / "pusat"
    berjasa("central", "init", "--database", database_url, data_dir=folder)
    values = ["BENAR", "Iya", "Ikut", "v", "\u2713", "Ya.", "YA ", "SALAH", "", "Tidak", "mungkin",
              "mungkin", "2"]
    niks = _people(len(values))
    path = tmp_path / "kohort.csv"
    path.write_text("NIK;Kode_Kelurahan;Mulai_Kepesertaan;Ikut JHT\r\n" + "".join(
        f"{nik};73.71.01.1001;2024-01;{value}\r\n" for nik, value in zip(niks, values)), encoding="utf-8-sig")
    done = berjasa("central", "import", "cohort", str(path), data_dir=folder)
    assert ('Nilai tidak dikenal (barisnya ditolak): kolom Ikut JHT: "mungkin" (2 baris), "2" (1 baris)'
            in done.stdout)
    summary = json.loads(berjasa("central", "import", "cohort", str(path), "--json", data_dir=folder).stdout)
    assert summary["unknown_values"] == {"Ikut JHT": {"values": [["mungkin", 2], ["2", 1]], "other_rows": 0}}
    refused = rejects_rows(summary["rejects_file"])
    assert [(r["alasan"], r["kolom"], r["Ikut JHT"]) for r in refused] == [
        ("jht_invalid", "Ikut JHT", "mungkin"), ("jht_invalid", "Ikut JHT", "mungkin"),
        ("jht_invalid", "Ikut JHT", "2")]
    db = Database(database_url)
    try:
        stored = {r["nik"]: r["jht"] for r in db.query("SELECT nik, jht FROM cohort")}
    finally:
        db.close()
    assert stored == {nik: int(n < 7) for n, nik in enumerate(niks[:10])}


def test_bpjs_statuses_as_lists_spell_them_and_unknown_ones_refused(central, tmp_path):
    """``Aktif (BPU)``, ``Aktif/Active``, ``Status Aktif``... meant "not a participant":
    those people went on the registration file again."""
    sent = records(12)
    central.register().send(sent)
    statuses = ["Aktif (BPU)", "AKTIF-BPU", "Aktif/Active", "aktif.", "Active Member", "AKTIF BPU",
                "Status Aktif", "Ya Aktif", "Non Aktif", "Meninggal Dunia", "Suspend", "Suspend"]
    path = _csv(tmp_path / "bpjs.csv", "NIK,No KPJ,Status Peserta",
                [f"{r['nik']},2501{n:07d},{s}" for n, (r, s) in enumerate(zip(sent, statuses))], "utf-8-sig")
    summary = _import(central, path, "bpjs-participants")
    assert (summary["accepted"], summary["rejected"]) == (10, 2)
    assert summary["unknown_values"] == {"Status Peserta": {"values": [["Suspend", 2]], "other_rows": 0}}
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
