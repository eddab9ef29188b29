"""Records put back into the register from central's copy (``berjasa sync recover``,
sync/recover.py; docs/sync-agent.md, "A laptop restored from an older backup").

A laptop restored from an older backup has lost the records made since; central
holds each one it received. This module writes such a record back, as the sync
agent's role, ``synced`` with central status ``accepted`` (what it was once central
had answered), with an ``enrollment.recover`` audit entry and a history line; the
agent then gives it central's later state (sync/outcomes.py ``apply_recovered``).

When the person was recorded again meanwhile (a new id), central refused that copy
as a duplicate of the lost record and it holds the NIK here: that copy is rejected
(``central_rejected`` -> ``rejected``, audited, with the reason) so the original can
hold the NIK again. Any other record holding the NIK is a conflict the supervisor
settles first (the recovery says which).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from berjasa.database import transaction, utc_now
from berjasa.problems import DuplicateNik, IdConflict
from server import lifecycle
from server.intake import content_hash, identity_warnings
from server.storage import enrollments as store
from server.storage.audit import Actor, record_audit_entry

RECOVERY_ACTOR = Actor("sync", "sync")
RECOVERED = "Dipulihkan dari pusat (laptop dipulihkan dari cadangan lama)"


class NotRecovered(Exception):
    """The record cannot be put back: ``holder`` (id and status of the record holding
    its NIK here) or ``why`` says why."""

    def __init__(self, why: str, holder: dict[str, Any] | None = None) -> None:
        super().__init__(why)
        self.why, self.holder = why, holder


def duplicate_reason(kelurahan_code: str, record_id: str) -> str:
    """The central reason of a copy central refused as a duplicate of ``record_id``
    (sync/outcomes.py ``reason_text``)."""
    return f"duplicate_nik: kelurahan {kelurahan_code}, data {record_id}"


def restore_record(conn: sqlite3.Connection, values: dict[str, Any]) -> list[str]:
    """Write one record from central back (``values``: the client fields and
    ``version``, ``enumerator``, ``reviewed_by``, ``reviewed_at``), inside the caller's
    transaction; the ids of the copies rejected to make room for it. NotRecovered
    when another record holds its NIK, or the data cannot be stored."""
    record_id = values["id"]
    now = utc_now()
    client = {field: values.get(field) for field in store.CLIENT_FIELDS}
    record = {
        **client,
        "warnings": identity_warnings(client),
        "intake_hash": content_hash(client),
        "status": "synced",
        "version": int(values.get("version") or 1),
        "enumerator": values.get("enumerator") or "pusat",
        "last_edited_by": values.get("enumerator") or "pusat",
        "received_at": now,
        "updated_at": now,
        "reviewed_by": values.get("reviewed_by"),
        "reviewed_at": values.get("reviewed_at"),
        "central_status": "accepted",
    }
    rejected: list[str] = []
    with transaction(conn):
        try:
            _insert(conn, record)
        except DuplicateNik as taken:
            holder = store.get_enrollment(conn, taken.extra.get("existing_id") or "")
            if holder is None or not _copy_of(holder, record):
                raise NotRecovered("nik_held", holder and {"id": holder["id"],
                                                           "status": holder["status"]}) from None
            lifecycle.transition(conn, holder["id"], "rejected", RECOVERY_ACTOR,
                                 reason=f"Ganda dengan data {record_id} yang dipulihkan dari pusat.",
                                 expected_status="central_rejected",
                                 extra={"review_reason": "Ganda dengan data yang dipulihkan dari "
                                                         f"pusat ({record_id})."})
            rejected.append(holder["id"])
            _insert(conn, record)
        store.add_history(conn, record_id, record["version"], "synced", now,
                          RECOVERY_ACTOR.username, "recover", {}, {"status": "synced"}, RECOVERED)
        record_audit_entry(conn, RECOVERY_ACTOR, "enrollment.recover", record_id,
                           {"status": [None, "synced"], "central_status": [None, "accepted"],
                            "version": [None, record["version"]],
                            "content_hash": [None, record["intake_hash"]]}, RECOVERED)
    return rejected


def _insert(conn: sqlite3.Connection, record: dict[str, Any]) -> None:
    try:
        store.insert_enrollment(conn, record)
    except IdConflict as refused:  # not the id (checked before): a column the register requires
        raise NotRecovered("incomplete") from refused


def _copy_of(holder: dict[str, Any], record: dict[str, Any]) -> bool:
    """Whether ``holder`` is a copy central refused as a duplicate of ``record``."""
    return (holder["status"] == "central_rejected" and holder.get("central_reason")
            == duplicate_reason(record["kelurahan_code"], record["id"]))
