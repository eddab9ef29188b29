"""The import cell cleaners (central/import_cells.py) under hypothesis."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from berjasa.eligibility import ACTIVE_BPJS
from central.bpjs_status import ACTIVE, STATUSES, bpjs_status
from central.import_cells import (
    NO,
    YES,
    RowRejected,
    clean_bpjs_status,
    clean_date,
    clean_desil,
    clean_flag,
    clean_identifier,
    clean_income,
    clean_kelurahan,
    clean_kpj,
    clean_month,
    strip_cell,
)
from central.import_columns import header_key
from central.import_patterns import beyond_chance, fewest_beyond_chance, upper_tail
from central.storage.reports import ACTIVE_BPJS_STATUSES
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


# --- the cohort's JHT column (h1 review, defect 9) --------------------------------------

YES_SPELLINGS = ["ya", "Ya", "YA ", "Ya.", "iya", "Iya", "y", "Y", "yes", "BENAR", "Benar", "TRUE",
                 "true", "1", "Ikut", "IKUT", "v", "V", "x", "\u2713", "\u2714", "\u221a", " ya! "]
NO_SPELLINGS = ["", " ", "tidak", "Tidak", "TIDAK.", "tdk", "t", "n", "N", "no", "SALAH", "salah",
                "FALSE", "false", "0", "-", "Tidak ikut"]


@pytest.mark.parametrize("text", YES_SPELLINGS)
def test_jht_yes_as_people_and_excel_write_it(text):
    """``BENAR`` is Indonesian Excel's TRUE, ``Ikut`` the natural answer under ``Ikut JHT``:
    both were read as "no JHT" without a word."""
    assert clean_flag(text) == 1


@pytest.mark.parametrize("text", NO_SPELLINGS)
def test_jht_no_as_people_and_excel_write_it(text):
    assert clean_flag(text) == 0


@settings(max_examples=examples(100))  # hypothesis' default; a fifth in the quick loop
@given(st.sampled_from(YES_SPELLINGS + NO_SPELLINGS), padding, padding,
       st.sampled_from(["", ".", "!", ",", "..", ";"]), st.booleans())
def test_jht_case_spaces_and_trailing_punctuation_change_nothing(text, before, after, punctuation, upper):
    word = text.upper() if upper else text.casefold()
    assert clean_flag(f"{before}{word}{punctuation}{after}") == clean_flag(text)


@settings(max_examples=examples(100))  # hypothesis' default; a fifth in the quick loop
@given(st.text(max_size=12))
def test_jht_is_yes_no_or_a_refusal_naming_the_value(text):
    word = " ".join(strip_cell(text).casefold().split()).rstrip(".,;:!? ")
    if word in YES or word in NO:
        assert clean_flag(text) == (word in YES)
        return
    with pytest.raises(RowRejected) as refused:
        clean_flag(text)
    assert (refused.value.code, refused.value.column) == ("jht_invalid", "jht")
    assert refused.value.value == strip_cell(text)[:40]
    assert f"\"{refused.value.value}\"" in (refused.value.detail or "")


@pytest.mark.parametrize("text", ["mungkin", "2", "ya tidak", "JHT", "ok", "Ya/Tidak", "yaa"])
def test_unknown_jht_values_refuse_the_row(text):
    with pytest.raises(RowRejected) as refused:
        clean_flag(text)
    assert refused.value.code == "jht_invalid" and refused.value.value == text


# --- the BPJS list's status (h1 review, defect 10) ----------------------------------------

STATUS_SPELLINGS = {
    "aktif": ["Aktif", "AKTIF", "aktif", "Active", "Aktif (BPU)", "AKTIF-BPU", "Aktif/Active", "aktif.",
              "Active Member", "AKTIF BPU", "Status Aktif", "Peserta Aktif", "Ya Aktif", "TRUE", "BENAR",
              "Aktif\u00a0", "", " ", "a", "1", "ya", "Y", "Aktif - Active", "Kepesertaan: Aktif"],
    "nonaktif": ["Nonaktif", "Non Aktif", "NON-AKTIF", "non aktif", "Tidak Aktif", "Tdk Aktif",
                 "Inactive", "Non Active", "Nonaktif / Inactive", "Non Aktif/Inactive", "Pasif",
                 "Status Non Aktif", "Peserta Tidak Aktif", "Tidak", "N", "0", "FALSE", "SALAH"],
    "keluar": ["Keluar", "KELUAR", "Berhenti", "Exit", "Mengundurkan Diri", "Keluar Kepesertaan"],
    "meninggal": ["Meninggal", "Meninggal Dunia", "MENINGGAL DUNIA", "MD", "Wafat", "Deceased"],
    "ditolak": ["Ditolak", "DITOLAK", "Tolak", "Rejected", "Batal", "Dibatalkan", "Cancelled"],
}


@pytest.mark.parametrize("text,status", [(t, s) for s, spellings in STATUS_SPELLINGS.items()
                                         for t in spellings])
def test_bpjs_status_spellings(text, status):
    """The one mapping (central.bpjs_status.bpjs_status): the import stores its answer;
    unknown spellings were read as "not a participant" and registered a participant twice."""
    assert bpjs_status(text) == status
    assert clean_bpjs_status(text) == status


@pytest.mark.parametrize("text", ["Ya Aktif Tidak", "Aktif/Nonaktif", "Suspend", "Menunggak", "Pending",
                                  "Belum Aktif", "JKM", "-", "?", "Status", "Aktif Menunggak", "2"])
def test_unknown_bpjs_statuses_refuse_the_row_naming_the_value(text):
    assert bpjs_status(text) is None
    with pytest.raises(RowRejected) as refused:
        clean_bpjs_status(text)
    assert (refused.value.code, refused.value.column) == ("bpjs_status_unknown", "status")
    assert refused.value.value == text.strip() and f"\"{text.strip()}\"" in refused.value.detail


@settings(max_examples=examples(100))  # hypothesis' default; a fifth in the quick loop
@given(st.sampled_from([(t, s) for s, spellings in STATUS_SPELLINGS.items() for t in spellings if t.strip()]),
       padding, padding, st.sampled_from(["", ".", " .", "!"]), st.booleans())
def test_bpjs_status_case_spacing_and_punctuation_change_nothing(spelling, before, after, punctuation, upper):
    text, status = spelling
    word = text.upper() if upper else text.casefold()
    assert bpjs_status(f"{before}{word}{punctuation}{after}") == status


@settings(max_examples=examples(100))  # hypothesis' default; a fifth in the quick loop
@given(st.text(max_size=30))
def test_a_bpjs_status_is_canonical_or_unknown_and_canonical_words_read_as_themselves(text):
    status = bpjs_status(text)
    assert status is None or status in STATUSES
    if status is not None:
        assert bpjs_status(status) == status  # stored values read back the same
    # the rules read the stored word: of the canonical words only "aktif" is participation
    assert set(STATUSES) & ACTIVE_BPJS == set(STATUSES) & set(ACTIVE_BPJS_STATUSES) == {ACTIVE}


# --- a column whose last digits Excel zeroed (h1 review, defect 3) ------------------------

@pytest.mark.parametrize("n", [1, 5, 10, 20, 37, 100])
def test_the_binomial_tail_is_exact(n):
    for k in range(n + 1):
        exact = sum(math.comb(n, i) * 0.1 ** i * 0.9 ** (n - i) for i in range(k, n + 1))
        assert upper_tail(n, k) == pytest.approx(exact, rel=1e-9) or (k <= n * 0.1 and upper_tail(n, k) == 1.0)


@pytest.mark.parametrize("n,fewest", [(6, None), (7, 7), (10, 8), (20, 11), (50, 18), (100, 28),
                                      (300, 60), (1000, 200), (1_000_000, 200_000)])
def test_the_refusal_thresholds_docs_central_md_lists(n, fewest):
    assert fewest_beyond_chance(n) == fewest


@settings(max_examples=examples(100))  # hypothesis' default; a fifth in the quick loop
@given(st.integers(min_value=1, max_value=100_000), st.floats(min_value=0, max_value=1))
def test_a_column_is_refused_only_past_chance_and_a_fifth(n, share):
    """A real list ends in 0 about one time in ten: it is never refused at a tenth or
    below, and refusing needs both a one-in-a-million tail and a fifth of the values."""
    k = round(n * share)
    if beyond_chance(n, k):
        assert k >= n * 0.2 and upper_tail(n, k) < 1e-6
        assert beyond_chance(n, min(n, k + 1))  # more zeros: still refused
    if k <= n * 0.1:
        assert not beyond_chance(n, k)
