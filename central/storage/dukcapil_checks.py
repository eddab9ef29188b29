"""Dukcapil's answers per record version and the daily call quota
(migrations/central/*/0007_verification.sql), for :mod:`central.dukcapil`. SQL only."""

from __future__ import annotations

import json
from typing import Any

from central.storage.db import Database


def records_to_verify(db: Database, limit: int, defect_codes: tuple[str, ...] = ("07", "08"),
                      defect_attempts: int = 3) -> list[dict[str, Any]]:
    """Active records not yet answered by Dukcapil at their current version
    (deferred ones again), oldest first; a record Dukcapil refused ``defect_attempts``
    times with a code that is a defect of ours (``defect_codes``) waits for a person
    instead of using the daily quota on every run."""
    codes = ", ".join("?" * len(defect_codes))
    return db.query(
        "SELECT r.central_id, r.version, r.nik, r.kk_number, r.full_name, r.birth_date,"
        " r.birth_place, r.address, r.kelurahan_code, r.record_id FROM records r"
        " LEFT JOIN dukcapil_checks c ON c.central_id = r.central_id"
        " AND c.record_version = COALESCE(r.version, 0)"
        " WHERE r.status IN ('accepted', 'registered') AND (c.state IS NULL OR (c.state = 'deferred'"
        f" AND NOT (c.response_code IN ({codes}) AND c.attempts >= ?)))"
        " ORDER BY r.central_id LIMIT ?", (*defect_codes, defect_attempts, limit))


def save_check(db: Database, row: dict[str, Any]) -> None:
    """Record one record's Dukcapil outcome (done or deferred), counting attempts."""
    db.run("INSERT INTO dukcapil_checks (central_id, record_version, state, response_code,"
           " elements, attempts, last_error, checked_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)"
           " ON CONFLICT (central_id, record_version) DO UPDATE SET state = excluded.state,"
           " response_code = excluded.response_code, elements = excluded.elements,"
           " attempts = dukcapil_checks.attempts + 1, last_error = excluded.last_error,"
           " checked_at = excluded.checked_at",
           (row["central_id"], row["record_version"], row["state"], row.get("response_code"),
            json.dumps(row.get("elements"), ensure_ascii=False) if row.get("elements") else None,
            row.get("last_error"), row["checked_at"]))


def check_counts(db: Database) -> dict[str, int]:
    """Dukcapil checks per state."""
    return {r["state"]: int(r["n"]) for r in db.query(
        "SELECT state, count(*) AS n FROM dukcapil_checks GROUP BY state")}


def calls_on(db: Database, day: str) -> int:
    """Dukcapil calls made on this day."""
    row = db.one("SELECT calls FROM dukcapil_usage WHERE day = ?", (day,))
    return int(row["calls"]) if row else 0


def count_call(db: Database, day: str, calls: int = 1) -> None:
    """``calls`` more Dukcapil calls today."""
    db.run("INSERT INTO dukcapil_usage (day, calls) VALUES (?, ?)"
           " ON CONFLICT (day) DO UPDATE SET calls = dukcapil_usage.calls + excluded.calls",
           (day, int(calls)))
