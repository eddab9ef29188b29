"""``POST /api/v1/erasures``: a kelurahan's signed erasure (sync/protocol_erasures.py)."""

from __future__ import annotations

from flask import current_app, jsonify, request

from berjasa.web.answers import problems
from berjasa.web.arguments import Blueprint
from central.api.signed import REFUSED
from central.app import get_db
from central.devices import active_device
from central.privacy import COMPACTOR_EXTENSION, compact_soon, erase_from_device
from sync.protocol_auth import load_public_key
from sync.protocol_erasures import ERASURES_MEDIA_TYPE, MAX_BODY_BYTES, decode_erasures
from sync.protocol_errors import ProtocolError

blp = Blueprint("central_erasures", __name__, description="Sinkronisasi: penghapusan")


@blp.route("/api/v1/erasures", methods=["POST"])
@blp.doc(summary="Penghapusan dari kelurahan", security=[],
         description="Ditandatangani perangkat; isi dibaca oleh sync/protocol_erasures.py.",
         requestBody={"required": True, "content": {ERASURES_MEDIA_TYPE: {
             "schema": {"type": "string", "format": "binary"}}}},
         responses={"200": {"description": "Jawaban per data"}, **REFUSED,
                    **problems(s413="Terlalu besar (too_large)")})
def receive_erasures():
    """Verify the device's signature, erase its records (tombstones for those not
    received yet), answer per record. Sending it again changes nothing."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise ProtocolError("too_large", "Content-Length over the limit")
    body = request.stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise ProtocolError("too_large", "body over the limit")
    db = get_db()
    devices = {}

    def public_key(device_id: str):
        devices[device_id] = active_device(db, device_id)
        return load_public_key(devices[device_id]["public_key"]) if devices[device_id] else None

    erasures = decode_erasures(body, request.headers, public_key)
    answer = erase_from_device(db, current_app.config["DATA_DIR"], erasures,
                               devices[erasures.device_id], compact=False,
                               settings=current_app.config["SETTINGS"])
    answer.pop("on_registration_file")  # the office's to act on (its trail says it), not the laptop's
    # the answer does not wait for PostgreSQL's compaction (seconds, in its own thread)
    compact_soon(db, current_app.extensions.get(COMPACTOR_EXTENSION))
    return jsonify(answer)
