"""The field types of the Enrollment schema (:mod:`berjasa.enrollment_schema`): each
refuses what is not its kind of value with a coded message (design.md "Validation
details fixed by contract") and reads it as it is stored: a client UUID, a NIK or KK
through :mod:`berjasa.identity`, a name, a phone, free text, a choice from a list, a
strict integer, float, boolean, ISO date and time, and RT/RW. Apps register these
types for /openapi.json (server/app.py).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any, ClassVar

from marshmallow import ValidationError, fields

from berjasa import identity
from berjasa.checks import ONE_LINE_CONTROLS, TYPED_CONTROLS, unprintable_problem
from berjasa.messages import (
    NOT_BOOLEAN,
    NOT_INTEGER,
    NOT_NUMBER,
    NOT_TEXT,
    NULL,
    REQUIRED,
    coded,
)

RT_RW = re.compile(r"^[0-9]{1,3}$")
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BASE_MESSAGES = {"required": REQUIRED, "null": NULL}


def field_errors(invalid: Any) -> dict[str, Any]:
    """A field's error messages: required, null and its own ``invalid``."""
    return {**BASE_MESSAGES, "invalid": invalid}


def _raise(problems: list[identity.Problem]) -> None:
    errors = [coded(p.message, p.code) for p in problems if p.severity == "error"]
    if errors:
        raise ValidationError(errors)


def _normalised(field: fields.Field, value: Any, normalise: Callable[[str], str]) -> str:
    """``value`` as one of :mod:`berjasa.identity`'s normalisers stores it (a name, a
    phone): anything but text is the field's ``invalid``, and the normaliser's refusal
    becomes the field's coded message."""
    if not isinstance(value, str):
        raise field.make_error("invalid")
    try:
        return normalise(value)
    except identity.IdentityError as exc:
        raise ValidationError(coded(exc.message, exc.code)) from exc


class ClientId(fields.UUID):
    """The record's UUID, made on the phone. Its usual spelling (lowercase, with
    hyphens) is already what :meth:`EnrollmentSchema.normalised` stores, so it is
    taken as it is; any other spelling or type is marshmallow's UUID load."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if type(value) is str and UUID_TEXT.fullmatch(value):
            return value  # str(uuid.UUID(value)) == value
        return super()._deserialize(value, attr, data, **kwargs)


class IdentityNumber(fields.Field):
    """NIK or KK: 16 digits as text, structure checked by berjasa.identity."""

    default_error_messages = field_errors(NOT_TEXT)

    def __init__(self, check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        _raise(self.check(value))
        return "".join(str(value).split())


class PersonName(fields.Field):
    """A person's name: letters of any script, marks, spaces and . , ' ’ -."""

    default_error_messages = field_errors(NOT_TEXT)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return _normalised(self, value, identity.normalise_person_name)


class Phone(fields.Field):
    """An Indonesian phone number, stored as +62..."""

    default_error_messages = field_errors(NOT_TEXT)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if value in ("", None):
            return None
        return _normalised(self, value, identity.normalise_phone)


class DuplicateHint(fields.Field):
    """``possible_duplicate``: which of the phone's duplicate hints the record was saved
    despite: "nik", "name_birth" or "nik,name_birth" (a list of those is accepted too)."""

    KEYS = ("nik", "name_birth")
    default_error_messages = field_errors(coded(
        'Petunjuk duplikat harus "nik", "name_birth" atau keduanya.', "invalid_choice"))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        parts = value.split(",") if isinstance(value, str) else value
        if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
            raise self.make_error("invalid")
        chosen = {p.strip() for p in parts if p.strip()}
        if not chosen <= set(self.KEYS):
            raise self.make_error("invalid")
        return ",".join(k for k in self.KEYS if k in chosen) or None


class FreeText(fields.Field):
    """Any printable text, stored exactly as typed (escaped wherever shown):
    :func:`berjasa.checks.unprintable_problem` refuses controls and invisible format
    characters (U+202E...) other than the line breaks and tab of a multi-line field (a
    one-line field takes none, :data:`berjasa.checks.ONE_LINE_CONTROLS`)."""

    default_error_messages = field_errors(NOT_TEXT)

    def __init__(self, max_length: int, multiline: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length
        self.multiline = multiline

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if not value.strip():
            if self.required:
                raise ValidationError(REQUIRED)
            return None
        if len(value) > self.max_length:
            raise ValidationError(coded(f"Terlalu panjang: paling banyak {self.max_length} "
                                        "karakter.", "too_long"))
        problem = unprintable_problem(value, TYPED_CONTROLS if self.multiline else ONE_LINE_CONTROLS)
        if problem:
            raise ValidationError(coded(problem.message, problem.code))
        return value


class ListChoice(fields.Field):
    """A value from a list, matched case-insensitively, stored in the list's spelling."""

    default_error_messages = field_errors(NOT_TEXT)

    def __init__(self, choices, message, matcher=None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = choices
        self.message = message
        self.matcher = matcher
        if matcher is None and not callable(choices):  # a fixed list: look it up folded
            folded: dict[str, str] = {}
            for choice in choices:
                folded.setdefault(choice.casefold(), choice)
            self.matcher = lambda value: folded.get(value.strip().casefold())

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if not value.strip() and not self.required:
            return None
        if self.matcher:
            found = self.matcher(value)
        else:
            choices = self.choices() if callable(self.choices) else self.choices
            found = next((c for c in choices if c.casefold() == value.strip().casefold()), None)
        if found is None:
            raise ValidationError(self.message)
        return found


class StrictInteger(fields.Integer):
    """An integer that refuses strings, floats and booleans."""

    default_error_messages = field_errors(NOT_INTEGER)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if type(value) is int:
            return value  # what Integer(strict=True) makes of an int
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictFloat(fields.Float):
    """A JSON number (not a string, not a boolean)."""

    default_error_messages: ClassVar[dict] = {**field_errors(NOT_NUMBER), "special": NOT_NUMBER}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if type(value) is float and math.isfinite(value):
            return value  # what Float makes of a finite float
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


ISO_FORMATS = (None, "iso", "iso8601")


class IsoDate(fields.Date):
    """marshmallow's Date; ISO text is read with ``date.fromisoformat`` directly
    (what Date does, after looking up its format), anything else by Date."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.date:
        if type(value) is str and self.format in ISO_FORMATS:
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass  # Date says why
        return super()._deserialize(value, attr, data, **kwargs)


class AwareIsoDateTime(fields.AwareDateTime):
    """marshmallow's AwareDateTime; ISO text with an offset is read with
    ``datetime.fromisoformat`` directly, anything else by AwareDateTime."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.datetime:
        if type(value) is str and self.format in ISO_FORMATS:
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                parsed = None
            if parsed is not None and parsed.utcoffset() is not None:
                return parsed
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    """true or false only (no "yes", no 1)."""

    default_error_messages = field_errors(NOT_BOOLEAN)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def rt_rw_check(label: str):
    """The validator of RT or RW: 1 to 3 digits, not 0."""
    message = coded(f"{label} harus 1 sampai 3 angka, bukan 0 (mis. 002).", "invalid_rt_rw")

    def check(value: str) -> None:
        if not (RT_RW.match(value) and int(value) > 0):
            raise ValidationError(message)

    return check
