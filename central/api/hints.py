"""``GET /api/v1/hints?key_id=&since=``: the duplicate-hint key and keyed hashes of
every active record, for a signed device (central/hints.py; sent with the sync pull)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from berjasa.problems import ValidationFailed
from central import hints
from central.app import get_db, setting
from central.updates import verify_device_request

blp = Blueprint("central_hints", __name__)
SETTINGS = ("central_hint_key_days", "central_hint_key_change", "central_hints_page_size")


@blp.get("/api/v1/hints")
def hint_page():
    """The current key and the next page of 16-byte record hashes after ``since``
    (``reset: true`` when the device holds another key id: start again from 0)."""
    db = get_db()
    path_qs = request.full_path.rstrip("?") if not request.query_string else request.full_path
    verify_device_request(db, request.headers, "GET", path_qs, setting("central_request_max_skew_seconds"))
    key_id = request.args.get("key_id", "")
    since = request.args.get("since", "0") or "0"
    errors = {}
    if not (since.isascii() and since.isdigit() and len(since) < 19):
        errors["since"] = ["Kursor harus bilangan bulat >= 0."]
    if len(key_id) > 64 or not all(c in "0123456789abcdef" for c in key_id):
        errors["key_id"] = ["Versi kunci tidak dikenal."]
    if errors:
        raise ValidationFailed(errors, {name: ["invalid"] for name in errors})
    return jsonify(hints.page(db, {name: setting(name) for name in SETTINGS}, key_id, int(since)))
