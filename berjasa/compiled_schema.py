"""A schema's load, compiled once into a flat list of its fields' own checks.

marshmallow's ``Schema.load`` spends most of its time on bookkeeping around the
fields (error stores, hooks looked up per call, partial and unknown handling):
about 1 ms per enrollment, which made a 1,000-record batch take a second. The
compiled loader runs, for each field the schema declares, that field's own
``deserialize`` (the same conversion and validators), nested schemas compiled the
same way, then the schema's :meth:`~berjasa.enrollment_schema.BaseSchema.record_errors`
and :meth:`~berjasa.enrollment_schema.BaseSchema.normalised`, which are the very
methods marshmallow's hooks call.

It is the fast path for payloads that are valid. At the first sign of a problem
(a field error, an unknown or missing key, a record rule) it gives up with
:class:`NeedsFullLoad`, and the caller loads the payload with marshmallow, which
names every bad field exactly as it always has. So errors come from one place, and
the compiled path only has to agree with marshmallow on what is valid and what
it loads to; a property test holds the two to that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError, fields, missing


class NeedsFullLoad(Exception):
    """The compiled path cannot vouch for this payload: load it with marshmallow."""


class CompiledLoader:
    """Load valid payloads of one schema instance without marshmallow's machinery."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.names = frozenset(schema.load_fields)
        self.steps: list[tuple[str, Callable[[Any, str, dict], Any]]] = []
        for name, field in schema.load_fields.items():
            if field.data_key not in (None, name) or field.attribute not in (None, name):
                raise ValueError(f"{name}: renamed fields are not compiled")
            self.steps.append((name, _compile_field(field)))

    def load(self, payload: Any) -> dict[str, Any]:
        """The loaded values of a valid payload; NeedsFullLoad otherwise."""
        if type(payload) is not dict or not self.names.issuperset(payload):
            raise NeedsFullLoad()
        data: dict[str, Any] = {}
        try:
            for name, load_field in self.steps:
                value = load_field(payload.get(name, missing), name, payload)
                if value is not missing:
                    data[name] = value
        except ValidationError as exc:
            raise NeedsFullLoad() from exc
        if self.schema.record_errors(data):
            raise NeedsFullLoad()
        return self.schema.normalised(data)


def _compile_field(field: fields.Field) -> Callable[[Any, str, dict], Any]:
    """One field's load as a function of (raw value, name, payload): what
    ``Field.deserialize`` does (missing, null, convert, validators), with a nested
    schema compiled too. Fields with ``pre_load`` functions keep ``deserialize``."""
    if field.pre_load:
        return field.deserialize
    nested = CompiledLoader(field.schema) if isinstance(field, fields.Nested) else None
    convert = nested.load if nested is not None else field._deserialize  # the field's own
    validators = tuple(field.validators)
    required, allow_none, default = field.required, field.allow_none, field.load_default

    def load_field(raw: Any, name: str, payload: dict) -> Any:
        if raw is missing:
            if required:
                raise NeedsFullLoad()
            return default() if callable(default) else default
        if raw is None:
            if allow_none:
                return None
            raise NeedsFullLoad()
        value = convert(raw) if nested is not None else convert(raw, name, payload)
        for validator in validators:
            validator(value)
        return value

    return load_field
