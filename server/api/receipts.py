"""``POST /api/v1/receipts/status``: a worker's status from the receipt's id and
their birth date (no login; a wrong birth date is answered like an unknown id;
rate-limited per address)."""

from __future__ import annotations

from flask import current_app, request
from flask_smorest import Blueprint

from berjasa.problems import NotFound, TooManyAttempts, ValidationFailed
from server import receipts
from server.db import get_db

blp = Blueprint("receipts", __name__, url_prefix="/api/v1/receipts", description="Tanda terima")


class TooManyLookups(TooManyAttempts):
    code = "too_many_lookups"
    message = "Terlalu banyak pemeriksaan dari alamat ini. Coba lagi nanti."


class UnknownReceipt(NotFound):
    code = "not_found"
    message = "Nomor pendaftaran dan tanggal lahir tidak cocok dengan data mana pun."


@blp.route("/status", methods=["POST"])
@blp.doc(security=[], responses={"200": {"description": "Status pendaftaran"},
                                 "404": {"description": "Tidak cocok (id tidak dikenal atau tanggal lahir salah)"},
                                 "429": {"description": "Terlalu sering"}})
def receipt_status():
    """``{"id", "birth_date"}`` -> ``{"id", "status", "status_text"}``; 404 alike for an
    unknown id or a wrong birth date."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        body = {}
    errors = {}
    for name, label in (("id", "Nomor pendaftaran"), ("birth_date", "Tanggal lahir")):
        if not isinstance(body.get(name), str) or not body[name].strip() or len(body[name]) > 64:
            errors[name] = [f"{label} wajib diisi (teks)."]
    if errors:
        raise ValidationFailed(errors, {name: ["required"] for name in errors})
    try:
        found = receipts.lookup(get_db(), current_app.config["SETTINGS"], request.remote_addr or "-",
                                body["id"].strip(), body["birth_date"].strip())
    except receipts.TooManyLookups:
        raise TooManyLookups() from None
    if found is None:
        raise UnknownReceipt()
    return found
