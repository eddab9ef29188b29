"""Read queries for the office dashboard: set-based (one GROUP BY each), the
same SQL on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from central.storage.db import Database


def cohort_by_kelurahan(db: Database) -> dict[str, int]:
    """{kelurahan_code: workers of the 2024 cohort} (the table of migration 0002)."""
    rows = db.query("SELECT kelurahan_code, COUNT(*) AS n FROM cohort GROUP BY kelurahan_code")
    return {r["kelurahan_code"]: int(r["n"]) for r in rows}


def received_per_week(db: Database, bounds: list[str]) -> list[int]:
    """Records received in each week between consecutive ``bounds`` (ISO dates,
    ascending: week *i* is ``bounds[i] <= received_at < bounds[i + 1]``).

    One range count per week on the ``received_at`` index, not a GROUP BY over
    every record: that sorted the whole table by day (650 ms of the dashboard's
    uncached 900 ms at 100,000 records on PostgreSQL) to draw 26 bars. A date
    bound compares with the ISO timestamps as text the way their date does."""
    if len(bounds) < 2:
        return []
    weeks = range(len(bounds) - 1)
    row = db.one("SELECT " + ", ".join(
        f"(SELECT COUNT(*) FROM records WHERE received_at >= ? AND received_at < ?) AS w{i}"
        for i in weeks), [bound for i in weeks for bound in (bounds[i], bounds[i + 1])])
    return [int(row[f"w{i}"]) for i in weeks] if row else [0 for _ in weeks]


def last_sync_by_kelurahan(db: Database) -> list[dict[str, Any]]:
    """Per kelurahan with a registered laptop: its newest batch (or None), the newest
    registration, and the number of active laptops."""
    devices = db.query("SELECT kelurahan_code, COUNT(*) AS laptops, MAX(registered_at) AS registered"
                       " FROM devices WHERE revoked_at IS NULL GROUP BY kelurahan_code")
    batches = {r["kelurahan_code"]: r for r in db.query(
        "SELECT kelurahan_code, MAX(received_at) AS last_batch, COUNT(*) AS batches FROM batches"
        " GROUP BY kelurahan_code")}
    out = []
    for d in devices:
        b = batches.get(d["kelurahan_code"], {})
        out.append({"kelurahan_code": d["kelurahan_code"], "laptops": int(d["laptops"]),
                    "registered_at": d["registered"], "last_batch": b.get("last_batch"),
                    "batches": int(b.get("batches") or 0)})
    return out


def rejection_reasons(db: Database) -> list[dict[str, Any]]:
    """Rejected records grouped by their reasons list (JSON text)."""
    return db.query("SELECT reasons, COUNT(*) AS n FROM records WHERE status = 'rejected'"
                    " GROUP BY reasons")


def enumerator_quality(db: Database, kelurahan_codes: list[str]) -> list[dict[str, Any]]:
    """Per kelurahan and enumerator: records, rejected, duplicates, sent back (erased
    records left out, as every other figure leaves them)."""
    if not kelurahan_codes:
        return []
    where, params = db.in_list("r.kelurahan_code", kelurahan_codes)
    rows = db.query(
        "SELECT r.kelurahan_code, r.enumerator, COUNT(*) AS total,"
        " SUM(CASE WHEN r.status = 'rejected' THEN 1 ELSE 0 END) AS rejected,"
        " SUM(CASE WHEN r.status = 'duplicate' THEN 1 ELSE 0 END) AS duplicate"
        f" FROM records r WHERE {where} AND r.status <> 'erased'"
        " GROUP BY r.kelurahan_code, r.enumerator", params)
    where_u, params_u = db.in_list("u.kelurahan_code", kelurahan_codes)
    sent_back = {(r["kelurahan_code"], r["enumerator"]): int(r["n"]) for r in db.query(
        "SELECT u.kelurahan_code, r.enumerator, COUNT(DISTINCT u.record_id) AS n FROM updates u"
        " JOIN records r ON r.kelurahan_code = u.kelurahan_code AND r.record_id = u.record_id"
        f" WHERE u.kind = 'needs_fix' AND r.status <> 'erased' AND {where_u}"
        " GROUP BY u.kelurahan_code, r.enumerator",
        params_u)}
    return [{**r, "total": int(r["total"]), "rejected": int(r["rejected"] or 0),
             "duplicate": int(r["duplicate"] or 0),
             "sent_back": sent_back.get((r["kelurahan_code"], r["enumerator"]), 0)}
            for r in rows]


def data_version(db: Database) -> tuple:
    """A cheap fingerprint of what the dashboard counts: it changes when a batch
    arrives or a record is stored (highest ``central_id``: records are never
    deleted, only wiped), an update (decision, recheck, erasure) or an import is
    written, a kelurahan erasure is applied, or a laptop is registered or revoked.
    Every part is an index probe or a small table: no count over ``records``
    (580 ms a request at a million records, docs/architecture.md "Scale plan")."""
    row = db.one("SELECT (SELECT MAX(seq) FROM updates) AS updates,"
                 " (SELECT COUNT(*) FROM batches) AS batches,"
                 " (SELECT MAX(id) FROM imports) AS imports,"
                 " (SELECT MAX(central_id) FROM records) AS records,"
                 " (SELECT MAX(id) FROM erasures) AS erasures,"
                 " (SELECT COUNT(*) FROM devices WHERE revoked_at IS NULL) AS devices,"
                 " (SELECT MAX(registered_at) FROM devices) AS registered")
    return tuple(row.values()) if row else ()
