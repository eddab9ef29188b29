"""Packing the outbox into batches: each batch encoded, signed and stored (body and
headers exactly as they will be sent) before its first send, its outbox rows claimed
in the same transaction; the batch sizes of a run, smaller towards its end. The
builder side of :mod:`sync.push`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from berjasa.database import transaction
from server.storage import outbox
from sync import faults, storage
from sync.encoding import InlineExecutor, encode_rows, encoder
from sync.protocol_auth import private_key_pem
from sync.run_state import RunState

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
