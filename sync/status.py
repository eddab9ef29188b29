"""What the sync page, ``GET /api/v1/sync/status`` and ``berjasa sync status``
show: the device, the last push, what still waits, the last error, recent runs."""

from __future__ import annotations

import sqlite3
from typing import Any

from server.storage import enrollment_lists
from sync import storage, storage_central

_ATTEMPT_FIELDS = ("id", "started_at", "finished_at", "trigger", "result", "batches_sent",
                   "records_sent", "updates_applied", "bytes_up", "bytes_down", "error")


def sync_status(conn: sqlite3.Connection, attempts: int = 10) -> dict[str, Any]:
    """The sync state of this kelurahan register as JSON-ready values."""
    device = storage.get_device(conn)
    last_online = storage.last_push_attempt(conn)
    usb = storage.usb_events(conn)
    error = storage.last_error(conn)
    counts = storage.outbox_counts(conn)
    statuses = enrollment_lists.count_by_status(conn)
    holder = storage.lease_holder(conn)
    return {
        "registered": device is not None,
        "device_id": device["device_id"] if device else None,
        "central_url": device["central_url"] if device else None,
        "running": holder is not None,
        "last_push": _last_push(last_online, usb["last_export"]),
        # by stick: the last file written for central, the last answers file applied
        "usb": usb,
        "pending": {
            "records": counts["queued"] + counts["in_batches"],
            "queued": counts["queued"],
            "in_unanswered_batches": counts["in_batches"],
            "batches_unanswered": counts["batches_unanswered"],
        },
        "statuses": {name: statuses.get(name, 0) for name in
                     ("approved", "synced", "registered", "central_rejected")},
        "notices": storage_central.notice_counts(conn),
        # records central holds that this laptop does not, and a restore not yet
        # followed by `berjasa sync recover` (docs/sync-agent.md)
        "central_only": storage_central.central_only(conn),
        "restored_from_backup": storage_central.restored_from_backup(conn),
        "last_error": error,
        # a later run succeeded: the error is history, not the state of things
        "last_error_resolved": bool(error and last_online
                                    and last_online["finished_at"] > error["finished_at"]),
        "updates_cursor": storage.get_state(conn, "updates_cursor", "0"),
        "consecutive_failures": int(storage.get_state(conn, "consecutive_failures", "0")),
        "totals": storage.totals(conn),
        # the daily retention purge: its last run, and why the clock held it back since
        "retention": storage.retention_state(conn),
        "attempts": [{k: a[k] for k in _ATTEMPT_FIELDS}
                     for a in storage.recent_attempts(conn, attempts)],
    }


def _last_push(online: dict[str, Any] | None, export: dict[str, Any] | None) -> dict[str, Any] | None:
    """The latest moment records left for central: the latest run that reached it,
    or the latest USB file that carried records, whichever is later (``via``)."""
    pushes = []
    if online:
        pushes.append({"at": online["finished_at"], "records_sent": online["records_sent"],
                       "result": online["result"], "via": "online"})
    if export and (export.get("records") or export.get("erasures")):
        pushes.append({"at": export["at"], "records_sent": export.get("records", 0),
                       "result": "ok", "via": "usb"})
    return max(pushes, key=lambda push: push["at"]) if pushes else None
