"""The verifiers' page: open identity findings and likely-duplicate pairs with
the two sides next to each other, and the decisions (verifier only; the auditor
reads). Each decision goes through :mod:`central.verification` (conditional
updates: of two verifiers deciding at once one wins) and the trail."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from berjasa.problems import NotFound, Problem, ValidationFailed
from central import dukcapil, identity_match, verification
from central.app import get_db
from central.bpjs_status import STATUSES
from central.http import current_actor


def page(status: int = 200):
    """``GET /verifikasi`` (and the page again, with ``status``, after a refusal)."""
    return render_template("central/verification.html", **verification.queue(get_db()),
                           kind_labels=verification.KIND_LABELS,
                           bpjs_statuses=STATUSES,
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


def _field(name: str) -> str | None:
    """One form field's value; a field sent twice with different values (a decision
    that could be read either way) is refused, 422 naming the field, never the first
    taken (None when it is absent)."""
    values = request.form.getlist(name)
    if len(set(values)) > 1:
        raise ValidationFailed(
            {name: [(f"Kolom {name} dikirim {len(values)} kali dengan nilai berbeda; kirim satu "
                     "nilai saja.")]}, {name: ["conflicting_values"]})
    return values[0] if values else None


def decide_finding(finding_id: str):
    """``POST /verifikasi/temuan/<id>``: confirm, send_back or reject, with a reason."""
    try:
        outcome = verification.decide_finding(get_db(), _number(finding_id),
                                              _field("decision") or "", _field("reason"),
                                              current_actor(), current_app.config["SETTINGS"])
    except Problem as exc:
        return _refused(exc)
    if outcome.get("record_unchanged"):
        return _done("Temuan ditutup; data ini sudah tidak aktif di pusat dan statusnya tidak diubah.")
    if outcome.get("never_participant"):
        return _done("Keputusan disimpan: belum pernah menjadi peserta, tidak dibayar untuk bulan "
                     f"mana pun (akhir kepesertaan {outcome['coverage_end']}, sebelum bulan "
                     "mulainya); kelurahan diberi tahu pada tarikan berikutnya.")
    if outcome.get("coverage_end"):
        return _done(f"Keputusan disimpan: iuran terakhir dibayar bulan {outcome['coverage_end']}, "
                     "tidak ada lagi di daftar iuran bulan sesudahnya; kelurahan diberi tahu pada "
                     "tarikan berikutnya.")
    return _done("Keputusan atas temuan disimpan.")


def decide_pair(a: str, b: str):
    """``POST /verifikasi/pasangan/<a>/<b>``: keep_a, keep_b or different, with a reason."""
    try:
        verification.decide_pair(get_db(), _number(a), _number(b), _field("decision") or "",
                                 _field("reason"), current_actor(), current_app.config["SETTINGS"])
    except Problem as exc:
        return _refused(exc)
    return _done("Keputusan atas pasangan disimpan; kedua kelurahan menerimanya pada tarikan berikutnya.")


def send_back():
    """``POST /verifikasi/kirim-balik``: a record (by NIK) back to its kelurahan."""
    try:
        outcome = verification.send_back(get_db(), _field("nik") or "", _field("reason"),
                                         current_actor())
    except Problem as exc:
        return _refused(exc)
    return _done(f"Dikirim balik ke kelurahan {outcome['kelurahan_code']}.")
