"""Records waiting for a NIK: a record answered ``duplicate`` because another record
held its NIK is judged again when that record stops holding it (docs/central.md
"A NIK freed").

A record holds its NIK while it is active (``accepted``/``registered``; the partial
unique index ``records_active_nik`` is the authority). It stops when its fix
changes the NIK or is refused, when a verifier rejects it or a pair decision makes it
the duplicate of another record, when it is erased at its kelurahan's request, or when
a re-evaluation rejects it. The records answered ``duplicate`` against it then wait
for nothing: :func:`judge_waiting` gives the NIK to the earliest of them (by
``central_id``, the order central received them), judged by the rules as on arrival
(the snapshot rules through :func:`central.recheck.recheck`, then the likely-duplicate
flags, the DTSEN and the cohort checks), and its kelurahan hears it through the
normal updates pull (``reaccepted``, or ``rejected`` with the rule's reasons). The
others wait on as duplicates of the new holder. A record a verifier's pair decision
made ``duplicate`` (another NIK, the same person) is final and never waits.

Callers hold the ingest lock (``db.lock_ingest()``) in their transaction, so no batch,
decision or erasure changes who holds a NIK meanwhile; the unique index would refuse
a second active record anyway (the caller's transaction then fails whole).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from berjasa.audit import SYSTEM, Actor
from central import findings, likely_duplicates
from central.recheck import recheck
from central.storage import audit as trail
from central.storage import records as store
from central.storage import updates as update_store
from central.storage.db import Database, utc_now


def judge_waiting(db: Database, settings: Mapping[str, Any] | None,
                  niks: Iterable[str] | None = None, actor: Actor | None = None,
                  now: str | None = None) -> dict[str, int]:
    """Give each NIK of ``niks`` (None: every NIK) that no active record holds to the
    earliest record waiting for it, judged as on arrival. ``{"judged", "accepted",
    "rejected"}``: records judged, and how many took their NIK or were rejected by a
    rule. Inside the caller's transaction, under the ingest lock."""
    summary = {"judged": 0, "accepted": 0, "rejected": 0}
    wanted = None if niks is None else sorted({n for n in niks if n and not n.startswith("p1:")})
    if wanted == []:
        return summary
    now = now or utc_now()
    actor = actor or SYSTEM
    while True:
        waiting = store.waiting_duplicates(db, wanted)
        if not waiting:
            return summary
        by_nik: dict[str, list[dict]] = {}
        for row in waiting:
            by_nik.setdefault(row["nik"], []).append(row)
        firsts = [rows[0] for rows in by_nik.values()]
        if not store.reopen_for_judging(db, [r["central_id"] for r in firsts], now):
            return summary  # nothing left to judge (cannot happen under the ingest lock)
        recheck(db, dict(settings or {}), central_ids=[r["central_id"] for r in firsts])
        judged = store.records_for_flagging(db, [r["central_id"] for r in firsts])
        promoted, updates = [], []
        for first in firsts:
            row = judged[first["central_id"]]
            summary["judged"] += 1
            before = f"{first['duplicate_of_kelurahan']}/{first['duplicate_of_record']}"
            if row["status"] in store.ACTIVE:
                summary["accepted"] += 1
                promoted.append(row)
                if row["status"] == "registered":
                    # a KPJ claim the list confirms: the recheck said registered before the
                    # kelurahan could leave central_rejected; say it again after this one
                    updates += [_reaccepted(row), _registered(row)]
                updates += _repoint(db, row, by_nik[row["nik"]][1:], now)
            else:  # a rule rejects it (the same NIK's next waiting record is judged next)
                summary["rejected"] += 1
                reasons = findings.stored_list(row["reasons"])
                updates.append({"kelurahan_code": row["kelurahan_code"],
                                "record_id": row["record_id"], "kind": "rejected",
                                "central_status": "rejected", "reasons": reasons,
                                "eligibility": findings.stored_list(row["eligibility"])})
            trail.append(db, actor, "record.rejudged", f"{row['kelurahan_code']}/{row['record_id']}",
                         {"status": ["duplicate", row["status"]], "duplicate_of": before,
                          "central_id": row["central_id"]})
        updates += likely_duplicates.flag(db, [r for r in promoted if r["status"] == "accepted"], now)
        update_store.add_updates(db, updates, now)
        active = [r for r in promoted if r["status"] in store.ACTIVE]
        findings.check_dtsen(db, [r["central_id"] for r in active], at=now)
        findings.check_cohort(db, active, at=now)


def _reaccepted(row: dict[str, Any]) -> dict[str, Any]:
    """The ``reaccepted`` update of a record that took its NIK."""
    return {"kelurahan_code": row["kelurahan_code"], "record_id": row["record_id"],
            "kind": "reaccepted", "central_status": "accepted", "central_id": row["central_id"],
            "eligibility": findings.stored_list(row["eligibility"])}


def _registered(row: dict[str, Any]) -> dict[str, Any]:
    """The ``registered`` update (with the KPJ) of a record that took its NIK registered."""
    return {"kelurahan_code": row["kelurahan_code"], "record_id": row["record_id"],
            "kind": "registered", "central_status": "registered", "kpj_number": row["kpj_number"],
            "coverage_start": row["coverage_start"], "central_id": row["central_id"]}


def _repoint(db: Database, holder: dict[str, Any], others: list[dict[str, Any]],
             now: str) -> list[dict[str, Any]]:
    """The NIK's other waiting records wait on as duplicates of ``holder``: as on
    arrival, each kelurahan hears it (``duplicate`` naming the new holder;
    ``duplicate_elsewhere`` to the holder's)."""
    if not others:
        return []
    store.repoint_duplicates(db, [r["central_id"] for r in others], holder["kelurahan_code"],
                             holder["record_id"], now)
    mine = {"kelurahan_code": holder["kelurahan_code"], "record_id": holder["record_id"]}
    updates = []
    for other in others:
        theirs = {"kelurahan_code": other["kelurahan_code"], "record_id": other["record_id"]}
        updates += [{**theirs, "kind": "duplicate", "central_status": "duplicate",
                     "duplicate_of": mine},
                    {**mine, "kind": "duplicate_elsewhere", "other": theirs}]
    return updates

