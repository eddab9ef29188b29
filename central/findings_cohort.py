"""The 2024 cohort against the records central holds: a record that looks like a
cohort worker under another NIK gets a ``cohort_duplicate`` finding (docs/central.md
"Likely duplicates of the 2024 cohort"), and the cohort's name words are indexed for
the lookup (``cohort_name_words``). Part of :mod:`central.findings`, which names these
too; SQL in central/storage/findings.py and central/storage/snapshots.py.
"""

from __future__ import annotations

from typing import Any

from central import dedupe, identity_match
from central.finding_kinds import COHORT_FINDING, raise_finding
from central.storage import findings as store
from central.storage import snapshots
from central.storage.db import Database, utc_now


def check_cohort(db: Database, rows: list[dict[str, Any]] | None = None,
                 at: str | None = None, snapshot_id: int | None = None) -> dict[str, int]:
    """Compare accepted records with the loaded 2024 cohort: one whose name and
    birth date match a cohort row of **another** NIK (:func:`central.dedupe.cohort_matches`:
    the same worker re-enrolled under a mistyped NIK, registered and paid twice
    otherwise) gets a ``cohort_duplicate`` finding with the evidence side by side,
    unless a verifier already decided one on this version with the same evidence.
    ``rows``: these records only (as stored, ``status`` accepted: an arriving batch,
    records re-judged), looked up by their birth dates; None: every accepted record
    (after a cohort import, ``central verify``); ``snapshot_id``: the cohort in force,
    when the caller knows it. Returns ``{"compared", "raised"}``:
    the records compared with at least one cohort row born the same day."""
    at = at or utc_now()
    matched: dict[int, tuple[dict, dict, str]] = {}
    compared: set[int] = set()
    if rows is None:
        pairs = ((record, [other]) for record, other in snapshots.accepted_born_as_cohort(db))
    else:
        rows = [r for r in rows if r.get("status", "accepted") == "accepted" and r.get("birth_date")]
        born = (snapshots.cohort_candidates(db, rows)
                if rows and index_cohort_names(db, snapshot_id) else {})
        pairs = ((row, born[row["birth_date"]]) for row in rows if row["birth_date"] in born)
    for record, cohort_rows in pairs:
        compared.add(int(record["central_id"]))
        if int(record["central_id"]) in matched:  # the first cohort row (by NIK) is shown
            continue
        for other, reason in dedupe.cohort_matches(record, cohort_rows)[:1]:
            matched[int(record["central_id"])] = (record, other, reason)
    raised = 0
    for record, other, reason in matched.values():
        evidence = cohort_evidence(record, other, reason)
        if store.decided_before(db, record["central_id"], COHORT_FINDING, record.get("version"),
                                evidence):
            continue
        if raise_finding(db, record, COHORT_FINDING, "cohort", evidence, at=at):
            raised += 1
    return {"compared": len(compared), "raised": raised}


def index_cohort_names(db: Database, snapshot_id: int | None = None) -> bool:
    """Make ``cohort_name_words`` (migration 0020) hold the name words
    (:func:`central.dedupe.name_key`) of the cohort in force (``snapshot_id``, else
    the newest cohort import), unless it holds them already; whether a cohort is
    loaded. Called under the ingest lock: by the cohort import, and by a batch when
    the words are of another cohort (one imported before the migration: once)."""
    snapshot_id = snapshot_id if snapshot_id is not None else snapshots.current_ids(db)["cohort"]
    if snapshot_id is None:
        return False
    if snapshots.cohort_words_of(db) == int(snapshot_id):
        return True

    def words():
        for row in snapshots.cohort_names(db):
            parts, date = dedupe.name_key(row["full_name"]).split(), row["birth_date"] or ""
            if not parts or not date:  # a row of its own: the table is not empty
                yield (row["nik"], date, "", 0, snapshot_id)
                continue
            yield from ((row["nik"], date, word, len(parts), snapshot_id)
                        for word in dict.fromkeys(parts))
    snapshots.replace_cohort_words(db, words())
    return True


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
