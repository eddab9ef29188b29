"""Read queries for exports, progress and the dashboard, and the export audit (SQL only)."""

from __future__ import annotations

from typing import Any

from central.storage.db import Database

EXPORT_COLUMNS = (
    "central_id, kelurahan_code, record_id, nik, kk_number, full_name, birth_place, birth_date,"
    " sex, address, rt, rw, mother_name, phone, occupation, work_category, monthly_income,"
    " heir_name, heir_relation, heir_phone, status, reasons, duplicate_of_kelurahan,"
    " duplicate_of_record, kpj_number, received_at, updated_at"
)


def records_for_export(db: Database, active_only: bool) -> list[dict[str, Any]]:
    """Records in central_id order; only accepted/registered when ``active_only``."""
    where = " WHERE status IN ('accepted', 'registered')" if active_only else ""
    return db.query(f"SELECT {EXPORT_COLUMNS} FROM records{where} ORDER BY central_id")


def counts_by_kelurahan(db: Database) -> dict[str, dict[str, int]]:
    """{kelurahan_code: {status: count}}."""
    out: dict[str, dict[str, int]] = {}
    for row in db.query("SELECT kelurahan_code, status, COUNT(*) AS n FROM records"
                        " GROUP BY kelurahan_code, status"):
        out.setdefault(row["kelurahan_code"], {})[row["status"]] = int(row["n"])
    return out


def add_export_audit(db: Database, at: str, actor: str, what: str, fmt: str, rows: int,
                     output: str) -> None:
    """Who exported what, when (every export writes one)."""
    db.run("INSERT INTO export_audit (at, actor, what, format, row_count, output)"
           " VALUES (?, ?, ?, ?, ?, ?)", (at, actor, what, fmt, rows, output))


def export_audit(db: Database) -> list[dict[str, Any]]:
    """The export audit, oldest first."""
    return db.query("SELECT * FROM export_audit ORDER BY id")


def last_batches(db: Database, limit: int = 10) -> list[dict[str, Any]]:
    """The most recently received batches (without their answer bytes)."""
    return db.query("SELECT batch_id, kelurahan_code, record_count, received_at FROM batches"
                    " ORDER BY received_at DESC LIMIT ?", (limit,))
