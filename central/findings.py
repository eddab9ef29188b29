"""Findings central raises and closes by itself, as records arrive (the ingest), as
lists are imported (the recheck, the DTSEN import) and as Dukcapil answers: the DTSEN
identity check, a fixed record's arrival (its findings closed, a registered worker's
changed NIK, a new version refused after a verifier's final decision), the KPJ
claims checked against the BPJS list, and the BPJS list's status of the workers
central registered (:func:`bpjs_status_checked`). The verifiers' side (sending back, deciding,
the queue) is :mod:`central.verification`; SQL in central/storage/findings.py.
"""

from __future__ import annotations

import json
from typing import Any

from berjasa.audit import Actor
from berjasa.eligibility import is_active_status, is_deceased_status
from berjasa.local_time import wita
from berjasa.record_reasons import names_consent
from central import cohort_memory, dedupe, identity_match
from central.storage import audit as trail
from central.storage import findings as store
from central.storage import snapshots
from central.storage.db import Database, utc_now

SYSTEM = "sistem"
# A kelurahan's KPJ claim the BPJS list does not confirm (docs/central.md,
# "Registrations a restore lost")
CLAIM_FINDING = "kpj_claim_unconfirmed"
# the reason a verifier's rejection is stored with: this prefix, then the text
VERIFIER_REJECTION = "verifikasi: "

# Dukcapil's answers about the NIK itself, whatever the other fields say
NIK_FINDINGS = frozenset({"dukcapil_deceased", "dukcapil_multiple_nik", "dukcapil_not_found",
                          "dukcapil_inactive"})
# A worker central registered whom the BPJS participant list shows with a status that is
# not participation (nonaktif, keluar, ditolak, meninggal dunia, any value not known to be
# active): docs/central.md "When participation ends". Like any open finding it holds the
# payment; a fix from the kelurahan does not close it (it is about the participant at BPJS).
STATUS_FINDING = "bpjs_not_active"
DEATH_FINDING = "dukcapil_deceased"
# The findings a verifier answers with "still a participant" or "participation ended"
PARTICIPATION_FINDINGS = frozenset({STATUS_FINDING, DEATH_FINDING})
# A record accepted although its NIK was erased at its owner's request before: captured
# and consented to after the erasure (a new consent), so a verifier makes sure of it
# before the person goes on a registration file (docs/central.md "A person erased on
# request, met again"); the kelurahan's supervisor saw the same warning code.
ERASED_FINDING = "nik_erased_before"


def raise_finding(db: Database, record: dict[str, Any], kind: str, source: str,
                  evidence: dict[str, Any], raised_by: str = SYSTEM,
                  at: str | None = None) -> int | None:
    """Raise one finding on a held record (nothing when one of that kind is open)."""
    return store.add_finding(db, {
        "central_id": record["central_id"], "record_version": record.get("version"),
        "kind": kind, "source": source, "evidence": evidence, "raised_at": at or utc_now(),
        "raised_by": raised_by})


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


# A record that looks like a 2024-cohort worker under another NIK (docs/central.md
# "Likely duplicates of the 2024 cohort")
COHORT_FINDING = "cohort_duplicate"


def check_cohort(db: Database, rows: list[dict[str, Any]] | None = None,
                 at: str | None = None, snapshot_id: int | None = None,
                 cohort: cohort_memory.Cohort | None = None) -> dict[str, int]:
    """Compare accepted records with the loaded 2024 cohort: one whose name and
    birth date match a cohort row of **another** NIK (:func:`central.dedupe.cohort_matches`:
    the same worker re-enrolled under a mistyped NIK, registered and paid twice
    otherwise) gets a ``cohort_duplicate`` finding with the evidence side by side,
    unless a verifier already decided one on this version with the same evidence.
    ``rows``: these records only (as stored, ``status`` accepted: an arriving batch,
    records re-judged), looked up by their birth dates; None: every accepted record
    (after a cohort import, ``central verify``); ``snapshot_id``: the cohort in force,
    when the caller knows it; ``cohort``: that cohort as this process holds it, when the
    caller has it (:func:`central.cohort_memory.in_force`). Returns ``{"compared", "raised"}``:
    the records compared with at least one cohort row born the same day."""
    at = at or utc_now()
    matched: dict[int, tuple[dict, dict, str]] = {}
    compared: set[int] = set()
    if rows is None:
        pairs = ((record, [other]) for record, other in snapshots.accepted_born_as_cohort(db))
    else:
        rows = [r for r in rows if r.get("status", "accepted") == "accepted" and r.get("birth_date")]
        # the cohort as this process holds it (read again only after another import)
        if rows and cohort is None:
            cohort = cohort_memory.in_force(db, snapshot_id)
        born = cohort.born_on if rows and cohort is not None else {}
        pairs = ((row, born[row["birth_date"]]) for row in rows if row["birth_date"] in born)
    for record, cohort_rows in pairs:
        compared.add(int(record["central_id"]))
        if int(record["central_id"]) in matched:  # the first cohort row (by NIK) is shown
            continue
        for other, reason in dedupe.cohort_matches(record, cohort_rows)[:1]:
            matched[int(record["central_id"])] = (record, other, reason)
    # one query and one insert for all of them, whatever their number
    decided = store.decided_evidence(db, COHORT_FINDING, list(matched))
    raising = []
    for record, other, reason in matched.values():
        evidence = cohort_evidence(record, other, reason)
        if store.evidence_key(record["central_id"], record.get("version"), evidence) not in decided:
            raising.append({"central_id": record["central_id"], "record_version": record.get("version"),
                            "kind": COHORT_FINDING, "source": "cohort", "evidence": evidence,
                            "raised_at": at, "raised_by": SYSTEM})
    return {"compared": len(compared), "raised": store.add_findings(db, raising)}


def cohort_evidence(record: dict[str, Any], cohort_row: dict[str, Any],
                    reason: str) -> dict[str, Any]:
    """The evidence of a ``cohort_duplicate`` finding: the record's and the cohort
    row's name, birth date, kelurahan and NIK side by side, and the cohort worker's
    KPJ and first month paid."""
    fields = identity_match.compare_identity(record, cohort_row)
    fields.append({"field": "nik", "record": record.get("nik"), "reference": cohort_row.get("nik"),
                   "result": identity_match.DIFFERENT})
    return {"source": "cohort", "match": reason, "fields": fields,
            "cohort": {"nik": cohort_row.get("nik"), "kpj_number": cohort_row.get("kpj_number"),
                       "coverage_start": cohort_row.get("coverage_start")}}


def record_trail(db: Database, who: Actor, action: str, record: dict[str, Any],
           details: dict[str, Any]) -> None:
    """A decision or an arrival in central's audit trail (issue 11): who, which record, what;
    the reason text stays with the finding (it may name the person)."""
    trail.append(db, who, action, f"{record['kelurahan_code']}/{record['record_id']}", details)


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
    return store.dropped_by_pairs(db, [int(r["central_id"]) for r in held
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
                  if f["kind"] == STATUS_FINDING or (
                      f["kind"] in NIK_FINDINGS
                      and (f["evidence"].get("record") or {}).get("nik") == row.get("nik"))}
    stale = tuple(kind for kind in store.open_kinds(db, central_id) if kind not in still_true)
    superseded = store.close_open_findings(db, central_id, "superseded", "versi baru dari kelurahan",
                                           SYSTEM, at, kinds=stale) if stale else 0
    record_trail(db, Actor(device_id, "device"), "record.new_version", row,
           {"version": row.get("version"), "findings_fixed": fixed,
            "findings_superseded": superseded})


def nik_known_to_bpjs(db: Database, held: dict[str, Any]) -> str:
    """The NIK BPJS registered a registered record under: the one an open
    ``bpjs_nik_changed`` finding names (a NIK changed again before it was
    corrected at BPJS), else the record's NIK."""
    for finding in store.list_findings(db, "open", kind="bpjs_nik_changed",
                                       central_id=int(held["central_id"]), limit=1):
        return str(finding["evidence"].get("bpjs_nik") or held["nik"])
    return str(held["nik"])


def registered_nik_changed(db: Database, record: dict[str, Any], bpjs_nik: str, at: str,
                           used_by: dict[str, Any] | None = None) -> int | None:
    """A registered worker's fix changed the NIK (``record["nik"]``, the corrected
    one) that BPJS registered them under (``bpjs_nik``): the record stays registered
    with its KPJ and coverage and on the payment list, and a ``bpjs_nik_changed``
    finding asks the operator to correct the NIK at BPJS (a verifier confirms once
    done). ``used_by``: another active record holds the corrected NIK, so the fix
    was not stored and the verifier decides whose NIK it is. Inside the ingest
    transaction."""
    held = store.record_by_id(db, int(record["central_id"]))
    evidence: dict[str, Any] = {
        "source": "bpjs", "bpjs_nik": bpjs_nik, "kpj_number": held.get("kpj_number"),
        "fields": [{"field": "nik", "record": record["nik"], "reference": bpjs_nik,
                    "result": "different"}]}
    if used_by is not None:
        evidence["nik_used_by"] = {"kelurahan_code": used_by["kelurahan_code"],
                                   "record_id": used_by["record_id"]}
    store.close_open_findings(db, int(record["central_id"]), "superseded",
                              "versi baru dari kelurahan", SYSTEM, at, kinds=("bpjs_nik_changed",))
    return raise_finding(db, held, "bpjs_nik_changed", "bpjs", evidence, at=at)


def kpj_claims_checked(db: Database, claims: list[dict[str, Any]], at: str) -> dict[str, int]:
    """After records claiming a KPJ (``kpj_claim``) were judged against the loaded
    BPJS list (:func:`central.recheck.recheck`; each row with its ``status`` and
    ``kpj_number`` as decided, the list's ``bpjs_*`` and ``kpj_claimed_at``): a claim
    the list confirmed (registered with that KPJ) closes its open finding; one still
    ``accepted`` raises a ``kpj_claim_unconfirmed`` finding when the list shows the
    NIK with another KPJ (or none), or does not show it although it was imported
    after the claim arrived (a list older than the claim proves nothing: the record
    waits for the next one). Inside the caller's transaction."""
    in_force = snapshots.in_force(db, "bpjs")
    list_at = in_force["imported_at"] if in_force else ""
    raised = closed = 0
    for row in claims:
        claim, listed = row["kpj_claim"], row["bpjs_nik"] is not None
        if row["status"] == "registered":
            if row["kpj_number"] == claim:
                closed += store.close_open_findings(
                    db, int(row["central_id"]), "bpjs_list", "daftar peserta BPJS memuat KPJ ini",
                    SYSTEM, at, kinds=(CLAIM_FINDING,))
            continue
        if row["status"] != "accepted" or not (listed or (row["kpj_claimed_at"] or "") < list_at):
            continue
        elsewhere = snapshots.nik_listed_for_kpj(db, claim)
        evidence = {
            "source": "bpjs", "kpj_claim": claim, "bpjs_kpj": row["bpjs_kpj"] if listed else None,
            "bpjs_status": row["bpjs_status"] if listed else None, "listed": listed,
            "kpj_listed_for": elsewhere if elsewhere != row["nik"] else None,
            "fields": [{"field": "kpj_number", "record": claim,
                        "reference": row["bpjs_kpj"] if listed else None,
                        "result": identity_match.DIFFERENT if listed and row["bpjs_kpj"]
                        else identity_match.MISSING}]}
        if raise_finding(db, row, CLAIM_FINDING, "bpjs", evidence, at=at):
            raised += 1
    return {"raised": raised, "closed": closed}


def _status_key(status: str | None, kpj: str | None) -> tuple[str, str]:
    """What a BPJS status finding is about: the status as written (case and spacing
    aside) and the KPJ. A verifier's "still a participant" holds while the list shows
    the same; another status (``Non Aktif`` then ``Meninggal Dunia``) asks again."""
    return " ".join((status or "").split()).casefold(), kpj or ""


def bpjs_status_checked(db: Database, rows: list[dict[str, Any]], open_found: dict[int, dict],
                        at: str) -> dict[str, int]:
    """After the recheck judged registered records against the loaded BPJS list
    (``rows``: registered records the list shows readably, each with ``bpjs_status``,
    ``bpjs_kpj``, ``bpjs_line``, ``coverage_end``, ``registered_now``; ``open_found``:
    the open ``bpjs_not_active`` findings by central id): a status that is not
    participation (:func:`berjasa.eligibility.is_active_status` is the one reading)
    raises a finding naming the status, the file and the line, unless a verifier
    already ended the participation (``coverage_end``), or answered "still a
    participant" to the same status and KPJ, or the same one is open; an open one for
    another status is superseded by the new. An active status closes the open finding
    (decision ``bpjs_list``): the worker is paid again. Inside the caller's transaction.
    ``{"raised", "closed"}``."""
    in_force = snapshots.in_force(db, "bpjs") or {}
    file_name = in_force.get("file_name")
    inactive = [r for r in rows if not is_active_status(r["bpjs_status"]) and not r["coverage_end"]]
    answered = store.decided_of_kind(db, STATUS_FINDING, "continue",
                                     [int(r["central_id"]) for r in inactive
                                      if int(r["central_id"]) not in open_found])
    raised = closed = 0
    for row in rows:
        central_id = int(row["central_id"])
        if is_active_status(row["bpjs_status"]):
            if central_id in open_found:
                closed += store.close_open_findings(
                    db, central_id, "bpjs_list", f"daftar peserta BPJS ({file_name}) menunjukkan "
                    f"status aktif lagi ({row['bpjs_status'] or 'kosong'})", SYSTEM, at,
                    kinds=(STATUS_FINDING,))
            continue
        if row["coverage_end"]:
            continue  # a verifier ended the participation: nothing left to ask
        key = _status_key(row["bpjs_status"], row["bpjs_kpj"])
        held = open_found.get(central_id)
        if held is not None:
            if _status_key(held.get("bpjs_status"), held.get("bpjs_kpj")) == key:
                continue
            store.close_open_findings(db, central_id, "superseded",
                                      f"daftar peserta BPJS yang lebih baru ({file_name})",
                                      SYSTEM, at, kinds=(STATUS_FINDING,))
        elif any(_status_key(e.get("bpjs_status"), e.get("bpjs_kpj")) == key
                 for e in answered.get(central_id, ())):
            continue
        evidence = {"source": "bpjs", "bpjs_status": row["bpjs_status"], "bpjs_kpj": row["bpjs_kpj"],
                    "record_kpj": row["kpj_number"], "file": file_name, "line": row["bpjs_line"],
                    "snapshot_id": in_force.get("id"), "coverage_start": row["coverage_start"],
                    "registered_now": bool(row["registered_now"]),
                    "deceased": is_deceased_status(row["bpjs_status"])}
        if raise_finding(db, row, STATUS_FINDING, "bpjs", evidence, at=at):
            raised += 1
    return {"raised": raised, "closed": closed}


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
