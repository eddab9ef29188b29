"""berjasa.spreadsheet: no text ever becomes a formula or starts dangerously, read
back with openpyxl and the csv module; identifiers stay text; writes are atomic."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from berjasa import spreadsheet, spreadsheet_xlsx
from berjasa.spreadsheet import (
    ID,
    NUMBER,
    PHONE,
    TEXT,
    Column,
    national_phone,
    safe_text,
    write_export,
)
from tests.helpers import examples

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = [Column("nik", "NIK", ID), Column("name", "NAMA", TEXT), Column("phone", "NO_HP", PHONE),
           Column("amount", "JUMLAH", NUMBER)]
nasty = st.one_of(
    st.text(),
    st.sampled_from(["=1+1", "+62812", "-5", "@SUM(A1)", "\t=1", "\r=1", " =1", "\n=cmd",
                     '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "#N/A", "'=1",
                     "\uff1d1+1", "\x00\x01=", "\ud800x", "0812\x0b34"]).flatmap(
        lambda s: st.just(s) | st.text().map(lambda t: s + t)),
)


def _xlsx_cells(path: Path) -> list:
    sheet = load_workbook(path).active
    return [cell for row in sheet.iter_rows() for cell in row]


def _assert_inert(texts: list[str]) -> None:
    for text in texts:
        assert not text.startswith(DANGEROUS), repr(text)
        assert not text.lstrip(" \u00a0\u3000").startswith(DANGEROUS), repr(text)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.tuples(nasty, nasty, nasty), min_size=1, max_size=5))
def test_no_generated_text_is_a_formula_or_starts_dangerously(values, tmp_path):
    rows = [{"nik": a, "name": b, "phone": c, "amount": 1} for a, b, c in values]
    xlsx = tmp_path / "t.xlsx"
    write_export("xlsx", COLUMNS, iter(rows), xlsx, sheet_title="=evil")
    cells = _xlsx_cells(xlsx)
    assert all(c.data_type != "f" for c in cells)
    _assert_inert([c.value for c in cells if isinstance(c.value, str)])
    text_cells = [c for c in cells[len(COLUMNS):] if c.column <= 3 and c.value is not None]
    assert all(c.data_type == "s" for c in text_cells)

    content = write_export("csv", COLUMNS, iter(rows)).content
    assert content.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert len(parsed) == len(rows) + 1
    _assert_inert([cell for row in parsed for cell in row])


@pytest.fixture(params=["lxml_rows", "cells"])
def row_path(request, monkeypatch):
    """Both ways of writing XLSX data rows (lxml row XML, prepared cells)."""
    if request.param == "cells":
        monkeypatch.setattr(spreadsheet_xlsx, "_lxml_row_writer", lambda *args: None)
    return request.param


def test_formula_text_arrives_inert_and_readable(tmp_path, row_path):
    path = tmp_path / "a.xlsx"
    write_export("xlsx", COLUMNS, [{"nik": "3201010101010001", "name": '=HYPERLINK("http://x","y")',
                                    "phone": "+6281234567890", "amount": 16800}], path)
    sheet = load_workbook(path).active
    nik, name, phone, amount = (sheet.cell(2, i) for i in range(1, 5))
    assert name.value == '\'=HYPERLINK("http://x","y")' and name.data_type == "s"
    assert nik.value == "3201010101010001" and nik.data_type == "s" and nik.number_format == "@"
    assert phone.value == "081234567890" and phone.number_format == "@"
    assert amount.value == 16800 and amount.data_type == "n"
    path = tmp_path / "b.xlsx"
    odd = ["", "  padded  ", "a & b <c> ]]> \"q\" 'x'", "#N/A", "Lontara \u1a00\u1a01", "x" * 40_000]
    write_export("xlsx", COLUMNS, [{"nik": v, "name": v, "phone": "", "amount": 1.5} for v in odd]
                 + [{"amount": "=1+1"}], path)
    sheet = load_workbook(path).active
    for row, value in enumerate(odd, 2):
        cell = sheet.cell(row, 2)
        assert (cell.value or "") == value[:32_767] and cell.number_format == "@"
        assert cell.data_type == "s" or not value
    assert sheet.cell(2, 4).value == 1.5
    assert sheet.cell(len(odd) + 2, 4).value == "'=1+1" and sheet.cell(len(odd) + 2, 4).data_type == "s"


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@a", "'@a"), ("\t=1", "' =1"),
    ("\r=1", "' =1"), ("  =1", "'  =1"), ("a\x00b\nc", "a b c"), ("Jl. Ratulangi", "Jl. Ratulangi"),
    ("\ud800", "\ufffd"), (None, ""), (123, "123"), ("#N/A", "#N/A"),
    # direction overrides would show a cell reordered: their code instead, as pages do;
    # the joiners scripts and emoji need stay
    ("\u202egnp.exe", "[U+202E]gnp.exe"), ("a\u2066b\u2069", "a[U+2066]b[U+2069]"),
    ("Wa\u200dOde", "Wa\u200dOde"), ("=\u202e1", "'=[U+202E]1"),
])
def test_safe_text(value, expected):
    assert safe_text(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("+6281234567890", "081234567890"), ("6281234567890", "081234567890"),
    ("081234567890", "081234567890"), ("+14155550100", "'+14155550100"), (None, ""),
])
def test_national_phone(value, expected):
    assert national_phone(value) == expected


def test_csv_has_bom_title_lines_and_hash(tmp_path):
    path = tmp_path / "x.csv"
    written = write_export("csv", COLUMNS, [{"nik": "0001", "amount": 5}], path,
                           title_lines=["DRAF - BUKAN UNTUK PEMBAYARAN", "-3 baris"])
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and written.sha256 == hashlib.sha256(data).hexdigest()
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[:4] == ["DRAF - BUKAN UNTUK PEMBAYARAN", "'-3 baris", "", "NIK,NAMA,NO_HP,JUMLAH"]
    assert lines[4] == "0001,,,5" and written.rows == 1


def test_a_failure_half_way_leaves_no_file_and_keeps_the_old_one(tmp_path):
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"old")

    def rows():
        yield {"nik": "1"}
        raise RuntimeError("refused at the end")

    for fmt in ("csv", "xlsx"):
        with pytest.raises(RuntimeError):
            write_export(fmt, COLUMNS, rows(), path)
        assert path.read_bytes() == b"old"
        assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


def test_stream_output_gets_the_whole_file_only(tmp_path):
    stream = io.BytesIO()
    written = write_export("xlsx", COLUMNS, [{"nik": "1"}] * 3, stream)
    assert written.rows == 3 and hashlib.sha256(stream.getvalue()).hexdigest() == written.sha256
    assert load_workbook(io.BytesIO(stream.getvalue())).active.max_row == 4


def test_xlsx_as_a_person_reads_it_in_excel(row_path):
    """Money and counts with grouped thousands (Excel shows 3.880.000 on an Indonesian
    laptop), a percentage with its decimal, the header frozen below the title lines,
    columns wide enough for a NIK, and summary rows (a subtotal, a total) in bold."""
    column = spreadsheet.Column
    columns = [column("nik", "NIK", "id"), column("total", "TOTAL_IURAN", "number"),
               column("pct", "CAPAIAN_PERSEN", "number", decimals=1), column("name", "NAMA")]
    written = spreadsheet.write_export("xlsx", columns, [
        {"nik": "7371015203800011", "total": 3_880_000, "pct": 12.5, "name": "Sitti"},
        {"nik": "7371015203800012", "total": "", "pct": None, "name": "=1+1"},
        {"nik": "", "total": 3_880_000, "pct": "", "name": "TOTAL", spreadsheet.EMPHASIS: True}],
        title_lines=["Daftar iuran", "Bulan 2026-11"])
    sheet = load_workbook(io.BytesIO(written.content)).active
    assert sheet.freeze_panes == "A5"  # two title lines, an empty line, the header
    assert [c.value for c in sheet[4]] == ["NIK", "TOTAL_IURAN", "CAPAIAN_PERSEN", "NAMA"]
    assert (sheet["B5"].value, sheet["B5"].number_format) == (3_880_000, "#,##0")
    assert (sheet["C5"].value, sheet["C5"].number_format) == (12.5, "#,##0.0")
    assert sheet["A5"].value == "7371015203800011" and sheet["A5"].number_format == "@"
    assert sheet["D6"].value == "'=1+1" and sheet["D6"].data_type == "s"
    assert sheet.column_dimensions["A"].width >= 19
    assert not sheet["D5"].font.b and not sheet["B5"].font.b
    assert sheet["D7"].value == "TOTAL" and sheet["D7"].font.b
    assert (sheet["B7"].value, sheet["B7"].font.b, sheet["B7"].number_format) == (3_880_000, True, "#,##0")
