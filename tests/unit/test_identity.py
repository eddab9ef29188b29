"""NIK and KK checks: one parametrized case per code, and the messages that say
which part is wrong."""

from __future__ import annotations

import datetime

import pytest

from berjasa.identity import (
    IdentityError,
    NikParts,
    Problem,
    check_kk,
    check_nik,
    has_errors,
    is_nik_damaged_by_spreadsheet,
    nik_parts,
)
from berjasa.synthetic import make_kk, make_nik

# A man born 1 Oct 1990 in Mariso, serial 0001: PPKKCC=737101 DD=01 MM=10 YY=90.
MAN = "7371010110900001"
MAN_BORN = datetime.date(1990, 10, 1)
# A woman born 5 Feb 1985 in Tamalate: DD = 05 + 40 = 45.
WOMAN = "7371054502850123"
WOMAN_BORN = datetime.date(1985, 2, 5)


def codes(problems: list[Problem]) -> list[str]:
    """The codes, in order, for short assertions."""
    return [p.code for p in problems]


def test_valid_nik_has_no_problems():
    assert check_nik(MAN, MAN_BORN, "L") == []
    assert check_nik(WOMAN, WOMAN_BORN, "P") == []


@pytest.mark.parametrize("value", ["7371 0101 1090 0001", " 7371010110900001 ",
                                   "7371\u00a00101\u00a01090\u00a00001"])
def test_spaces_are_stripped(value):
    assert check_nik(value, MAN_BORN, "L") == []


@pytest.mark.parametrize("value, code", [
    (None, "nik_required"),
    ("", "nik_required"),
    ("   ", "nik_required"),
    (7371010110900001, "nik_not_text"),
    (7.371010110900001e15, "nik_not_text"),
    (True, "nik_not_text"),
    (["7371010110900001"], "nik_not_text"),
    ("737101011090000", "nik_damaged_by_spreadsheet"),      # 15 digits
    ("7.37101E+15", "nik_damaged_by_spreadsheet"),
    ("7,37101E+15", "nik_damaged_by_spreadsheet"),         # Indonesian locale
    ("7.37101e15", "nik_damaged_by_spreadsheet"),
    ("7371010110900001.0", "nik_damaged_by_spreadsheet"),
    ("7371010110900001,00", "nik_damaged_by_spreadsheet"),
    ("73710101109000011", "nik_length"),                    # 17 digits
    ("737101011090000A", "nik_not_digits"),
    ("7E71010110900001", "nik_not_digits"),                 # an E typo, not a float
    ("73710101109O0001", "nik_not_digits"),                 # letter O for zero
    ("73.71.01.011090.0001", "nik_not_digits"),
    ("737101-011090-0001", "nik_not_digits"),
    ("７３７１０１０１１０９０００１", "nik_not_digits"),       # full-width digits
    ("7371010110900001\u200b", "nik_not_digits"),
])
def test_structural_problems_stop_further_checks(value, code):
    assert codes(check_nik(value, MAN_BORN, "L")) == [code]


def test_not_text_message_says_why():
    [problem] = check_nik(7371010110900001)
    assert problem.message == "NIK harus ditulis sebagai teks 16 digit, bukan angka."


@pytest.mark.parametrize("value", ["7.37101E+15", "7371010110900001.0", "737101011090000"])
def test_damage_message_says_retype_from_ktp(value):
    [problem] = check_nik(value)
    assert "ketik ulang nik dari ktp" in problem.message.lower()


def test_not_digits_message_names_the_characters():
    [problem] = check_nik("73710101109O00-1")
    assert "'O'" in problem.message and "'-'" in problem.message


def test_messages_never_contain_the_whole_nik():
    for problems in (check_nik("1071013502900000", MAN_BORN, "P"), check_kk("1071013102900000")):
        assert problems and all("1071013" not in p.message for p in problems)


@pytest.mark.parametrize("nik", ["1071010110900001", "9971010110900001",
                                 "0071010110900001", "2071010110900001"])
def test_province_must_exist(nik):
    problems = check_nik(nik, MAN_BORN, "L")
    assert codes(problems) == ["nik_province_unknown"]    # and no region warning on top
    assert f"2 digit pertama: {nik[:2]}" in problems[0].message


@pytest.mark.parametrize("nik", ["7372010110900001", "7301010110900001", "3171010110900001",
                                 "9601010110900001"])
def test_outside_makassar_is_only_a_warning(nik):
    problems = check_nik(nik, MAN_BORN, "L")
    assert codes(problems) == ["nik_region_outside_makassar"]
    assert problems[0].severity == "warning" and not has_errors(problems)


@pytest.mark.parametrize("region", ["737108", "737115", "737101", "737114"])
def test_every_makassar_kecamatan_including_old_ujung_tanah(region):
    assert check_nik(region + "0110900001", MAN_BORN, "L") == []


def test_unknown_makassar_kecamatan_is_a_warning():
    problems = check_nik("7371990110900001", MAN_BORN, "L")
    assert codes(problems) == ["nik_kecamatan_unknown"] and not has_errors(problems)


@pytest.mark.parametrize("nik, code", [
    ("7371013510900001", "nik_day_invalid"),    # day 35
    ("7371010010900001", "nik_day_invalid"),    # day 00
    ("7371014010900001", "nik_day_invalid"),    # day 40
    ("7371017210900001", "nik_day_invalid"),    # day 72
    ("7371013210900001", "nik_day_invalid"),    # day 32
    ("7371010113900001", "nik_month_invalid"),
    ("7371010100900001", "nik_month_invalid"),
    ("7371013102900001", "nik_date_invalid"),   # 31 Feb
    ("7371017102900001", "nik_date_invalid"),   # 31 Feb, woman
    ("7371012902010001", "nik_date_invalid"),   # 29 Feb 2001
    ("7371013104900001", "nik_date_invalid"),   # 31 Apr
    ("7371010110900000", "nik_serial_zero"),
])
def test_date_and_serial_problems(nik, code):
    assert codes(check_nik(nik)) == [code]


@pytest.mark.parametrize("nik", ["7371012902000001", "7371016902960001"])
def test_leap_days_exist(nik):
    assert check_nik(nik) == []


def test_all_problems_are_reported_together():
    found = codes(check_nik("1071013513900000", datetime.date(1991, 10, 1), "L"))
    assert found == ["nik_province_unknown", "nik_day_invalid", "nik_month_invalid",
                     "nik_serial_zero", "nik_birth_date_mismatch"]


def test_woman_without_plus_40_is_a_sex_mismatch_not_a_date_mismatch():
    problems = check_nik("7371010502850123", WOMAN_BORN, "P")
    assert codes(problems) == ["nik_sex_mismatch"]
    assert "ditambah 40" in problems[0].message and "05" in problems[0].message


def test_man_with_day_41_is_a_sex_mismatch():
    problems = check_nik("7371014110900001", MAN_BORN, "L")
    assert codes(problems) == ["nik_sex_mismatch"]
    assert "(41)" in problems[0].message and "perempuan ditambah 40" in problems[0].message


def test_sex_is_compared_without_a_birth_date_and_case_insensitively():
    assert codes(check_nik(WOMAN, sex="l")) == ["nik_sex_mismatch"]
    assert check_nik(WOMAN, sex=" p ") == []
    assert check_nik(WOMAN, sex="X") == []      # not a sex the form allows: not compared


@pytest.mark.parametrize("born, part, in_nik, in_form", [
    (datetime.date(1990, 10, 2), "hari", "01", "02"),
    (datetime.date(1990, 11, 1), "bulan", "10", "11"),
    (datetime.date(1991, 10, 1), "tahun", "90", "1991"),
    (datetime.date(2090, 10, 1), None, None, None),           # same YY: not provable
])
def test_birth_date_mismatch_names_the_part(born, part, in_nik, in_form):
    problems = check_nik(MAN, born, "L")
    if part is None:
        assert problems == []
        return
    [problem] = problems
    assert problem.code == "nik_birth_date_mismatch"
    assert f"{part} lahir di NIK {in_nik}, di formulir {in_form}" in problem.message


def test_birth_date_mismatch_for_a_woman_shows_the_40():
    [problem] = check_nik(WOMAN, datetime.date(1985, 2, 6), "P")
    assert "45 - 40 = 05" in problem.message and "06" in problem.message


def test_every_mismatching_part_is_reported():
    found = check_nik(MAN, datetime.date(1991, 11, 2), "L")
    assert codes(found) == ["nik_birth_date_mismatch"] * 3
    assert [p.message.split(":")[1].split()[0] for p in found] == ["hari", "bulan", "tahun"]


@pytest.mark.parametrize("born", ["1990-10-01", datetime.datetime(1990, 10, 1, 8, 30)])
def test_birth_date_may_be_an_iso_string_or_datetime(born):
    assert check_nik(MAN, born, "L") == []


def test_nik_parts():
    assert nik_parts(WOMAN) == NikParts(region="737105", province="73", day=45, month=2,
                                        year2=85, serial=123)
    assert (nik_parts(WOMAN).sex, nik_parts(WOMAN).birth_day) == ("P", 5)
    assert (nik_parts(MAN).sex, nik_parts(MAN).birth_day) == ("L", 1)
    with pytest.raises(ValueError):
        nik_parts("737101011090000")


def test_make_nik_and_make_kk():
    assert make_nik(WOMAN_BORN, "P", "73.71.05", 123) == WOMAN
    assert make_nik(MAN_BORN, "L") == MAN
    assert make_kk(datetime.date(2019, 3, 7), "737110", 42) == "7371100703190042"
    for bad in ({"sex": "X"}, {"region": "7371"}, {"serial": 10000}):
        with pytest.raises(ValueError):
            make_nik(**{"birth_date": MAN_BORN, "sex": "L", **bad})


@pytest.mark.parametrize("value, damaged", [
    ("7.37101E+15", True), ("7371010110900001.0", True), ("737101011090000", True),
    (7.371010110900001e15, True), (737101011090000, True), ("7371010110900001", False),
    ("73710101109000011", False), ("737101011090000A", False), ("", False), (None, False),
    ("7371 0101 1090 000", True),
])
def test_is_nik_damaged_by_spreadsheet(value, damaged):
    assert is_nik_damaged_by_spreadsheet(value) is damaged


# --- KK ---------------------------------------------------------------------------

KK = "7371100703190042"   # Biringkanaya, issued 7 Mar 2019, serial 0042


def test_valid_kk():
    assert check_kk(KK) == [] and check_kk("7371 1007 0319 0042") == []


@pytest.mark.parametrize("value, code, severity", [
    (None, "kk_required", "error"),
    (7371100703190042, "kk_not_text", "error"),
    ("7.3711E+15", "kk_damaged_by_spreadsheet", "error"),
    ("7371100703190042.0", "kk_damaged_by_spreadsheet", "error"),
    ("737110070319004", "kk_damaged_by_spreadsheet", "error"),
    ("73711007031900421", "kk_length", "error"),
    ("73711007031900A2", "kk_not_digits", "error"),
    ("1071100703190042", "kk_province_unknown", "error"),
    ("7372100703190042", "kk_region_outside_makassar", "warning"),
    ("7371993103190042", "kk_kecamatan_unknown", "warning"),
    ("7371103102190042", "kk_date_invalid", "error"),   # 31 Feb
    ("7371104703190042", "kk_date_invalid", "error"),   # no +40 in a KK
    ("7371100713190042", "kk_date_invalid", "error"),
    ("7371100003190042", "kk_date_invalid", "error"),
    ("7371100703190000", "kk_serial_zero", "error"),
])
def test_kk_problems(value, code, severity):
    [problem] = check_kk(value)
    assert (problem.code, problem.severity) == (code, severity)


def test_kk_messages_name_the_kk():
    assert all("Nomor KK" in p.message for p in check_kk("1071103102190000"))


def test_identity_error_carries_code_and_message():
    error = IdentityError("phone_invalid", "Nomor telepon tidak sah.")
    assert isinstance(error, ValueError)
    assert (error.code, error.message, str(error)) == ("phone_invalid",
                                                      "Nomor telepon tidak sah.",
                                                      "Nomor telepon tidak sah.")
