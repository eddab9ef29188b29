"""Findings central raises and closes by itself, as records arrive (the ingest), as
lists are imported (the recheck, the DTSEN import) and as Dukcapil answers: the DTSEN
identity check, a NIK erased before met again, a fixed record's arrival (its findings
closed, a new version refused after a verifier's final decision). The BPJS list's
findings (a registered worker's changed NIK, the KPJ claims, the status of the workers
central registered) are :mod:`central.findings_bpjs`, the 2024 cohort's
:mod:`central.findings_cohort`, the kinds and how one is raised :mod:`central.finding_kinds`;
this module names them all, so its callers (the ingest, the recheck, the imports,
Dukcapil) reach every finding central raises in one place. The verifiers' side
(sending back, deciding, the queue) is :mod:`central.verification`; SQL in
central/storage/findings.py.
"""

from __future__ import annotations

import json
from typing import Any

from berjasa.audit import Actor
from berjasa.local_time import wita
from berjasa.record_reasons import names_consent
from central import identity_match
from central.finding_kinds import (
    BEFORE_FILE_FINDING,
    CLAIM_FINDING,
    COHORT_FINDING,
    DEATH_FINDING,
    ERASED_FINDING,
    NIK_FINDINGS,
    PARTICIPATION_FINDINGS,
    STATUS_FINDING,
    SYSTEM,
    VERIFIER_REJECTION,
    raise_finding,
    record_trail,
)
from central.findings_bpjs import (
    before_file_checked,
    bpjs_status_checked,
    kpj_claims_checked,
    nik_known_to_bpjs,
    registered_nik_changed,
)
from central.findings_cohort import check_cohort, cohort_evidence
from central.storage import findings as store
from central.storage import pairs as pairs_store
from central.storage.db import Database, utc_now

# every finding central raises by itself, in one name (the ingest, the recheck, the imports)
__all__ = ["BEFORE_FILE_FINDING", "CLAIM_FINDING", "COHORT_FINDING", "DEATH_FINDING", "ERASED_FINDING", "NIK_FINDINGS",
           "PARTICIPATION_FINDINGS", "STATUS_FINDING", "SYSTEM", "VERIFIER_REJECTION",
           "after_new_version", "before_file_checked", "bpjs_status_checked", "check_cohort", "check_dtsen",
           "cohort_evidence", "erased_before", "erased_message", "final_decisions",
           "kpj_claims_checked", "new_version_refused", "nik_known_to_bpjs",
           "raise_finding", "record_trail", "registered_nik_changed", "same_person",
           "sent_back_for_consent", "stored_list"]


def erased_message(erased_at: str) -> str:
    """What the verifier reads on an :data:`ERASED_FINDING`."""
    return (f"NIK ini pernah dihapus atas permintaan pada {wita(erased_at)}. Data ini dicatat "
            "dan disetujui sesudahnya: pastikan orang itu memang memberi persetujuan baru "
            "sebelum didaftarkan ke BPJS.")


def erased_before(db: Database, row: dict[str, Any], erasure: dict[str, Any],
                  at: str) -> int | None:
    """Raise an :data:`ERASED_FINDING` on an active record (``row`` as stored) whose
    NIK was erased at a request (``erasure``: its ``erased_at``, ``kelurahan_code``,
    ``origin``) before its capture and consent. The evidence holds times and codes,
    never the NIK. Not raised again on a fix when a verifier already confirmed the
    new consent against the same erasure. Inside the ingest transaction."""
    consent = row.get("consent")
    if isinstance(consent, str):
        try:
            consent = json.loads(consent)
        except ValueError:
            consent = None
    evidence = {"source": "erasures", "erased_at": erasure["erased_at"],
                "erased_in": erasure["kelurahan_code"], "erased_by": erasure["origin"],
                "captured_at": row.get("captured_at"),
                "consent_at": consent.get("at") if isinstance(consent, dict) else None,
                "message": erased_message(erasure["erased_at"])}
    confirmed = store.decided_of_kind(db, ERASED_FINDING, "confirm", [int(row["central_id"])])
    if any(e.get("erased_at") == erasure["erased_at"]
           for e in confirmed.get(int(row["central_id"]), ())):
        return None
    return raise_finding(db, row, ERASED_FINDING, "erasures", evidence, at=at)


def check_dtsen(db: Database, central_ids: list[int] | None = None, at: str | None = None,
                limit: int | None = None) -> dict[str, int]:
    """Compare active records whose NIK is in the DTSEN snapshot with their DTSEN
    row (name, birth date, kelurahan); each mismatch raises a ``dtsen_mismatch``
    finding with the evidence side by side, unless a verifier already decided one
    on this version of the record with the same evidence (`central verify` and a
    re-import of the same extract ask nobody twice). ``central_ids``: only these
    records. Returns ``{"compared", "raised"}``."""
    at = at or utc_now()
    compared = raised = 0
    for row in store.active_with_dtsen(db, central_ids, limit):
        compared += 1
        dtsen = {"full_name": row["dtsen_full_name"], "birth_date": row["dtsen_birth_date"],
                 "kelurahan_code": row["dtsen_kelurahan_code"]}
        evidence = identity_match.dtsen_evidence(row, dtsen)
        if evidence is None or store.decided_before(db, row["central_id"], "dtsen_mismatch",
                                                    row.get("version"), evidence):
            continue
        if raise_finding(db, row, "dtsen_mismatch", "dtsen", evidence, at=at):
            raised += 1
    return {"compared": compared, "raised": raised}


def final_decisions(db: Database, held: list[dict[str, Any]]) -> set[int]:
    """Central ids of held records whose status is a verifier's final decision,
    which a newer version from the kelurahan does not undo: rejected by a
    verifier (``verifikasi: ...``) or made ``duplicate`` by a pair decision."""
    final = {int(r["central_id"]) for r in held if r["status"] == "rejected"
             and any(str(reason).startswith(VERIFIER_REJECTION)
                     for reason in stored_list(r.get("reasons")))}
    return final | same_person(db, held)


def same_person(db: Database, held: list[dict[str, Any]]) -> set[int]:
    """Central ids of held records a pair decision made ``duplicate`` (a verifier
    found them the same person as another record, another NIK)."""
    return pairs_store.dropped_by_pairs(db, [int(r["central_id"]) for r in held
                                             if r["status"] == "duplicate"])


def stored_list(value: Any) -> list:
    """A record's stored list (its reasons, its rule results): JSON text, a list, or
    NULL (an empty list)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return value if isinstance(value, list) else []


def sent_back_for_consent(db: Database, central_id: int) -> bool:
    """Whether an open send-back of this record names the consent (its reason:
    :func:`berjasa.record_reasons.names_consent`)."""
    return any(names_consent((finding["evidence"] or {}).get("reason"))
               for finding in store.list_findings(db, "open", kind="sent_back",
                                                  central_id=central_id))


def after_new_version(db: Database, row: dict[str, Any], at: str, device_id: str) -> None:
    """A fixed record (a higher version, ``row`` as stored) replaced the one held:
    its open findings are closed (``sent_back`` as fixed, the others superseded,
    except a Dukcapil answer about the NIK when the NIK did not change: a fix of
    the address does not bring a deceased person back) and the arrival goes into
    central's trail (``record.new_version``, by the sending device), the other end
    of the kelurahan's audited moves; the ingest then runs the DTSEN check again on
    the new version. Inside the ingest transaction."""
    central_id = row["central_id"]
    fixed = store.close_open_findings(db, central_id, "fixed", "versi baru dari kelurahan",
                                      SYSTEM, at, kinds=("sent_back",))
    still_true = {f["kind"] for f in store.list_findings(db, "open", central_id=central_id)
                  if f["kind"] in (STATUS_FINDING, BEFORE_FILE_FINDING) or (
                      f["kind"] in NIK_FINDINGS
                      and (f["evidence"].get("record") or {}).get("nik") == row.get("nik"))}
    stale = tuple(kind for kind in store.open_kinds(db, central_id) if kind not in still_true)
    superseded = store.close_open_findings(db, central_id, "superseded", "versi baru dari kelurahan",
                                           SYSTEM, at, kinds=stale) if stale else 0
    record_trail(db, Actor(device_id, "device"), "record.new_version", row,
                 {"version": row.get("version"), "findings_fixed": fixed,
                  "findings_superseded": superseded})


def new_version_refused(db: Database, held: dict[str, Any], version: Any, at: str,
                        device_id: str) -> None:
    """A fixed record arrived for a record whose status is a verifier's final
    decision (:func:`final_decisions`): the record held stays as it is, the batch
    answer repeats the decision, and central's trail says so
    (``record.new_version_refused``, by the sending device). Open findings left on
    it (none, normally: both decisions close them) are closed as fixed. Inside the
    ingest transaction."""
    closed = store.close_open_findings(db, int(held["central_id"]), "fixed",
                                       "versi baru dari kelurahan; keputusan verifikator tetap",
                                       SYSTEM, at)
    row = store.record_by_id(db, int(held["central_id"]))
    record_trail(db, Actor(device_id, "device"), "record.new_version_refused", row,
                 {"version": version, "held_version": held.get("version"), "status": held["status"],
                  "findings_fixed": closed})
