"""Marshmallow schemas of central's HTTP interface, each both the validation and
its part of ``/openapi.json``: the device API's bodies and query strings through
``@blp.arguments`` (:mod:`central.api`), the download and trail filters through
:mod:`central.downloads` and :mod:`central.trail` (pages, documented by
:mod:`central.openapi`)."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from berjasa.checks import has_unprintable
from berjasa.messages import coded
from berjasa.web.arguments import JsonBody, StrictQueryArgs, whole_number
from central.exports import MONTH_PATTERN
from sync.protocol_auth import load_public_key
from sync.protocol_sealed import load_public as load_exchange_public


class DownloadQuery(Schema):
    """Filters of ``GET /unduh/<what>``; anything else is refused (400)."""

    class Meta:
        unknown = RAISE

    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]),
                           metadata={"description": "csv (UTF-8 dengan BOM) atau xlsx"})
    month = fields.String(validate=validate.Regexp(MONTH_PATTERN),
                          metadata={"description": "YYYY-MM, hanya untuk payment-list",
                                    "example": "2025-10"})
    draft = fields.String(validate=validate.OneOf(["0", "1"]),
                          metadata={"description": "1 = draf bertanda air (payment-list)"})


class TrailQuery(Schema):
    """Filters of the auditor's trail page and its CSV export."""

    class Meta:
        unknown = RAISE

    actor = fields.String(validate=validate.Length(max=100))
    action = fields.String(validate=validate.Length(max=100))
    record = fields.String(validate=validate.Length(max=100), metadata={
        "description": "satu data: id pusat, id data (UUID) atau KELURAHAN/ID_DATA"})
    from_ = fields.Date(data_key="from", metadata={"description": "YYYY-MM-DD (WITA)"})
    to = fields.Date(metadata={"description": "YYYY-MM-DD (WITA), inklusif"})
    page = fields.Integer(validate=validate.Range(min=1, max=999_999))
    before = fields.Integer(validate=validate.Range(min=1, max=2**62), metadata={
        "description": "halaman berikutnya: entri yang lebih lama dari seq ini (halaman saja)"})
    full = fields.String(validate=validate.OneOf(["0", "1"]), metadata={
        "description": "1: periksa ulang seluruh rantai hash sekarang (halaman saja)"})


def _invalid(text: str) -> Any:
    return coded(text, "invalid")


CODE_MISSING = _invalid("Kode pendaftaran wajib diisi.")
BAD_PUBLIC_KEY = _invalid("Kunci publik Ed25519 tidak sah.")
BAD_EXCHANGE_KEY = _invalid("Kunci pertukaran X25519 tidak sah.")
BAD_LABEL = _invalid("Label harus teks tanpa karakter kontrol atau karakter tak terlihat.")
BAD_KELURAHAN = _invalid("Kode kelurahan harus teks, misalnya 73.71.01.1001.")


def _all(message: str) -> dict[str, str]:
    return {"required": message, "null": message, "invalid": message}


def _key_check(load: Any, message: str) -> Any:
    def check(text: str) -> None:
        try:
            load(text)
        except ValueError:
            raise ValidationError(message) from None
    return check


def _filled(text: str) -> None:
    if not text.strip():
        raise ValidationError(CODE_MISSING)


def _printable(text: str) -> None:
    """Printable text, the free-text rule (a tab is fine): labels are shown on pages
    and logs, so no control or invisible format character (U+202E) either."""
    if has_unprintable(text, allowed="\t"):
        raise ValidationError(BAD_LABEL)


class RegisterBody(JsonBody):
    """``POST /api/v1/devices/register`` (docs/sync-protocol.md); every bad field named (422)."""

    non_object_is_malformed = True  # the body limit: 1 MB, central/http.py

    code = fields.String(required=True, validate=_filled, error_messages=_all(CODE_MISSING),
                         metadata={"example": "K7QM-3TXA-PW9C"})
    public_key = fields.String(required=True, validate=_key_check(load_public_key, BAD_PUBLIC_KEY),
                               error_messages=_all(BAD_PUBLIC_KEY),
                               metadata={"description": "Ed25519, base64"})
    label = fields.String(allow_none=True, validate=_printable, error_messages=_all(BAD_LABEL))
    kelurahan_code = fields.String(allow_none=True, error_messages=_all(BAD_KELURAHAN),
                                   metadata={"example": "73.71.01.1001"})
    exchange_public_key = fields.String(
        allow_none=True, validate=_key_check(load_exchange_public, BAD_EXCHANGE_KEY),
        error_messages=_all(BAD_EXCHANGE_KEY), metadata={"description": "X25519, base64"})


CURSOR = "Kursor harus bilangan bulat >= 0."


class UpdatesQuery(StrictQueryArgs):
    """``GET /api/v1/updates``: entries after ``since``, at most ``limit`` (capped
    by ``central_updates_page_size``); ``skip``: kinds the agent already has."""

    since = whole_number(0, 10**18 - 1, CURSOR, "invalid", load_default=0)
    limit = whole_number(1, 10**18 - 1, "Batas harus bilangan bulat >= 1.", "invalid")
    skip = fields.String(metadata={"description": "Jenis dipisah koma, mis. accepted"})
    encoding = fields.String(validate=validate.OneOf(["zstd"]),
                             metadata={"description": "zstd: halaman yang sama, dipadatkan zstd"})
    wait_for = fields.String(
        validate=validate.Regexp(r"^[0-9A-Za-z-]{1,64}(,[0-9A-Za-z-]{1,64}){0,15}$",
                                 error="Daftar ID batch tidak sah."),
        metadata={"description": "ID batch (dipisah koma, paling banyak 16) yang ditunggu "
                                 "tersimpan sebelum halaman dibuat (docs/sync-protocol.md)"})


class RecordsQuery(StrictQueryArgs):
    """``GET /api/v1/records``: the device's kelurahan's records held at central after
    the central id ``after``, at most ``limit`` (capped at the page size), for a
    laptop taking back what it lost (docs/sync-protocol.md, "Recovery")."""

    after = whole_number(0, 10**18 - 1, CURSOR, "invalid", load_default=0)
    limit = whole_number(1, 10**18 - 1, "Batas harus bilangan bulat >= 1.", "invalid")
    encoding = fields.String(validate=validate.OneOf(["zstd"]),
                             metadata={"description": "zstd: halaman yang sama, dipadatkan zstd"})


def _key_id(text: str) -> None:
    if not re.fullmatch(r"[0-9a-f]{0,64}", text):
        raise ValidationError(UNKNOWN_KEY)


UNKNOWN_KEY = _invalid("Versi kunci tidak dikenal.")


class HintsQuery(StrictQueryArgs):
    """``GET /api/v1/hints``: the key id the device holds and its cursor."""

    key_id = fields.String(load_default="", validate=_key_id,
                           metadata={"pattern": "^[0-9a-f]{0,64}$", "maxLength": 64})
    since = whole_number(0, 10**18 - 1, CURSOR, "invalid", load_default=0)
    skip = fields.String(validate=validate.OneOf(["own"]),
                         metadata={"description": "own: tanpa catatan yang dikirim perangkat ini"})


class Health(Schema):
    """``GET /health``."""

    status = fields.String(required=True)
    service = fields.String()
