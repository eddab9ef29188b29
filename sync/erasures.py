"""Sending the kelurahan's erasures to central with each run, before any batch and
again once the run's batches are answered (docs/sync-protocol.md "Erasures"):
record ids and the erasure's reason, signed by the device key.
An erasure stays queued until central's answer is stored, so a cut link or a
central that is down only delays it; sending it twice changes nothing."""

from __future__ import annotations

import json
import logging
from typing import Any

from sync import protocol_erasures, storage_central
from sync.protocol_errors import ProtocolError
from sync.run_state import RunState
from sync.transport import CentralRefused, TransientError, refusal_text, wire_size

log = logging.getLogger("berjasa.sync")


def send_erasures(run: RunState, conn, device: dict[str, Any], key) -> None:
    """POST every unconfirmed erasure (1,000 per request) and store the answers."""
    while run.can_start():
        waiting = storage_central.unsent_erasures(conn, protocol_erasures.MAX_ERASURES)
        if not waiting:
            return
        items = protocol_erasures.first_request(waiting)
        body, headers = protocol_erasures.encode_erasures(device["device_id"],
                                                          device["kelurahan_code"], items, key)
        erasure_id = json.loads(body)["erasure_id"]
        for attempt in range(run.retries + 1):
            run.add(bytes_up=wire_size(headers, len(body)))
            try:
                response = run.client.post_erasures(body, headers)
                run.add(bytes_down=wire_size(dict(response.headers), len(response.content)))
                results = protocol_erasures.decode_answer(response.content, erasure_id)
                break
            except (TransientError, ProtocolError) as exc:
                if attempt < run.retries and run.pause(attempt):
                    continue
                run.fail(f"penghapusan belum terkirim ke pusat: {exc}")
                return
            except CentralRefused as exc:
                if exc.status in (404, 405):
                    # an older central: the erasures wait; batches still go (they
                    # never hold an erased person)
                    run.fail("pusat belum mendukung penghapusan (perbarui pusat); "
                             "penghapusan tetap menunggu", stop=False)
                else:
                    run.fail(refusal_text(exc, "penghapusan"), stop=exc.fatal)
                return
        storage_central.mark_erasures_sent(conn, results)
        run.add(erasures_sent=len(results))
        log.info("%d erasures confirmed by central", len(results))
        if len(waiting) < protocol_erasures.MAX_ERASURES and len(items) == len(waiting):
            return
