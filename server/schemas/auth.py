"""Schemas of the token endpoint (documentation; the body is read by hand so
that wrong types count as failed logins, not as 422 hints)."""

from __future__ import annotations

from marshmallow import Schema, fields


class TokenRequestSchema(Schema):
    """Username and password."""

    username = fields.String(required=True)
    password = fields.String(required=True)


class TokenSchema(Schema):
    """A bearer token, shown once."""

    token = fields.String()
    role = fields.String()
    expires_at = fields.String()
    username = fields.String()
