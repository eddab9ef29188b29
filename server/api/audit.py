"""``GET /api/v1/audit``: the audit trail for supervisors, admins and auditors,
paged in chain order with each entry's hashes so a reader can verify it."""

from __future__ import annotations

from marshmallow import fields

from berjasa.web.arguments import Blueprint, QueryArgs, whole_number
from server import trail
from server.access import sees_personal_values
from server.db import get_db
from server.http import current_actor

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Jejak audit")
MAX_PAGE = 1000
LAST_SEQ = 2**62


class AuditQuery(QueryArgs):
    """Paging and filters of the audit trail."""

    after = whole_number(0, LAST_SEQ, f"after harus bilangan bulat 0 sampai {LAST_SEQ}.",
                         "invalid_number", load_default=0, metadata={
                             "description": "Nomor urut (seq) terakhir yang sudah dibaca; mulai setelahnya."})
    limit = whole_number(1, MAX_PAGE, f"limit harus bilangan bulat 1 sampai {MAX_PAGE}.",
                         "invalid_number", load_default=100)
    since = fields.String(metadata={"description": "Hanya entri sejak waktu ini (ISO-8601)."})
    record_id = fields.String()
    action = fields.String()
    verify = fields.Boolean(load_default=False, metadata={
        "description": "Sertakan hasil pemeriksaan seluruh rantai hash."})


@blp.route("/audit", methods=["GET"])
@blp.arguments(AuditQuery, location="query")
@blp.doc(responses={"200": {"description": "Satu halaman jejak audit"}})
def list_audit(args: dict):
    """A page of audit entries (oldest first) and the cursor of the next page."""
    conn = get_db()
    body = trail.page(conn, after=args["after"], limit=args["limit"],
                      personal=sees_personal_values(current_actor().role),
                      since=args.get("since"), record_id=args.get("record_id"),
                      action=args.get("action"))
    if args["verify"]:
        checked, broken = trail.verify(conn)
        body["verification"] = {"checked": checked, "intact": broken is None, "broken": broken,
                                # each a break in continuity the trail declares
                                "restores": trail.restores(conn)}
    return body
