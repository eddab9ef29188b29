"""The sync agent: one run pushes approved records to central and pulls central's
decisions back (design.md "Sync"; docs/sync-agent.md).

A run, in order:

1. take the run lease (one agent at a time, on every platform; a killed run's
   lease expires after ``sync_lease_seconds``);
2. resend every stored, unanswered batch exactly as stored (central answers a
   replay with its stored answer), then pack the outbox into new batches, each
   stored before its first send, and send them, ``sync_parallel_requests`` at a time;
3. store each answer and the records' new statuses in one transaction;
4. pull ``/api/v1/updates`` from the stored cursor and apply them, page by page;
5. record the attempt (time, bytes, records, result, error).

Exactly-once rests on three facts: a record enters at most one batch (outbox rows
are claimed inside ``BEGIN IMMEDIATE``), a batch's bytes never change once
stored, and central is idempotent per batch id. Concurrency only changes the
order in which answers arrive, and each is applied on its own.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from berjasa.database import apply_migrations, connect, transaction
from berjasa.paths import kelurahan_db_path
from sync import agent_settings  # noqa: F401  (declares the sync_* settings)
from sync import faults, outcomes, protocol, storage
from sync.keys import DeviceError, load_device
from sync.protocol_errors import ProtocolError
from sync.transport import CentralClient, CentralRefused, TransientError, wire_size

log = logging.getLogger("berjasa.sync")
TRIGGERS = ("cli", "schedule", "supervisor", "demo", "test")


class SyncBusy(Exception):
    """Another run holds the lease."""


@dataclass
class SyncReport:
    """What one run did; ``ok`` is False when it ended on an error."""

    ok: bool = True
    result: str = "ok"
    batches_sent: int = 0
    records_sent: int = 0
    accepted: int = 0
    central_rejected: int = 0
    updates_applied: int = 0
    pending: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    seconds: float = 0.0
    error: str | None = None
    attempt_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return asdict(self)


class _Run:
    """State shared by the threads of one run: counters, the stop flag, the error."""

    def __init__(self, db_path: Path, client: CentralClient, settings: dict[str, Any]) -> None:
        self.db_path = db_path
        self.client = client
        self.retries = int(settings["sync_request_retries"])
        self.report = SyncReport()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.local = threading.local()
        self.connections: list[Any] = []

    def conn(self):
        """This thread's own SQLite connection."""
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = connect(self.db_path)
            with self.lock:
                self.connections.append(conn)
        return conn

    def add(self, **counts: int) -> None:
        """Add to the report's counters."""
        with self.lock:
            for name, value in counts.items():
                setattr(self.report, name, getattr(self.report, name) + value)

    def fail(self, message: str, stop: bool = True) -> None:
        """Keep the first error; stop starting new requests."""
        with self.lock:
            if self.report.error is None:
                self.report.error = message
        if stop:
            self.stop.set()

    def can_start(self) -> bool:
        """Whether a new request may start (not stopped, time left)."""
        return not self.stop.is_set() and self.client.remaining() > 0

    def close(self) -> None:
        """Close the threads' connections."""
        for conn in self.connections:
            conn.close()


def _pause(attempt: int, run: _Run) -> bool:
    """Wait before a retry: exponential with jitter, cut to the time left.
    False when there is no time left for another try."""
    delay = min(8.0, 0.5 * 2 ** attempt) * random.uniform(0.5, 1.5)
    if run.client.remaining() <= delay + 1:
        return False
    return not run.stop.wait(delay)


def send_batch(run: _Run, batch: dict[str, Any]) -> None:
    """Send one stored batch until it is answered, the retries are spent or the
    run stops; store the answer and the records' statuses in one transaction."""
    conn = run.conn()
    shell = protocol.Batch(batch["batch_id"], "", "", "", [{"id": rid} for rid in batch["record_ids"]])
    for attempt in range(run.retries + 1):
        if not run.can_start():
            return
        run.add(bytes_up=wire_size(batch["headers"], len(batch["body"])))
        try:
            response = run.client.post_batch(batch["body"], batch["headers"])
            run.add(bytes_down=wire_size(dict(response.headers), len(response.content)))
            faults.crash_point("after_answer")
            results = protocol.decode_results(response.content, shell)
        except (TransientError, ProtocolError) as exc:
            storage.note_send(conn, batch["batch_id"], str(exc))
            log.info("batch %s: %s (try %d)", batch["batch_id"], exc, attempt + 1)
            if attempt < run.retries and _pause(attempt, run):
                continue
            run.fail(str(exc))
            return
        except CentralRefused as exc:
            storage.note_send(conn, batch["batch_id"], str(exc))
            run.fail(f"pusat menolak batch: {exc}", stop=exc.fatal)
            return
        accepted = sum(1 for r in results if r.get("result") == "accepted")
        with transaction(conn):
            if storage.mark_answered(conn, batch["batch_id"], response.content, accepted,
                                     len(results) - accepted):
                for result in results:
                    outcomes.apply_decision(conn, result)
        faults.crash_point("after_store")
        run.add(batches_sent=1, records_sent=len(results), accepted=accepted,
                central_rejected=len(results) - accepted)
        return


def build_batch(conn, device: dict[str, Any], key, size: int) -> dict[str, Any] | None:
    """Pack up to ``size`` outbox records into a new batch and store it (body and
    headers exactly as they will be sent); None when the outbox is empty."""
    with transaction(conn):
        storage.drop_stale_outbox(conn)
    rows = storage.pending_records(conn, size)
    if not rows:
        return None
    batch = protocol.new_batch(device["device_id"], device["kelurahan_code"], rows)
    body, headers = protocol.encode_batch(batch, key)
    record_ids = [r["id"] for r in batch.records]
    with transaction(conn):
        storage.add_batch(conn, batch.batch_id, protocol.content_hash(batch), record_ids, body, headers)
    faults.crash_point("after_build")
    return storage.get_batch(conn, batch.batch_id)


def push(run: _Run, conn, device: dict[str, Any], key, settings: dict[str, Any]) -> None:
    """Resend stored batches, then build and send new ones, several in flight."""
    parallel = max(1, int(settings["sync_parallel_requests"]))
    size = max(1, int(settings["sync_batch_size"]))
    # The builder stays at most two batches ahead of the senders.
    slots = threading.BoundedSemaphore(parallel + 2)

    def submit(pool: ThreadPoolExecutor, batch: dict[str, Any]) -> bool:
        while not slots.acquire(timeout=0.2):
            if not run.can_start():
                return False
        future = pool.submit(send_batch, run, batch)
        future.add_done_callback(lambda _: slots.release())
        return True

    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="sync-send") as pool:
        for batch in storage.unanswered_batches(conn):
            if not submit(pool, batch):
                break
        while run.can_start():
            batch = build_batch(conn, device, key, size)
            if batch is None or not submit(pool, batch):
                break


def pull(run: _Run, conn, device: dict[str, Any], key) -> None:
    """Fetch central's decisions from the stored cursor and apply them; the cursor
    moves in the same transaction as the page it covers."""
    cursor = storage.get_state(conn, "updates_cursor", "0")
    attempt = 0
    while run.can_start():
        # Accepted decisions came with the batch answers; only the rest is pulled.
        path = f"/api/v1/updates?since={quote(str(cursor))}&skip=accepted"
        try:
            response = run.client.get_signed(key, device["device_id"], path)
            run.add(bytes_up=300, bytes_down=wire_size(dict(response.headers), len(response.content)))
            page = response.json()
            entries, cursor_next = page["updates"], str(page["cursor"])
        except (TransientError, ValueError, KeyError, TypeError) as exc:
            if attempt < run.retries and _pause(attempt, run):
                attempt += 1
                continue
            run.fail(f"gagal mengambil kabar dari pusat: {exc}")
            return
        except CentralRefused as exc:
            run.fail(f"pusat menolak permintaan kabar: {exc}")
            return
        attempt = 0
        faults.crash_point("mid_pull")
        applied = 0
        with transaction(conn):
            for entry in entries:
                applied += outcomes.apply_update(conn, entry)
            storage.set_state(conn, "updates_cursor", cursor_next)
        run.add(updates_applied=applied)
        cursor = cursor_next
        if not page.get("more") or not entries:
            return


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
        apply_migrations(conn, "migrations.kelurahan")
        return _run_with_lease(conn, Path(data_dir), db_path, settings, trigger, started)
    finally:
        conn.close()


def _run_with_lease(conn, data_dir: Path, db_path: Path, settings: dict[str, Any], trigger: str,
                    started: float) -> SyncReport:
    """Take the lease, run, record the attempt, give the lease back."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    lease_seconds = float(settings["sync_lease_seconds"])
    attempt_id = storage.start_attempt(conn, trigger)
    if not storage.acquire_lease(conn, holder, lease_seconds):
        report = SyncReport(ok=False, result="busy", attempt_id=attempt_id,
                            error="Sinkronisasi lain sedang berjalan; coba lagi sebentar lagi.")
        storage.finish_attempt(conn, attempt_id, {"result": "busy", "error": report.error})
        return report
    deadline = started + float(settings["sync_run_seconds"])
    client = None
    run = None
    renewing = threading.Event()
    try:
        device, key = load_device(conn, data_dir)
        client = CentralClient(settings["sync_central_url"] or device["central_url"], settings, deadline)
        run = _Run(db_path, client, settings)
        heartbeat = threading.Thread(target=_renew_lease, daemon=True,
                                     args=(db_path, holder, lease_seconds, renewing, run))
        heartbeat.start()
        push(run, conn, device, key, settings)
        if not run.stop.is_set():
            pull(run, conn, device, key)
        report = run.report
    except DeviceError as exc:
        report = SyncReport(ok=False, result="failed", error=str(exc))
    finally:
        renewing.set()
        if run is not None:
            run.close()
        if client is not None:
            client.close()
    counts = storage.outbox_counts(conn)
    report.pending = counts["queued"] + counts["in_batches"]
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
    storage.release_lease(conn, holder)
    log.info("sync run %s: %s batches, %s records, %s updates, error=%s", report.result,
             report.batches_sent, report.records_sent, report.updates_applied, report.error)
    return report


def _renew_lease(db_path: Path, holder: str, seconds: float, done: threading.Event, run: _Run) -> None:
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
