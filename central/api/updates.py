"""``GET /api/v1/updates?since=``: central's decisions for the device's kelurahan."""

from __future__ import annotations

import time

from flask import Blueprint, jsonify, request

from berjasa.problems import ValidationFailed
from central.app import get_db, setting
from central.devices import active_device
from central.storage import devices as device_store
from central.storage import records as store
from central.storage.db import IntegrityErrors
from sync.protocol_auth import load_public_key, verify_request
from sync.protocol_errors import ProtocolError

blp = Blueprint("central_updates", __name__)


@blp.get("/api/v1/updates")
def list_updates():
    """Entries after ``since`` for the signing device's kelurahan, with the next cursor."""
    db = get_db()
    devices = {}

    def public_key(device_id: str):
        devices[device_id] = active_device(db, device_id)
        return load_public_key(devices[device_id]["public_key"]) if devices[device_id] else None

    path_qs = request.full_path.rstrip("?") if not request.query_string else request.full_path
    skew = setting("central_request_max_skew_seconds")
    device_id, nonce, stamp = verify_request(request.headers, "GET", path_qs, public_key,
                                             max_skew_seconds=skew)
    try:
        fresh = device_store.remember_nonce(db, device_id, nonce, stamp, int(time.time()) - 2 * skew)
    except IntegrityErrors:
        fresh = False
    if not fresh:
        raise ProtocolError("replayed_request", "nonce already used")
    since, limit = _paging()
    kelurahan = devices[device_id]["kelurahan_code"]
    # ?skip=accepted: kinds the agent already has from its batch answers.
    skip = tuple(k for k in request.args.get("skip", "").split(",") if k)[:10]
    entries = store.updates_since(db, kelurahan, since, limit + 1, skip)
    more = len(entries) > limit
    entries = entries[:limit]
    cursor = str(entries[-1]["seq"]) if entries else str(since)
    return jsonify({"updates": entries, "cursor": cursor, "more": more})


def _paging() -> tuple[int, int]:
    """``since`` and ``limit`` from the query string (422 when not numbers)."""
    page = setting("central_updates_page_size")
    since, limit = request.args.get("since", "0") or "0", request.args.get("limit", str(page))
    errors = {}
    # ASCII digits only ("²".isdigit() is True), and within the database's BIGINT
    if not (since.isascii() and since.isdigit() and len(since) < 19):
        errors["since"] = ["Kursor harus bilangan bulat >= 0."]
    if not (limit.isascii() and limit.isdigit() and len(limit) < 19) or int(limit) < 1:
        errors["limit"] = [f"Batas harus bilangan bulat 1..{page}."]
    if errors:
        raise ValidationFailed(errors, {name: ["invalid"] for name in errors})
    return int(since), min(int(limit), page)
