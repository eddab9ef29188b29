"""The verifiers' page: open identity findings and likely-duplicate pairs with
the two sides next to each other, and the decisions (verifier only; the auditor
reads). Each decision goes through :mod:`central.verification` (conditional
updates: of two verifiers deciding at once one wins) and the trail."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from berjasa.problems import NotFound, Problem
from central import dukcapil, identity_match, verification
from central.app import get_db
from central.http import current_actor


def page(status: int = 200):
    """``GET /verifikasi`` (and the page again, with ``status``, after a refusal)."""
    return render_template("central/verification.html", **verification.queue(get_db()),
                           kind_labels=verification.KIND_LABELS,
                           field_labels=identity_match.FIELD_LABELS,
                           result_labels=identity_match.RESULT_LABELS,
                           element_labels=dukcapil.ELEMENT_LABELS,
                           element_fields={**dukcapil.ELEMENTS, "NIK": "nik"},
                           finding_decisions=verification.FINDING_DECISIONS,
                           decisions_for=verification.finding_decisions,
                           pair_decisions=verification.PAIR_DECISIONS,
                           pair_decisions_for=verification.pair_decisions), status


def _done(message: str):
    flash(message)
    return redirect(url_for("pages.verification"), code=303)


def _refused(exc: Problem):
    errors = exc.extra.get("errors") if isinstance(exc.extra, dict) else None
    text = "; ".join(m for ms in (errors or {}).values() for m in ms) or exc.message
    # the page again with the line, under the refusal's own status (409, 422): a
    # program or a test sees it was refused (docs/central.md), a person reads the line
    flash(f"Tidak dapat disimpan: {text}")
    return page(exc.status if 400 <= exc.status < 500 else 422)


def _number(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) < 19):
        raise NotFound()
    return int(text)


def decide_finding(finding_id: str):
    """``POST /verifikasi/temuan/<id>``: confirm, send_back or reject, with a reason."""
    try:
        outcome = verification.decide_finding(get_db(), _number(finding_id),
                                              request.form.get("decision", ""),
                                              request.form.get("reason"), current_actor(),
                                              current_app.config["SETTINGS"])
    except Problem as exc:
        return _refused(exc)
    if outcome.get("record_unchanged"):
        return _done("Temuan ditutup; data ini sudah tidak aktif di pusat dan statusnya tidak diubah.")
    return _done("Keputusan atas temuan disimpan.")


def decide_pair(a: str, b: str):
    """``POST /verifikasi/pasangan/<a>/<b>``: keep_a, keep_b or different, with a reason."""
    try:
        verification.decide_pair(get_db(), _number(a), _number(b), request.form.get("decision", ""),
                                 request.form.get("reason"), current_actor(),
                                 current_app.config["SETTINGS"])
    except Problem as exc:
        return _refused(exc)
    return _done("Keputusan atas pasangan disimpan; kedua kelurahan menerimanya pada tarikan berikutnya.")


def send_back():
    """``POST /verifikasi/kirim-balik``: a record (by NIK) back to its kelurahan."""
    try:
        outcome = verification.send_back(get_db(), request.form.get("nik", ""),
                                         request.form.get("reason"), current_actor())
    except Problem as exc:
        return _refused(exc)
    return _done(f"Dikirim balik ke kelurahan {outcome['kelurahan_code']}.")
