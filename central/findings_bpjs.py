"""Findings the BPJS participant list raises and closes on the records central holds:
a registered worker's NIK changed by a fix (``bpjs_nik_changed``), a kelurahan's KPJ
claim the list does not confirm (``kpj_claim_unconfirmed``), and a registered worker
the list shows with a status that is not participation (``bpjs_not_active``,
docs/central.md "When participation ends"). Part of :mod:`central.findings`, which
names these too; SQL in central/storage/findings.py.
"""

from __future__ import annotations

from typing import Any

from berjasa.eligibility import is_active_status, is_deceased_status
from central import identity_match
from central.finding_kinds import (
    BEFORE_FILE_FINDING,
    CLAIM_FINDING,
    STATUS_FINDING,
    SYSTEM,
    raise_finding,
)
from central.storage import findings as store
from central.storage import snapshots
from central.storage.db import Database


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


def before_file_checked(db: Database, rows: list[dict[str, Any]], at: str) -> int:
    """Records the recheck registered just now (``rows``, with the list's ``bpjs_*``
    columns and ``file_month``) whose participation the BPJS list says began before the
    month central first put them on a registration file: a ``bpjs_before_file``
    finding each (the list's start month, the file's month, the KPJ, the file and the
    line), which holds the payment until a verifier decides whether the participation
    is the program's (docs/central.md "When participation ends"). Inside the caller's
    transaction; the findings raised."""
    in_force = snapshots.in_force(db, "bpjs") or {}
    raised = 0
    for row in rows:
        evidence = {"source": "bpjs", "bpjs_coverage": row["bpjs_coverage"],
                    "file_month": row["file_month"],
                    "registration_exported_at": row["registration_exported_at"],
                    "bpjs_kpj": row["bpjs_kpj"], "bpjs_status": row["bpjs_status"],
                    "file": in_force.get("file_name"), "line": row["bpjs_line"],
                    "snapshot_id": in_force.get("id"), "coverage_start": row["coverage_start"]}
        if raise_finding(db, row, BEFORE_FILE_FINDING, "bpjs", evidence, at=at):
            raised += 1
    return raised
