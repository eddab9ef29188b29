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
from urllib.parse import quote

from berjasa.database import SchemaBehind, connect, require_current, transaction
from berjasa.folder_lock import lock_dir, try_lock
from berjasa.paths import SYNC_RUN_LOCK, kelurahan_db_path
from server.storage import privacy as privacy_store
from sync import faults, outcomes, storage
from sync.erasures import send_erasures
from sync.hints_pull import pull_hints
from sync.keys import DeviceError, load_device, pinned_central_keys
from sync.protocol_auth import key_id, load_public_key
from sync.protocol_errors import ProtocolError
from sync.push import build_batch, push  # noqa: F401  (build_batch: tests, tools)
from sync.run_state import RunState, SyncReport
from sync.transport import (
    CentralClient,
    CentralRefused,
    TransientError,
    json_body,
    refusal_text,
    wire_size,
)

log = logging.getLogger("berjasa.sync")
RUN_LOCK = SYNC_RUN_LOCK
TRIGGERS = ("cli", "schedule", "supervisor", "demo", "test")


class SyncBusy(Exception):
    """Another run holds the lease."""


def _updates_path(cursor: str, wait_for: list[str] | None = None) -> str:
    # Accepted decisions came with the batch answers; only the rest is pulled.
    # encoding=zstd: a compressed page (a central that does not know it answers JSON)
    path = f"/api/v1/updates?since={quote(str(cursor))}&skip=accepted&encoding=zstd"
    return path + (f"&wait_for={','.join(wait_for)}" if wait_for else "")


# The page beside the push normally comes with the push's last answers (central
# makes it once it holds the last batch). When it has not come this long after the
# push ended, a lost segment is holding it (TCP's retransmission timeout is 0.6-3 s
# on these links), so it is asked again on a spare connection opened beforehand.
PAGE_AGAIN_AFTER_SECONDS = 0.5

# During a push, the updates written so far are fetched (not applied) each time this
# many more batches have their answers, on a connection of their own: the page asked
# beside the end then holds only what the last batches wrote. A 5,000-record push's
# one page was 7 KB at its end, where a lost segment of it held the run for a
# retransmission timeout (bench/README.md, session g); the pages along the way use
# the link's idle downstream.
PAGE_AHEAD_EVERY_ANSWERS = 2


class PullBeside:
    """The first updates page, asked for while the push's last batches are still on
    their way (``wait_for``: central answers once it has stored them, so the page
    holds what their ingest wrote). The run then applies it after the push instead
    of asking then: the pull's round trip (0.3 s on a 300 ms link, 1-4 s on a lossy
    800 ms one) leaves the end of the run. A page still missing
    PAGE_AGAIN_AFTER_SECONDS after the push is asked again on a spare connection
    (a GET: nothing is sent twice but the question), and the first page to come is
    used. Any trouble, or a central that does not know ``wait_for`` (one version
    behind: 422), just leaves the pull to the end.

    Pages ahead: every PAGE_AHEAD_EVERY_ANSWERS answers (``answered()``), one more
    page is fetched from where the previous one ended, on a connection of its own;
    the page beside the end is asked from where they end. A page ahead still on
    its way then is dropped (the page beside the end covers it), and the first
    failure stops them. Nothing is applied before the push ends."""

    def __init__(self, run: RunState, device: dict[str, Any], key) -> None:
        self.run, self.device, self.key = run, device, key
        # the run thread's connection (warm, idle during the push): a new one would
        # first wait for its handshake; the run thread uses it again in pull(), after
        # result() (when the page came on the spare connection and more pages are
        # needed, both may be in use at once: urllib3 then opens another)
        self.session = run.client.thread_session()
        self.page: tuple[str, dict[str, Any]] | None = None  # (cursor asked from, page)
        self.lock = threading.Lock()
        self.done = threading.Event()  # a page came, or every question asked failed
        self.asked = self.failed = 0
        self.again = threading.Event()  # result() has decided about the spare
        self.ask_again = False
        self.batch_ids: list[str] = []
        self.cursor = "0"
        self.fetch_answers = None
        # pages ahead: (cursor asked from, page), each starting where the last ended
        self.ahead: list[tuple[str, dict[str, Any]]] = []
        self.ahead_lock = threading.Condition()
        self.ahead_cursor: str | None = None  # read by the first page ahead
        self.unpaged = 0  # answers since the last page ahead was asked
        self.ahead_thread: threading.Thread | None = None
        self.closed = False  # the page beside the end was asked, or the push is over

    def answered(self) -> None:
        """A batch of the push has its answer: ask a page ahead every
        PAGE_AHEAD_EVERY_ANSWERS of them (called from the thread that got it)."""
        with self.ahead_lock:
            self.unpaged += 1
            if self.closed:
                return
            if self.ahead_thread is None:  # the first answer: open its connection now
                self.ahead_cursor = storage.get_state(self.run.conn(), "updates_cursor", "0")
                self.ahead_thread = threading.Thread(target=self._pages_ahead, daemon=True,
                                                     name="sync-pages-ahead")
                self.ahead_thread.start()
            if self.unpaged >= PAGE_AHEAD_EVERY_ANSWERS:
                self.ahead_lock.notify_all()

    def _pages_ahead(self) -> None:
        self.run.client.warm()
        session = self.run.client.thread_session()
        while True:
            with self.ahead_lock:
                self.ahead_lock.wait_for(
                    lambda: self.closed or self.unpaged >= PAGE_AHEAD_EVERY_ANSWERS)
                if self.closed or not self.run.can_start():
                    return
                self.unpaged = 0
                cursor = self.ahead_cursor
            try:
                page = self._get_page(_updates_path(cursor), session)
            except _PAGE_TROUBLE as exc:
                log.info("updates ahead of the push's end: %s (no more asked)", exc)
                with self.ahead_lock:
                    self.closed = True
                return
            with self.ahead_lock:
                if self.closed:
                    return  # the page beside the end was asked from this cursor too
                self.ahead.append((cursor, page))
                self.ahead_cursor = str(page["cursor"])
                if page.get("more") and page["updates"]:
                    self.unpaged = PAGE_AHEAD_EVERY_ANSWERS  # the rest at once

    def _close_ahead(self) -> str | None:
        """No page ahead is asked any more; the cursor where the kept ones end
        (None when none was asked)."""
        with self.ahead_lock:
            self.closed = True
            self.ahead_lock.notify_all()
            return self.ahead_cursor

    def _get_page(self, path: str, session) -> dict[str, Any]:
        response = self.run.client.get_signed(self.key, self.device["device_id"], path, session)
        self.run.add(bytes_up=300, bytes_down=wire_size(dict(response.headers), len(response.content)))
        page = json_body(response.content)
        if not isinstance(page.get("updates"), list) or "cursor" not in page:
            raise ValueError("not a page of updates")
        return page

    def start(self, batch_ids: list[str], fetch_answers=None) -> None:
        """Ask now, on a thread of its own, waiting for ``batch_ids``; once the page
        says central holds them, ``fetch_answers(batch_ids, session, carried)`` (the
        push's) takes the answers of those whose POST answer has not come from the
        page's ``answers`` or fetches them. A second thread opens the spare
        connection meanwhile."""
        ahead_to = self._close_ahead()
        if not batch_ids:
            return
        self.batch_ids, self.fetch_answers = batch_ids[:16], fetch_answers
        # read here, on the calling sender's connection: a second question may start
        # after the run has closed its threads' connections
        self.cursor = ahead_to or storage.get_state(self.run.conn(), "updates_cursor", "0")
        self.asked = 1
        threading.Thread(target=self._fetch, args=(self.session,), daemon=True,
                         name="sync-pull-beside").start()
        threading.Thread(target=self._spare, daemon=True, name="sync-pull-beside-2").start()

    def _spare(self) -> None:
        """Open a connection of this thread's own now; ask on it if result() says so."""
        self.run.client.warm()
        self.again.wait()
        if self.ask_again:
            self._fetch(self.run.client.thread_session())

    def _fetch(self, session) -> None:
        cursor = self.cursor
        try:
            page = self._get_page(_updates_path(cursor, self.batch_ids), session)
        except _PAGE_TROUBLE as exc:
            log.info("updates beside the push: %s (asked after the push)", exc)
            with self.lock:
                self.failed += 1
                if self.failed >= self.asked:
                    self.done.set()
            return
        with self.lock:
            if self.page is not None:
                return  # the other question's page came first
            self.page = (cursor, page)
        if page.get("stored") is True and self.fetch_answers is not None:
            self.fetch_answers(self.batch_ids, session, page.get("answers"))
        self.done.set()

    def result(self) -> list[tuple[str, dict[str, Any]]]:
        """The pages ahead and the page beside the end, each with the cursor it was
        asked from, once the push is over. Asks again on the spare connection when
        the page beside the end is late."""
        self._close_ahead()
        with self.ahead_lock:
            pages = list(self.ahead)
        return pages + ([self.page] if self._page_beside() else [])

    def _page_beside(self) -> bool:
        """Whether the page beside the end came (waits for it, or asks again)."""
        if not self.asked:
            return False
        if not self._wait(PAGE_AGAIN_AFTER_SECONDS) and self.run.can_start():
            with self.lock:
                if self.page is None and self.failed < self.asked:
                    self.ask_again = True
                    self.asked += 1
            if self.ask_again:
                log.info("updates page beside the push is late: asked again on another connection",
                         extra={"event": "updates_beside_asked_again"})
        self.again.set()
        self._wait(None)
        return self.page is not None

    def _wait(self, seconds: float | None) -> bool:
        """Wait for the page at most ``seconds`` (None: as long as it takes), but not
        once the run has stopped: after a fatal refusal (a revoked device, a bad
        signature) the page is not applied, and central may hold it up to
        ``central_updates_wait_seconds`` for a batch it will never store."""
        end = None if seconds is None else time.monotonic() + seconds
        while not self.done.is_set() and not self.run.stop.is_set():
            step = 0.05 if end is None else min(0.05, end - time.monotonic())
            if step <= 0:
                break
            self.done.wait(step)
        return self.done.is_set()

    def release_spare(self) -> None:
        """Let the spare connection's thread end when it was not needed, and stop
        the pages ahead (also when the push failed before result())."""
        self._close_ahead()
        self.again.set()


_PAGE_TROUBLE = (TransientError, ProtocolError, CentralRefused, ValueError, KeyError, TypeError)


def _apply_page(run: RunState, conn, page: dict[str, Any]) -> str:
    """Apply one page of updates and move the cursor, in one transaction; the new cursor."""
    faults.crash_point("mid_pull")
    cursor_next = str(page["cursor"])
    with transaction(conn):
        applied, erased = outcomes.apply_updates(conn, page["updates"])
        storage.set_state(conn, "updates_cursor", cursor_next)
    if erased:
        outcomes.after_erasures(conn)
    run.add(updates_applied=applied)
    return cursor_next


def pull(run: RunState, conn, device: dict[str, Any], key,
         beside: list[tuple[str, dict[str, Any]]] = ()) -> None:
    """Fetch central's decisions from the stored cursor and apply them; the cursor
    moves in the same transaction as the page it covers. ``beside``: pages asked
    for during the push (PullBeside), each with the cursor it was asked from,
    applied first while each starts where the cursor stands; asking again is
    needed only when the last did not cover every batch of the run (``stored``
    false) or more pages wait."""
    cursor = storage.get_state(conn, "updates_cursor", "0")
    page: dict[str, Any] = {}
    for asked_from, page in beside:
        if asked_from != cursor or not run.can_start():
            page = {}
            break
        cursor = _apply_page(run, conn, page)
    if page:
        log.debug("updates applied from the pages asked beside the push",
                  extra={"event": "updates_beside_applied"})
        if page.get("stored") is True and (not page.get("more") or not page["updates"]):
            return
    attempt = 0
    while run.can_start():
        path = _updates_path(cursor)
        try:
            response = run.client.get_signed(key, device["device_id"], path)
            run.add(bytes_up=300, bytes_down=wire_size(dict(response.headers), len(response.content)))
            page = json_body(response.content)
            entries, _ = page["updates"], str(page["cursor"])
        except (TransientError, ProtocolError, ValueError, KeyError, TypeError) as exc:
            if attempt < run.retries and run.pause(attempt):
                attempt += 1
                continue
            run.fail(f"gagal mengambil kabar dari pusat: {exc}")
            return
        except CentralRefused as exc:
            run.fail(refusal_text(exc, "permintaan kabar"))
            return
        attempt = 0
        cursor = _apply_page(run, conn, page)
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
