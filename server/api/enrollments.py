"""``/api/v1/enrollments``: intake, replay-safe batches, listing, reading and
editing. Handlers parse, call :mod:`server.intake`, and shape the answer."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import current_app, g, request
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from berjasa.enrollment_schema import EnrollmentSchema
from berjasa.messages import coded
from berjasa.problems import PreconditionRequired, ValidationFailed
from berjasa.request_log import note_records
from berjasa.web.answers import problems
from berjasa.web.arguments import Blueprint, JsonBody, QueryArgs, whole_number
from berjasa.web.bodies import read_json
from server import intake, listing, trail
from server.db import get_db
from server.http import current_actor

blp = Blueprint("enrollments", __name__, url_prefix="/api/v1", description="Pendaftaran")
STATUSES = ("submitted", "needs_fix", "approved", "rejected", "synced", "registered",
            "central_rejected")


NOT_A_BATCH = coded("Harus berupa daftar data pendaftaran.", "not_list")


class Outbox(fields.List):
    """The records of a batch: documented as Enrollments, loaded as they came.
    Each is validated on its own by :func:`server.intake.create_batch` with the
    same Enrollment schema, so one bad record never fails the batch."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list:
        if not isinstance(value, list):
            raise ValidationError(NOT_A_BATCH)
        return value


class BatchSchema(JsonBody):
    """An enumerator's outbox: ``{"enrollments": [...]}`` and nothing else, up to
    ``max_batch_items`` records (a setting, checked by the handler)."""

    enrollments = Outbox(fields.Nested(EnrollmentSchema), required=True)

    @pre_load
    def _only_an_outbox(self, data: Any, **kwargs: Any) -> Any:
        """Anything but an object holding just a list of records is one error on
        ``enrollments`` (a list, another key, a missing list alike)."""
        if not (isinstance(data, dict) and set(data) == {"enrollments"}
                and isinstance(data["enrollments"], list)):
            raise ValidationError({"enrollments": [NOT_A_BATCH]})
        return data


class HistoryEntrySchema(Schema):
    """One line of a record's history (an edit or a status move, oldest first), checked
    against the sealed trail as ``audit verify`` checks it."""

    class Meta:
        ordered = True

    version = fields.Integer(dump_only=True, metadata={"description": "The version it changed"})
    status = fields.String(dump_only=True, metadata={"description": "The status it left"})
    changed_at = fields.String(dump_only=True, metadata={"format": "date-time"})
    changed_by = fields.String(dump_only=True)
    action = fields.String(dump_only=True, metadata={
        "description": "edit, recover, or the verb of a status move (approve, reject, ...)"})
    old_values = fields.Dict(dump_only=True)
    new_values = fields.Dict(dump_only=True)
    reason = fields.String(dump_only=True, allow_none=True)
    verified = fields.Boolean(dump_only=True, metadata={
        "description": "False when the sealed trail does not stand for this line (a row "
                       "changed, added or deleted in the database by hand)"})
    mismatch = fields.List(fields.String(), dump_only=True, metadata={
        "description": "The parts the trail does not stand for, by name only, never a "
                       "value: changed_by, changed_at, action, status, reason, "
                       "old_values.<field>, new_values.<field>, or trail_entry (no entry "
                       "at all); empty when verified"})


class ShownEnrollmentSchema(EnrollmentSchema):
    """A record as GET and PATCH answer it: the Enrollment with what the server keeps
    (status, version, ...) and its history."""

    history = fields.List(fields.Nested(HistoryEntrySchema), dump_only=True)


class Cursor(fields.String):
    """A ``next_cursor`` of an earlier page, read back as the position it names."""

    default_error_messages: ClassVar[dict] = {"invalid": coded("Cursor tidak dikenal.", "invalid_cursor")}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        after = listing.decode_cursor(super()._deserialize(value, attr, data, **kwargs))
        if after is None:
            raise ValidationError(self.error_messages["invalid"])
        return after


class ListQuery(QueryArgs):
    """Filters and paging of the enrollment list."""

    status = fields.String(validate=validate.OneOf(
        STATUSES, error=coded("Status tidak dikenal.", "invalid_choice")))
    q = fields.String(metadata={"description": "NIK (awal), nomor KK, atau bagian nama"})
    limit = whole_number(1, 500, "limit harus 1 sampai 500.", "invalid_limit", load_default=50)
    cursor = Cursor()


class EditQuery(QueryArgs):
    """Whether an edit of a record sent back for a fix is the fix itself."""

    resubmit = fields.Boolean(metadata={"description": (
        "Untuk data berstatus needs_fix: true = perubahan ini adalah perbaikannya, data "
        "kembali ke antrian (submitted); false = perubahan disimpan dan data tetap menunggu "
        "perbaikan petugas. Bawaan: true untuk petugas pendata, false untuk pengawas "
        "(docs/roles.md).")}, error_messages={"invalid": coded(
            "resubmit harus true atau false.", "invalid_boolean")})


def _json(schema) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _site() -> tuple[dict, str]:
    config = current_app._get_current_object().config  # one proxy lookup, not a proxy call
    return config["SETTINGS"], config["KELURAHAN_CODE"]


def _shown(record: dict, with_history: bool = False) -> dict:
    settings, site = _site()
    history = trail.checked_history(get_db(), record["id"]) if with_history else None
    return intake.present(record, settings, site, history)


def _etag(record: dict) -> dict:
    return {"ETag": f'"{record["version"]}"'}


@blp.route("/enrollments", methods=["POST"])
@blp.doc(requestBody={"required": True, **_json(EnrollmentSchema)}, responses={
    "201": {"description": "Tersimpan", **_json(EnrollmentSchema)},
    "200": {"description": "Pengiriman ulang data yang sama", **_json(EnrollmentSchema)},
    **problems(400, 413, 415, 422,
               s409="id_conflict, duplicate_nik, atau erased (id data yang sudah dihapus)"),
})
def create_enrollment():
    """Record one enrollment (201), or acknowledge a retry of it (200)."""
    app = current_app._get_current_object()  # one proxy lookup (werkzeug's advice for speed)
    settings, site = app.config["SETTINGS"], app.config["KELURAHAN_CODE"]
    payload = read_json(settings["max_record_bytes"])
    outcome = intake.create_enrollment(get_db(), payload, current_actor(), settings,
                                       app.extensions[intake.WRITER_EXTENSION])
    note_records([outcome.record["id"]])
    return intake.present(outcome.record, settings, site), outcome.status, _etag(outcome.record)


@blp.route("/enrollments:batch", methods=["POST"])
@blp.arguments(BatchSchema)
@blp.doc(responses={
    "200": {"description": "Satu hasil per data, berurutan"},
})
def create_batch(body: dict):
    """Record an outbox of up to 1,000 enrollments; one result per item, in order."""
    settings, _ = _site()
    items = body["enrollments"]
    limit = settings["max_batch_items"]
    if len(items) > limit:
        raise ValidationFailed({"enrollments": [f"Paling banyak {limit} data per kiriman."]},
                               {"enrollments": ["too_many_items"]})
    results = intake.create_batch(get_db(), items, current_actor(), settings,
                                  current_app.extensions[intake.WRITER_EXTENSION])
    note_records([r["id"] for r in results if r.get("status") in (200, 201) and r.get("id")])
    return {"results": results}


@blp.route("/enrollments", methods=["GET"])
@blp.arguments(ListQuery, location="query")
@blp.doc(responses={"200": {"description": "Satu halaman data"}})
def list_enrollments(args: dict):
    """A page of enrollments (enumerators see only their own), newest first."""
    query = (args.get("q") or "").strip()[:100] or None
    enumerator = g.user["username"] if g.user["role"] == "enumerator" else None
    items, next_cursor = listing.list_records(get_db(), status=args.get("status"), query=query,
                                              enumerator=enumerator, after=args.get("cursor"),
                                              limit=args["limit"])
    return {"items": [_shown(item) for item in items], "next_cursor": next_cursor}


@blp.route("/enrollments/<enrollment_id>", methods=["GET"])
@blp.doc(responses={"200": _json(ShownEnrollmentSchema), **problems(404)})
def get_enrollment(enrollment_id: str):
    """One enrollment with its status, version and history."""
    record = intake.visible_record(get_db(), enrollment_id, current_actor())
    return _shown(record, with_history=True), 200, _etag(record)


@blp.route("/enrollments/<enrollment_id>", methods=["PATCH"])
@blp.arguments(EditQuery, location="query")
@blp.doc(parameters=[{"in": "header", "name": "If-Match", "required": True,
                      "schema": {"type": "string"}}],
         requestBody={"required": True, **_json(EnrollmentSchema)},
         responses={"200": _json(ShownEnrollmentSchema),
                    **problems(400, 404, 409, 412, 413, 415, 422, 428)})
def edit_enrollment(args: dict, enrollment_id: str):
    """Change fields while the record is submitted or needs_fix (If-Match: version).
    A needs_fix record returns to submitted with the enumerator's edit (the fix); a
    supervisor's edit keeps it needs_fix unless ``?resubmit=true``."""
    settings, _ = _site()
    version = parse_if_match(request.headers.get("If-Match"))
    payload = read_json(settings["max_record_bytes"])
    record = intake.edit_enrollment(get_db(), enrollment_id, payload, version, current_actor(),
                                    settings, resubmit=args.get("resubmit"))
    return _shown(record, with_history=True), 200, _etag(record)


def parse_if_match(header: str | None) -> int:
    """The version in ``If-Match: 3`` or ``If-Match: "3"`` (also W/"3")."""
    if not header:
        raise PreconditionRequired()
    text = header.strip()
    text = text.removeprefix("W/")
    text = text.strip('"')
    if not text.isdigit() or len(text) > 9:
        raise ValidationFailed({"If-Match": ["If-Match harus berisi versi data, mis. \"3\"."]},
                               {"If-Match": ["invalid_if_match"]})
    return int(text)
