"""The supervisor's review of a submitted enrollment: approve, reject or send
back for a fix. Plain functions over a connection; the API and the pages call
them the same way.

Rules (design.md, domain.md):
- only ``submitted`` records are decided; anything else is 409 with the status,
  and of two decisions at once exactly one wins (the move is a conditional write
  in ``BEGIN IMMEDIATE``, see :func:`server.lifecycle.transition`);
- reject and needs_fix need a reason (422);
- maker-checker: a supervisor may not decide on a record they recorded or edited
  at any point since it was submitted (403 ``maker_checker``);
- eligibility rules only warn: the decision records which failed rules and
  identity warnings the supervisor overrode, and which possible duplicates they saw.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from berjasa.checks import has_visible_text, reason_unprintable_problem
from berjasa.database import transaction, utc_now
from berjasa.problems import InvalidTransition, MakerChecker, NotFound, ValidationFailed
from server import duplicates, eligibility, lifecycle
from server.storage import candidates
from server.storage import enrollments as store
from server.storage.audit import Actor

DECISIONS = {"approve": "approved", "reject": "rejected", "needs_fix": "needs_fix"}
CHOOSE_DECISION = ("Pilih salah satu: Setujui (approve), Tolak (reject) atau "
                   "Perlu perbaikan (needs_fix).")
DECISION_LABELS = {"approve": "Setujui", "reject": "Tolak", "needs_fix": "Perlu perbaikan"}
MAX_REASON_CHARS = 2000


def check_decision(decision: Any, reason: Any) -> tuple[str, str | None]:
    """The decision and the trimmed reason, or 422 naming every bad field."""
    errors: dict[str, list[str]] = {}
    codes: dict[str, list[str]] = {}
    if not isinstance(decision, str) or decision not in DECISIONS:
        decision = None
        errors["decision"] = [CHOOSE_DECISION]
        codes["decision"] = ["invalid_choice"]
    if reason is not None and not isinstance(reason, str):
        errors["reason"], codes["reason"] = ["Alasan harus berupa teks."], ["not_text"]
        reason = None
    reason = (reason or "").strip() or None
    if reason and len(reason) > MAX_REASON_CHARS:
        errors["reason"] = [f"Alasan paling banyak {MAX_REASON_CHARS} karakter."]
        codes["reason"] = ["too_long"]
    elif reason and (problem := reason_unprintable_problem(reason)):
        errors["reason"], codes["reason"] = [problem.message], [problem.code]
    if decision in ("reject", "needs_fix") and not has_visible_text(reason) and "reason" not in errors:
        errors["reason"] = ["Alasan wajib diisi untuk menolak atau meminta perbaikan."]
        codes["reason"] = ["reason_required"]
    if errors:
        raise ValidationFailed(errors, codes)
    return decision, reason


def is_maker(record: dict[str, Any], actor: Actor, editors: set[str] = frozenset()) -> bool:
    """True when this user recorded the record, or edited it at any time since it
    was first submitted (``editors``: everyone in its edit history), not only when
    they made the last edit: a supervisor who changed the income stays a maker
    after the enumerator edits the notes."""
    name = actor.username.casefold()
    makers = {record["enumerator"], record["last_edited_by"], *editors}
    return name in {maker.casefold() for maker in makers}


def is_maker_of(conn: sqlite3.Connection, record: dict[str, Any], actor: Actor) -> bool:
    """:func:`is_maker` with the record's edit history read from the register."""
    return is_maker(record, actor, store.editors(conn, record["id"]))


def review_context(conn: sqlite3.Connection, record: dict[str, Any], settings: dict[str, Any],
                   site_kelurahan: str) -> dict[str, Any]:
    """What the supervisor sees beside the fields: eligibility results with their
    reasons, identity warnings and possible duplicates."""
    results = eligibility.evaluate(record, settings, site_kelurahan)
    found = duplicates.find_duplicates(record, candidates.duplicate_candidates(conn, record))
    return {"eligibility": results, "warnings": record.get("warnings") or [],
            "duplicates": found}


# Central's notices in words for the supervisor (update kinds, docs/sync-protocol.md)
PAIR_DECISION_TEXT = {
    "keep_a": "sama orang; data {keep} dipertahankan",
    "keep_b": "sama orang; data {keep} dipertahankan",
    "different": "orang berbeda; kedua data tetap",
}


# Why central stopped paying a registered worker's contributions (``coverage_ended``)
COVERAGE_END_TEXT = {
    "deceased": "pekerja ini meninggal dunia",
    "not_participant": "pekerja ini bukan peserta aktif BPJS Ketenagakerjaan lagi",
}


def central_notice_texts(conn: sqlite3.Connection, enrollment_id: str) -> list[str]:
    """Central's notices about a record (likely duplicates, verifiers' decisions) in
    Bahasa Indonesia, oldest first."""
    out = []
    notices = store.central_notices(conn, enrollment_id)
    decided = {_other_key(n["payload"]) for n in notices if n["kind"] == "duplicate_decision"}
    here = (store.get_enrollment(conn, enrollment_id) or {}).get("kelurahan_code") if notices else None
    for notice in notices:
        payload, kind = notice["payload"], notice["kind"]
        other = payload.get("other") or {}
        where = f"kelurahan {other.get('kelurahan_code', '?')}"
        if here is not None and other.get("kelurahan_code") == here:
            # central compares a kelurahan's own records too: name the other one here
            local = store.get_enrollment(conn, str(other.get("record_id") or ""))
            where = "kelurahan ini" + (f" ({local['full_name']})" if local else "")
        if kind == "possible_duplicate":
            state = ("sudah diputuskan verifikator (lihat di bawah)" if _other_key(payload) in decided
                     else "menunggu keputusan verifikator")
            out.append(f"Pusat: kemungkinan orang yang sama dengan data di {where}; {state}.")
        elif kind == "duplicate_elsewhere":
            out.append(f"Pusat: NIK ini juga dikirim oleh {where}.")
        elif kind == "duplicate_decision":
            decision = payload.get("decision")
            kept_side = {"keep_a": "a", "keep_b": "b"}.get(decision)
            keep = ("ini" if kept_side == payload.get("side") else f"di {where}") if kept_side else ""
            text = PAIR_DECISION_TEXT.get(decision, str(decision)).format(keep=keep)
            reason = payload.get("reason")
            out.append(f"Keputusan verifikator pusat: {text}" + (f" (alasan: {reason})" if reason else "") + ".")
        elif kind == "coverage_ended":
            cause = COVERAGE_END_TEXT.get(payload.get("cause"), "kepesertaannya berakhir")
            reason = payload.get("reason")
            out.append(f"Keputusan verifikator pusat: {cause}; iuran BPJS Ketenagakerjaan dari "
                       f"program terakhir dibayar bulan {payload.get('last_month', '?')} dan "
                       "berhenti mulai bulan berikutnya. Data tetap terdaftar"
                       + (f" (alasan: {reason})" if reason else "") + ".")
    return out


def _other_key(payload: dict[str, Any]) -> tuple:
    """The other record a pair notice is about."""
    other = payload.get("other") or {}
    return other.get("kelurahan_code"), other.get("record_id")


def overridden_warnings(context: dict[str, Any]) -> list[dict[str, str]]:
    """The warnings an approval goes against: failed rules and identity warnings."""
    overridden = [{"kind": "eligibility", "code": r["rule"], "reason": r["reason"]}
                  for r in eligibility.failed(context["eligibility"])]
    overridden += [{"kind": "identity", "code": w["code"], "reason": w["message"]}
                   for w in context["warnings"]]
    return overridden


def review_enrollment(conn: sqlite3.Connection, enrollment_id: str, decision: Any, reason: Any,
                      actor: Actor, settings: dict[str, Any], site_kelurahan: str,
                      expected_version: int | None = None) -> dict[str, Any]:
    """Decide on one submitted record and return it as stored afterwards.

    ``expected_version``: the version the page showed; when given and the record
    changed since, 409 with the current status (the supervisor must look again).
    """
    decision, reason = check_decision(decision, reason)
    with transaction(conn):
        record = store.get_enrollment(conn, enrollment_id)
        if record is None:
            raise NotFound()
        if record["status"] != "submitted":
            raise InvalidTransition(current_status=record["status"])
        if expected_version is not None and record["version"] != expected_version:
            raise InvalidTransition(current_status=record["status"],
                                    current_version=record["version"])
        if is_maker_of(conn, record, actor):
            raise MakerChecker()
        context = review_context(conn, record, settings, site_kelurahan)
        facts: dict[str, Any] = {"decision": decision}
        if decision == "approve":
            facts["overridden_warnings"] = overridden_warnings(context)
            facts["possible_duplicates"] = [d["id"] for d in context["duplicates"]]
        return lifecycle.transition(
            conn, enrollment_id, DECISIONS[decision], actor, reason=reason,
            expected_status="submitted",
            extra={"reviewed_by": actor.username, "reviewed_at": utc_now(),
                   "review_reason": reason},
            audit_extra=facts,
        )
