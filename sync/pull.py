"""The pull: central's decisions fetched from ``/api/v1/updates`` from the stored
cursor and applied page by page, the cursor moving in the same transaction as the
page it covers (step 5 of a run, :mod:`sync.agent`); and the pages asked for beside
the push (:class:`PullBeside`), so the pull's round trip leaves the end of the run.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import quote

from berjasa.database import transaction
from sync import faults, outcomes, storage
from sync.protocol_errors import ProtocolError
from sync.run_state import RunState
from sync.transport import CentralRefused, TransientError, json_body, refusal_text, wire_size

log = logging.getLogger("berjasa.sync")


def _updates_path(run: RunState, cursor: str, wait_for: list[str] | None = None) -> str:
    # Accepted decisions came with the batch answers; only the rest is pulled, except
    # on a laptop restored from an older backup (run.skip_accepted False): there the
    # accepted entries name the records made since the backup, which central holds
    # and the laptop lost (kept as sync_central_only: `berjasa sync recover`).
    # encoding=zstd: a compressed page (a central that does not know it answers JSON)
    skip = "&skip=accepted" if run.skip_accepted else ""
    path = f"/api/v1/updates?since={quote(str(cursor))}{skip}&encoding=zstd"
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
                page = self._get_page(_updates_path(self.run, cursor), session)
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
            page = self._get_page(_updates_path(self.run, cursor, self.batch_ids), session)
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
        path = _updates_path(run, cursor)
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
