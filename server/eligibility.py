"""Eligibility rules shown at review: the shared rules of :mod:`berjasa.eligibility`
with the kelurahan's view (this kelurahan is the domicile; DTSEN and BPJS are not
held here, so those rules answer ``unknown``). A failed rule warns and the
supervisor decides (domain.md). The public names stay for callers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from berjasa import eligibility as rules
from berjasa import local_time

Result = dict[str, Any]


def parameters(settings: dict, today: dt.date | None = None) -> rules.Parameters:
    """The dated parameter set in force today (settings overrides applied)."""
    return rules.parameters_on(today or local_time.today(), settings)


def domicile(record: dict, settings: dict, site_kelurahan: str) -> Result:
    """The worker lives in the enrolling kelurahan."""
    return rules.domicile(record, parameters(settings), site_kelurahan)


def occupation(record: dict, settings: dict, site_kelurahan: str) -> Result:
    """Not a formal state employee (PNS/TNI/POLRI)."""
    return rules.occupation(record, parameters(settings))


def age(record: dict, settings: dict, site_kelurahan: str, today: dt.date | None = None) -> Result:
    """Age within the BPU limits."""
    today = today or local_time.today()
    return rules.age(record, parameters(settings, today), today)


def council(record: dict, settings: dict, site_kelurahan: str) -> Result:
    """The council's description (alternatives; DTSEN is checked at central)."""
    return rules.council(record, parameters(settings), rules.NOTHING_LOADED)


def dtsen(record: dict, settings: dict, site_kelurahan: str) -> Result:
    """In DTSEN within the desil cut-off: checked at central where DTSEN is loaded."""
    return rules.dtsen(record, parameters(settings), rules.NOTHING_LOADED)


def bpjs_membership(record: dict, settings: dict, site_kelurahan: str) -> Result:
    """Not already an active participant: checked at central against BPJS's list."""
    return rules.bpjs_membership(record, parameters(settings), rules.NOTHING_LOADED)


def evaluate(record: dict[str, Any], settings: dict[str, Any], site_kelurahan: str,
             today: dt.date | None = None) -> list[Result]:
    """Every rule's result for one record."""
    today = today or local_time.today()
    return rules.evaluate(record, parameters(settings, today), today=today,
                          site_kelurahan=site_kelurahan)


def failed(results: list[Result]) -> list[Result]:
    """The results that warn the supervisor (an approval overrides them, on record)."""
    return rules.failed(results)
