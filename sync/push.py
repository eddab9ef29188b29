"""Pushing batches: build (and store) batches from the outbox, send them several
at a time, store each answer with the records' new statuses.

Three kinds of thread, so the link never waits on the disk or the CPU:

- the builder (the caller's thread) resends stored unanswered batches first,
  then packs new ones, each stored before its first send, a few ahead of the senders;
- ``sync_parallel_requests`` senders POST batches and hand answers on (one TCP
  stream at 3% loss and 300 ms RTT fills only part of a 1 Mbit/s link);
- one writer stores each answer and the status changes in one transaction.

A batch in flight is never in two places: the builder hands each batch to one
sender, and an unanswered batch is only picked up again by a later run.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

from berjasa.database import transaction
from berjasa.logs import new_request_id
from server.storage import outbox
from sync import faults, outcomes, protocol, storage
from sync.encoding import InlineExecutor, encode_rows, encoder
from sync.protocol_auth import private_key_pem
from sync.protocol_errors import ProtocolError
from sync.run_state import RunState
from sync.transport import CentralRefused, TransientError, wire_size

log = logging.getLogger("berjasa.sync")


def _store_encoded(conn, encoded: dict[str, Any]) -> dict[str, Any] | None:
    """Store a freshly encoded batch and claim its outbox rows (one transaction);
    None when a record left the outbox while it was packed (an erasure): the
    batch is thrown away and its other records are packed again."""
    try:
        with transaction(conn):
            storage.add_batch(conn, encoded["batch_id"], encoded["content_hash"],
                              encoded["record_ids"], encoded["body"], encoded["headers"])
    except storage.StaleBatch:
        log.info("batch %s dropped: a record left the outbox while it was packed",
                 encoded["batch_id"])
        return None
    faults.crash_point("after_build")
    log.debug("batch %s built (%d records, %d bytes)", encoded["batch_id"],
              len(encoded["record_ids"]), len(encoded["body"]))
    return {k: encoded[k] for k in ("batch_id", "record_ids", "body", "headers")}


def build_batch(conn, device: dict[str, Any], key, size: int) -> dict[str, Any] | None:
    """Pack up to ``size`` outbox records into a new batch and store it (body and
    headers exactly as they will be sent); None when the outbox is empty."""
    for _ in range(3):
        rows = outbox.pending_records(conn, size)
        if not rows:
            return None
        stored = _store_encoded(conn, encode_rows(device["device_id"], device["kelurahan_code"],
                                                  [dict(r) for r in rows], private_key_pem(key)))
        if stored is not None:
            return stored
    return None


# Batches get smaller towards the end of a run, down to this many records.
TAIL_MIN_RECORDS = 100


def batch_sizes(queued: int, size: int, parallel: int) -> list[int]:
    """Records per batch for ``queued`` records: at most ``size``, and never more
    than an equal share of what is left among the ``parallel`` senders (not fewer
    than TAIL_MIN_RECORDS), so the last batches are small and every sender has work
    until the end. With equal batches the last few ran alone on their connections
    while the others idled, and on a lossy link a lone TCP flow crawls (10 % loss,
    800 ms: a few KB/s); smaller batches cost bytes (each is compressed on its
    own, plus its header and answer: 5,000 records take ~10 % more), so only the
    tail is cut (bench/README.md, sync over the link). A remainder too small for
    a batch of its own goes with the last one."""
    sizes, left = [], queued
    while left > 0:
        n = min(size, left)
        if parallel > 1:
            n = min(n, max(TAIL_MIN_RECORDS, -(-left // parallel)))
        if left - n < TAIL_MIN_RECORDS // 2 and left <= size:
            n = left
        sizes.append(n)
        left -= n
    return sizes


def _chunks(rows: list[dict], sizes: list[int], size: int) -> list[list[dict]]:
    """``rows`` cut into batches of the planned ``sizes`` (then ``size`` each)."""
    out, at = [], 0
    while at < len(rows):
        n = sizes.pop(0) if sizes else size
        out.append(rows[at:at + n])
        at += n
    return out


def build_batches(run: RunState, conn, device: dict[str, Any], key, size: int, ahead: int,
                  processes: int) -> Iterator[dict[str, Any]]:
    """New batches, stored, in outbox order: ``ahead`` batches are read and encoded
    at a time (in helper processes when there are many); the rows are claimed only
    when each batch is stored, so a crash before that loses nothing."""
    pem = private_key_pem(key)
    waiting = storage.outbox_counts(conn)["queued"]
    sizes = batch_sizes(waiting, size, ahead)
    pool = encoder(processes, len(sizes))
    inline = InlineExecutor()
    first = 0 if isinstance(pool, InlineExecutor) else 1
    try:
        while run.can_start():
            # The very first batch is read and encoded here, alone, so it is on the
            # link while the helper process starts (about a second) and the rows
            # of the next ones are read and handed to it.
            count = 1 if first else ahead
            want = sum(sizes[:count]) + size * max(0, count - len(sizes))
            rows = [dict(r) for r in outbox.pending_records(conn, want)]
            if not rows:
                return
            chunks = _chunks(rows, sizes, size)
            if first:
                pool.submit(len, ())  # starts the helper process now
                futures = [inline.submit(encode_rows, device["device_id"],
                                         device["kelurahan_code"], chunks[0], pem)]
                first = 0
            else:
                futures = [pool.submit(encode_rows, device["device_id"], device["kelurahan_code"],
                                       chunk, pem) for chunk in chunks]
            for future in futures:
                stored = _store_encoded(conn, future.result())
                if stored is not None:
                    yield stored
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def answer_by_id(run: RunState, device: dict[str, Any], key, batch_id: str) -> bytes | None:
    """Central's stored answer of a batch sent before (signed ``GET
    /api/v1/batches/<id>``), None when central has not received it (404: the
    earlier try truly failed, send it again). TransientError when central cannot
    be asked now; a central without the endpoint answers 404 too."""
    try:
        response = run.client.get_signed(key, device["device_id"], f"/api/v1/batches/{batch_id}")
    except CentralRefused as exc:
        if exc.fatal:
            raise
        # 404 unknown_batch, or a refusal of the question only: send it again as before
        log.info("batch %s: not at central (%s)", batch_id, exc.code)
        return None
    run.add(bytes_up=300, bytes_down=wire_size(dict(response.headers), len(response.content)))
    return response.content


def _try_again(run: RunState, batch_id: str, exc: Exception, attempt: int) -> bool:
    """After a failed try: True once the pause is over and another try may go;
    False when the batch waits for the next run (run deadline) or the run failed."""
    if attempt < run.retries and run.pause(attempt):
        return True
    out_of_time = attempt < run.retries or run.client.remaining() < 1
    if out_of_time and run.stopped_by_deadline():
        log.info("batch %s left for the next run (run deadline)", batch_id)
        return False
    run.fail(str(exc))
    return False


def send_batch(run: RunState, batch: dict[str, Any], lookup=None) -> tuple[bytes, list[dict]] | None:
    """POST one stored batch until central answers, the retries are spent or the
    run stops; the answer and its decoded results, or None. Before sending a
    batch again (a try that failed, here or in an earlier run), ``lookup(batch_id)``
    asks central for its answer: a try whose answer was lost on the way back is
    not sent a second time."""
    shell = protocol.Batch(batch["batch_id"], "", "", "", [{"id": rid} for rid in batch["record_ids"]])
    tried = bool(batch.get("sends"))
    for attempt in range(run.retries + 1):
        if not run.can_start():
            return None
        if not storage.batch_is_pending(run.conn(), batch["batch_id"]):
            # dropped by an erasure since it was read: never send it
            log.info("batch %s no longer pending; not sent", batch["batch_id"])
            return None
        if tried and lookup is not None:
            try:
                stored = lookup(batch["batch_id"])
                if stored is not None:
                    results = protocol.decode_results(stored, shell)
                    log.debug("batch %s answered after %d tries", batch["batch_id"], attempt,
                              extra={"event": "batch_answer_fetched", "batch_id": batch["batch_id"]})
                    return stored, results
            except (TransientError, ProtocolError) as exc:
                # central cannot be asked now: ask again after the pause, never send blind
                log.info("batch %s: %s (asking for its answer, try %d)", batch["batch_id"], exc,
                         attempt + 1)
                if _try_again(run, batch["batch_id"], exc, attempt):
                    continue
                return None
            except CentralRefused as exc:  # fatal: the device or central's signature
                run.fail(f"pusat menolak permintaan jawaban batch: {exc}")
                return None
        tried = True
        run.add(bytes_up=wire_size(batch["headers"], len(batch["body"])))
        sent_at = time.monotonic()
        try:
            request_id = new_request_id()
            log.info("batch %s sent (%d records)", batch["batch_id"], len(batch["record_ids"]),
                     extra={"event": "batch_sent", "request_id": request_id,
                            "batch_id": batch["batch_id"], "record_ids": batch["record_ids"]})
            response = run.client.post_batch(batch["body"],
                                             {**batch["headers"], "X-Request-Id": request_id})
            run.add(bytes_down=wire_size(dict(response.headers), len(response.content)))
            faults.crash_point("after_answer")
            results = protocol.decode_results(response.content, shell)
        except (TransientError, ProtocolError) as exc:
            storage.note_send(run.conn(), batch["batch_id"], str(exc))
            log.info("batch %s: %s (try %d)", batch["batch_id"], exc, attempt + 1)
            if _try_again(run, batch["batch_id"], exc, attempt):
                continue
            return None
        except CentralRefused as exc:
            storage.note_send(run.conn(), batch["batch_id"], str(exc))
            run.fail(f"pusat menolak batch: {exc}", stop=exc.fatal)
            return None
        run.answered_after(time.monotonic() - sent_at)
        log.debug("batch %s answered after %d tries", batch["batch_id"], attempt + 1)
        return response.content, results
    return None


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


def _sender(run: RunState, todo: queue.Queue, answers: queue.Queue, warm: bool,
            lookup, handed: _Handed) -> None:
    """Send batches from ``todo`` until the builder's end mark; ``warm``: connect
    to central first, while the builder packs the first batches."""
    if warm:
        run.client.warm()
    while True:
        batch = todo.get()
        if batch is None:
            return
        try:
            handed.taken()
            if not run.can_start_batch():
                continue  # drain: the batch stays stored for the next run, sent once
            answer = send_batch(run, batch, lookup)
            if answer is not None:
                answers.put((batch["batch_id"], *answer))
        except Exception as exc:  # a damaged stored batch, a disk problem, a bug
            # stop the run and go on taking the queue: a sender that died left the
            # builder waiting forever to hand on the rest (and the end marks)
            log.exception("sending batch %s failed", batch.get("batch_id"))
            run.fail(f"pengiriman gagal: {type(exc).__name__}: {exc}")


class _Handed:
    """The batches of this run handed to the senders, which are answered, and the
    moment the senders have taken the last one (``on_all_taken``, called once)."""

    def __init__(self, on_all_taken) -> None:
        self.lock = threading.Lock()
        self.ids: list[str] = []
        self.answered: set[str] = set()
        self.on_all_taken = on_all_taken
        self.all_offered = False
        self.taken_count = 0
        self.told = False

    def add(self, batch_id: str) -> None:
        with self.lock:
            self.ids.append(batch_id)

    def stored(self, batch_id: str) -> None:
        with self.lock:
            self.answered.add(batch_id)

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

    def _check(self) -> None:
        """Once every batch is taken, tell ``on_all_taken`` which are still
        unanswered (the last ones are on their way now)."""
        with self.lock:
            if (self.told or not self.all_offered or self.taken_count < len(self.ids)
                    or self.on_all_taken is None):
                return
            self.told = True
            waiting = [b for b in self.ids if b not in self.answered]
        if waiting:
            self.on_all_taken(waiting)


def _writer(run: RunState, answers: queue.Queue, handed: _Handed) -> None:
    """Store answers as they come, until the end mark."""
    while True:
        item = answers.get()
        if item is None:
            return
        try:
            store_answer(run, *item)
            handed.stored(item[0])
        except Exception as exc:  # a disk problem: stop the run, keep the batch for later
            log.exception("storing the answer of batch %s failed", item[0])
            run.fail(f"jawaban pusat tidak dapat disimpan: {type(exc).__name__}: {exc}")


def _offer(run: RunState, todo: queue.Queue, batch: dict[str, Any], handed: _Handed) -> bool:
    """Hand a batch to the senders; False when the run stopped meanwhile."""
    while True:
        try:
            todo.put(batch, timeout=0.2)
            handed.add(batch["batch_id"])
            return True
        except queue.Full:
            if not run.can_start():
                return False


def push(run: RunState, conn, device: dict[str, Any], key, settings: dict[str, Any],
         on_all_taken=None) -> None:
    """Resend stored batches, then build and send new ones, several in flight.
    ``on_all_taken(batch_ids)``: called (from a helper thread) once the senders have
    taken the run's last batch, with the ids of the batches still unanswered."""
    parallel = max(1, int(settings["sync_parallel_requests"]))
    size = max(1, int(settings["sync_batch_size"]))
    todo: queue.Queue = queue.Queue(maxsize=parallel + 2)
    answers: queue.Queue = queue.Queue()
    counts = storage.outbox_counts(conn)
    expected = counts["batches_unanswered"] + len(batch_sizes(counts["queued"], size, parallel))
    def lookup(batch_id: str) -> bytes | None:
        return answer_by_id(run, device, key, batch_id)

    handed = _Handed(on_all_taken)
    senders = [threading.Thread(target=_sender, args=(run, todo, answers, n < expected, lookup, handed),
                                daemon=True, name=f"sync-send-{n}") for n in range(parallel)]
    writer = threading.Thread(target=_writer, args=(run, answers, handed), daemon=True,
                              name="sync-store")
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
        for thread in senders:
            thread.join()
        answers.put(None)
        writer.join()
