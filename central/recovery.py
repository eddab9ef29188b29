"""``GET /api/v1/records``: a kelurahan laptop takes back its own records from central
(docs/sync-protocol.md, "Recovery"; docs/sync-agent.md, "A laptop restored from an
older backup"). Plain functions, no Flask.

A laptop restored from an older backup, or installed afresh, has lost the records
made since; central still holds every one it received, with its decision. Each page
lists, by central id, the signing device's kelurahan's records: the fields the laptop
sent (never another kelurahan's) and central's status, and every update entry central
holds for each, so the laptop puts each record back as it would stand had it never
lost it. An erased record is listed by id and status only (its data is gone), so the
laptop erases a copy a restore brought back. Each page handed out is one entry in
central's trail (device, kelurahan, how many records, which central ids): it is
personal data leaving central.
"""

from __future__ import annotations

from typing import Any

from berjasa.audit import Actor
from central import trail
from central.storage import records as store
from central.storage import updates as update_store
from central.storage.db import Database

PAGE_SIZE = 200  # records a page at most: about 1 KB of JSON each, 30-40 KB zstd
PAGE_ACTION = "device.records_pull"


def records_page(db: Database, device: dict[str, Any], after: int, limit: int) -> dict[str, Any]:
    """The device's kelurahan's records after central id ``after`` (at most ``limit``,
    capped at PAGE_SIZE): ``{"records": [...], "cursor", "more"}``; audited."""
    kelurahan = device["kelurahan_code"]
    limit = min(limit, PAGE_SIZE)
    rows = store.kelurahan_records(db, kelurahan, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    held = [row["record_id"] for row in rows if row["status"] != "erased"]
    updates: dict[str, list[dict[str, Any]]] = {}
    for entry in update_store.updates_of_records(db, kelurahan, held):
        updates.setdefault(entry["record_id"], []).append(entry)
    records = [_record(row, updates.get(row["record_id"], [])) for row in rows]
    cursor = rows[-1]["central_id"] if rows else after
    if rows:
        trail.record(db, Actor(device["device_id"], "device"), PAGE_ACTION, None,
                     {"kelurahan_code": [None, kelurahan], "records": [None, len(rows)],
                      "central_ids": [None, [rows[0]["central_id"], cursor]]})
    return {"records": records, "cursor": str(cursor), "more": more}


def _record(row: dict[str, Any], updates: list[dict[str, Any]]) -> dict[str, Any]:
    """One record as the page lists it."""
    if row["status"] == "erased":
        # the enumerator (a staff name, kept at erasure): the laptop tells that phone
        return {"id": row["record_id"], "status": "erased", "central_id": row["central_id"],
                "enumerator": row["enumerator"]}
    values = {key: row[key] for key in store.RECOVERY_COLUMNS
              if key not in ("record_id", "status", "reasons", "duplicate_of_kelurahan",
                             "duplicate_of_record", "kpj_number", "central_id")}
    central: dict[str, Any] = {"status": row["status"], "central_id": row["central_id"]}
    if row["status"] == "duplicate":
        central["duplicate_of"] = {"kelurahan_code": row["duplicate_of_kelurahan"],
                                   "record_id": row["duplicate_of_record"]}
    if row["status"] == "rejected":
        central["reasons"] = row["reasons"] or []
    if row["kpj_number"]:
        central["kpj_number"] = row["kpj_number"]
    return {"id": row["record_id"], "status": row["status"], "central_id": row["central_id"],
            "record": {"id": row["record_id"], **values}, "central": central, "updates": updates}
