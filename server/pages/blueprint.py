"""The supervisor pages' blueprint: the routes (endpoint names are rows of the
role matrix in :mod:`server.access`), the CSRF check on every form and security
headers on every page (:func:`berjasa.web.pages.protect`, shared with central),
and errors shown as pages instead of JSON."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException

from berjasa import reference
from berjasa.local_time import wita
from berjasa.problems import (
    BadFilter,
    CsrfFailed,
    NotFound,
    Problem,
    TooManyAttempts,
    Unauthorized,
)
from berjasa.web import pages as web_pages
from berjasa.web.pages import inert
from server import privacy
from server.db import get_db
from server.pages import auth, labels, review, sync_panel, users

log = logging.getLogger("berjasa.server")
blp = web_pages.protect(Blueprint("pages", __name__, template_folder=web_pages.TEMPLATES))
web_pages.add_account_routes(blp, auth, users.PAGES)  # /login, /logout, /admin/users[/<user_id>]

blp.add_url_rule("/", "queue", review.queue)
blp.add_url_rule("/enrollments", "by_status", review.by_status)
blp.add_url_rule("/enrollments/<enrollment_id>", "enrollment", review.enrollment_page)
blp.add_url_rule("/enrollments/<enrollment_id>/decision", "decide", review.decide,
                 methods=["POST"])
blp.add_url_rule("/enrollments/<enrollment_id>/receipt", "receipt", review.receipt_page)
blp.add_url_rule("/sync", "sync_now", sync_panel.sync_now, methods=["POST"])

TITLES = {
    400: "Permintaan tidak sah", 401: "Silakan masuk", 403: "Tidak diizinkan",
    404: "Tidak ditemukan", 405: "Metode tidak didukung", 409: "Data sudah berubah",
    413: "Terlalu besar", 429: "Terlalu banyak percobaan", 500: "Terjadi kesalahan",
}


@blp.app_context_processor
def page_context() -> dict:
    """What every page template may use (also the error page of a URL outside the
    pages, :func:`error_response`)."""
    code = current_app.config["KELURAHAN_CODE"]
    region = reference.kelurahan(code or "")
    return {"user": getattr(g, "user", None), "role_labels": labels.ROLE_LABELS,
            "kelurahan_name": region.name if region else code, "kelurahan_code": code}


@blp.app_template_global()
def flash_notices() -> list[str]:
    """The notices waiting for this session (pages/notices.py: no names in the cookie)."""
    from server.pages import notices

    return notices.texts()


@blp.app_template_global()
def status_labels() -> dict:
    """Status names in Bahasa Indonesia."""
    return labels.STATUS_LABELS


for _name, _filter in labels.FILTERS.items():
    blp.add_app_template_filter(_filter, _name)
blp.add_app_template_filter(inert, "inert")  # typed text shown as typed, never reordering the page
blp.add_app_template_global(labels.history_changes, "history_changes")
blp.add_app_template_global(labels.history_reason, "history_reason")


def error_page(status: int, message: str, title: str | None = None,
               also: tuple[str, str] | None = None):
    """An error as a page in Bahasa Indonesia; ``also`` (text, URL): the way on."""
    return render_template("pages/error.html", status=status, message=message,
                           title=title or TITLES.get(status, "Kesalahan"), also=also), status


def error_response(status: int, message: str) -> Response:
    """The error page for a browser's request outside the pages (an unknown URL, a
    method a route does not take: server.http.wants_page), with the pages' security
    headers."""
    body, code = error_page(status, message)
    return web_pages.security_headers(make_response(body, code))


@blp.errorhandler(Problem)
def page_problem(problem: Problem):
    """Domain errors on a page: login redirect for 401, a page for the rest."""
    if isinstance(problem, Unauthorized):
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("pages.login", next=target), code=303)
    if isinstance(problem, CsrfFailed):
        return error_page(400, problem.message, "Formulir tidak sah")
    if isinstance(problem, BadFilter):
        return error_page(400, problem.message, "Pilihan tidak dikenal",
                          also=("Lihat semua status", url_for("pages.by_status", status="all")))
    record_id = (request.view_args or {}).get("enrollment_id")
    erased = privacy.erased_record(get_db(), record_id) if isinstance(problem, NotFound) \
        and record_id else None
    if erased:
        # erased while the page was open, or gone since: say where and when (410), never a 500
        where = "di kantor pusat" if erased["origin"] == "central" else "di kelurahan ini"
        return error_page(410, f"Data ini sudah dihapus {where} atas permintaan pemilik data "
                          f"(UU PDP), {wita(erased['erased_at'])}; tidak ada lagi yang dapat "
                          f"ditinjau.", "Data sudah dihapus")
    body, status = error_page(problem.status, problem.message)
    headers = {}
    if isinstance(problem, TooManyAttempts) and "retry_after" in problem.extra:
        headers["Retry-After"] = str(problem.extra["retry_after"])
    return body, status, headers


@blp.errorhandler(HTTPException)
def page_http_error(exc: HTTPException):
    """Werkzeug's errors (405, 413, ...) as pages."""
    status = exc.code or 500
    allow = exc.get_response().headers.get("Allow") if status == 405 else None
    body, code = error_page(status, TITLES.get(status, exc.description or ""))
    return body, code, {"Allow": allow} if allow else {}
