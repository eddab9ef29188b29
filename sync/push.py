"""Pushing batches: build (and store) batches from the outbox, send them several
at a time, store each answer with the records' new statuses.

Three kinds of thread, so the link never waits on the disk or the CPU:

- the builder (the caller's thread) resends stored unanswered batches first,
  then packs new ones (:mod:`sync.packing`), each stored before its first send, a
  few ahead of the senders;
- ``sync_parallel_requests`` senders POST batches and hand answers on (one TCP
  stream at 3% loss and 300 ms RTT fills only part of a 1 Mbit/s link);
- one writer stores each answer and the status changes in one transaction.

A batch in flight is never in two places: the builder hands each batch to one
sender, and an unanswered batch is only picked up again by a later run. Its
answer may come two ways: at the end of a run, once central says it holds the
last batches (the updates page asked beside the push), the stored answer of one
whose POST answer has not come is fetched on another connection
(``fetch_answers``); the first answer to come is the one stored, and the push ends
without waiting for TCP to recover the other (a lost answer segment waits out a
retransmission timeout, 0.5-2 s on a lossy link).

One batch's sending (its tries, central asked for an answer it already gave) is
:mod:`sync.sending`.
"""

from __future__ import annotations

import base64
import logging
import queue
import threading
from typing import Any

from berjasa.database import transaction
from server.storage import outbox
from sync import faults, outcomes, protocol, storage
from sync.packing import batch_sizes, build_batches
from sync.protocol_errors import ProtocolError
from sync.run_state import RunState
from sync.sending import answer_by_id, batch_shell, send_batch
from sync.transport import CentralRefused, TransientError

log = logging.getLogger("berjasa.sync")


def store_answer(run: RunState, batch_id: str, answer: bytes, results: list[dict]) -> None:
    """Central's answer and every record's new status, in one transaction."""
    conn = run.conn()
    accepted = sum(1 for r in results if r.get("result") == "accepted")
    with transaction(conn):
        if storage.mark_answered(conn, batch_id, answer, accepted, len(results) - accepted):
            outcomes.apply_batch_results(conn, results)
    faults.crash_point("after_store")
    log.debug("batch %s stored", batch_id)
    run.add(batches_sent=1, records_sent=len(results), accepted=accepted,
            central_rejected=len(results) - accepted)


def _sender(run: RunState, todo: queue.Queue, warm: bool, lookup, handed: _Handed) -> None:
    """Send batches from ``todo`` until the builder's end mark; ``warm``: connect
    to central first, while the builder packs the first batches."""
    try:
        if warm:
            run.client.warm()
        while True:
            batch = todo.get()
            if batch is None:
                return
            _send_one(run, batch, lookup, handed)
    finally:
        handed.sender_done()


def _send_one(run: RunState, batch: dict[str, Any], lookup, handed: _Handed) -> None:
    """One batch taken off the queue: sent, and its answer handed to the writer
    unless it came the other way first."""
    try:
        handed.taken()
        if not run.can_start_batch():
            return  # drain: the batch stays stored for the next run, sent once
        answer = send_batch(run, batch, lookup, handed.is_answered)
        if answer is not None:
            handed.answer(batch["batch_id"], *answer)
    except Exception as exc:  # a damaged stored batch, a disk problem, a bug
        if handed.is_answered(batch.get("batch_id")):
            # its answer came the other way and the run may be over (its
            # connections closed) while this request was still waiting
            log.info("batch %s: %s after its answer came beside the push", batch.get("batch_id"),
                     type(exc).__name__)
            return
        # stop the run and go on taking the queue: a sender that died left the
        # builder waiting forever to hand on the rest (and the end marks)
        log.exception("sending batch %s failed", batch.get("batch_id"))
        run.fail(f"pengiriman gagal: {type(exc).__name__}: {exc}")


class _Handed:
    """The batches of this run handed to the senders, which have an answer (handed
    on to the writer through ``answers``), the moment the senders have taken the
    last one (``on_all_taken``, called once), and which senders are done.
    ``on_answer()`` is called after each first answer is handed on."""

    def __init__(self, on_all_taken, senders: int, answers: queue.Queue, on_answer=None) -> None:
        self.answers = answers
        self.on_answer = on_answer
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.record_ids: dict[str, list[str]] = {}  # batch id -> its record ids, in handing order
        self.answered: set[str] = set()
        self.on_all_taken = on_all_taken
        self.all_offered = False
        self.taken_count = 0
        self.told = False
        self.senders_left = senders

    def add(self, batch: dict[str, Any]) -> None:
        with self.lock:
            self.record_ids[batch["batch_id"]] = batch["record_ids"]

    def answer(self, batch_id: str, answer: bytes, results: list[dict]) -> bool:
        """The answer of a batch, handed to the writer if it is the first to come
        (True); False when the batch already has one. Queued before anyone can
        see the batch answered, so the push never ends ahead of it."""
        with self.changed:
            if batch_id in self.answered:
                return False
            self.answers.put((batch_id, answer, results))
            self.answered.add(batch_id)
            self.changed.notify_all()
        if self.on_answer is not None:
            self.on_answer()
        return True

    def is_answered(self, batch_id: str | None) -> bool:
        with self.lock:
            return batch_id in self.answered

    def wait_answered(self, batch_ids: list[str], seconds: float) -> None:
        """Until every one of ``batch_ids`` has an answer, at most ``seconds``."""
        with self.changed:
            self.changed.wait_for(lambda: self.answered.issuperset(batch_ids), timeout=seconds)

    def unanswered(self, batch_ids: list[str]) -> list[str]:
        with self.lock:
            return [b for b in batch_ids if b not in self.answered]

    def shell(self, batch_id: str) -> protocol.Batch:
        with self.lock:
            return batch_shell(batch_id, self.record_ids[batch_id])

    def offered_all(self) -> None:
        """The builder has handed on every batch of the run."""
        with self.lock:
            self.all_offered = True
        self._check()

    def taken(self) -> None:
        """A sender took a batch off the queue."""
        with self.lock:
            self.taken_count += 1
        self._check()

    def sender_done(self) -> None:
        with self.changed:
            self.senders_left -= 1
            self.changed.notify_all()

    def wait_senders(self) -> None:
        """Until every sender is done, or every batch of the run has its answer:
        a sender still waiting then waits for an answer that came the other way,
        and its request is left to end on its own (daemon thread; it stores and
        sends nothing more)."""
        with self.changed:
            self.changed.wait_for(lambda: self.senders_left == 0 or (
                self.all_offered and len(self.answered) == len(self.record_ids)))

    def _check(self) -> None:
        """Once every batch is taken, tell ``on_all_taken`` which are still
        unanswered (the last ones are on their way now)."""
        with self.lock:
            if (self.told or not self.all_offered or self.taken_count < len(self.record_ids)
                    or self.on_all_taken is None):
                return
            self.told = True
            waiting = [b for b in self.record_ids if b not in self.answered]
        if waiting:
            self.on_all_taken(waiting)


def _writer(run: RunState, answers: queue.Queue) -> None:
    """Store answers as they come, until the end mark."""
    while True:
        item = answers.get()
        if item is None:
            return
        try:
            store_answer(run, *item)
        except Exception as exc:  # a disk problem: stop the run, keep the batch for later
            log.exception("storing the answer of batch %s failed", item[0])
            run.fail(f"jawaban pusat tidak dapat disimpan: {type(exc).__name__}: {exc}")


def _offer(run: RunState, todo: queue.Queue, batch: dict[str, Any], handed: _Handed) -> bool:
    """Hand a batch to the senders; False when the run stopped meanwhile."""
    handed.add(batch)
    while True:
        try:
            todo.put(batch, timeout=0.2)
            return True
        except queue.Full:
            if not run.can_start():
                return False


def push(run: RunState, conn, device: dict[str, Any], key, settings: dict[str, Any],
         on_all_taken=None, on_answer=None) -> None:
    """Resend stored batches, then build and send new ones, several in flight.
    ``on_all_taken(batch_ids, fetch_answers)``: called (from a helper thread) once
    the senders have taken the run's last batch, with the ids of the batches still
    unanswered; ``fetch_answers(batch_ids, session, carried)`` takes the answers of
    those of them still unanswered from ``carried`` or fetches them, to be called
    once central holds them. ``on_answer()``: called (from the thread that got
    it) after each batch's first answer."""
    parallel = max(1, int(settings["sync_parallel_requests"]))
    size = max(1, int(settings["sync_batch_size"]))
    todo: queue.Queue = queue.Queue(maxsize=parallel + 2)
    answers: queue.Queue = queue.Queue()
    counts = storage.outbox_counts(conn)
    expected = counts["batches_unanswered"] + len(batch_sizes(counts["queued"], size, parallel))
    def lookup(batch_id: str) -> bytes | None:
        return answer_by_id(run, device, key, batch_id)

    def fetch_answers(batch_ids: list[str], session, carried: Any = None) -> None:
        _fetch_answers(run, device, key, handed, batch_ids, session, carried)

    handed = _Handed(None if on_all_taken is None else
                     lambda waiting: on_all_taken(waiting, fetch_answers), parallel, answers,
                     on_answer)
    senders = [threading.Thread(target=_sender, args=(run, todo, n < expected, lookup, handed),
                                daemon=True, name=f"sync-send-{n}") for n in range(parallel)]
    writer = threading.Thread(target=_writer, args=(run, answers), daemon=True, name="sync-store")
    for thread in (*senders, writer):
        thread.start()
    try:
        with transaction(conn):
            outbox.drop_stale_outbox(conn)
        offered = all(_offer(run, todo, batch, handed) for batch in storage.unanswered_batches(conn))
        if offered:
            processes = int(settings["sync_encode_processes"])
            for batch in build_batches(run, conn, device, key, size, parallel, processes):
                if not _offer(run, todo, batch, handed):
                    offered = False
                    break
        if offered and run.can_start():
            handed.offered_all()
    finally:
        for _ in senders:
            todo.put(None)
        handed.wait_senders()
        answers.put(None)
        writer.join()


# A POST answer is not asked for again if it comes within this long after central
# said it holds the batch: it is usually on its way already.
ANSWER_GRACE_SECONDS = 0.1


def _fetch_answers(run: RunState, device: dict[str, Any], key, handed: _Handed,
                   batch_ids: list[str], session, carried: Any = None) -> None:
    """Central holds ``batch_ids`` (the updates page beside the push said so): take
    the answer of each one whose POST answer has not come from ``carried`` (the
    page's ``answers``, base64 by batch id), else fetch it on ``session``, and hand
    it to the writer unless the POST answer comes first. A lost last segment of an
    answer otherwise holds the end of the run for a retransmission timeout. Any
    trouble leaves the answer to the POST."""
    carried = carried if isinstance(carried, dict) else {}
    for batch_id in handed.unanswered(batch_ids):
        if isinstance(carried.get(batch_id), str):
            try:
                answer = base64.b64decode(carried[batch_id], validate=True)
                _take_answer(handed, batch_id, answer, "page")
            except (ValueError, ProtocolError) as exc:
                log.info("batch %s: answer in the page unreadable (%s)", batch_id, exc)
    handed.wait_answered(batch_ids, ANSWER_GRACE_SECONDS)
    for batch_id in handed.unanswered(batch_ids):
        try:
            stored = answer_by_id(run, device, key, batch_id, session)
            if stored is not None:
                _take_answer(handed, batch_id, stored, "request")
        except (TransientError, ProtocolError, CentralRefused) as exc:
            log.info("batch %s: answer not fetched beside the push (%s)", batch_id, exc)
            return


def _take_answer(handed: _Handed, batch_id: str, answer: bytes, way: str) -> None:
    """An answer that came beside the POST; ProtocolError when it is not one."""
    faults.crash_point("after_answer")  # central answered, by this way: not stored yet
    results = protocol.decode_results(answer, handed.shell(batch_id))
    if handed.answer(batch_id, answer, results):
        log.debug("batch %s answered after %d tries", batch_id, 1,
                  extra={"event": "batch_answer_fetched", "batch_id": batch_id, "way": way})
