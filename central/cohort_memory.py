"""The 2024 cohort held in this process's memory, by NIK and by birth date, for
each arriving batch: its rules (``already_in_cohort``) and its likely-duplicate check
(docs/central.md "Likely duplicates of the 2024 cohort").

The cohort changes only by an import, which replaces it whole and adds an
``imports`` row, so what this process read once serves every batch until another
cohort is in force: each use reads the ``imports`` row of the cohort in force (one
indexed query, in the caller's transaction) and the rows are read again when it is not
the one held. The row is compared whole (id, time of the import, file hash), not by
id alone: a database restored from a backup, or a test database reset, can give the
next import an id used before.

Callers hold the ingest lock (``db.lock_ingest()``), as every cohort import does, so
the cohort cannot change between the ``imports`` row and the rows read after it; the
row is read again after the rows all the same, and a cohort that changed meanwhile is
used for this call only, never kept.

About 36,000 workers: 36,000 small dicts (some 12 MB) per process and per database,
read in a fraction of a second once per import.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from central.storage import snapshots
from central.storage.db import Database

# Databases whose cohort one process keeps at once (a server has one; tests many).
_KEPT = 4


@dataclass(frozen=True)
class Cohort:
    """One loaded cohort: each row (``nik``, ``kpj_number``, ``full_name``,
    ``birth_date``, ``kelurahan_code``, ``coverage_start``) by NIK, and by birth date
    in NIK order. Shared by every batch: never change it."""

    by_nik: dict[str, dict[str, Any]] = field(default_factory=dict)
    born_on: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


_NONE = Cohort()
_held: dict[str, tuple[tuple, Cohort]] = {}
_lock = threading.Lock()


def in_force(db: Database, snapshot_id: int | None = None) -> Cohort:
    """The cohort in force (``snapshot_id``, else the newest cohort import); an empty
    one when no cohort is loaded."""
    version = snapshots.cohort_version(db, snapshot_id)
    if version is None:
        return _NONE
    with _lock:
        kept = _held.get(db.url)
        if kept is not None and kept[0] == version:
            return kept[1]
    cohort = Cohort()
    for row in snapshots.cohort_for_matching(db):  # in NIK order
        cohort.by_nik[row["nik"]] = row
        if row["birth_date"]:
            cohort.born_on.setdefault(row["birth_date"], []).append(row)
    if snapshots.cohort_version(db, snapshot_id) == version:
        with _lock:
            _held.pop(db.url, None)
            if len(_held) >= _KEPT:
                _held.pop(next(iter(_held)))
            _held[db.url] = (version, cohort)
    return cohort
