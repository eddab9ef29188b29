"""The sync agent: one run pushes approved records to central and pulls central's
decisions back (design.md "Sync"; docs/sync-agent.md).

A run, in order:

1. take the run lock and lease (one agent at a time, on every platform): the lock
   is an OS lock on ``locks/sync-run.lock`` (berjasa.folder_lock), gone with its
   process, so after a ``kill -9`` the next run takes the lease over at once; the
   lease row in the database says who runs (``sync status``);
2. send the unconfirmed erasures (sync/erasures.py), then resend every stored,
   unanswered batch exactly as stored (central answers a replay with its stored
   answer), then pack the outbox into new batches, each stored before its first
   send, and send them, ``sync_parallel_requests`` at a time;
3. store each answer and the records' new statuses in one transaction;
4. send the erasures made while the batches were on their way (a batch already
   sent may have carried the person: central wipes it now, not a run later);
5. pull ``/api/v1/updates`` from the stored cursor and apply them, page by page;
6. record the attempt (time, bytes, records, result, error), and finish an
   erasure's compaction that a reader blocked (server/storage/privacy.py).

Exactly-once rests on three facts: a record enters at most one batch (outbox rows
are claimed inside ``BEGIN IMMEDIATE``), a batch's bytes never change once
stored, and central is idempotent per batch id. Concurrency only changes the
order in which answers arrive, and each is applied on its own.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from berjasa.database import SchemaBehind, connect, require_current, transaction
from berjasa.folder_lock import lock_dir, try_lock
from berjasa.paths import SYNC_RUN_LOCK, kelurahan_db_path
from server.storage import privacy as privacy_store
from sync import storage, storage_central
from sync.erasures import send_erasures
from sync.hints_pull import pull_hints
from sync.keys import DeviceError, load_device, pinned_central_keys
from sync.protocol_auth import key_id, load_public_key
from sync.pull import PullBeside, pull
from sync.push import push
from sync.run_state import RunState, SyncReport
from sync.transport import CentralClient

log = logging.getLogger("berjasa.sync")
RUN_LOCK = SYNC_RUN_LOCK
TRIGGERS = ("cli", "schedule", "supervisor", "demo", "test")


class SyncBusy(Exception):
    """Another run holds the lease."""


def run_once(data_dir: Path, settings: dict[str, Any], trigger: str = "cli") -> SyncReport:
    """One sync run for a kelurahan data folder; never raises for network trouble:
    the report says what happened (``ok``, ``error``). The demo calls this."""
    started = time.monotonic()
    db_path = kelurahan_db_path(Path(data_dir))
    if not db_path.exists():
        return SyncReport(ok=False, result="failed",
                          error=f"Belum ada database di {data_dir}; jalankan `berjasa init` dulu.")
    conn = connect(db_path)
    try:
        try:
            require_current(conn, "migrations.kelurahan", "berjasa migrate")
        except SchemaBehind as exc:
            return SyncReport(ok=False, result="failed", error=str(exc))
        return _run_with_lease(conn, Path(data_dir), db_path, settings, trigger, started)
    finally:
        conn.close()


def _run_with_lease(conn, data_dir: Path, db_path: Path, settings: dict[str, Any], trigger: str,
                    started: float) -> SyncReport:
    """Take the lease, run, record the attempt, give the lease back."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    lease_seconds = float(settings["sync_lease_seconds"])
    attempt_id = storage.start_attempt(conn, trigger)
    run_lock = try_lock(lock_dir(data_dir) / RUN_LOCK)
    # Holding the OS lock proves the lease's holder (if any) is dead: take it over.
    if run_lock is None or not storage.acquire_lease(conn, holder, lease_seconds, takeover=True):
        if run_lock is not None:
            run_lock.release()
        report = SyncReport(ok=False, result="busy", attempt_id=attempt_id,
                            error="Sinkronisasi lain sedang berjalan; coba lagi sebentar lagi.")
        storage.finish_attempt(conn, attempt_id, {"result": "busy", "error": report.error})
        return report
    storage.close_interrupted_attempts(conn, attempt_id)  # the run lock: none of them runs
    deadline = started + float(settings["sync_run_seconds"])
    client = None
    run = None
    renewing = threading.Event()
    hints = None
    beside: list[tuple[str, dict[str, Any]]] = []
    try:
        device, key = load_device(conn, data_dir)
        client = CentralClient(settings["sync_central_url"] or device["central_url"], settings, deadline,
                               pinned_central_keys(device))
        run = RunState(db_path, client, settings)
        run.skip_accepted = storage_central.restored_from_backup(conn) is None
        heartbeat = threading.Thread(target=_renew_lease, daemon=True,
                                     args=(db_path, holder, lease_seconds, renewing, run))
        heartbeat.start()
        send_erasures(run, conn, device, key)
        # The hints download has its own cursor and touches no record, so it runs
        # beside the push: it uses the link's idle downstream instead of adding
        # its time after the updates pull (bench/README.md, sync over the link).
        hints = threading.Thread(target=_pull_hints_beside, args=(run, device, key),
                                 daemon=True, name="sync-hints")
        if not run.stop.is_set():
            hints.start()
            # the updates pull goes on this thread's connection (its first page
            # beside the end of the push): open it now, while the link is still quiet
            client.warm(background=True)
            pull_beside = PullBeside(run, device, key)
            try:
                push(run, conn, device, key, settings, on_all_taken=pull_beside.start,
                     on_answer=pull_beside.answered)
                beside = pull_beside.result()  # waits for it (or asks again)
            finally:
                pull_beside.release_spare()
        if not run.stop.is_set():
            # an erasure made while the batches were on their way (one may have
            # carried the person) goes now, not with the next run
            send_erasures(run, conn, device, key)
        if not run.stop.is_set():
            pull(run, conn, device, key, beside)
        report = run.report
    except DeviceError as exc:
        report = SyncReport(ok=False, result="failed", error=str(exc))
    finally:
        if hints is not None and hints.ident is not None:
            hints.join()
        renewing.set()
        if run is not None:
            run.close()
        if client is not None:
            client.close()
            _follow_central_key(conn, device, client)
    counts = storage.outbox_counts(conn)
    report.pending = counts["queued"] + counts["in_batches"]
    report.central_only = storage_central.central_only(conn)["records"]
    report.restored_from_backup = (storage_central.restored_from_backup(conn) or {}).get("backup_created_at")
    report.attempt_id = attempt_id
    report.seconds = round(time.monotonic() - started, 3)
    report.ok = report.error is None
    report.result = ("ok" if report.ok and not report.pending else
                     "partial" if report.ok or report.records_sent else "failed")
    values = {**report.as_dict(), "records_answered": report.records_sent}
    storage.finish_attempt(conn, attempt_id, values)
    with transaction(conn):
        failures = 0 if report.ok else int(storage.get_state(conn, "consecutive_failures", "0")) + 1
        storage.set_state(conn, "consecutive_failures", str(failures))
    _finish_compaction(conn)
    storage.release_lease(conn, holder)
    run_lock.release()
    log.info("sync run %s: %s batches, %s records, %s updates, error=%s", report.result,
             report.batches_sent, report.records_sent, report.updates_applied, report.error)
    return report


def _finish_compaction(conn) -> None:
    """An erasure whose compaction a reader blocked (server/storage/privacy.py) is
    finished by the next run; a failure is logged and tried again next run."""
    try:
        if privacy_store.finish_compaction(conn) is False:
            log.warning("erasure compaction still blocked by a reader; next run tries again")
    except sqlite3.Error:
        log.exception("erasure compaction failed; next run tries again")


def _pull_hints_beside(run: RunState, device: dict[str, Any], key) -> None:
    """The duplicate-hint pull on its own thread and connection; a failure is
    logged by pull_hints and never fails the run's records."""
    try:
        pull_hints(run, run.conn(), device, key)
    except Exception:  # a disk problem storing hints must not end the push
        log.exception("duplicate hints not stored")


def _follow_central_key(conn, device: dict[str, Any], client: CentralClient) -> None:
    """Pin the successor key central announced (inside a verified signature), and
    make it current once central signs with it (docs/central.md, key rotation)."""
    if not client.pinned:
        return
    current, following = device.get("central_public_key"), device.get("central_next_key")
    if following and key_id(load_public_key(following)) in client.signed_by:
        current, following = following, None
    if client.announced_next and client.announced_next != current:
        following = client.announced_next
    if (current, following) != (device.get("central_public_key"), device.get("central_next_key")):
        storage.set_central_keys(conn, current, following)
        log.info("central signing key pinned: %s (next: %s)", key_id(load_public_key(current)),
                 key_id(load_public_key(following)) if following else "-")


def _renew_lease(db_path: Path, holder: str, seconds: float, done: threading.Event, run: RunState) -> None:
    """Keep the lease while the run lasts; losing it (a stalled run whose lease
    expired and was taken) stops this run at its next request."""
    conn = connect(db_path)
    try:
        while not done.wait(seconds / 3):
            if not storage.acquire_lease(conn, holder, seconds):
                run.fail("lease sinkronisasi diambil proses lain")
                return
    finally:
        conn.close()
