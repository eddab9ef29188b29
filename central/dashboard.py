"""``GET /``: the central dashboard (server-rendered, Bahasa Indonesia, no scripts)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from central import dukcapil, verification
from central.app import get_db, setting
from central.progress import progress_by_kecamatan
from central.storage import reports

blp = Blueprint("central_dashboard", __name__, template_folder="templates",
                static_folder="static", static_url_path="/static/central")


@blp.get("/")
def dashboard():
    """Progress per kecamatan against targets, with CSS bars."""
    db = get_db()
    kecamatan = progress_by_kecamatan(reports.counts_by_kelurahan(db),
                                      setting("central_targets_file") or None)
    totals = {key: sum(k[key] for k in kecamatan) for key in
              ("target", "active", "registered", "duplicate", "rejected")}
    totals["percent"] = round(100 * totals["active"] / totals["target"], 1) if totals["target"] else 0.0
    return render_template("central/dashboard.html", kecamatan=kecamatan, totals=totals,
                           batches=reports.last_batches(db),
                           verification=verification.summary(db),
                           dukcapil=dukcapil.status(db, dukcapil.DukcapilConfig.from_settings(
                               current_app.config["BERJASA"]["settings"])))
