"""``GET /unduh/<what>?format=csv|xlsx&month=YYYY-MM``: an export as a download
(operator and auditor; each one written to the trail). ``POST /unduh/<what>`` with the
same fields and the session's CSRF token: the dashboard's form for the download that
marks records (the operator's registration file)."""

from __future__ import annotations

from flask import Response, request, url_for
from werkzeug.datastructures import MultiDict

from berjasa.problems import ExportRefused
from berjasa.web.pages import refuse_cross_site
from central import downloads
from central.app import get_db
from central.http import current_actor, error_page, settings, wants_page


def _fields() -> MultiDict:
    """The download's fields: the query string of a GET, the form of a POST (without
    its CSRF token, checked already; a query string beside it is an unknown field)."""
    if request.method != "POST":
        return request.args
    fields = MultiDict([(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"])
    for key, value in request.args.items(multi=True):
        fields.add(key, value)
    return fields


def download(what: str) -> Response:
    """The file, with its SHA-256 in a header (the same value as in the trail). A
    final payment list refused (an unconfirmed band) offers its draft on the page.
    A GET that would mark records (``downloads.marks_records``) must come from
    central's own pages: a typed address, bookmark or link from another application
    is refused too (``refuse_cross_site(typed=False)``), before anything is built."""
    actor = current_actor()
    if request.method == "GET" and downloads.marks_records(what, actor):
        refuse_cross_site(typed=False)
    filters = downloads.parse_filters(what, _fields())
    try:
        made = downloads.produce(get_db(), what, filters, actor, settings())
    except ExportRefused as refused:
        if not (wants_page() and what == "payment-list" and not filters.get("draft")):
            raise
        draft = url_for("pages.download", what=what, **{**request.args.to_dict(), "draft": "1"})
        return error_page(refused.status, refused.message, also=("Unduh sebagai draf", draft))
    return Response(made["content"], mimetype=made["mimetype"], headers={
        "Content-Disposition": f'attachment; filename="{made["file_name"]}"',
        "X-Berjasa-SHA256": made["sha256"], "X-Berjasa-Rows": str(made["rows"])})
