"""Central's page routes (endpoint names are rows of :mod:`central.access`), the
CSRF check on every form and the security headers (:func:`berjasa.web.pages.protect`,
shared with the kelurahan pages), and the template helpers.

Adding a page (docs/central.md): write the view in a module of this package,
add a ``blp.add_url_rule`` line here, and a row in ``central.access.ROUTES``
naming the roles; the matrix test fails until the row exists."""

from __future__ import annotations

from flask import Blueprint, g, request

from berjasa import number_text
from berjasa.audit import problem_text
from berjasa.local_time import tanggal, wita
from berjasa.reference import kelurahan
from berjasa.web import pages as web_pages
from berjasa.web.pages import inert
from central import access, accounts
from central.pages import audit, auth, dashboard, devices, downloads, users, verify
from central.trail_labels import action_label, detail_lines, role_label

blp = web_pages.protect(Blueprint("pages", __name__, template_folder=web_pages.TEMPLATES))
web_pages.add_account_routes(blp, auth, users.PAGES)  # /login, /logout, /admin/users[/<user_id>]

blp.add_url_rule("/", "dashboard", dashboard.dashboard)
blp.add_url_rule("/kecamatan/<code>", "kecamatan", dashboard.kecamatan)
# an export marks records and writes the trail: never on HEAD, a prefetch or another
# site's request; the dashboard posts the download that marks records (CSRF-checked)
blp.add_url_rule("/unduh/<what>", "download",
                 web_pages.get_only(downloads.download, ("GET", "POST")), methods=["GET", "POST"])
blp.add_url_rule("/admin/perangkat", "devices", devices.devices_page)
blp.add_url_rule("/audit", "audit", audit.audit_page)
blp.add_url_rule("/audit/export.csv", "audit_export", web_pages.get_only(audit.audit_export))
blp.add_url_rule("/verifikasi", "verification", verify.page)
blp.add_url_rule("/verifikasi/temuan/<finding_id>", "decide_finding", verify.decide_finding,
                 methods=["POST"])
blp.add_url_rule("/verifikasi/pasangan/<a>/<b>", "decide_pair", verify.decide_pair,
                 methods=["POST"])
blp.add_url_rule("/verifikasi/kirim-balik", "send_back", verify.send_back, methods=["POST"])


@blp.app_context_processor
def page_context() -> dict:
    """What every page template may use (the error page of any URL too: there, no
    session was read, so nobody is named and no notice is taken)."""
    user = getattr(g, "user", None)
    on_pages = request.blueprint == blp.name
    return {"user": user, "role_labels": accounts.ROLE_LABELS,
            "notices": users.notice_texts if on_pages else list,
            "may": lambda endpoint: access.may(user["role"] if user else None, endpoint)}


blp.add_app_template_filter(inert, "inert")
blp.add_app_template_filter(problem_text, "problem_text")
blp.add_app_template_filter(action_label, "action_label")
blp.add_app_template_filter(role_label, "role_label")
blp.add_app_template_global(detail_lines, "detail_lines")
blp.add_app_template_filter(wita, "wita")  # Makassar time, as the kelurahan pages show it
blp.add_app_template_filter(tanggal, "tanggal")  # 07-03-1990, as the kelurahan pages show dates
blp.add_app_template_filter(number_text.thousands, "ribuan")  # 81.466
blp.add_app_template_filter(number_text.decimal, "desimal")  # 0,3 (percentages: 0,3%)


# A record's status at central in words (records.status; the dashboard's headings)
CENTRAL_STATUS_LABELS = {"accepted": "diterima", "registered": "terdaftar BPJS (ada KPJ)",
                         "duplicate": "duplikat", "rejected": "ditolak pusat"}


@blp.app_template_filter("central_status")
def central_status(status: str | None) -> str:
    """"diterima" for ``accepted``; an unknown value as it is."""
    return CENTRAL_STATUS_LABELS.get(status or "", status or "")


@blp.app_template_filter("kelurahan_label")
def kelurahan_label(code: str | None) -> str:
    """"Bontorannu (73.71.01.1001)" for a Makassar kelurahan code, else the code."""
    region = kelurahan(code or "")
    return f"{region.name} ({region.code})" if region else (code or "")
