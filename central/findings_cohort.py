"""The 2024 cohort against the records central holds: a record that looks like a
cohort worker under another NIK gets a ``cohort_duplicate`` finding (docs/central.md
"Likely duplicates of the 2024 cohort"), looked up in the cohort as this process
holds it (:mod:`central.cohort_memory`). Part of :mod:`central.findings`, which names these
too; SQL in central/storage/findings.py and central/storage/snapshots.py.
"""

from __future__ import annotations

from typing import Any

from central import cohort_memory, dedupe, identity_match
from central.finding_kinds import COHORT_FINDING, SYSTEM
from central.storage import findings as store
from central.storage import snapshots
from central.storage.db import Database, utc_now


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
