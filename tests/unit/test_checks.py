"""berjasa.checks — the business checks of an enrollment, without HTTP or a schema."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from berjasa.checks import check_enrollment, has_unprintable
from berjasa.erasure import erasure_reason
from berjasa.problems import ValidationFailed
from berjasa.synthetic import make_nik
from server.review import check_decision

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

PRINTABLE_OR_TYPED = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cn"))
                             | st.sampled_from("\n\r\t"))
CONTROL = st.characters(whitelist_categories=("Cc",)).filter(lambda c: c not in "\n\r\t")


@given(PRINTABLE_OR_TYPED)
def test_what_a_keyboard_types_is_printable(text):
    assert not has_unprintable(text)


@given(PRINTABLE_OR_TYPED, CONTROL, PRINTABLE_OR_TYPED)
def test_a_control_character_anywhere_is_found(before, control, after):
    assert has_unprintable(before + control + after)
    assert has_unprintable("a\tb", allowed="") and not has_unprintable("a\tb", allowed="\t")


@pytest.mark.parametrize("reason", ["RT salah\x00", "\x1b[31mmerah", "a\x7fb"])
def test_reasons_refuse_control_characters_naming_the_field(reason):
    with pytest.raises(ValidationFailed) as review:
        check_decision("needs_fix", reason)
    assert review.value.to_dict()["error_codes"] == {"reason": ["unprintable_characters"]}
    with pytest.raises(ValidationFailed) as erase:
        erasure_reason(reason)
    assert erase.value.to_dict()["error_codes"] == {"reason": ["unprintable_characters"]}
    assert check_decision("needs_fix", "RT salah\r\nKK beda\tlagi")[1] == "RT salah\r\nKK beda\tlagi"
