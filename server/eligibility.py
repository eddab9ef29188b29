"""Eligibility rules shown at review. Each rule is a plain function returning a
result with a reason; a failed rule warns and the supervisor decides (domain.md).
Rules whose data is not held here (DTSEN, BPJS membership) answer ``unknown``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from berjasa import reference

Result = dict[str, Any]


def _result(rule: str, outcome: str, reason: str) -> Result:
    return {"rule": rule, "result": outcome, "reason": reason}


def domicile(record: dict, settings: dict, site_kelurahan: str) -> Result:
    """The worker lives in the enrolling kelurahan."""
    if record["kelurahan_code"] == site_kelurahan:
        return _result("domicile", "pass", "Berdomisili di kelurahan ini.")
    region = reference.kelurahan(record["kelurahan_code"])
    name = region.name if region else record["kelurahan_code"]
    return _result("domicile", "fail", f"Alamat di kelurahan lain ({name}), bukan kelurahan ini.")


def occupation(record: dict, settings: dict, site_kelurahan: str) -> Result:
    """Not a formal state employee (PNS/TNI/POLRI); those are covered elsewhere."""
    excluded = {o.casefold() for o in settings.get("excluded_occupations", [])}
    if record["occupation"].casefold() in excluded:
        return _result("occupation", "fail",
                       f"Pekerjaan KTP \"{record['occupation']}\" bukan pekerja informal.")
    return _result("occupation", "pass", "Pekerjaan termasuk sektor informal/rentan.")


def age(record: dict, settings: dict, site_kelurahan: str, today: dt.date | None = None) -> Result:
    """Age within the BPU limits (settings)."""
    today = today or dt.date.today()
    born = dt.date.fromisoformat(record["birth_date"])
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    low, high = settings["eligibility_age_min"], settings["eligibility_age_max"]
    if low <= years <= high:
        return _result("age", "pass", f"Umur {years} tahun (batas {low}-{high}).")
    return _result("age", "fail", f"Umur {years} tahun, di luar batas {low}-{high} tahun.")


def income(record: dict, settings: dict, site_kelurahan: str) -> Result:
    """Earning below the city minimum wage (UMK, a dated setting)."""
    wage = settings["city_minimum_wage"]
    amount = record["monthly_income"]
    shown = f"Rp{amount:,}".replace(",", ".")
    if amount < wage:
        return _result("income", "pass", f"Penghasilan {shown} di bawah UMK.")
    return _result("income", "fail", f"Penghasilan {shown} tidak di bawah UMK "
                   f"(Rp{wage:,})".replace(",", ".") + ".")


def dtsen(record: dict, settings: dict, site_kelurahan: str) -> Result:
    """In DTSEN within the desil cut-off: checked at central where DTSEN is loaded."""
    return _result("dtsen", "unknown", "Data DTSEN diperiksa di pusat.")


def bpjs_membership(record: dict, settings: dict, site_kelurahan: str) -> Result:
    """Not already an active participant: checked at central against BPJS's list."""
    return _result("bpjs_membership", "unknown", "Kepesertaan BPJS diperiksa di pusat.")


RULES: list[Callable[[dict, dict, str], Result]] = [
    domicile, occupation, age, income, dtsen, bpjs_membership,
]


def evaluate(record: dict[str, Any], settings: dict[str, Any], site_kelurahan: str) -> list[Result]:
    """Every configured rule's result for one record."""
    return [rule(record, settings, site_kelurahan) for rule in RULES]


def failed(results: list[Result]) -> list[Result]:
    """The results that warn the supervisor (an approval overrides them, on record)."""
    return [result for result in results if result["result"] == "fail"]
