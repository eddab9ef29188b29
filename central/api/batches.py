"""``POST /api/v1/batches``: a signed batch of approved enrollments."""

from __future__ import annotations

from flask import Blueprint, Response, request

from berjasa.problems import WrongKelurahan
from central.app import get_db, setting
from central.devices import active_device
from central.ingest import ingest_batch
from sync import protocol
from sync.protocol_auth import load_public_key
from sync.protocol_errors import ProtocolError

blp = Blueprint("central_batches", __name__)


@blp.post("/api/v1/batches")
def receive_batch():
    """Verify, store in one transaction, answer per record (same answer on replay)."""
    limit = setting("central_max_batch_bytes")
    if (request.content_length or 0) > limit:
        raise ProtocolError("too_large", "Content-Length over the limit")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise ProtocolError("too_large", "body over the limit")
    db = get_db()
    devices = {}

    def public_key(device_id: str):
        devices[device_id] = active_device(db, device_id)
        return load_public_key(devices[device_id]["public_key"]) if devices[device_id] else None

    batch = protocol.decode_batch(body, request.headers, public_key, max_body_bytes=limit,
                                  max_decompressed_bytes=setting("central_max_decompressed_bytes"))
    device = devices[batch.device_id]
    if batch.kelurahan_code != device["kelurahan_code"]:
        raise WrongKelurahan(kelurahan_code=device["kelurahan_code"])
    if len(batch.records) > setting("central_max_batch_records"):
        raise ProtocolError("too_large", "too many records")
    # decode_batch verified the signed hash header equals the content: reuse it
    digest = bytes(protocol.base64.urlsafe_b64decode(
        protocol.header(request.headers, "Berjasa-Content-Hash") + "=")).hex()
    from flask import current_app
    answer, replayed = ingest_batch(db, batch, len(body), current_app.config["BERJASA"]["settings"],
                                    digest)
    response = Response(answer, status=200, content_type=protocol.RESULTS_MEDIA_TYPE)
    if replayed:
        response.headers["Berjasa-Replay"] = "1"
    return response
