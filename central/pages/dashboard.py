"""``GET /``: the central dashboard, and ``GET /kecamatan/<code>`` its drill-down
(server-rendered, Bahasa Indonesia, no scripts; the chart is SVG made here)."""

from __future__ import annotations

from flask import render_template

from berjasa import local_time
from berjasa.problems import NotFound
from central import downloads, dukcapil, holds, overview, restores, verification
from central.app import get_db, setting
from central.http import settings


def dashboard():
    """Totals against the targets, progress per kecamatan, the week chart, last
    sync per kelurahan, central rejections, verification, and the downloads."""
    db = get_db()
    data = overview.dashboard_cached(db, setting("central_targets_file") or None,
                                     setting("central_dashboard_cache_seconds"), settings())
    this_month = local_time.today().strftime("%Y-%m")
    month = data["payment_month"]
    return render_template("central/dashboard.html", **data,
                           downloads=downloads.offered(),
                           this_month=this_month,
                           # the finding holds counted live, like the verification
                           # figures: a decision changes it at once (the payment list
                           # and `central export` say the same sentence)
                           payment_held=holds.payment_line(holds.payment_left_out(
                               db, month, data["payment_not_held"]), month),
                           silent_days=overview.SILENT_DAYS,
                           verification=verification.summary(db),
                           registration_blocked=restores.registration_blocked(db),
                           dukcapil=dukcapil.status(db, settings()))


def kecamatan(code: str):
    """The kelurahan of one kecamatan with counts by status, and each kelurahan's
    per-enumerator quality table."""
    detail = overview.kecamatan_detail(get_db(), code[:20], setting("central_targets_file") or None)
    if detail is None:
        raise NotFound("Kecamatan tidak dikenal.")
    return render_template("central/kecamatan.html", detail=detail)
