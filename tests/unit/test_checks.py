"""berjasa.checks — the business checks of an enrollment, without HTTP or a schema."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from berjasa.checks import (
    check_enrollment,
    has_unprintable,
    unprintable_characters,
    unprintable_problem,
)
from berjasa.enrollment_schema import intake_load
from berjasa.erasure import erasure_reason
from berjasa.problems import ValidationFailed
from berjasa.settings import load_settings
from berjasa.synthetic import EnrollmentFaker, make_nik
from server.review import check_decision
from tests.helpers import examples

TODAY = dt.date(2026, 11, 26)
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.timezone.utc)
SETTINGS = {"oldest_age_years": 110, "income_min": 0, "income_max": 50_000_000,
            "work_categories": ["Pengemudi ojek", "Lainnya"]}
BORN = dt.date(1980, 4, 7)


def values(**changes):
    """Loaded values of a sound enrollment (as the schema hands them over)."""
    base = {"nik": make_nik(BORN, "P"), "birth_date": BORN, "sex": "P", "monthly_income": 900_000,
            "work_category": "Pengemudi ojek", "captured_at": NOW - dt.timedelta(hours=1)}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def codes(found):
    return {field: [p.code for p in problems] for field, problems in found.items()}


def check(record, settings=SETTINGS):
    return codes(check_enrollment(record, settings, TODAY, now=NOW))


def test_sound_values_have_no_problem():
    assert check(values()) == {}


@pytest.mark.parametrize("changes, expected", [
    ({"birth_date": TODAY + dt.timedelta(days=1)}, {"birth_date": ["birth_date_in_future"],
                                                     "nik": ["nik_birth_date_mismatch"] * 3}),
    ({"birth_date": dt.date(1915, 1, 1), "nik": make_nik(dt.date(1915, 1, 1), "P")},
     {"birth_date": ["birth_date_implausible"]}),
    ({"birth_date": dt.date(1916, 1, 1), "nik": make_nik(dt.date(1916, 1, 1), "P")}, {}),
    ({"sex": "L"}, {"nik": ["nik_sex_mismatch"]}),
    ({"birth_date": dt.date(1980, 4, 8)}, {"nik": ["nik_birth_date_mismatch"]}),
    ({"monthly_income": 50_000_001}, {"monthly_income": ["income_out_of_bounds"]}),
    ({"monthly_income": -1}, {"monthly_income": ["income_out_of_bounds"]}),
    ({"monthly_income": 50_000_000}, {}),
    ({"work_category": "  PENGEMUDI OJEK "}, {}),
    ({"work_category": "Pilot"}, {"work_category": ["unknown_work_category"]}),
    ({"work_category": 7}, {"work_category": ["unknown_work_category"]}),
    ({"work_category": ""}, {}),
    ({"work_category": None}, {}),
    ({"captured_at": NOW + dt.timedelta(days=1)}, {}),
    ({"captured_at": NOW + dt.timedelta(days=1, seconds=1)}, {"captured_at": ["captured_in_future"]}),
])
def test_each_rule_names_its_field_and_reason(changes, expected):
    assert check(values(**changes)) == expected


def test_every_problem_is_reported_at_once_in_field_order():
    found = check(values(monthly_income=-5, work_category="Pilot", sex="L"))
    assert list(found) == ["nik", "monthly_income", "work_category"]


def test_messages_are_indonesian_and_carry_the_settings():
    found = check_enrollment(values(monthly_income=10), {**SETTINGS, "income_min": 500_000},
                             TODAY, now=NOW)
    assert found["monthly_income"][0].message == \
        "Penghasilan per bulan harus antara Rp500.000 dan Rp50.000.000."


def test_fields_the_schema_refused_are_absent_and_skip_their_checks():
    partial = values(birth_date=..., monthly_income=..., captured_at=..., sex=...)
    assert check(partial) == {}
    assert check({}) == {}


def test_an_unreadable_nik_is_the_schemas_problem_not_a_cross_check():
    assert check(values(nik="7.37101E+15")) == {}


def test_settings_missing_fall_back_to_the_declared_defaults():
    assert check(values(monthly_income=60_000_000), {}) == {
        "monthly_income": ["income_out_of_bounds"], "work_category": ["unknown_work_category"]}


# --- typed text: printable, with the line breaks and tab a textarea gives ----------
# design.md: free text accepts any printable Unicode. Refused: controls (but the typed
# ones), format characters (but ZWNJ/ZWJ), surrogates, private-use and unassigned code
# points, line/paragraph separators (docs/api.md "Free text").

REFUSED_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
PRINTABLE_OR_TYPED = st.text(st.characters(blacklist_categories=REFUSED_CATEGORIES)
                             | st.sampled_from("\n\r\t\u200c\u200d"))
CONTROL = st.characters(whitelist_categories=("Cc",)).filter(lambda c: c not in "\n\r\t")
REFUSED = (st.characters(whitelist_categories=REFUSED_CATEGORIES)
           .filter(lambda c: c not in "\n\r\t\u200c\u200d"))
# The "Trojan Source" characters (bidi embeddings, overrides, isolates, marks) and the
# invisible ones that hide inside a word.
INVISIBLE = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
             "\u2069", "\u200e", "\u200f", "\u061c", "\u200b", "\u2060", "\ufeff", "\u00ad",
             "\u180e", "\U000e0041", "\u2028", "\u2029", "\ue000"]


@given(PRINTABLE_OR_TYPED)
def test_what_a_keyboard_types_is_printable(text):
    assert not has_unprintable(text)
    assert unprintable_problem(text) is None


@given(PRINTABLE_OR_TYPED, CONTROL, PRINTABLE_OR_TYPED)
def test_a_control_character_anywhere_is_found(before, control, after):
    assert has_unprintable(before + control + after)
    assert has_unprintable("a\tb", allowed="") and not has_unprintable("a\tb", allowed="\t")


@given(PRINTABLE_OR_TYPED, REFUSED, PRINTABLE_OR_TYPED, REFUSED, PRINTABLE_OR_TYPED)
def test_every_refused_character_is_named_once_in_order(a, first, b, second, c):
    text = a + first + b + second + c + first
    expected = list(dict.fromkeys([first, second]))
    assert unprintable_characters(text) == expected
    problem = unprintable_problem(text)
    assert problem.code == "unprintable_characters"
    for char in expected:
        assert f"U+{ord(char):04X} (" in problem.message


@given(st.text())
def test_the_rule_is_the_categories_but_the_typed_and_the_joiners(text):
    """An oracle in plain words: a character is refused when its category is one of
    REFUSED_CATEGORIES and it is neither a line break, a tab nor ZWNJ/ZWJ."""
    expected = [c for c in dict.fromkeys(text) if unicodedata.category(c) in REFUSED_CATEGORIES
                and c not in "\n\r\t\u200c\u200d"]
    assert unprintable_characters(text) == expected
    assert unprintable_characters(text, allowed="") == [
        c for c in dict.fromkeys(text) if unicodedata.category(c) in REFUSED_CATEGORIES
        and c not in "\u200c\u200d"]


# The enrollment's free text by kind of field (berjasa/enrollment_schema.py): a one-line
# field takes no control character at all, the tab included (pasted from a spreadsheet
# row, it splits the exported cell); a multi-line field keeps line breaks and the tab.
ONE_LINE_FIELDS = ("birth_place",)
MULTI_LINE_FIELDS = ("address", "notes")
PRINTABLE = st.text(st.characters(blacklist_categories=REFUSED_CATEGORIES), max_size=40)
INTAKE_SETTINGS = load_settings(None)
INTAKE_RECORD = EnrollmentFaker("73.71.01.1001", seed=3).enrollment()


@settings(max_examples=examples(200), deadline=None)
@given(PRINTABLE, st.lists(st.sampled_from("\t\n\r"), min_size=1, max_size=3), PRINTABLE,
       st.sampled_from(ONE_LINE_FIELDS), st.sampled_from(MULTI_LINE_FIELDS))
def test_a_tab_or_line_break_in_one_line_free_text_is_refused_in_multi_line_kept(
        before, typed, after, one_line, multi_line):
    """The intake's validator (the kelurahan's POST and PATCH, central's ingest):
    anywhere in a one-line field, a tab or a line break is a 422 on that field naming
    it by its code; in a multi-line field the same text is stored as typed."""
    value = before + "".join(typed) + after
    assume(value.strip())  # blank is "required", another rule
    loaded, found = intake_load({**INTAKE_RECORD, one_line: value}, INTAKE_SETTINGS)
    assert loaded is None and found == {one_line: ["unprintable_characters"]}
    message = unprintable_problem(value, "").message
    assert all(f"U+{ord(c):04X} (karakter kontrol)" in message for c in typed)
    loaded, found = intake_load({**INTAKE_RECORD, multi_line: value}, INTAKE_SETTINGS)
    assert found == {} and loaded[multi_line] == value


@settings(max_examples=examples(100), deadline=None)
@given(PRINTABLE.filter(str.strip), st.sampled_from(ONE_LINE_FIELDS + MULTI_LINE_FIELDS))
def test_printable_free_text_is_stored_as_typed(value, field):
    loaded, found = intake_load({**INTAKE_RECORD, field: value}, INTAKE_SETTINGS)
    assert found == {} and loaded[field] == value


@pytest.mark.parametrize("char", INVISIBLE)
def test_invisible_and_direction_characters_are_refused_by_code(char):
    problem = unprintable_problem(f"Jl. Somba Opu{char} 21")
    assert problem.code == "unprintable_characters"
    assert f"U+{ord(char):04X}" in problem.message
    if char in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c":
        assert "pengatur arah teks" in problem.message


@pytest.mark.parametrize("text", [
    "Wa\u200dOde",  # a name some write with a joiner
    "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian: ZWNJ inside a word
    "\U0001F468\u200d\U0001F469\u200d\U0001F467",  # family emoji: a ZWJ sequence
    "\u2764\ufe0f \U0001F44D\U0001F3FD",  # variation selector and skin tone: marks/symbols
    "\u1a00\u1a17\u1a1e",  # Lontara (Buginese) with its pallawa
    "\U00011ee0\U00011ef3",  # Makasar script
    "\ua984\ua9b4\ua9c0",  # Javanese with pangkon
    "Jl.\u00a0Sultan Hasanuddin\u202fNo. 5",  # no-break spaces are spaces
    "RT 002 / RW 003\nLorong 4\tdekat masjid",
])
def test_real_text_passes(text):
    assert unprintable_characters(text) == []


def test_a_message_names_five_characters_at_most():
    text = "".join(INVISIBLE)
    message = unprintable_problem(text).message
    assert message.count("U+") == 5 and "dan lainnya" in message


@pytest.mark.parametrize("reason", ["RT salah\x00", "\x1b[31mmerah", "a\x7fb",
                                    "lihat KTP\u202e", "\u2066alasan\u2069", "RT\u200bsalah"])
def test_reasons_refuse_control_characters_naming_the_field(reason):
    with pytest.raises(ValidationFailed) as review:
        check_decision("needs_fix", reason)
    assert review.value.to_dict()["error_codes"] == {"reason": ["unprintable_characters"]}
    with pytest.raises(ValidationFailed) as erase:
        erasure_reason(reason)
    assert erase.value.to_dict()["error_codes"] == {"reason": ["unprintable_characters"]}
    bad = next(c for c in reason if unicodedata.category(c)[0] == "C")
    for refused in (review, erase):
        message = refused.value.to_dict()["errors"]["reason"][0]
        assert message.startswith("Alasan berisi") and f"U+{ord(bad):04X}" in message
    assert check_decision("needs_fix", "RT salah\r\nKK beda\tlagi")[1] == "RT salah\r\nKK beda\tlagi"
