"""``GET /unduh/<what>?format=csv|xlsx&month=YYYY-MM``: an export as a download
(operator and auditor; each one written to the trail)."""

from __future__ import annotations

from flask import Response, request, url_for

from berjasa.problems import ExportRefused
from central import downloads
from central.app import get_db
from central.http import current_actor, error_page, settings, wants_page


def download(what: str) -> Response:
    """The file, with its SHA-256 in a header (the same value as in the trail). A
    final payment list refused (an unconfirmed band) offers its draft on the page."""
    filters = downloads.parse_filters(what, request.args)
    try:
        made = downloads.produce(get_db(), what, filters, current_actor(), settings())
    except ExportRefused as refused:
        if not (wants_page() and what == "payment-list" and not filters.get("draft")):
            raise
        draft = url_for("pages.download", what=what, **{**request.args.to_dict(), "draft": "1"})
        return error_page(refused.status, refused.message, also=("Unduh sebagai draf", draft))
    return Response(made["content"], mimetype=made["mimetype"], headers={
        "Content-Disposition": f'attachment; filename="{made["file_name"]}"',
        "X-Berjasa-SHA256": made["sha256"], "X-Berjasa-Rows": str(made["rows"])})
