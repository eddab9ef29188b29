"""The shared eligibility rules at their boundaries (berjasa/eligibility.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from berjasa import eligibility as rules
from berjasa.settings import load_settings

TODAY = dt.date(2025, 6, 15)
SETS = (
    {"valid_from": "2024-01-01", "city_minimum_wage": 3_643_321, "dtsen_max_desil": 5,
     "age_min": 15, "age_max": 65, "excluded_occupations": ["Pegawai Negeri Sipil (PNS)"],
     "casual_work_categories": ["Buruh harian lepas"], "casual_occupations": []},
    {"valid_from": "2025-01-01", "city_minimum_wage": 3_880_000, "dtsen_max_desil": 4,
     "age_min": 15, "age_max": 65, "excluded_occupations": ["Pegawai Negeri Sipil (PNS)"],
     "casual_work_categories": ["Buruh harian lepas"], "casual_occupations": []},
)
P2025 = rules.parameters_on(TODAY, {}, SETS)


def record(**changes):
    base = {"kelurahan_code": "73.71.01.1001", "occupation": "Pedagang",
            "work_category": "Pedagang kecil / pedagang pasar", "monthly_income": 2_000_000,
            "birth_date": "1990-01-01"}
    return {**base, **changes}


@pytest.mark.parametrize("day,valid_from,umk", [
    (dt.date(2024, 12, 31), "2024-01-01", 3_643_321),
    (dt.date(2025, 1, 1), "2025-01-01", 3_880_000),  # applies ON its valid-from date
    (dt.date(2030, 1, 1), "2025-01-01", 3_880_000),
])
def test_parameter_set_in_force(day, valid_from, umk):
    params = rules.parameters_on(day, {}, SETS)
    assert (params.valid_from, params.city_minimum_wage) == (valid_from, umk)


def test_no_set_before_the_first_date_is_a_clear_error():
    with pytest.raises(rules.ParameterError, match="2023-12-31"):
        rules.parameters_on(dt.date(2023, 12, 31), {}, SETS)


def test_a_setting_moved_from_its_default_overrides_and_is_recorded():
    settings = load_settings(None, {"city_minimum_wage": 2_500_000})
    params = rules.parameters_on(TODAY, settings, SETS)
    assert params.city_minimum_wage == 2_500_000
    assert params.label() == "2025-01-01+city_minimum_wage"
    assert rules.parameters_on(TODAY, load_settings(None), SETS).label() == "2025-01-01"


def test_shipped_file_has_a_set_for_today():
    assert rules.parameters_on(dt.date.today()).city_minimum_wage > 0


def test_the_shipped_sets_answer_is_kept_per_day_and_override_values():
    """parameters_on keeps the shipped file's answer: the same as reading it each
    time, for each day and each override (a changed setting is a new answer)."""
    settings = load_settings(None)
    moved = dict(settings, city_minimum_wage=2_500_000)
    listed = dict(settings, excluded_occupations=["Pedagang"])
    for day in (dt.date(2025, 1, 1), TODAY, dt.date(2024, 6, 1)):
        for given in (settings, moved, listed, {}):
            kept = rules.parameters_on(day, given)
            assert kept == rules._parameters_on(day, given or {}, None)
            assert rules.parameters_on(day, given) is kept
    assert rules.parameters_on(TODAY, moved).city_minimum_wage == 2_500_000
    assert rules.parameters_on(TODAY, listed).excluded_occupations == ("Pedagang",)
    assert not rules.parameters_on(TODAY, settings).overridden
    as_float = dict(settings, city_minimum_wage=2_500_000.0)  # equal to moved's, not the same
    assert type(rules.parameters_on(TODAY, as_float).city_minimum_wage) is float


@pytest.mark.parametrize("income,on,result", [
    (3_879_999, TODAY, "pass"),
    (3_880_000, TODAY, "unknown"),          # exactly at UMK is not below; DTSEN unknown
    (3_700_000, dt.date(2024, 12, 31), "unknown"),   # 2024 UMK lower
    (3_700_000, dt.date(2025, 1, 1), "pass"),        # new UMK from its date
])
def test_income_alternative_at_the_umk(income, on, result):
    params = rules.parameters_on(on, {}, SETS)
    assert rules.council(record(monthly_income=income), params, rules.NOTHING_LOADED)["result"] == result


@pytest.mark.parametrize("evidence,work,income,result", [
    (rules.Evidence(dtsen_loaded=True, dtsen_desil=4), "Lainnya", 9_000_000, "pass"),
    (rules.Evidence(dtsen_loaded=True, dtsen_desil=5), "Lainnya", 9_000_000, "fail"),
    (rules.Evidence(dtsen_loaded=True), "Lainnya", 9_000_000, "fail"),
    (rules.Evidence(dtsen_loaded=True), "Buruh harian lepas", 9_000_000, "pass"),
    (rules.Evidence(dtsen_loaded=True), None, 1_000_000, "pass"),
    (rules.Evidence(dtsen_loaded=True), None, 9_000_000, "fail"),   # missing work: not unknown
    (rules.NOTHING_LOADED, None, 9_000_000, "unknown"),
    # the NIK's DTSEN row was refused by the import: not "absent from DTSEN"
    (rules.Evidence(dtsen_loaded=True, dtsen_unreadable="Baris 7 ..."), "Lainnya", 9_000_000, "unknown"),
    (rules.Evidence(dtsen_loaded=True, dtsen_unreadable="Baris 7 ..."), None, 1_000_000, "pass"),
])
def test_council_description_is_alternatives(evidence, work, income, result):
    got = rules.council(record(work_category=work, monthly_income=income), P2025, evidence)
    assert got["result"] == result and got["reason"]


@pytest.mark.parametrize("desil,result", [(1, "pass"), (4, "pass"), (5, "fail"), (10, "fail"),
                                          (None, "pass")])
def test_desil_at_the_cutoff(desil, result):
    got = rules.dtsen(record(), P2025, rules.Evidence(dtsen_loaded=True, dtsen_desil=desil))
    assert got["result"] == result
    assert rules.dtsen(record(), P2025, rules.NOTHING_LOADED)["result"] == "unknown"


def test_a_dtsen_row_the_import_refused_is_unknown_with_its_reason():
    got = rules.dtsen(record(), P2025, rules.Evidence(dtsen_loaded=True, dtsen_unreadable="Baris 7 x"))
    assert got == {"rule": "dtsen", "result": "unknown", "reason": "Baris 7 x"}


@pytest.mark.parametrize("birth,result", [
    ("2010-06-15", "pass"),   # 15th birthday today
    ("2010-06-16", "fail"),   # 15 tomorrow
    ("1959-06-16", "pass"),   # 65 until tomorrow
    ("1959-06-15", "fail"),   # 66 today
    ("2010-13-01", "unknown"),
])
def test_age_on_birthdays(birth, result):
    assert rules.age(record(birth_date=birth), P2025, TODAY)["result"] == result


def test_leap_day_birthday():
    assert rules.age_on(dt.date(2008, 2, 29), dt.date(2023, 2, 28)) == 14
    assert rules.age_on(dt.date(2008, 2, 29), dt.date(2023, 3, 1)) == 15


@pytest.mark.parametrize("evidence,result", [
    (rules.NOTHING_LOADED, "unknown"),
    (rules.Evidence(bpjs_loaded=True), "pass"),
    (rules.Evidence(bpjs_loaded=True, bpjs_status="AKTIF", bpjs_kpj="12345678"), "fail"),
    (rules.Evidence(bpjs_loaded=True, bpjs_status="active"), "fail"),
    (rules.Evidence(bpjs_loaded=True, bpjs_status="nonaktif"), "pass"),
    (rules.Evidence(bpjs_loaded=True, bpjs_status="keluar"), "pass"),
    (rules.Evidence(bpjs_loaded=True, bpjs_status="aktif", registered_by_program=True), "pass"),
    # a row of the list (or of the cohort) names the NIK but could not be read
    (rules.Evidence(bpjs_loaded=True, bpjs_unreadable="Baris 3 x"), "unknown"),
    (rules.Evidence(bpjs_loaded=True, cohort_unreadable="Baris 4 x"), "unknown"),
    (rules.Evidence(cohort_unreadable="Baris 4 x"), "unknown"),
    # ... but what is proved on data held still decides
    (rules.Evidence(bpjs_loaded=True, bpjs_status="aktif", cohort_unreadable="Baris 4 x"), "fail"),
    (rules.Evidence(bpjs_loaded=True, cohort_start="2024-01", bpjs_unreadable="Baris 3 x"), "fail"),
    # central's own registration: a row of the list can only confirm it
    (rules.Evidence(bpjs_loaded=True, bpjs_unreadable="Baris 3 x", registered_by_program=True), "pass"),
])
def test_bpjs_membership(evidence, result):
    got = rules.bpjs_membership(record(), P2025, evidence)
    assert got["result"] == result
    if evidence.bpjs_unreadable and result == "unknown":
        assert got["reason"] == evidence.bpjs_unreadable


@pytest.mark.parametrize("changes,site,result", [
    ({}, None, "pass"), ({}, "73.71.01.1001", "pass"), ({}, "73.71.01.1002", "fail"),
    ({"kelurahan_code": "99.99.99.9999"}, None, "fail"),
    ({"occupation": "pegawai negeri sipil (pns)"}, None, "pass"),
])
def test_domicile(changes, site, result):
    assert rules.domicile(record(**changes), P2025, site)["result"] == result


def test_occupation_excluded_case_insensitive():
    assert rules.occupation(record(occupation="pegawai negeri sipil (pns)"), P2025)["result"] == "fail"
    assert rules.occupation(record(occupation=""), P2025)["result"] == "unknown"


def test_all_pass_and_reasons_are_indonesian():
    evidence = rules.Evidence(dtsen_loaded=True, dtsen_desil=2, bpjs_loaded=True, at_central=True)
    results = rules.evaluate(record(), P2025, today=TODAY, evidence=evidence)
    assert [r["rule"] for r in results] == list(rules.RULE_LABELS)
    assert rules.all_pass(results)
    assert not rules.all_pass(rules.evaluate(record(), P2025, today=TODAY))
    assert not rules.all_pass(None)
    assert all("_" not in r["reason"] for r in results)


# The shipped sets: from 2026-11-27 the occupation rule reads domain.md in full.
SHIPPED = rules.parameters_on(dt.date(2026, 11, 27))


@pytest.mark.parametrize(("job", "work", "result"), [
    ("Anggota DPRD Kabupaten/Kota", "Pengemudi ojek", "fail"),  # an official, whatever the work
    ("walikota", None, "fail"),
    ("Karyawan Swasta", None, "fail"),                # the employer must register them
    ("Karyawan Honorer", "Lainnya", "fail"),          # "other" names no informal work
    ("Karyawan BUMN", "Pengemudi ojek", "pass"),      # laid off, driving an ojek: KTP out of date
    ("Pedagang", None, "pass"),
])
def test_officials_fail_and_employees_pass_only_with_informal_work(job, work, result):
    outcome = rules.occupation(record(occupation=job, work_category=work), SHIPPED)
    assert outcome["result"] == result, outcome
    if job.startswith("Karyawan"):
        assert ("sebenarnya" in outcome["reason"]) is True


def test_the_day_before_the_new_set_keeps_the_old_rule():
    before = rules.parameters_on(dt.date(2026, 11, 26))
    assert rules.occupation(record(occupation="Karyawan Swasta", work_category=None),
                            before)["result"] == "pass"
    assert SHIPPED.valid_from == "2026-11-27" and before.valid_from < SHIPPED.valid_from
