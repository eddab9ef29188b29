"""``GET /unduh/<what>?format=csv|xlsx&month=YYYY-MM``: an export as a download
(operator and auditor; each one written to the trail)."""

from __future__ import annotations

from flask import Response, request

from central import downloads
from central.app import get_db
from central.http import current_actor, settings


def download(what: str) -> Response:
    """The file, with its SHA-256 in a header (the same value as in the trail)."""
    filters = downloads.parse_filters(what, request.args)
    made = downloads.produce(get_db(), what, filters, current_actor(), settings())
    return Response(made["content"], mimetype=made["mimetype"], headers={
        "Content-Disposition": f'attachment; filename="{made["file_name"]}"',
        "X-Berjasa-SHA256": made["sha256"], "X-Berjasa-Rows": str(made["rows"])})
