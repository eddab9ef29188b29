"""``POST /api/v1/receipts/status``: a worker's status from the receipt's id and
their birth date (no login; a wrong birth date is answered like an unknown id;
rate-limited per address)."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from marshmallow import ValidationError, fields

from berjasa.messages import coded
from berjasa.problems import NotFound, TooManyAttempts
from berjasa.web.answers import problems
from berjasa.web.arguments import Blueprint, JsonBody
from server import receipts
from server.db import get_db

blp = Blueprint("receipts", __name__, url_prefix="/api/v1/receipts", description="Tanda terima")


class TooManyLookups(TooManyAttempts):
    code = "too_many_lookups"
    message = "Terlalu banyak pemeriksaan dari alamat ini. Coba lagi nanti."


class UnknownReceipt(NotFound):
    code = "not_found"
    message = "Nomor pendaftaran dan tanggal lahir tidak cocok dengan data mana pun."


class ReceiptText(fields.String):
    """Non-blank text of at most 64 characters, trimmed; one message for every fault."""

    def __init__(self, label: str, example: str | None = None) -> None:
        message = coded(f"{label} wajib diisi (teks).", "required")
        metadata: dict[str, Any] = {"minLength": 1, "maxLength": 64}
        if example:
            metadata["example"] = example
        super().__init__(required=True, validate=self._filled, metadata=metadata,
                         error_messages={"required": message, "null": message, "invalid": message})

    def _filled(self, value: str) -> None:
        if not value:
            raise ValidationError(self.error_messages["required"])

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > 64:
            raise self.make_error("invalid")
        return text.strip()


class ReceiptQuery(JsonBody):
    """The receipt's id and the worker's birth date (a missing or unreadable body:
    both named as missing, 422)."""

    body_lenient = True

    id = ReceiptText("Nomor pendaftaran")
    birth_date = ReceiptText("Tanggal lahir", example="1980-03-12")


class ReceiptStatus(JsonBody):
    """The status in English (``status``) and in words (``status_text``)."""

    id = fields.String()
    status = fields.String()
    status_text = fields.String()


@blp.route("/status", methods=["POST"])
@blp.arguments(ReceiptQuery)
@blp.response(200, ReceiptStatus, description="Status pendaftaran")
@blp.doc(security=[], responses=problems(
    s404="Tidak cocok (id tidak dikenal atau tanggal lahir salah)",
    s429="Terlalu sering (too_many_lookups)"))
def receipt_status(body: dict):
    """``{"id", "birth_date"}`` -> ``{"id", "status", "status_text"}``; 404 alike for an
    unknown id or a wrong birth date."""
    try:
        found = receipts.lookup(get_db(), current_app.config["SETTINGS"], request.remote_addr or "-",
                                body["id"], body["birth_date"])
    except receipts.TooManyLookups:
        raise TooManyLookups() from None
    if found is None:
        raise UnknownReceipt()
    return found
