"""The import cell cleaners (central/import_cells.py) under hypothesis."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from central.import_cells import (
    RowRejected,
    clean_date,
    clean_desil,
    clean_identifier,
    clean_income,
    clean_kelurahan,
    clean_kpj,
    clean_month,
)
from central.import_columns import header_key
from tests.helpers import examples

digits16 = st.text("0123456789", min_size=16, max_size=16)
padding = st.sampled_from(["", " ", "  ", "\u00a0", "\t"])


@settings(max_examples=examples(100))  # hypothesis' default; a fifth in the quick loop
@given(digits16, padding, padding, st.sampled_from(["", "'", "’"]))
def test_identifier_survives_apostrophe_and_spaces(nik, before, after, apostrophe):
    assert clean_identifier(f"{before}{apostrophe}{nik}{after}") == nik


@settings(max_examples=examples(100))  # hypothesis' default; a fifth in the quick loop
@given(st.integers(min_value=10**15, max_value=10**16 - 1))
def test_spreadsheet_numbers_are_refused_not_repaired(number):
    for damaged in (f"{number:.5E}", f"{number}.0", str(number)[:15], f"{float(number)}"):
        with pytest.raises(RowRejected) as refused:
            clean_identifier(damaged)
        assert refused.value.code == "nik_damaged_by_spreadsheet"


@settings(max_examples=examples(100))  # hypothesis' default; a fifth in the quick loop
@given(st.text(max_size=40))
def test_identifier_is_16_digits_or_a_refusal(text):
    try:
        cleaned = clean_identifier(text)
    except RowRejected as refused:
        assert refused.code in ("nik_damaged_by_spreadsheet", "nik_invalid")
    else:
        assert len(cleaned) == 16 and cleaned.isdigit() and cleaned.isascii()


@settings(max_examples=examples(100))  # hypothesis' default; a fifth in the quick loop
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date.today()))
def test_dates_in_the_formats_people_type(day):
    for text in (day.isoformat(), day.strftime("%d-%m-%Y"), day.strftime("%d/%m/%Y"),
                 f" {day.strftime('%d.%m.%Y')} "):
        assert clean_date(text) == day.isoformat()


@pytest.mark.parametrize("text", ["31-02-1990", "1990-13-01", "00-01-1990", "32874", "kemarin",
                                  "1899-12-31", "01-01-2999"])
def test_impossible_dates(text):
    with pytest.raises(RowRejected):
        clean_date(text)


@settings(max_examples=examples(100))  # hypothesis' default; a fifth in the quick loop
@given(st.text(max_size=12))
def test_desil_is_1_to_10_or_refused(text):
    try:
        value = clean_desil(text)
    except RowRejected as refused:
        assert refused.code == "desil_invalid"
    else:
        assert 1 <= value <= 10


@pytest.mark.parametrize("text,month", [("2024-03", "2024-03"), ("2024-3", "2024-03"),
                                        ("03/2024", "2024-03"), ("2024-03-15", "2024-03"), ("", None),
                                        # what Excel saves after turning a typed 2024-03 into a date
                                        ("Mar-24", "2024-03"), ("Mei-24", "2024-05"), ("Okt-2024", "2024-10"),
                                        ("agu-24", "2024-08"), ("Des 24", "2024-12"), ("May-24", "2024-05"),
                                        ("01/03/2024", "2024-03"), ("3/1/2024", "2024-03"),
                                        ("1/1/2024", "2024-01"), ("15/03/2024", "2024-03"),
                                        ("2024-03-01 00:00:00", "2024-03")])
def test_months(text, month):
    assert clean_month(text) == month


@pytest.mark.parametrize("text,month", [
    # rule 1: a whole date is day first (dd/mm/yyyy), a January date included
    ("05/01/2026", "2026-01"), ("13/01/2026", "2026-01"), ("31/01/2026", "2026-01"),
    ("02/01/2026", "2026-01"), ("05-01-2026", "2026-01"), ("05.01.2026", "2026-01"),
    ("28/02/2026", "2026-02"), ("01/12/2025", "2025-12"), ("01/03/2024 00:00:00", "2024-03"),
    # rule 2: the month cell Excel saves in a US format, no zeros and day 1, is month first
    ("12/1/2025", "2025-12"), ("1/1/2026", "2026-01"),
])
def test_whole_dates_are_day_first_but_for_excels_us_month_cell(text, month):
    assert clean_month(text) == month


@pytest.mark.parametrize("text", ["Foo-24", "13/2024", "2024-13", "Mar-1999", "32/13/2024", "Maret",
                                  "31/02/2026", "00/01/2026", "13/1/2026x",
                                  # ASCII digits only: Arabic-Indic and full-width digits are refused
                                  "2026-1\u0661", "\uff12\uff10\uff12\uff16-\uff10\uff11",
                                  "\u0660\u0665/01/2026"])
def test_impossible_months(text):
    with pytest.raises(RowRejected, match="coverage_start_invalid"):
        clean_month(text)


@pytest.mark.parametrize("text,amount", [("2500000", 2_500_000), ("2.500.000", 2_500_000),
                                         ("Rp 2.500.000", 2_500_000), ("", None),
                                         ("2.100.000,00", 2_100_000), ("Rp2.100.000,-", 2_100_000)])
def test_income(text, amount):
    assert clean_income(text) == amount


@pytest.mark.parametrize("text,code", [("2.100.000,50", "income_cents"), ("2,100", "income_ambiguous"),
                                       ("2100000.5", "income_ambiguous"), ("dua juta", "income_invalid")])
def test_unreadable_incomes_say_why(text, code):
    """berjasa.number_text.parse_rupiah decides; the importer names the income column."""
    with pytest.raises(RowRejected) as refused:
        clean_income(text)
    assert (refused.value.code, refused.value.column) == (code, "monthly_income")


@settings(max_examples=examples(100))  # hypothesis' default; a fifth in the quick loop
@given(st.text(max_size=20))
def test_cleaners_never_crash(text):
    for clean in (clean_income, clean_kpj, clean_month, clean_kelurahan):
        try:
            clean(text)
        except RowRejected:
            pass


@pytest.mark.parametrize("text", ["\u0661\u0669\u0669\u0660-01-01", "01-01-\u0661\u0669\u0669\u0660",
                                  "\uff10\uff11-\uff10\uff11-\uff11\uff19\uff19\uff10"])
def test_dates_take_ascii_digits_only(text):
    with pytest.raises(RowRejected):
        clean_date(text)


@pytest.mark.parametrize("cell,key", [("No. KPJ", "no_kpj"), ("Nomor KPJ", "no_kpj"), ("no_kpj", "no_kpj"),
                                      ("Tgl. Lahir", "tgl_lahir"), ("Tanggal Lahir", "tgl_lahir"),
                                      ("Penghasilan (Rp)", "penghasilan"), ("JHT?", "jht"),
                                      ("\ufeff\"NIK\"", "nik"), ("Kode-Kelurahan", "kode_kelurahan"),
                                      ("Status  Peserta", "status_peserta")])
def test_header_cells_are_compared_without_punctuation_or_abbreviations(cell, key):
    assert header_key(cell) == key


def test_kelurahan_codes():
    assert clean_kelurahan("7371011001") == "73.71.01.1001"
    assert clean_kelurahan("") is None
    with pytest.raises(RowRejected):
        clean_kelurahan("73.71.99.9999")
