"""Receiving one signed batch, whichever way it came (HTTP or a USB stick file):
verify the device's signature, check the kelurahan and the size limits, then
decide it in one transaction (central/ingest.py), which writes the batch's
``batch.receive`` trail entry. A refused batch from the network is a
``batch.refused`` entry, coalesced by :class:`RefusalLog`. Plain functions, no Flask."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from berjasa.audit import Actor
from berjasa.logs import get_logger
from berjasa.problems import Problem, WrongKelurahan
from central.devices import active_device
from central.ingest import Delivery, ingest_batch
from central.storage import audit as trail
from central.storage import devices as device_store
from central.storage import records as store
from central.storage.db import Database
from sync import protocol
from sync.protocol_auth import load_public_key
from sync.protocol_errors import ProtocolError

log = get_logger("berjasa.central")
# What central hands out as device ids (central.devices.register_device): a claimed
# id of any other shape is a stranger's text and never enters the trail
DEVICE_ID = re.compile(r"dev-[0-9a-f]{12}")
# How long one batch.refused entry stands for the refusals after it (same device,
# same reason): a flood of refused requests grows the trail by one entry an hour
REFUSAL_ENTRY_SECONDS = 3600.0
REFUSALS_EXTENSION = "berjasa_batch_refusals"  # the app's RefusalLog, in app.extensions


def receive_signed_batch(db: Database, body: bytes, headers: Mapping[str, str],
                         settings: Mapping[str, Any], via: str = "http",
                         address: str | None = None,
                         refusals: RefusalLog | None = None) -> tuple[bytes, bool, protocol.Batch]:
    """(answer bytes, replayed?, batch). Raises ProtocolError / Problem; with
    ``refusals`` a refusal is noted in the trail first (:class:`RefusalLog`)."""
    batch = None
    try:
        batch = _decode(db, body, headers, settings)
        # decode_batch verified the signed hash header equals the content: reuse it
        digest = bytes(base64.urlsafe_b64decode(
            protocol.header(headers, "Berjasa-Content-Hash") + "=")).hex()
        answer, replayed = ingest_batch(db, batch, len(body), settings, digest,
                                        Delivery(via, hashlib.sha256(body).hexdigest(), address))
    except (ProtocolError, Problem) as refused:
        if refusals is not None:
            refusals.note(db, headers, body, refused, batch, address)
        raise
    return answer, replayed, batch


def _decode(db: Database, body: bytes, headers: Mapping[str, str],
            settings: Mapping[str, Any]) -> protocol.Batch:
    """The verified batch, within the device's kelurahan and the size limits."""
    limit = settings["central_max_batch_bytes"]
    devices: dict[str, Any] = {}

    def public_key(device_id: str):
        devices[device_id] = active_device(db, device_id)
        return load_public_key(devices[device_id]["public_key"]) if devices[device_id] else None

    batch = protocol.decode_batch(body, headers, public_key, max_body_bytes=limit,
                                  max_decompressed_bytes=settings["central_max_decompressed_bytes"])
    device = devices[batch.device_id]
    if batch.kelurahan_code != device["kelurahan_code"]:
        raise WrongKelurahan(kelurahan_code=device["kelurahan_code"])
    if len(batch.records) > settings["central_max_batch_records"]:
        raise ProtocolError("too_large", "too many records")
    return batch


class RefusalLog:
    """``batch.refused`` entries for batches refused over the network (a revoked or
    unknown device, a bad signature, another kelurahan's batch, an id reused for
    other content...), without letting a stranger grow the trail at will: the first
    refusal of a (device, reason) writes an entry at once, the next ones within
    :data:`REFUSAL_ENTRY_SECONDS` are only counted (and logged), and the first one
    after that writes an entry whose ``attempts`` counts them all. A claimed device
    id central never registered counts under one shared key per reason (its id is
    kept only in the shape central hands out); a request naming no device, or a
    malformed id, writes nothing. So the trail grows by at most one entry per hour
    per registered device and reason, plus one per reason for all unknown ids. The
    count of the last hour before a restart is in the log only. One per app."""

    def __init__(self, every: float = REFUSAL_ENTRY_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.every, self.clock = every, clock
        self.lock = threading.Lock()
        self.windows: dict[tuple[str | None, str], tuple[float, int]] = {}

    def note(self, db: Database, headers: Mapping[str, str], body: bytes,
             refused: Exception, batch: protocol.Batch | None, address: str | None) -> bool:
        """Count one refusal; True when it wrote an entry. Never raises: the
        refusal's own answer matters more than its entry."""
        claimed = protocol.header(headers, "Berjasa-Device") or ""
        code = str(getattr(refused, "code", "refused"))
        log.warning("batch refused (%s) from %s, device %r", code, address, claimed[:40],
                    extra={"event": "batch_refused", "code": code})
        if not DEVICE_ID.fullmatch(claimed):
            return False
        try:
            device = device_store.get_device(db, claimed)
            key = (claimed if device else None, code)
            with self.lock:
                started, count = self.windows.get(key, (None, 0))
                now = self.clock()
                if started is not None and now - started < self.every:
                    self.windows[key] = (started, count + 1)
                    return False
                self.windows[key] = (now, 0)
            trail.append(db, Actor(claimed if device else "?", "device", address),
                         "batch.refused", f"device:{claimed}" if device else None, {
                             "device_id": claimed, "known_device": device is not None,
                             "kelurahan_code": device["kelurahan_code"] if device else None,
                             "code": code, "attempts": count + 1,
                             "batch_id": batch.batch_id if batch else None,
                             "records": len(batch.records) if batch else None,
                             "body_sha256": hashlib.sha256(body).hexdigest(),
                             "body_bytes": len(body), "via": "http"})
            return True
        except Exception:  # the refusal is answered whatever happens here; logged
            log.exception("batch.refused entry not written")
            return False


def stored_answer(db: Database, device_id: str, batch_id: str) -> bytes | None:
    """The answer central gave to a batch of this device, byte for byte, or None
    when it holds no such batch from it (``GET /api/v1/batches/<id>``)."""
    stored = store.get_batch(db, batch_id)
    if stored is None or stored["device_id"] != device_id:
        return None
    return stored["answer"]
