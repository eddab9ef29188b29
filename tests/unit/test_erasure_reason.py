"""berjasa.erasure.erasure_reason: a request's reason (kept for good in both
append-only trails) must name nobody. Properties over generated NIKs, names and
letter numbers: the NIK being erased in any spelling, any 16-digit run and the
record's names are refused naming the field; a letter number passes unchanged."""

from __future__ import annotations

import datetime as dt
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from berjasa.erasure import COMMON_WORDS, erasure_reason, record_names
from berjasa.problems import ValidationFailed
from berjasa.synthetic import make_nik
from tests.helpers import examples

BORN = st.dates(dt.date(1950, 1, 1), dt.date(2006, 12, 31))
NIKS = st.builds(make_nik, BORN, st.sampled_from("LP"))
# how people split a long number when they type it
GLUE = st.sampled_from([" ", ".", "-", " - ", "  ", ". ", "_", "\u2013"])
WORD = st.text(string.ascii_letters + "éëÉ’'", min_size=3, max_size=10).filter(
    lambda w: sum(c.isalpha() for c in w) >= 3 and w.casefold() not in COMMON_WORDS)
LETTER_NUMBERS = st.builds(
    lambda n, roman, year, unit: f"Surat No. {n}/{unit}/{roman}/{year}",
    st.integers(1, 9999), st.sampled_from(["I", "IV", "XI", "XII"]), st.integers(2024, 2030),
    st.sampled_from(["PDP", "Kel-BTR", "Disnaker"]))


def refusal(reason: str, **context) -> str:
    with pytest.raises(ValidationFailed) as refused:
        erasure_reason(reason, **context)
    body = refused.value.to_dict()
    assert body["error_codes"] == {"reason": ["reason_names_person"]}
    [message] = body["errors"]["reason"]
    # names the field and says what to write instead
    assert message.startswith("Alasan (--reason)") and "nomor surat" in message
    return message


def spelled(nik: str, cuts: list[int], glue: str) -> str:
    """The NIK with ``glue`` at the positions ``cuts``."""
    out, last = [], 0
    for cut in sorted(set(cuts)):
        out.append(nik[last:cut])
        last = cut
    out.append(nik[last:])
    return glue.join(part for part in out if part)


@settings(max_examples=examples(200), deadline=None)
@given(nik=NIKS, cuts=st.lists(st.integers(1, 15), max_size=4), glue=GLUE,
       before=LETTER_NUMBERS)
def test_the_nik_being_erased_is_refused_however_it_is_spelled(nik, cuts, glue, before):
    reason = f"{before} permohonan NIK {spelled(nik, cuts, glue)}"
    message = refusal(reason, nik=nik)
    assert nik not in message  # the refusal itself never repeats it


@settings(max_examples=examples(100), deadline=None)
@given(nik=NIKS, other=NIKS, glue=GLUE, cuts=st.lists(st.integers(1, 15), max_size=3))
def test_any_sixteen_digit_run_is_refused_without_knowing_whose(nik, other, glue, cuts):
    # another person's NIK, a KK: any 16 digits in a row (or split by spaces, dots, dashes)
    assert "15 angka" in refusal(f"Surat 3/XI atas nama {spelled(other, cuts, glue)}", nik=nik) or \
        nik in other
    assert "15 angka" in refusal(f"KK {other}")
    assert "15 angka" in refusal(f"KK {other[:-1]} ")  # one digit left out still names them  # no NIK given at all (central's restore)


@settings(max_examples=examples(100), deadline=None)
@given(nik=NIKS)
def test_the_nik_with_slashes_inside_is_refused(nik):
    # the NIK being erased is found in the reason's digits whatever stands between
    # them; any number in slashed groups of four (a KK "7371/0154/0178/0001") too
    refusal(f"Surat {nik[:4]}/{nik[4:8]}/{nik[8:12]}/{nik[12:]}", nik=nik)
    refusal(f"Surat {nik[:4]}/{nik[4:8]}/{nik[8:12]}/{nik[12:]}")
    # letter numbers' slashed groups are short
    assert erasure_reason("Surat 470/123/2026/XI/0012") == "Surat 470/123/2026/XI/0012"


@settings(max_examples=examples(200), deadline=None)
@given(first=WORD, last=WORD, letter=LETTER_NUMBERS, upper=st.booleans())
def test_the_whole_name_or_a_word_of_it_is_refused(first, last, letter, upper):
    record = {"full_name": f"{first} {last}", "mother_name": None, "heir_name": None}
    said = last.upper() if upper else last
    message = refusal(f"{letter} permohonan {said}", names=record_names([record]))
    assert "nama orang itu" in message
    refusal(f"{letter} dari {record['full_name']}", names=record_names([record]))


def test_accents_apostrophes_and_other_name_fields_count():
    record = {"full_name": "Ma’ruf Daéng Ngëmba", "mother_name": "Hj. St. Aminah",
              "heir_name": "Rahmat"}
    names = record_names([record])
    assert "maruf" in refusal("Surat 1/XI dari Maruf", names=names)
    assert "ngemba" in refusal("Surat 1/XI NGEMBA", names=names)
    assert "nama ibu kandung" in refusal("Surat 1/XI anak Aminah", names=names)
    assert "nama ahli waris" in refusal("Surat 1/XI ahli waris rahmat", names=names)
    # words of fewer than three letters (titles, initials) and parts of other words pass
    assert erasure_reason("Surat 1/XI/2026 Hj St", names=names) == "Surat 1/XI/2026 Hj St"
    assert erasure_reason("Surat 1/XI/2026 Rahmatullah", names=names)


@settings(max_examples=examples(200), deadline=None)
@given(nik=NIKS, letter=LETTER_NUMBERS, date=st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31)))
def test_a_letter_number_and_its_date_pass_unchanged(nik, letter, date):
    record = {"full_name": "Cawisono Prakasa", "mother_name": "Siti Aminah", "heir_name": None}
    reason = f"{letter} tanggal {date:%d-%m-%Y} ({date:%d.%m.%Y})"
    assert erasure_reason(f"  {reason} ", nik=nik, names=record_names([record])) == reason


def test_the_messages_of_the_report():
    """h2's report: the natural letter that names the person is refused."""
    nik = "7371102608823410"
    names = record_names([{"full_name": "Cawisono Prakasa"}])
    refusal("Permohonan hapus dari Cawisono Prakasa NIK 7371102608823410", nik=nik, names=names)
    refusal("Permohonan Kania Melani, NIK 7371 1359 0685 0467")
    refusal("Permohonan hapus NIK 7371.1026.0882.3410", nik=nik)


def test_the_third_reviewers_cases():
    """h3's report: a NIK one digit short, a KK with slashes and a name run together
    named the person; a dated letter was refused for a heir named like its month."""
    names = record_names([{"full_name": "Jasmin Latupono", "mother_name": "Restu",
                           "heir_name": "Juli Hutapea"}])
    refusal("NIK 737101610967111, lahir 12-03-1990, Jl. Veteran", names=names)
    refusal("KK 7371/0154/0178/0001", names=names)
    refusal("Permohonan JasminLatupono", names=names)
    refusal("Surat 1/XI dari Juli Hutapea", names=names)
    for fine in ("Surat No. 470/123/Kel-BTR/VII/2026 tanggal 3 Juli 2026",
                 "Surat 12/XI/2026 diterima 12-11-2026 14.30",
                 "Surat 3.7.26 pukul 09:15"):
        assert erasure_reason(fine, names=names) == fine
