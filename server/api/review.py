"""``POST /api/v1/enrollments/<id>/review``: a supervisor's decision on a
submitted record. :class:`ReviewSchema` validates the body and is its OpenAPI
description; the rule that reject and needs_fix need a reason stays in
:func:`server.review.check_decision` (the pages' form goes through it too)."""

from __future__ import annotations

from flask import current_app
from marshmallow import fields, validate

from berjasa.messages import coded
from berjasa.web.answers import problems
from berjasa.web.arguments import Blueprint, JsonBody
from server import intake, review, trail
from server.db import get_db
from server.http import current_actor

blp = Blueprint("review", __name__, url_prefix="/api/v1", description="Pemeriksaan pengawas")
CHOOSE = coded(review.CHOOSE_DECISION, "invalid_choice")
REASON_NOT_TEXT = coded("Alasan harus berupa teks.", "not_text")
REASON_TOO_LONG = coded(f"Alasan paling banyak {review.MAX_REASON_CHARS} karakter.", "too_long")
VERSION_NOT_INTEGER = coded("Versi harus bilangan bulat.", "not_integer")


class ReviewSchema(JsonBody):
    """A decision: ``approve``, ``reject`` or ``needs_fix``; reject and needs_fix need a reason."""

    body_limit = 16 * 1024

    decision = fields.String(
        required=True, validate=validate.OneOf(list(review.DECISIONS), error=CHOOSE),
        error_messages={"required": CHOOSE, "null": CHOOSE, "invalid": CHOOSE})
    reason = fields.String(
        allow_none=True, validate=validate.Length(max=review.MAX_REASON_CHARS, error=REASON_TOO_LONG),
        error_messages={"invalid": REASON_NOT_TEXT},
        metadata={"description": "Wajib untuk reject dan needs_fix."})
    version = fields.Integer(
        strict=True, allow_none=True, error_messages={"invalid": VERSION_NOT_INTEGER},
        metadata={"description": "Versi yang dilihat (opsional); 409 bila data sudah berubah."})


@blp.route("/enrollments/<enrollment_id>/review", methods=["POST"])
@blp.arguments(ReviewSchema)
@blp.doc(responses={"200": {"description": "Keputusan tersimpan; data dengan status baru"},
                    **problems(s403="Bukan pengawas, atau pengawas yang mencatat/mengubahnya",
                               s404="Data tidak ditemukan",
                               s409="Status bukan submitted (current_status)")})
def review_enrollment(body: dict, enrollment_id: str):
    """Approve, reject or send back one submitted record."""
    settings = current_app.config["SETTINGS"]
    site = current_app.config["KELURAHAN_CODE"]
    conn = get_db()
    record = review.review_enrollment(conn, enrollment_id, body["decision"], body.get("reason"),
                                      current_actor(), settings, site,
                                      expected_version=body.get("version"))
    shown = intake.present(record, settings, site, trail.checked_history(conn, enrollment_id))
    return shown, 200, {"ETag": f'"{record["version"]}"'}
