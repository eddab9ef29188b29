"""``POST /api/v1/batches``: a signed batch of approved enrollments."""

from __future__ import annotations

from flask import Response, g, request

from berjasa.logs import get_logger
from berjasa.problems import NotFound
from berjasa.request_log import note_records
from berjasa.web.answers import problems
from berjasa.web.arguments import Blueprint
from central.api.signed import REFUSED, SIGNED, signed_by_device
from central.app import get_db, setting
from central.receive import REFUSALS_EXTENSION, receive_signed_batch, stored_answer
from sync import protocol
from sync.protocol_errors import ProtocolError

blp = Blueprint("central_batches", __name__, description="Sinkronisasi: batch")
log = get_logger("berjasa.central")


class UnknownBatch(NotFound):
    """Central holds no batch of that id from this device."""

    code = "unknown_batch"
    message = "Pusat belum menerima batch ini."


def current_settings():
    """The running app's settings."""
    from flask import current_app
    return current_app.config["SETTINGS"]


@blp.route("/api/v1/batches", methods=["POST"])
@blp.doc(summary="Batch bertanda tangan", security=[],
         description="Ditandatangani perangkat (docs/sync-protocol.md); isi biner, bukan JSON.",
         requestBody={"required": True, "content": {protocol.BATCH_MEDIA_TYPE: {
             "schema": {"type": "string", "format": "binary"}}}},
         responses={"200": {"description": "Jawaban per data", "content": {
             protocol.RESULTS_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
             **REFUSED, **problems(s409="ID batch dipakai untuk isi lain (batch_conflict)",
                                   s413="Terlalu besar (too_large)")})
def receive_batch():
    """Verify, store in one transaction, answer per record (same answer on replay)."""
    limit = setting("central_max_batch_bytes")
    if (request.content_length or 0) > limit:
        raise ProtocolError("too_large", "Content-Length over the limit")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise ProtocolError("too_large", "body over the limit")
    from flask import current_app
    answer, replayed, batch = receive_signed_batch(
        get_db(), body, request.headers, current_settings(), via="http",
        address=request.remote_addr, refusals=current_app.extensions[REFUSALS_EXTENSION])
    note_records([record["id"] for record in batch.records])
    log.info("batch %s from %s: %d records%s", batch.batch_id, batch.kelurahan_code,
             len(batch.records), " (replay)" if replayed else "",
             extra={"event": "batch_received", "batch_id": batch.batch_id,
                    "records": len(batch.records)})
    response = Response(answer, status=200, content_type=protocol.RESULTS_MEDIA_TYPE)
    if replayed:
        response.headers["Berjasa-Replay"] = "1"
    return response


@blp.route("/api/v1/batches/<string:batch_id>", methods=["GET"])
@signed_by_device
@blp.doc(summary="Jawaban batch yang sudah diterima", **SIGNED,
         responses={"200": {"description": "Jawaban tersimpan, byte demi byte", "content": {
             protocol.RESULTS_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
             **problems(s404="Pusat belum menerima batch ini (unknown_batch)"), **REFUSED})
def batch_answer(batch_id: str):
    """The stored answer of a batch the signing device sent, exactly as POST
    answered it; 404 ``unknown_batch`` when central has not received it. The agent
    asks this before sending a batch again (docs/sync-protocol.md)."""
    answer = stored_answer(get_db(), g.device["device_id"], batch_id)
    if answer is None:
        raise UnknownBatch()
    response = Response(answer, status=200, content_type=protocol.RESULTS_MEDIA_TYPE)
    response.headers["Berjasa-Replay"] = "1"
    return response
