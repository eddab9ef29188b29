"""Central's use of the shared rules (:mod:`berjasa.eligibility`): what it can
prove on data it holds. Plain functions: no database, no Flask.

A record is ``rejected`` at central only when it is invalid (:func:`record_problems`)
or when a rule fails on a loaded snapshot: ``dtsen`` (desil above the cut-off on
the loaded DTSEN) or ``bpjs_membership`` (an active row of the loaded BPJS list, or
the NIK is in the loaded 2024 cohort). Every other failing or unknown rule keeps
the record ``accepted`` but off the registration file (docs/eligibility.md).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from berjasa import eligibility as rules

_NIK = re.compile(r"^[0-9]{16}$")  # ASCII digits only
# reason codes sent back when a rule on loaded data rejects a record
REJECTION_CODES = frozenset({"dtsen_desil_above_cutoff", "already_bpjs_participant", "already_in_cohort"})
# The rule each rejection code comes from (decide): a report names the failure once,
# with the rule's own reason (the desil, the KPJ) under the rejection's code.
RULE_OF_REJECTION = {"dtsen_desil_above_cutoff": "dtsen", "already_bpjs_participant": "bpjs_membership",
                     "already_in_cohort": "bpjs_membership"}


def record_problems(record: dict[str, Any], kelurahan_code: str) -> list[str]:
    """Reasons a record cannot be held at all (the agent should never send these)."""
    reasons = []
    if not isinstance(record.get("nik"), str) or not _NIK.match(record["nik"]):
        reasons.append("invalid_nik")
    try:
        dt.date.fromisoformat(record.get("birth_date") or "")
    except (TypeError, ValueError):
        reasons.append("invalid_birth_date")
    if record.get("kelurahan_code") != kelurahan_code:
        reasons.append("kelurahan_mismatch")
    if not isinstance(record.get("full_name"), str) or not record["full_name"].strip():
        reasons.append("missing_name")
    if not isinstance(record.get("id"), str) or not record["id"]:
        reasons.append("missing_id")
    income = record.get("monthly_income")
    if not isinstance(income, int) or isinstance(income, bool) or income < 0:
        reasons.append("invalid_income")
    return reasons


def evidence(loaded: dict[str, Any], dtsen_desil: int | None, bpjs_row: dict | None,
             cohort_start: str | None, registered_by_program: bool) -> rules.Evidence:
    """What central holds about one NIK. ``loaded``: the current snapshot ids
    (``{"dtsen": id|None, "bpjs": id|None, "cohort": id|None}``)."""
    return rules.Evidence(
        at_central=True,
        dtsen_loaded=loaded.get("dtsen") is not None,
        dtsen_desil=None if dtsen_desil is None else int(dtsen_desil),
        bpjs_loaded=loaded.get("bpjs") is not None,
        bpjs_status=(bpjs_row.get("status") or "") if bpjs_row is not None else None,
        bpjs_kpj=bpjs_row.get("kpj_number") if bpjs_row is not None else None,
        cohort_start=cohort_start if loaded.get("cohort") is not None else None,
        registered_by_program=registered_by_program,
    )


def decide(record: dict[str, Any], params: rules.Parameters, proof: rules.Evidence,
           today: dt.date) -> tuple[list[dict], list[str]]:
    """(rule results, rejection codes) for one record held at central."""
    results = rules.evaluate(record, params, today=today, evidence=proof)
    codes = []
    for result in results:
        if result["result"] != rules.FAIL:
            continue
        if result["rule"] == "dtsen":
            codes.append("dtsen_desil_above_cutoff")
        elif result["rule"] == "bpjs_membership":
            codes.append("already_in_cohort" if proof.cohort_start else "already_bpjs_participant")
    return results, codes


def snapshot_stamp(loaded: dict[str, Any], params: rules.Parameters) -> dict[str, Any]:
    """What a decision records: the snapshot ids and the parameter set used."""
    return {"dtsen": loaded.get("dtsen"), "bpjs": loaded.get("bpjs"), "cohort": loaded.get("cohort"),
            "parameters": params.label()}


def same_outcome(old: list[dict] | None, new: list[dict]) -> bool:
    """The same rules with the same results (reason wording aside)."""
    if not old:
        return False
    return [(r.get("rule"), r.get("result")) for r in old] == [(r["rule"], r["result"]) for r in new]
