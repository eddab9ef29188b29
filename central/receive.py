"""Receiving one signed batch, whichever way it came (HTTP or a USB stick file):
verify the device's signature, check the kelurahan and the size limits, then
decide it in one transaction (central/ingest.py). Plain functions, no Flask."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from berjasa.problems import WrongKelurahan
from central.devices import active_device
from central.ingest import ingest_batch
from central.storage import records as store
from central.storage.db import Database
from sync import protocol
from sync.protocol_auth import load_public_key
from sync.protocol_errors import ProtocolError


def receive_signed_batch(db: Database, body: bytes, headers: Mapping[str, str],
                  settings: Mapping[str, Any]) -> tuple[bytes, bool, protocol.Batch]:
    """(answer bytes, replayed?, batch). Raises ProtocolError / Problem."""
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
    # decode_batch verified the signed hash header equals the content: reuse it
    digest = bytes(base64.urlsafe_b64decode(
        protocol.header(headers, "Berjasa-Content-Hash") + "=")).hex()
    answer, replayed = ingest_batch(db, batch, len(body), settings, digest)
    return answer, replayed, batch


def stored_answer(db: Database, device_id: str, batch_id: str) -> bytes | None:
    """The answer central gave to a batch of this device, byte for byte, or None
    when it holds no such batch from it (``GET /api/v1/batches/<id>``)."""
    stored = store.get_batch(db, batch_id)
    if stored is None or stored["device_id"] != device_id:
        return None
    return stored["answer"]
