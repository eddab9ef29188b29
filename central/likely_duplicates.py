"""Flagging likely duplicates at central (:mod:`central.dedupe` decides what looks
like one person): records accepted (on arrival, or re-judged when the NIK they
waited for was freed) are compared with every active record of the city, their
own kelurahan's included, and with each other. A pair is a row of
``duplicate_flags`` and a ``possible_duplicate`` update to each record's kelurahan;
while it is open both records stay off the BPJS registration file
(docs/central.md "Decisions", "Exports")."""

from __future__ import annotations

from typing import Any

from central import dedupe
from central.storage import duplicate_candidates as candidate_store
from central.storage import records as store
from central.storage.db import Database


def flag(db: Database, rows: list[dict[str, Any]], now: str,
         candidates: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Flag ``rows`` (accepted and stored: each with ``central_id``, ``nik``,
    ``kk_number``, ``full_name``, ``name_key``, ``birth_date``, ``kelurahan_code``,
    ``record_id``) against the active records of any kelurahan and against each
    other; the update entries to add (two per new pair). ``candidates``: those
    active records (but ``rows``), when the caller looked them up already
    (:func:`central.storage.duplicate_candidates.likely_duplicate_candidates`: the
    ingest does, before it stores the rows)."""
    if not rows:
        return []
    if candidates is None:
        # the rows themselves are compared with each other here, not fetched again
        candidates = candidate_store.likely_duplicate_candidates(
            db, rows, excluding={row["central_id"] for row in rows})
    by_date: dict[str, list[dict]] = {}
    for candidate in (*candidates, *rows):
        by_date.setdefault(candidate["birth_date"], []).append(candidate)
    flags, updates, seen = [], [], set()
    for row in rows:
        for other, match in dedupe.likely_duplicates(row, by_date.get(row["birth_date"], [])):
            pair = tuple(sorted((row["central_id"], other["central_id"])))
            if pair in seen:  # two rows of one call that look alike: one pair
                continue
            seen.add(pair)
            flags.append((pair[0], pair[1], match, now))
            for this, that in ((row, other), (other, row)):
                updates.append({"kelurahan_code": this["kelurahan_code"], "record_id": this["record_id"],
                                "kind": "possible_duplicate", "match": match,
                                "other": {"kelurahan_code": that["kelurahan_code"],
                                          "record_id": that["record_id"]}})
    store.add_flags(db, flags)
    return updates
