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

from typing import Any

from marshmallow import Schema, ValidationError, fields, missing


class NeedsFullLoad(Exception):
    """The compiled path cannot vouch for this payload: load it with marshmallow."""


# How a compiled step loads its field (see _compile_field).
_PLAIN, _NESTED, _WHOLE = 0, 1, 2


class CompiledLoader:
    """Load valid payloads of one schema instance without marshmallow's machinery."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.names = frozenset(schema.load_fields)
        self.steps: list[tuple] = []
        for name, field in schema.load_fields.items():
            if field.data_key not in (None, name) or field.attribute not in (None, name):
                raise ValueError(f"{name}: renamed fields are not compiled")
            self.steps.append((name, *_compile_field(field)))

    def load(self, payload: Any) -> dict[str, Any]:
        """The loaded values of a valid payload; NeedsFullLoad otherwise. Each
        field's step is what ``Field.deserialize`` does (missing, null, convert,
        validators), run here in one loop rather than a function per field."""
        if type(payload) is not dict or not self.names.issuperset(payload):
            raise NeedsFullLoad()
        data: dict[str, Any] = {}
        get = payload.get
        try:
            for name, mode, convert, required, allow_none, default, validators in self.steps:
                raw = get(name, missing)
                if mode == _WHOLE:
                    value = convert(raw, name, payload)
                    if value is missing:
                        continue
                elif raw is missing:
                    if required:
                        raise NeedsFullLoad()
                    value = default() if callable(default) else default
                    if value is missing:
                        continue
                elif raw is None:
                    if not allow_none:
                        raise NeedsFullLoad()
                    value = None
                else:
                    value = convert(raw) if mode == _NESTED else convert(raw, name, payload)
                    for validator in validators:
                        validator(value)
                data[name] = value
        except ValidationError as exc:
            raise NeedsFullLoad() from exc
        if self.schema.record_errors(data):
            raise NeedsFullLoad()
        return self.schema.normalised(data)


def _compile_field(field: fields.Field) -> tuple:
    """One field's step: (mode, convert, required, allow_none, default, validators),
    what ``Field.deserialize`` does (missing, null, convert, validators) with a
    nested schema compiled too. Fields with ``pre_load`` functions keep
    ``deserialize`` whole (``_WHOLE``)."""
    if field.pre_load:
        return _WHOLE, field.deserialize, False, False, missing, ()
    if isinstance(field, fields.Nested):
        mode, convert = _NESTED, CompiledLoader(field.schema).load
    else:
        mode, convert = _PLAIN, field._deserialize  # the field's own conversion
    return (mode, convert, field.required, field.allow_none, field.load_default,
            tuple(field.validators))
