"""``GET /api/v1/audit``: the audit trail for supervisors, admins and auditors,
paged in chain order with each entry's hashes so a reader can verify it."""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from berjasa.problems import ValidationFailed
from server.access import sees_personal_values
from server.db import get_db
from server.http import current_actor
from server import trail

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Jejak audit")
MAX_PAGE = 1000


def _int_arg(name: str, default: int, low: int, high: int, errors: dict, codes: dict) -> int:
    """A whole-number query argument within bounds, or a named error."""
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        errors[name] = [f"{name} harus bilangan bulat {low} sampai {high}."]
        codes[name] = ["invalid_number"]
        return default
    return int(text)


@blp.route("/audit", methods=["GET"])
@blp.doc(parameters=[
    {"in": "query", "name": "after", "schema": {"type": "integer", "minimum": 0},
     "description": "Nomor urut (seq) terakhir yang sudah dibaca; mulai setelahnya."},
    {"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 1,
                                                "maximum": MAX_PAGE}},
    {"in": "query", "name": "since", "schema": {"type": "string"},
     "description": "Hanya entri sejak waktu ini (ISO-8601)."},
    {"in": "query", "name": "record_id", "schema": {"type": "string"}},
    {"in": "query", "name": "action", "schema": {"type": "string"}},
    {"in": "query", "name": "verify", "schema": {"type": "boolean"},
     "description": "Sertakan hasil pemeriksaan seluruh rantai hash."},
], responses={"200": {"description": "Satu halaman jejak audit"}})
def list_audit():
    """A page of audit entries (oldest first) and the cursor of the next page."""
    errors: dict = {}
    codes: dict = {}
    after = _int_arg("after", 0, 0, 2**62, errors, codes)
    limit = _int_arg("limit", 100, 1, MAX_PAGE, errors, codes)
    if errors:
        raise ValidationFailed(errors, codes)
    conn = get_db()
    body = trail.page(conn, after=after, limit=limit,
                      personal=sees_personal_values(current_actor().role),
                      since=request.args.get("since") or None,
                      record_id=request.args.get("record_id") or None,
                      action=request.args.get("action") or None)
    if request.args.get("verify") in ("1", "true", "yes"):
        checked, broken = trail.verify(conn)
        body["verification"] = {"checked": checked, "intact": broken is None, "broken": broken}
    return body
