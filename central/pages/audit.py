"""The auditor's pages: central's trail with filters, and its CSV export."""

from __future__ import annotations

from flask import Response, current_app, render_template, request

from central import trail
from central.app import get_db
from central.downloads import stamped_name
from central.http import current_actor


def audit_page():
    """``GET /audit?actor=&action=&record=&from=&to=&page=&before=``: newest first, 200
    a page (the next page: the entries before the last seq shown, ``before``);
    ``record`` lists one record's history (its entries and those naming it)."""
    filters = trail.parse_filters(request.args)
    number = request.args.get("page", "1")
    number = int(number) if number.isascii() and number.isdigit() and 0 < len(number) < 7 else 1
    before = request.args.get("before")  # checked by parse_filters (TrailQuery)
    db = get_db()
    chain = current_app.extensions[trail.WATCH_EXTENSION].status(
        db, full=request.args.get("full") == "1")
    return render_template("central/audit.html",
                           page=trail.page(db, filters, max(1, number),
                                           int(before) if before else None),
                           number=max(1, number),
                           args={k: v for k, v in request.args.items()
                                 if k in ("actor", "action", "record", "from", "to")},
                           chain=chain)


def audit_export():
    """``GET /audit/export.csv``: the filtered trail as CSV (the export is itself audited)."""
    filters = trail.parse_filters(request.args)
    db = get_db()
    written = trail.export_csv(db, filters)
    trail.record_trail_export(db, current_actor(), filters, written)
    return Response(written.content, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{stamped_name("jejak-audit-pusat", "csv")}"'})
