"""The rules central decides on: only what it can prove on data it holds.

Each check is ``{"rule", "result": "pass"|"fail"|"unknown", "reason"?}``. A rule
whose data (a DTSEN or BPJS snapshot) is not loaded is ``unknown`` and does not
refuse the record; a failing rule on loaded data gives the reason code that goes
back to the kelurahan. Plain functions: no database, no Flask.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

_NIK = re.compile(r"^\d{16}$")
ACTIVE_BPJS = {"aktif", "active", "a", "1", "ya", "y"}


def record_problems(record: dict[str, Any], kelurahan_code: str) -> list[str]:
    """Reasons a record cannot be held at all (the agent should never send these)."""
    reasons = []
    if not isinstance(record.get("nik"), str) or not _NIK.match(record["nik"]):
        reasons.append("invalid_nik")
    try:
        date.fromisoformat(record.get("birth_date") or "")
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


def dtsen_check(dtsen_row: dict[str, Any] | None, loaded: bool, max_desil: int) -> dict[str, Any]:
    """DTSEN desil within the program's cut-off."""
    if not loaded:
        return {"rule": "dtsen_desil", "result": "unknown", "reason": "dtsen_not_loaded"}
    if dtsen_row is None:
        # An extract may be partial: absence is not proof of ineligibility.
        return {"rule": "dtsen_desil", "result": "unknown", "reason": "not_in_dtsen_snapshot"}
    if int(dtsen_row["desil"]) > max_desil:
        return {"rule": "dtsen_desil", "result": "fail", "reason": "dtsen_desil_above_cutoff",
                "desil": int(dtsen_row["desil"])}
    return {"rule": "dtsen_desil", "result": "pass", "desil": int(dtsen_row["desil"])}


def bpjs_check(bpjs_row: dict[str, Any] | None, loaded: bool) -> dict[str, Any]:
    """Not already an active BPJS Ketenagakerjaan participant."""
    if not loaded:
        return {"rule": "bpjs_not_participant", "result": "unknown", "reason": "bpjs_not_loaded"}
    if bpjs_row is not None and is_active_participant(bpjs_row):
        return {"rule": "bpjs_not_participant", "result": "fail",
                "reason": "already_bpjs_participant"}
    return {"rule": "bpjs_not_participant", "result": "pass"}


def is_active_participant(bpjs_row: dict[str, Any]) -> bool:
    """A BPJS participant row whose status says active (empty status counts as active)."""
    status = (bpjs_row.get("status") or "aktif").strip().casefold()
    return status in ACTIVE_BPJS


def failing_reasons(checks: list[dict[str, Any]]) -> list[str]:
    """The reason codes of the failing checks."""
    return [c["reason"] for c in checks if c["result"] == "fail"]
