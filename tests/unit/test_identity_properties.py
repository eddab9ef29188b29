"""Property tests for NIK and KK: every number built by make_nik/make_kk passes, and
breaking exactly one part brings out the code for that part."""

from __future__ import annotations

import datetime
import string

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from berjasa.identity import check_kk, check_nik, has_errors, nik_parts, region_warnings
from berjasa.reference import PROVINCE_CODES, kecamatan_codes
from berjasa.synthetic import make_kk, make_nik
from tests.helpers import examples

PROPERTY = settings(max_examples=examples(200), deadline=None)

MAKASSAR_KECAMATAN = sorted(kecamatan_codes())
ELSEWHERE = st.builds(lambda p, kab, kec: f"{p:02d}{kab:02d}{kec:02d}",
                      st.sampled_from(sorted(PROVINCE_CODES)), st.integers(1, 99),
                      st.integers(1, 99))
regions = st.one_of(st.sampled_from(MAKASSAR_KECAMATAN), ELSEWHERE)
dates = st.dates(datetime.date(1900, 1, 1), datetime.date.today())
sexes = st.sampled_from(["L", "P"])
serials = st.integers(1, 9999)
WARNINGS = {"nik_region_outside_makassar", "nik_kecamatan_unknown"}
UNKNOWN_PROVINCES = sorted(set(range(100)) - PROVINCE_CODES)


@st.composite
def people(draw):
    """(nik, birth_date, sex) for a valid person anywhere in Indonesia."""
    born, sex = draw(dates), draw(sexes)
    return make_nik(born, sex, draw(regions), draw(serials)), born, sex


def codes(problems):
    """The set of codes, for membership assertions."""
    return {p.code for p in problems}


def splice(number: str, start: int, text: str) -> str:
    """``number`` with the characters from ``start`` replaced by ``text``."""
    return number[:start] + text + number[start + len(text):]


def mismatched_parts(problems):
    """Which parts (hari, bulan, tahun) the birth-date problems name."""
    return {p.message.split(":")[1].split()[0] for p in problems
            if p.code == "nik_birth_date_mismatch"}


@PROPERTY
@given(people())
def test_built_nik_passes_and_parses_back(person):
    nik, born, sex = person
    problems = check_nik(nik, born, sex)
    assert not has_errors(problems)
    assert codes(problems) <= WARNINGS
    assert (nik[:6] in MAKASSAR_KECAMATAN) == (problems == [])
    parts = nik_parts(nik)
    assert (parts.sex, parts.birth_day, parts.month) == (sex, born.day, born.month)
    assert parts.year2 == born.year % 100 and parts.region == nik[:6]


@PROPERTY
@given(people(), st.integers(1, 28))
def test_other_day_is_a_day_mismatch(person, day):
    nik, born, sex = person
    assume(day != born.day)
    wrong = splice(nik, 6, f"{day + (40 if sex == 'P' else 0):02d}")
    problems = check_nik(wrong, born, sex)
    assert mismatched_parts(problems) == {"hari"}
    assert "nik_sex_mismatch" not in codes(problems)


@PROPERTY
@given(people(), st.sampled_from([0, *range(32, 41), *range(72, 100)]))
def test_impossible_day_is_day_invalid(person, day):
    nik, born, sex = person
    assert "nik_day_invalid" in codes(check_nik(splice(nik, 6, f"{day:02d}"), born, sex))


@PROPERTY
@given(people(), st.integers(1, 12))
def test_other_month_is_a_month_mismatch(person, month):
    nik, born, sex = person
    assume(month != born.month)
    problems = check_nik(splice(nik, 8, f"{month:02d}"), born, sex)
    assert "bulan" in mismatched_parts(problems)


@PROPERTY
@given(people(), st.sampled_from([0, *range(13, 100)]))
def test_impossible_month_is_month_invalid(person, month):
    nik, born, sex = person
    assert "nik_month_invalid" in codes(check_nik(splice(nik, 8, f"{month:02d}"), born, sex))


@PROPERTY
@given(people(), st.integers(0, 99))
def test_other_year_is_a_year_mismatch(person, year2):
    nik, born, sex = person
    assume(year2 != born.year % 100)
    problems = check_nik(splice(nik, 10, f"{year2:02d}"), born, sex)
    assert "tahun" in mismatched_parts(problems)


@PROPERTY
@given(people())
def test_serial_zero(person):
    nik, born, sex = person
    assert "nik_serial_zero" in codes(check_nik(splice(nik, 12, "0000"), born, sex))


@PROPERTY
@given(people())
def test_declared_sex_flipped_is_a_sex_mismatch_only(person):
    nik, born, sex = person
    problems = check_nik(nik, born, "L" if sex == "P" else "P")
    assert "nik_sex_mismatch" in codes(problems)
    assert "nik_birth_date_mismatch" not in codes(problems)


@PROPERTY
@given(people())
def test_forty_added_or_forgotten_is_a_sex_mismatch_only(person):
    nik, born, sex = person
    day = born.day + (40 if sex == "L" else 0)      # the other sex's encoding
    problems = check_nik(splice(nik, 6, f"{day:02d}"), born, sex)
    assert "nik_sex_mismatch" in codes(problems)
    assert "nik_birth_date_mismatch" not in codes(problems)


@PROPERTY
@given(people(), st.integers(0, 15), st.sampled_from(string.ascii_letters + "-./"))
def test_one_digit_replaced_by_a_letter(person, position, char):
    nik, born, sex = person
    damaged = splice(nik, position, char)
    # digits then ".0" / ".00" is what a spreadsheet writes for a number: its own code
    tail = damaged[position + 1:]
    assume(not (char == "." and tail and set(tail) == {"0"}))
    assert [p.code for p in check_nik(damaged, born, sex)] == ["nik_not_digits"]


@PROPERTY
@given(people(), st.integers(0, 15))
def test_dropped_digit_is_spreadsheet_damage(person, position):
    nik, born, sex = person
    short = nik[:position] + nik[position + 1:]
    assert [p.code for p in check_nik(short, born, sex)] == ["nik_damaged_by_spreadsheet"]


@PROPERTY
@given(people(), st.integers(0, 16), st.sampled_from(string.digits))
def test_extra_digit_is_length(person, position, digit):
    nik, born, sex = person
    longer = nik[:position] + digit + nik[position:]
    assert [p.code for p in check_nik(longer, born, sex)] == ["nik_length"]


@PROPERTY
@given(people(), st.sampled_from(UNKNOWN_PROVINCES))
def test_unknown_province(person, province):
    nik, born, sex = person
    problems = check_nik(splice(nik, 0, f"{province:02d}"), born, sex)
    assert "nik_province_unknown" in codes(problems)
    assert "nik_region_outside_makassar" not in codes(problems)


@PROPERTY
@given(people())
def test_what_a_spreadsheet_makes_of_a_nik_is_refused(person):
    nik, born, sex = person
    as_float = float(nik)
    for shown in (str(as_float), f"{as_float:.5E}", f"{as_float:E}".replace(".", ",")):
        assert [p.code for p in check_nik(shown, born, sex)] == ["nik_damaged_by_spreadsheet"]
    assert [p.code for p in check_nik(int(nik), born, sex)] == ["nik_not_text"]
    assert [p.code for p in check_nik(as_float, born, sex)] == ["nik_not_text"]


@PROPERTY
@given(st.one_of(st.text(max_size=40), st.text(alphabet="0123456789 .E+", max_size=20),
                 st.integers(), st.floats(), st.none()), dates, sexes)
def test_check_nik_never_raises_on_any_input(value, born, sex):
    problems = check_nik(value, born, sex)
    assert all(p.code.startswith("nik_") and p.message for p in problems)
    assert all(p.severity in ("error", "warning") for p in problems)


# --- KK ---------------------------------------------------------------------------

@st.composite
def kks(draw):
    """A valid KK number issued anywhere in Indonesia."""
    return make_kk(draw(dates), draw(regions), draw(serials))


@PROPERTY
@given(kks())
def test_built_kk_passes(kk):
    problems = check_kk(kk)
    assert not has_errors(problems)
    assert codes(problems) <= {"kk_region_outside_makassar", "kk_kecamatan_unknown"}


@PROPERTY
@given(kks(), st.sampled_from([0, *range(32, 100)]))
def test_kk_impossible_day_including_plus_40(kk, day):
    assert "kk_date_invalid" in codes(check_kk(splice(kk, 6, f"{day:02d}")))


@PROPERTY
@given(kks(), st.sampled_from([0, *range(13, 100)]))
def test_kk_impossible_month(kk, month):
    assert "kk_date_invalid" in codes(check_kk(splice(kk, 8, f"{month:02d}")))


@PROPERTY
@given(kks(), st.integers(0, 15), st.sampled_from(string.ascii_letters))
def test_kk_one_digit_mutations(kk, position, letter):
    assert "kk_serial_zero" in codes(check_kk(splice(kk, 12, "0000")))
    assert [p.code for p in check_kk(splice(kk, position, letter))] == ["kk_not_digits"]
    dropped = kk[:position] + kk[position + 1:]
    assert [p.code for p in check_kk(dropped)] == ["kk_damaged_by_spreadsheet"]
    assert [p.code for p in check_kk(kk + "1")] == ["kk_length"]


@PROPERTY
@given(kks(), st.sampled_from(UNKNOWN_PROVINCES))
def test_kk_unknown_province(kk, province):
    assert "kk_province_unknown" in codes(check_kk(splice(kk, 0, f"{province:02d}")))


# --- region warnings (what a stored record keeps) -------------------------------

def broken(number: str, position: int, char: str) -> str:
    return splice(number, position % 16, char)


numbers = st.one_of(
    people().map(lambda person: person[0]), kks(),
    st.builds(broken, people().map(lambda person: person[0]), st.integers(0, 15),
              st.sampled_from("0049x ")),
    st.builds(broken, kks(), st.integers(0, 15), st.sampled_from("0049x ")),
    st.text(alphabet="0123456789 .E+", max_size=20), st.text(max_size=20), st.integers(),
    st.none())


@PROPERTY
@given(numbers)
def test_region_warnings_are_the_warnings_of_the_full_check(value):
    for kind, check in (("nik", check_nik), ("kk", check_kk)):
        assert region_warnings(value, kind) == [p for p in check(value) if p.severity == "warning"]
