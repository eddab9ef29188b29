"""The review pages: the queue of submitted entries with search and filters,
lists by status, the review page of one record and the decision form."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from berjasa.problems import BadFilter, InvalidTransition, MakerChecker, ValidationFailed
from server import intake, receipts, review, trail, user_admin
from server import listing as lists
from server.db import get_db
from server.duplicates import REASON_TEXT
from server.http import current_actor
from server.pages import labels, notices
from server.pages.sync_panel import sync_status

PAGE_SIZE = 50


def _site() -> tuple[dict, str]:
    return current_app.config["SETTINGS"], current_app.config["KELURAHAN_CODE"]


def list_filter(source=None) -> dict[str, str]:
    """The search (``q``: name, NIK, KK) and the recorder filter (``enumerator``) of
    a list, from ``source`` (default: the query string): only those given. A review
    page opened from a filtered list carries them in its links and decision form, so
    the next record after a decision is the next of that same list."""
    source = request.args if source is None else source
    query = (source.get("q") or "").strip()[:100]
    enumerator = (source.get("enumerator") or "").strip()[:64]
    return {name: value for name, value in (("q", query), ("enumerator", enumerator)) if value}


def listing(status: str | None, template: str = "pages/queue.html",
            oldest_first: bool = False) -> str:
    """A page of records in one status (None: any), with search (name, NIK, KK)
    and a filter by the person who recorded them."""
    settings, site = _site()
    conn = get_db()
    chosen = list_filter()
    query, enumerator = chosen.get("q"), chosen.get("enumerator")
    cursor = request.args.get("cursor")
    after = lists.decode_cursor(cursor) if cursor else None
    items, next_cursor = lists.list_records(conn, status=status, query=query,
                                            enumerator=enumerator, after=after,
                                            limit=PAGE_SIZE, oldest_first=oldest_first)
    rows = []
    for item in items:
        results = review.review_context(conn, item, settings, site)
        warnings = [r for r in results["eligibility"] if r["result"] == "fail"]
        rows.append({"record": item, "warnings": len(warnings) + len(results["warnings"]),
                     "duplicates": len(results["duplicates"])})
    recorders = [u["username"] for u in user_admin.list_users(conn)
                 if u["role"] in ("enumerator", "supervisor")]
    sent_back = (sent_back_by_central(query=query, enumerator=enumerator)
                 if template == "pages/queue.html" else [])
    return render_template(template, rows=rows, status=status, query=query or "",
                           sent_back=sent_back, list_filter=chosen,
                           enumerator=enumerator or "", recorders=recorders,
                           next_cursor=next_cursor, counts=lists.status_counts(conn),
                           statuses=list(labels.STATUS_LABELS), sync=sync_status(conn))


def queue() -> str:
    """``/``: the entries waiting for a decision, first come first served, and
    the records central sent back (waiting for the enumerator's fix)."""
    return listing("submitted", oldest_first=True)


def sent_back_by_central(limit: int = 50, query: str | None = None,
                         enumerator: str | None = None) -> list[dict]:
    """Records central's verifiers sent back, still waiting for a fix (needs_fix
    with central status ``sent_back``), with central's reason; the queue's search and
    filter apply to them too."""
    items, _ = lists.list_records(get_db(), status="needs_fix", query=query, enumerator=enumerator,
                                  limit=limit, oldest_first=True)
    return [item for item in items if item.get("central_status") == "sent_back"]


ALL_STATUSES = "all"  # ``/enrollments?status=all``: a search that does not know the status


def by_status() -> str:
    """``/enrollments?status=...``: every record in one status, or in any status
    (``all``: where a supervisor looks a person up by name, NIK or KK)."""
    status = request.args.get("status") or "approved"
    if status == ALL_STATUSES:
        return listing(None, "pages/list.html")
    if status not in labels.STATUS_LABELS:
        raise unknown_status(status)
    return listing(status, "pages/list.html")


def unknown_status(status: str) -> BadFilter:
    """400 for a status the lists do not have (a mistyped or old link): it showed the
    approved list as if it had been asked for."""
    shown = status if len(status) <= 40 else status[:40] + "…"
    names = ", ".join(["Semua status", *labels.STATUS_LABELS.values()])
    message = f"Status “{shown}” tidak dikenal. Pilih salah satu: {names}."
    return BadFilter({"status": [message]}, {"status": ["invalid_choice"]}, message=message)


def next_to_review(exclude: str, chosen: dict[str, str] | None = None) -> str | None:
    """The next submitted record of the queue, narrowed by ``chosen`` (the list's
    search and recorder filter, :func:`list_filter`), that this supervisor may
    decide on, if any."""
    actor = current_actor()
    chosen = chosen or {}
    items, _ = lists.list_records(get_db(), status="submitted", query=chosen.get("q"),
                                  enumerator=chosen.get("enumerator"), limit=PAGE_SIZE,
                                  oldest_first=True)
    for item in items:
        if item["id"] != exclude and not review.is_maker_of(get_db(), item, actor):
            return item["id"]
    return None


def render_review(enrollment_id: str, status_code: int = 200, error: str | None = None,
                  errors: dict | None = None, form: dict | None = None):
    """The review page: every field, eligibility with reasons, identity warnings,
    possible duplicates, history, central status and (for supervisors) the form."""
    settings, site = _site()
    conn = get_db()
    actor = current_actor()
    record = intake.visible_record(conn, enrollment_id, actor)
    context = review.review_context(conn, record, settings, site)
    can_review = actor.role == "supervisor" and record["status"] == "submitted"
    # read from the sealed trail, each value checked against its tag (h2 report item 4)
    history = trail.record_history(conn, enrollment_id)
    # the supervisor's last decision, whatever central did with the record since (the
    # agent records central's moves with the same actions, as "sync")
    decided = next((h["action"] for h in reversed(history) if h["action"] in review.DECISIONS
                    and h["changed_by"] == record.get("reviewed_by")), None)
    html = render_template(
        "pages/review.html", record=record, fields=labels.FIELD_LABELS,
        value=labels.field_value, eligibility=context["eligibility"],
        warnings=context["warnings"], duplicates=context["duplicates"],
        reason_text=REASON_TEXT, history=history,
        review_decision=labels.ACTION_LABELS.get(decided) if decided else None,
        central_notices=review.central_notice_texts(conn, enrollment_id),
        can_review=can_review, is_maker=can_review and review.is_maker_of(conn, record, actor),
        error=error, errors=errors or {}, form=form or {}, decisions=review.DECISION_LABELS,
        list_filter=list_filter(request.values))
    return html, status_code


def receipt_page(enrollment_id: str) -> str:
    """``GET /enrollments/<id>/receipt``: the printable tanda terima (A6 / thermal)."""
    actor = current_actor()
    record = intake.visible_record(get_db(), enrollment_id, actor)  # 404 when not visible
    return render_template("pages/receipt.html", r=receipts.receipt(get_db(), record["id"]))


def enrollment_page(enrollment_id: str):
    """``GET /enrollments/<id>``: the review page."""
    return render_review(enrollment_id)


def _form_version(text: str) -> int:
    """The version the page showed. The page always sends it: a form without it (a
    hand-made request, a page from before the field existed) or anything but a plain
    number is refused, never treated as "no check" of a decision on stale data."""
    if not (text.isascii() and text.isdigit() and len(text) < 10):
        raise ValidationFailed({"version": ["Versi data tidak sah; muat ulang halaman."]},
                               {"version": ["invalid"]})
    return int(text)


def decide(enrollment_id: str) -> Response | tuple[str, int]:
    """``POST /enrollments/<id>/decision``: approve, reject or needs-fix, then on
    to the next entry of the queue the page was opened from (its search and recorder
    filter, sent back by the form, are kept in the next page's URL)."""
    settings, site = _site()
    form = {"decision": request.form.get("decision", ""), "reason": request.form.get("reason", "")}
    try:
        version = _form_version(request.form.get("version", ""))
        record = review.review_enrollment(get_db(), enrollment_id, form["decision"],
                                          form["reason"], current_actor(), settings, site,
                                          expected_version=version)
    except ValidationFailed as exc:
        # the form shows the decision's and the reason's errors by their fields; a bad
        # version has no field on the page: its message is the page's
        error = (exc.errors["version"][0] if "version" in exc.errors
                 else "Keputusan belum tersimpan: periksa isian.")
        return render_review(enrollment_id, 422, error, exc.errors, form)
    except InvalidTransition as exc:
        current = labels.STATUS_LABELS.get(exc.extra.get("current_status"), "berubah")
        return render_review(enrollment_id, 409, "Keputusan tidak tersimpan: data ini sudah "
                             f"diputuskan atau diubah orang lain (status sekarang: {current}).")
    except MakerChecker as exc:
        return render_review(enrollment_id, 403, exc.message)
    notices.record_decided(record["id"], record["status"])  # no name in the cookie
    chosen = list_filter(request.form)  # the list the page was opened from
    following = next_to_review(enrollment_id, chosen)
    if following and request.form.get("then") != "queue":
        return redirect(url_for("pages.enrollment", enrollment_id=following, **chosen), code=303)
    return redirect(url_for("pages.queue", **chosen), code=303)
