"""``POST /api/v1/enrollments/<id>/review``: a supervisor's decision on a
submitted record. The handler parses, calls :mod:`server.review`, and shapes."""

from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from berjasa.web.bodies import read_json
from server import intake, review
from server.db import get_db
from server.http import current_actor

blp = Blueprint("review", __name__, url_prefix="/api/v1", description="Pemeriksaan pengawas")
REVIEW_BODY_LIMIT = 16 * 1024


class ReviewSchema(Schema):
    """A decision: ``approve``, ``reject`` or ``needs_fix``; reject and needs_fix need a reason."""

    decision = fields.String(required=True, metadata={"enum": list(review.DECISIONS)})
    reason = fields.String(allow_none=True)
    version = fields.Integer(metadata={"description": "Versi yang dilihat (opsional)."})


def _json(description: str, schema=None) -> dict:
    body = {"description": description}
    if schema is not None:
        body["content"] = {"application/json": {"schema": schema}}
    return body


@blp.route("/enrollments/<enrollment_id>/review", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": ReviewSchema}}},
         responses={"200": _json("Keputusan tersimpan; data dengan status baru"),
                    "403": _json("Bukan pengawas, atau pengawas yang mencatat/mengubahnya"),
                    "404": _json("Data tidak ditemukan"),
                    "409": _json("Status bukan submitted (current_status)"),
                    "422": _json("Keputusan tidak dikenal atau alasan kosong")})
def review_enrollment(enrollment_id: str):
    """Approve, reject or send back one submitted record."""
    settings = current_app.config["SETTINGS"]
    site = current_app.config["KELURAHAN_CODE"]
    body = read_json(REVIEW_BODY_LIMIT)
    body = body if isinstance(body, dict) else {}
    version = body.get("version")
    version = version if isinstance(version, int) and not isinstance(version, bool) else None
    conn = get_db()
    record = review.review_enrollment(conn, enrollment_id, body.get("decision"),
                                      body.get("reason"), current_actor(), settings, site,
                                      expected_version=version)
    shown = intake.present(record, settings, site, intake.record_history(conn, enrollment_id))
    return shown, 200, {"ETag": f'"{record["version"]}"'}
