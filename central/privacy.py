"""Erasure at central (UU 27/2022; docs/privacy.md), plain service functions.

* :func:`erase_nik`: ``berjasa central privacy erase NIK --reason``: every record of
  the NIK, whichever kelurahan sent it, is wiped (status ``erased``, personal
  fields NULL, the NIK replaced by its keyed pseudonym) and each kelurahan is told
  with an ``erased`` update on its next pull.
* :func:`erase_from_device`: a kelurahan's signed erasure: its own records are
  wiped; a record central has not received yet gets a tombstone, so a batch built
  before the erasure (sent late, or resent) never makes the person active here.

An erased record leaves every export (exports take active statuses only) and the
one-active-NIK index. Each erasure is a row of ``erasures``: who, when, why, from
where; the NIK only as its HMAC-SHA256 pseudonym under central's own key.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from berjasa.audit import Actor
from berjasa.erasure import (
    checked_nik,
    erasure_reason,
    identity_number_in,
    name_in,
    record_names,
)
from berjasa.logs import get_logger
from berjasa.problems import NotFound, WrongKelurahan
from berjasa.pseudonyms import load_key, pseudonym
from central.storage import audit as trail
from central.storage import privacy as store
from central.storage import records as records_store
from central.storage import updates as update_store
from central.storage.db import Database, utc_now
from central.waiting import judge_waiting
from sync.protocol_erasures import Erasures

log = get_logger("berjasa.central.privacy")

ERASED_REASON = "erased"
# What central records for a kelurahan's erasure whose laptop sent no reason
# (one before the reason travelled, docs/sync-protocol.md "Erasures").
KELURAHAN_REASON = "Dihapus di kelurahan"
TOMBSTONE_REASON = "Dihapus di kelurahan sebelum diterima pusat"
# Added to it when the laptop's reason named the person and was not kept.
REASON_WITHHELD = (" (alasan dari laptop menyebut NIK atau nama orang itu, jadi tidak "
                   "disimpan; lihat surat di kelurahan)")


def _wipe(db: Database, record: dict[str, Any], alias: str, now: str, actor: Actor,
          origin: str, reason: str) -> None:
    """Wipe one held record and write the trail entry (no NIK: its pseudonym; when
    central had put it on a BPJS registration file, when: BPJS must be told)."""
    store.wipe_record(db, record["central_id"], alias, now)
    store.delete_traces(db, record["central_id"], record["kelurahan_code"], record["record_id"])
    changes = {"status": [record["status"], "erased"], "pseudonym": [None, alias],
               "origin": [None, origin]}
    if record.get("registration_exported_at"):
        changes["registration_exported_at"] = [record["registration_exported_at"], None]
    trail.append(db, actor, "privacy.erase", f"{record['kelurahan_code']}/{record['record_id']}",
                 changes, reason)




def _device_reason(reason: str | None, record: dict[str, Any] | None, default: str) -> str:
    """What central keeps as the reason of a kelurahan's erasure: the laptop's text
    (a letter number; ``default`` when it sent none), unless it names the person (a
    laptop before berjasa.erasure.erasure_reason refused such a reason): it would
    stay in central's trail for good, so ``default`` and a note are kept instead."""
    if not reason:
        return default
    names = record_names([record]) if record else []
    if identity_number_in(reason, record["nik"] if record else None) or any(
            name_in(reason, name) for _, name in names):
        return default + REASON_WITHHELD
    return reason


def _actor(actor: Actor | str) -> Actor:
    return actor if isinstance(actor, Actor) else Actor(str(actor), "cli")


def erase_nik(db: Database, data_dir: Path, nik: str, reason: str,
              actor: Actor | str) -> dict[str, Any]:
    """Erase every record of a NIK at central and queue an ``erased`` update for
    each kelurahan that holds one. NotFound when central never held it."""
    nik = checked_nik(nik)
    erasure_reason(reason, nik=nik)  # the reason alone, before the records are read
    alias = pseudonym(load_key(data_dir), nik)
    actor = _actor(actor)
    now = utc_now()
    with db.transaction():
        db.lock_ingest()
        records = store.records_by_nik(db, nik)
        # kept in central's trail and `erasures` for good: never the person's NIK or name
        reason = erasure_reason(reason, nik=nik, names=record_names(records))
        earlier = [] if records else store.erasures_by_pseudonym(db, alias)
        if not records and not earlier:
            raise NotFound("Tidak ada data dengan NIK ini di registri pusat. Bila kelurahan "
                           "masih menyimpannya (belum terkirim), hapus di kelurahan itu: berjasa "
                           "privacy erase NIK --reason ALASAN.")
        updates = []
        for record in records:
            _wipe(db, record, alias, now, actor, "central", reason)
            store.add_erasure(db, {**record, "pseudonym": alias, "origin": "central",
                                   "reason": reason, "erased_by": actor.username,
                                   "erased_at": now})
            updates.append({"kelurahan_code": record["kelurahan_code"],
                            "record_id": record["record_id"], "kind": "erased",
                            "central_status": "erased"})
        update_store.add_updates(db, updates, now)
    if earlier:  # erased before: nothing to do but an earlier compaction still owed
        return {"erased": [], "already_erased": [
            {"kelurahan_code": e["kelurahan_code"], "record_id": e["record_id"]}
            for e in earlier], "erased_at": earlier[-1]["erased_at"], "pseudonym": alias,
            "compacted": store.finish_compaction(db) is not False}
    compacted = store.compact(db)  # outside the transaction: VACUUM cannot run in one
    return {"erased": [{"kelurahan_code": r["kelurahan_code"], "record_id": r["record_id"],
                        "status_before": r["status"],
                        "registration_exported_at": r["registration_exported_at"]}
                       for r in records],
            "already_erased": [], "pseudonym": alias, "erased_at": now, "compacted": compacted}


def erase_from_device(db: Database, data_dir: Path, erasures: Erasures,
                      device: dict[str, Any], compact: bool = True,
                      settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Apply a kelurahan's signed erasure (its own records only); the answer.
    ``compact=False``: the compaction it owes is left to the caller
    (:func:`compact_soon`, or :func:`central.storage.privacy.finish_compaction`).
    An erased record that held its NIK frees it: the records of other kelurahan
    waiting for it are judged again (:func:`central.waiting.judge_waiting`, with the
    rule ``settings``)."""
    if erasures.kelurahan_code != device["kelurahan_code"]:
        raise WrongKelurahan(kelurahan_code=device["kelurahan_code"])
    key = load_key(data_dir)
    kelurahan = erasures.kelurahan_code
    actor = Actor(device["device_id"], "device")
    # the kelurahan's own reason (a letter number) when its laptop sends one (an
    # optional field: a laptop before it sends none)
    reasons = {r["record_id"]: r.get("reason") for r in erasures.records}
    ids = list(reasons)
    now = utc_now()
    results: list[dict[str, str]] = []
    on_file: list[dict[str, str]] = []  # erased after central put them on a BPJS file
    freed: list[str] = []  # NIKs an erased record held
    with db.transaction():
        db.lock_ingest()  # one at a time with batch ingestion: no batch slips between
        held = store.records_by_ids(db, kelurahan, ids)
        done = store.erasures_of(db, kelurahan, ids)
        for record_id in ids:
            record = held.get(record_id)
            if record_id in done or (record and record["status"] == "erased"):
                result = "already_erased"
            elif record is not None:
                alias = pseudonym(key, record["nik"])
                if record["status"] in records_store.ACTIVE:
                    freed.append(record["nik"])
                reason = _device_reason(reasons[record_id], record, KELURAHAN_REASON)
                _wipe(db, record, alias, now, actor, "kelurahan", reason)
                store.add_erasure(db, {**record, "pseudonym": alias, "origin": "kelurahan",
                                       "device_id": device["device_id"], "erased_by": kelurahan,
                                       "reason": reason, "erased_at": now})
                result = "erased"
                if record["registration_exported_at"]:
                    on_file.append({"record_id": record_id,
                                    "registration_exported_at": record["registration_exported_at"]})
            else:
                reason = _device_reason(reasons[record_id], None, TOMBSTONE_REASON)
                trail.append(db, actor, "privacy.tombstone", f"{kelurahan}/{record_id}",
                             {"origin": [None, "kelurahan"]}, reason)
                store.add_erasure(db, {"kelurahan_code": kelurahan, "record_id": record_id,
                                       "origin": "kelurahan", "device_id": device["device_id"],
                                       "erased_by": kelurahan, "reason": reason,
                                       "erased_at": now})
                result = "tombstoned"
            results.append({"record_id": record_id, "result": result})
        if freed:
            judge_waiting(db, settings, freed, actor, now)
    if any(r["result"] == "erased" for r in results):
        store.owe_compaction(db)
    if compact:
        store.finish_compaction(db)
    return {"erasure_id": erasures.erasure_id, "results": results,
            "on_registration_file": on_file}


# What every command that erases says when the compaction stays owed.
COMPACTION_OWED = (
    "Perhatian: basis data pusat belum dapat dipadatkan (transaksi lain yang lebih lama masih "
    "terbuka, misalnya ekspor atau cadangan yang sedang berjalan), jadi salinan lama data itu "
    "masih ada di berkas basis data. Ulangi perintah ini setelah itu selesai; penghapusan "
    "berikutnya juga menyelesaikannya.")
COMPACTOR_EXTENSION = "berjasa_central_compactor"  # the app's Compactor (central/app.py)


class Compactor:
    """Finishes owed compactions in a thread of its own, one at a time, so a
    device's erasure is answered at once: on PostgreSQL the compaction waits for
    older transactions and rewrites the tables (seconds; docs/privacy.md), longer
    than a laptop should wait for its answer. Requests while one runs are folded
    into one more run."""

    def __init__(self, open_db: Callable[[], Database]) -> None:
        self._open_db = open_db
        self._lock = threading.Lock()
        self._wanted = False
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        """Compact soon (after the running compaction, if one runs)."""
        with self._lock:
            self._wanted = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="erasure-compaction",
                                                daemon=True)
                self._thread.start()

    def wait(self, seconds: float) -> bool:
        """Wait until no compaction runs or is wanted (tests, shutdown); True when idle."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self._lock:
                if self._thread is None:
                    return True
            time.sleep(0.05)
        return False

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._thread = None
                    return
                self._wanted = False
            try:
                db = self._open_db()
                try:
                    if store.finish_compaction(db) is False:
                        log.warning("erasure compaction owed: older transactions or a lock held"
                                    " it off; the next erasure tries again")
                finally:
                    db.close()
            except Exception:
                log.exception("erasure compaction failed; the next erasure tries again")


def compact_soon(db: Database, compactor: Compactor | None) -> None:
    """After a device's erasure was answered: SQLite's compaction (a checkpoint,
    milliseconds) now, PostgreSQL's by ``compactor`` in its thread."""
    if not store.compaction_pending(db):
        return
    if db.dialect == "sqlite" or compactor is None:
        store.compact(db)
    else:
        compactor.request()


def tombstoned_ids(db: Database, kelurahan_code: str, record_ids: list[str]) -> set[str]:
    """Record ids of a batch that were erased before (never to be stored)."""
    return set(store.erasures_of(db, kelurahan_code, record_ids))
