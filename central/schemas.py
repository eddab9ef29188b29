"""Marshmallow schemas of central's HTTP interface: the download and trail
filters are validated with them (:mod:`central.downloads`, :mod:`central.trail`)
and ``/openapi.json`` is generated from the same classes (:mod:`central.openapi`)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

MONTH_PATTERN = r"^(20\d\d|2100)-(0[1-9]|1[0-2])$"


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
    from_ = fields.Date(data_key="from", metadata={"description": "YYYY-MM-DD (UTC)"})
    to = fields.Date(metadata={"description": "YYYY-MM-DD (UTC), inklusif"})
    page = fields.Integer(validate=validate.Range(min=1, max=999_999))


class RegisterBody(Schema):
    """``POST /api/v1/devices/register`` (docs/sync-protocol.md)."""

    code = fields.String(required=True, metadata={"example": "K7QM-3TXA-PW9C"})
    public_key = fields.String(required=True, metadata={"description": "Ed25519, base64"})
    label = fields.String(allow_none=True)
    kelurahan_code = fields.String(allow_none=True, metadata={"example": "73.71.01.1001"})
    exchange_public_key = fields.String(allow_none=True)


class Problem(Schema):
    """The one error shape (docs/api.md)."""

    code = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    error_codes = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class Health(Schema):
    """``GET /health``."""

    status = fields.String(required=True)
    service = fields.String()
