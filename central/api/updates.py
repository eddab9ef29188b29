"""``GET /api/v1/updates?since=``: central's decisions for the device's kelurahan."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from berjasa.problems import ValidationFailed
from central.app import get_db, setting
from central.updates import updates_page, verify_device_request

blp = Blueprint("central_updates", __name__)


@blp.get("/api/v1/updates")
def list_updates():
    """Entries after ``since`` for the signing device's kelurahan, with the next cursor."""
    db = get_db()
    path_qs = request.full_path.rstrip("?") if not request.query_string else request.full_path
    device = verify_device_request(db, request.headers, "GET", path_qs,
                                   setting("central_request_max_skew_seconds"))
    since, limit = _paging()
    # ?skip=accepted: kinds the agent already has from its batch answers.
    skip = tuple(k for k in request.args.get("skip", "").split(",") if k)[:10]
    return jsonify(updates_page(db, device["kelurahan_code"], since, limit, skip))


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
