"""One stored batch sent to central (:mod:`sync.push` runs several at a time): POSTed
until central answers, the retries are spent or the run stops; before a batch goes
again, central is asked for the answer it may already have given (a try whose answer
was lost on the way back is never sent twice, ``GET /api/v1/batches/<id>``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from berjasa.logs import new_request_id
from sync import faults, protocol, storage
from sync.protocol_errors import ProtocolError
from sync.run_state import RunState
from sync.transport import CentralRefused, TransientError, refusal_text, wire_size

log = logging.getLogger("berjasa.sync")


def answer_by_id(run: RunState, device: dict[str, Any], key, batch_id: str,
                 session=None) -> bytes | None:
    """Central's stored answer of a batch sent before (signed ``GET
    /api/v1/batches/<id>``), None when central has not received it (404: the
    earlier try truly failed, send it again). TransientError when central cannot
    be asked now; a central without the endpoint answers 404 too. ``session``: the
    connection to ask on (default: this thread's)."""
    try:
        response = run.client.get_signed(key, device["device_id"], f"/api/v1/batches/{batch_id}",
                                         session)
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


def batch_shell(batch_id: str, record_ids: list[str]) -> protocol.Batch:
    """What decoding an answer needs of its batch: the id and the record ids."""
    return protocol.Batch(batch_id, "", "", "", [{"id": rid} for rid in record_ids])


def send_batch(run: RunState, batch: dict[str, Any], lookup=None,
               answered_elsewhere=None) -> tuple[bytes, list[dict]] | None:
    """POST one stored batch until central answers, the retries are spent or the
    run stops; the answer and its decoded results, or None. Before sending a
    batch again (a try that failed, here or in an earlier run), ``lookup(batch_id)``
    asks central for its answer: a try whose answer was lost on the way back is
    not sent a second time. ``answered_elsewhere(batch_id)``: True once the answer
    came another way (fetched beside the push); no further try or note is made."""
    shell = batch_shell(batch["batch_id"], batch["record_ids"])
    tried = bool(batch.get("sends"))
    settled = answered_elsewhere or (lambda _batch_id: False)
    for attempt in range(run.retries + 1):
        if not run.can_start() or settled(batch["batch_id"]):
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
                run.fail(refusal_text(exc, "permintaan jawaban batch"))
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
            if settled(batch["batch_id"]):
                return None  # its answer came the other way meanwhile
            storage.note_send(run.conn(), batch["batch_id"], str(exc))
            log.info("batch %s: %s (try %d)", batch["batch_id"], exc, attempt + 1)
            if _try_again(run, batch["batch_id"], exc, attempt):
                continue
            return None
        except CentralRefused as exc:
            storage.note_send(run.conn(), batch["batch_id"], str(exc))
            run.fail(refusal_text(exc, "batch"), stop=exc.fatal)
            return None
        run.answered_after(time.monotonic() - sent_at)
        log.debug("batch %s answered after %d tries", batch["batch_id"], attempt + 1)
        return response.content, results
    return None
