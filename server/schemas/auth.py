"""Schemas of the token endpoints. A username or password of the wrong type is
read as empty, so it counts as a failed login (401, and toward the lockout)
rather than a 422 that would tell a guesser which part was wrong."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, pre_load

from berjasa.web.arguments import JsonBody


class LoginText(fields.String):
    """Text as given; anything else (a number, null, a list) reads as ``""``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return value if isinstance(value, str) else ""


class TokenRequestSchema(JsonBody):
    """Username and password, both required by the document (a login needs them);
    a missing one, or one that is not text, is a failed login (401), never a 422."""

    body_limit = 16 * 1024
    never_invalid = True

    username = LoginText(required=True, allow_none=True)
    password = LoginText(required=True, allow_none=True)

    @pre_load
    def _object(self, data: Any, **kwargs: Any) -> Any:
        """A missing field (or a body that is not an object) reads as empty text."""
        return {"username": "", "password": "", **(data if isinstance(data, dict) else {})}


class TokenSchema(JsonBody):
    """A bearer token, shown once."""

    token = fields.String()
    role = fields.String()
    expires_at = fields.String()
    username = fields.String()


class WhoAmISchema(JsonBody):
    """The token's user, role and kelurahan."""

    username = fields.String()
    role = fields.String()
    kelurahan_code = fields.String()
