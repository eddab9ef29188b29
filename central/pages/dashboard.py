"""``GET /``: the central dashboard (server-rendered, Bahasa Indonesia, no scripts)."""

from __future__ import annotations

from datetime import date

from flask import render_template

from central import downloads, dukcapil, verification
from central.app import get_db, setting
from central.http import settings
from central.progress import progress_by_kecamatan
from central.storage import reports


def dashboard():
    """Progress per kecamatan against targets, with CSS bars, and the downloads."""
    db = get_db()
    kecamatan = progress_by_kecamatan(reports.counts_by_kelurahan(db),
                                      setting("central_targets_file") or None)
    totals = {key: sum(k[key] for k in kecamatan) for key in
              ("target", "active", "registered", "duplicate", "rejected")}
    totals["percent"] = round(100 * totals["active"] / totals["target"], 1) if totals["target"] else 0.0
    return render_template("central/dashboard.html", kecamatan=kecamatan, totals=totals,
                           batches=reports.last_batches(db), downloads=downloads.offered(),
                           this_month=date.today().strftime("%Y-%m"),
                           verification=verification.summary(db),
                           dukcapil=dukcapil.status(db, dukcapil.DukcapilConfig.from_settings(
                               settings())))


def kecamatan(code: str):
    """``GET /kecamatan/<code>``: the kelurahan of one kecamatan."""
    return dashboard()
