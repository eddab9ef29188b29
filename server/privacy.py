"""Data-subject requests under UU 27/2022 (Pelindungan Data Pribadi): export
everything the kelurahan holds about one NIK (Pasal 7), and erase it (Pasal 8, 43).

Erasure removes every record of the NIK from the register with everything keyed
by it (edit history, outbox row, notices, the personal values of its audit
entries), drops each unanswered sync batch holding it (its other records go back
to the outbox and leave under a new batch id, so what central receives never
contains the person), strips the bodies of answered batches that held it, and
then checkpoints and VACUUMs the database (``secure_delete`` is on for every
connection) so no file of the data folder keeps a readable copy. What remains is
the record id, the NIK's keyed pseudonym and the audit entry saying who erased
it, when and why. The erasure is queued for central (a signed erasure with the
next sync run); an erasure that came from central is not sent back.

It works beside a running sync agent: each step is one ``BEGIN IMMEDIATE``
transaction, and the agent checks that a stored batch still exists right before
each POST. A killed agent holds nothing (no lock is waited for).
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta, timezone
from typing import Any

from berjasa.database import transaction, utc_now
from berjasa.erasure import checked_nik, erasure_reason, record_names, retention_reason
from berjasa.local_time import wita
from berjasa.problems import NotFound
from berjasa.pseudonyms import key_for_connection, pseudonym
from server import trail
from server.storage import audit_values
from server.storage import enrollments as store
from server.storage import privacy as privacy_store
from server.storage.audit import Actor, record_audit_entry

CENTRAL_ACTOR = Actor("pusat", "sync")
RETENTION_ACTOR = Actor("retensi", "system")
ERASED_AT_CENTRAL = "Dihapus di pusat (erased at central)"


def nik_pseudonym(conn: sqlite3.Connection, nik: str) -> str:
    """The keyed pseudonym of a NIK in this data folder (HMAC-SHA256)."""
    return pseudonym(key_for_connection(conn), nik)


def export_subject(conn: sqlite3.Connection, nik: str, actor: Actor,
                   reason: str | None = None) -> dict[str, Any]:
    """Every record, its history (each line ``verified`` against the sealed trail, or
    not, with its ``mismatch``: :func:`server.trail.checked_history`) and its audit
    entries for one NIK; audited, with the
    request's reason (the letter number) when one is given: one that names the
    person is refused (:func:`berjasa.erasure.erasure_reason`)."""
    nik = checked_nik(nik)
    records = privacy_store.enrollments_for_nik(conn, nik)
    if reason is not None:
        reason = erasure_reason(reason, "permintaan salinan", nik=nik,
                                names=record_names(records))
    if not records:
        earlier = privacy_store.erasures_by_pseudonym(conn, nik_pseudonym(conn, nik))
        if earlier:  # as `erase` says it: the person was here, and nothing is left
            raise NotFound(f"Data NIK ini sudah dihapus ({wita(earlier[-1]['erased_at'], seconds=True)}"
                           f"); tidak ada lagi yang tersimpan di kelurahan ini.")
        raise NotFound("Tidak ada data dengan NIK ini di kelurahan ini.")
    ids = [r["id"] for r in records]
    entries = privacy_store.audit_entries_for(conn, ids)
    values = audit_values.values_for(conn, entries)
    answer = {
        "nik": nik,
        "exported_at": utc_now(),
        "records": [{**{k: r[k] for k in store.CLIENT_FIELDS},
                     **{k: r[k] for k in store.SERVER_FIELDS if k in r},
                     # flagged as the API flags it: a line the sealed trail does not
                     # stand for is never handed out as if it did
                     "history": trail.checked_history(conn, r["id"])} for r in records],
        "audit": [audit_values.with_values(e, values) for e in entries],
    }
    with transaction(conn):
        record_audit_entry(conn, actor, "privacy.export", None,
                           {"pseudonym": [None, nik_pseudonym(conn, nik)], "records": [None, ids]},
                           reason)
    return answer


def erase_subject(conn: sqlite3.Connection, nik: str, reason: str, actor: Actor) -> dict:
    """Erase every record of one NIK. Answers the ids erased, which had reached
    central, and ``already_erased`` when the NIK was erased before (nothing left).
    A reason that names the person (the NIK, any 16-digit number, a name of the
    records) is refused before anything changes: the trail keeps it for good."""
    nik = checked_nik(nik)
    erasure_reason(reason, nik=nik)  # the reason alone, before the records are read
    alias = nik_pseudonym(conn, nik)
    with transaction(conn):
        records = privacy_store.enrollments_for_nik(conn, nik)
        reason = erasure_reason(reason, nik=nik, names=record_names(records))
        if not records:
            earlier = privacy_store.erasures_by_pseudonym(conn, alias)
            if earlier:
                return {"erased": [], "already_erased": [e["record_id"] for e in earlier],
                        "erased_at": earlier[-1]["erased_at"], "pseudonym": alias,
                        "also_at_central": [], "held_elsewhere": [], "usb_files": [],
                        "compacted": False}
            raise NotFound("Tidak ada data dengan NIK ini di kelurahan ini. Bila data itu ada di "
                           "kelurahan lain atau di pusat, penghapusannya di pusat: berjasa central "
                           "privacy erase NIK --reason ALASAN.")
        elsewhere = held_elsewhere(conn, records)  # read before the notices go with the records
        usb_files: list[dict[str, Any]] = []
        for record in records:
            _erase_record(conn, record, alias, reason, actor, origin="kelurahan",
                          usb_files=usb_files)
    compaction = privacy_store.compact(conn)
    copies = privacy_store.drop_copies_holding(conn, nik)
    return {"erased": [r["id"] for r in records], "already_erased": [], "pseudonym": alias,
            "migration_copies_deleted": copies,
            "also_at_central": [r["id"] for r in records
                                if r["status"] in ("synced", "registered", "central_rejected")],
            "queued_for_central": [r["id"] for r in records],
            "held_elsewhere": elsewhere,
            "usb_files": _latest_per_file(usb_files),
            "compacted": not compaction["checkpoint_busy"]}


# central_reason of a record central refused because another kelurahan's record holds
# its NIK (sync/outcomes.py reason_text)
_DUPLICATE_OF = re.compile(r"^duplicate_nik: kelurahan (?P<kelurahan_code>[0-9.]+), data (?P<record_id>\S+)$")


def held_elsewhere(conn: sqlite3.Connection, records: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Other kelurahans' records of the same NIK that central told this laptop about
    (docs/privacy.md, section 4): the ``duplicate_elsewhere`` notices (another kelurahan
    sent this NIK after us) and a ``duplicate_nik`` refusal (another kelurahan's record
    held it first). An erasure here does not reach them: ``{"kelurahan_code",
    "record_id", "known_from"}`` each, once."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    for record in records:
        match = _DUPLICATE_OF.match(record.get("central_reason") or "")
        if record.get("central_status") == "duplicate" and match:
            key = (match["kelurahan_code"], match["record_id"])
            found.setdefault(key, {"kelurahan_code": key[0], "record_id": key[1],
                                   "known_from": "duplicate_nik"})
        for notice in store.central_notices(conn, record["id"]):
            other = notice["payload"].get("other") or {}
            if notice["kind"] == "duplicate_elsewhere" and other.get("kelurahan_code"):
                key = (str(other["kelurahan_code"]), str(other.get("record_id") or ""))
                found.setdefault(key, {"kelurahan_code": key[0], "record_id": key[1],
                                       "known_from": "duplicate_elsewhere"})
    return list(found.values())


def _latest_per_file(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each file path once, as last written (a path written again holds the later
    file; the earlier one exists only where it was copied)."""
    latest: dict[str, dict[str, Any]] = {}
    for item in sorted(files, key=lambda f: f["written_at"]):
        latest[item["file"]] = item
    return list(latest.values())


def erase_from_central(conn: sqlite3.Connection, record_id: str, reason: str | None = None) -> bool:
    """Central erased this record (an ``erased`` update): erase the local copy too,
    audited as erased at central; not sent back. False when it is not held."""
    with transaction(conn):
        record = privacy_store.enrollment_by_id(conn, record_id)
        if record is None:
            return False
        alias = nik_pseudonym(conn, record["nik"])
        _erase_record(conn, record, alias, ERASED_AT_CENTRAL + (f": {reason}" if reason else ""),
                      CENTRAL_ACTOR, origin="central")
    privacy_store.drop_copies_holding(conn, record["nik"])
    return True


# The pseudonym of an erasure central made of a record this laptop never held (lost
# to a restore): its NIK is not known here, only its record id (intake refuses that
# id). Never a real pseudonym ("p1:"), so no NIK lookup matches it.
UNKNOWN_PSEUDONYM = "unknown:"


def note_central_erasure(conn: sqlite3.Connection, record_id: str, reason: str,
                         enumerator: str | None = None) -> bool:
    """Central erased a record of this kelurahan that the register does not hold (a
    laptop restored from a backup made before the record): remember the erasure
    (inside the caller's transaction), so intake refuses a copy of the record still
    in a phone's outbox (409 ``erased``) and the phone's status look drops its card.
    False when the id is held or already erased here (an erasure noted from a pulled
    ``erased`` entry, which names no enumerator, learns it here)."""
    if privacy_store.enrollment_by_id(conn, record_id) is not None:
        return False
    if privacy_store.erased_ids(conn, [record_id]):
        if enumerator:
            privacy_store.set_erasure_enumerator(conn, record_id, enumerator)
        return False
    now = utc_now()
    privacy_store.add_erasure(conn, {
        "record_id": record_id, "pseudonym": UNKNOWN_PSEUDONYM + record_id, "erased_at": now,
        "erased_by": CENTRAL_ACTOR.username, "origin": "central",
        "reason": ERASED_AT_CENTRAL + f": {reason}", "enumerator": enumerator,
        "sent_at": now, "central_result": "erased"})
    record_audit_entry(conn, CENTRAL_ACTOR, "privacy.erase", record_id,
                       {"status": [None, "erased"], "origin": [None, "central"]},
                       ERASED_AT_CENTRAL + f": {reason}")
    return True


def _erase_record(conn: sqlite3.Connection, record: dict[str, Any], alias: str, reason: str,
                  actor: Actor, origin: str, notify_central: bool | None = None,
                  usb_files: list[dict[str, Any]] | None = None,
                  erased_by: str | None = None) -> None:
    """Remove one record and every copy of it (inside the caller's transaction).
    ``usb_files`` gains the stick files (``sync export``) that hold an unanswered
    batch with it: they still carry the person to central. ``erased_by``: the
    erasure's author when not the actor (the retention policy, run by an operator)."""
    record_id = record["id"]
    for batch in privacy_store.batches_holding(conn, record_id):
        if batch["state"] == "pending":
            if usb_files is not None:
                usb_files += privacy_store.usb_files_holding(conn, batch["batch_id"])
            privacy_store.drop_pending_batch(conn, batch["batch_id"])
        else:
            privacy_store.strip_answered_body(conn, batch["batch_id"])
    privacy_store.delete_record(conn, record_id)
    audit_values.erase_values(conn, [record_id])
    now = utc_now()
    notify = origin == "kelurahan" if notify_central is None else notify_central
    privacy_store.add_erasure(conn, {
        "record_id": record_id, "pseudonym": alias, "erased_at": now,
        "erased_by": erased_by or actor.username, "origin": origin, "reason": reason,
        # whose phone may still hold it: the status look tells that phone (by id only)
        "enumerator": record.get("enumerator"),
        "sent_at": None if notify else now,
        "central_result": None if notify else ("erased" if origin == "central" else "not_sent")})
    record_audit_entry(conn, actor, "privacy.erase", record_id,
                       {"pseudonym": [None, alias], "status": [record["status"], "erased"],
                        "origin": [None, origin]}, reason)


def erased_record(conn: sqlite3.Connection, record_id: str) -> dict[str, Any] | None:
    """When and by whom a record id was erased (pages say the record is gone)."""
    row = privacy_store.erasure_of_record(conn, record_id)
    if row is None:
        return None
    return {"record_id": record_id, "erased_at": row["erased_at"], "origin": row["origin"]}


def purge(conn: sqlite3.Connection, settings: dict[str, Any], actor: Actor = RETENTION_ACTOR,
          now: datetime | None = None, clock_checked: bool = False) -> dict[str, Any]:
    """Apply the retention settings (docs/privacy.md "Retensi"): erase records
    rejected long ago, delete old erasure traces, empty old answered batch
    bodies, delete old operational logs; audited as one ``privacy.purge`` entry
    (``clock_checked``: run although the clock was in doubt, a person having
    checked it: sync/retention.py, which decides whether the clock may date it);
    then compact when anything went (or an earlier compaction is still owed)."""
    now = now or datetime.now(timezone.utc)

    def cutoff(name: str) -> str:
        return (now - timedelta(days=int(settings[name]))).isoformat(timespec="microseconds")

    with transaction(conn):
        rejected = privacy_store.rejected_before(conn, cutoff("retention_rejected_days"))
        for record in rejected:
            # rejected here, but an earlier version may have reached central (sent
            # back by a verifier, fixed, then rejected): central erases it too
            reached = record.get("central_status") is not None or bool(
                privacy_store.batches_holding(conn, record["id"]))
            _erase_record(conn, record, nik_pseudonym(conn, record["nik"]),
                          retention_reason(int(settings["retention_rejected_days"])),
                          actor, origin="kelurahan", notify_central=reached,
                          # nobody asked for it (intake tells the two apart: server/erased_niks.py)
                          erased_by=RETENTION_ACTOR.username)
        counts = {
            "rejected_erased": len(rejected),
            "erasure_traces_deleted": privacy_store.delete_erasure_traces(
                conn, cutoff("retention_erased_traces_days")),
            "batch_bodies_emptied": privacy_store.strip_answered_bodies(
                conn, cutoff("retention_batch_bodies_days")),
            "log_rows_deleted": privacy_store.delete_logs(conn, cutoff("retention_logs_days")),
        }
        facts = {name: [None, value] for name, value in counts.items()}
        if clock_checked:
            facts["clock_checked"] = [None, True]
        record_audit_entry(conn, actor, "privacy.purge", None, facts,
                           f"Retensi sesuai keputusan tanggal {settings['retention_policy_date']}")
    if any(counts.values()):
        compacted = not privacy_store.compact(conn)["checkpoint_busy"]
    else:  # an earlier erasure's compaction a reader blocked is finished here
        compacted = bool(privacy_store.finish_compaction(conn))
    return {**counts, "policy_date": settings["retention_policy_date"], "at": now.isoformat(),
            "compacted": compacted}
