"""Restores of central's database recorded by the office (migration 0017; SQL only)."""

from __future__ import annotations

from typing import Any

from central.storage.db import Database


def add(db: Database, at: str, by: str, reason: str) -> dict[str, Any]:
    """Record a restore now; the row, with ``imports_before`` the highest imports id."""
    before = db.one("SELECT COALESCE(MAX(id), 0) AS n FROM imports")
    db.run("INSERT INTO central_restores (recorded_at, recorded_by, reason, imports_before)"
           " VALUES (?, ?, ?, ?)", (at, by, reason, int(before["n"]) if before else 0))
    return latest(db) or {}


def latest(db: Database) -> dict[str, Any] | None:
    """The latest restore recorded (None: never)."""
    return db.one("SELECT id, recorded_at, recorded_by, reason, imports_before FROM central_restores"
                  " ORDER BY id DESC LIMIT 1")


def waiting_for_bpjs_list(db: Database) -> dict[str, Any] | None:
    """The latest restore when no BPJS participant list was imported after it, else None."""
    return db.one("SELECT r.id, r.recorded_at, r.recorded_by, r.reason FROM central_restores r"
                  " WHERE r.id = (SELECT MAX(id) FROM central_restores) AND NOT EXISTS"
                  " (SELECT 1 FROM imports i WHERE i.kind = 'bpjs' AND i.id > r.imports_before)")
