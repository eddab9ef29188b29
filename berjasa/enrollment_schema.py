"""The Enrollment schema: one set of rules for the kelurahan's API, its batch
endpoint, the supervisor's edit form and the OpenAPI document, and for central,
which judges every record a batch brings by the same rules
(:func:`central.eligibility.record_problems`, through :func:`intake_error_codes`).

Field rules come from design.md ("Validation details fixed by contract") and the
identity checks live in :mod:`berjasa.identity`; this module only adapts them to
marshmallow and the settings of the running app (the kelurahan's, or central's).
It lives in the core, not in ``server/``, so that both apps use this one copy.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from berjasa import identity, local_time, reference
from berjasa.checks import (
    TYPED_CONTROLS,
    check_enrollment,
    consent_at_problems,
    unprintable_problem,
    work_category,
)
from berjasa.compiled_schema import CompiledLoader, NeedsFullLoad
from berjasa.messages import (
    BAD_DATE,
    BAD_DATETIME,
    BAD_UUID,
    NOT_BOOLEAN,
    NOT_INTEGER,
    NOT_LIST,
    NOT_NUMBER,
    NOT_OBJECT,
    NOT_TEXT,
    NULL,
    REQUIRED,
    UNKNOWN_FIELD,
    coded,
    flatten_errors,
)

CONSENT_METHODS = ("signature", "verbal", "thumbprint")
HEIR_RELATIONS = ("Suami", "Istri", "Anak", "Ayah", "Ibu", "Saudara Kandung", "Cucu",
                  "Kakek/Nenek", "Lainnya")
RT_RW = re.compile(r"^[0-9]{1,3}$")
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BASE_MESSAGES = {"required": REQUIRED, "null": NULL}


def _errors(invalid: Any) -> dict[str, Any]:
    return {**BASE_MESSAGES, "invalid": invalid}


def _raise(problems: list[identity.Problem]) -> None:
    errors = [coded(p.message, p.code) for p in problems if p.severity == "error"]
    if errors:
        raise ValidationError(errors)


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

    default_error_messages = _errors(NOT_TEXT)

    def __init__(self, check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        _raise(self.check(value))
        return "".join(str(value).split())


class PersonName(fields.Field):
    """A person's name: letters of any script, marks, spaces and . , ' ’ -."""

    default_error_messages = _errors(NOT_TEXT)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            return identity.normalise_person_name(value)
        except identity.IdentityError as exc:
            raise ValidationError(coded(exc.message, exc.code)) from exc


class Phone(fields.Field):
    """An Indonesian phone number, stored as +62..."""

    default_error_messages = _errors(NOT_TEXT)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if value in ("", None):
            return None
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            return identity.normalise_phone(value)
        except identity.IdentityError as exc:
            raise ValidationError(coded(exc.message, exc.code)) from exc


class DuplicateHint(fields.Field):
    """``possible_duplicate``: which of the phone's duplicate hints the record was saved
    despite: "nik", "name_birth" or "nik,name_birth" (a list of those is accepted too)."""

    KEYS = ("nik", "name_birth")
    default_error_messages = _errors(coded(
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
    characters (U+202E...) other than the line breaks of a multi-line field."""

    default_error_messages = _errors(NOT_TEXT)

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
        problem = unprintable_problem(value, TYPED_CONTROLS if self.multiline else "\t")
        if problem:
            raise ValidationError(coded(problem.message, problem.code))
        return value


class ListChoice(fields.Field):
    """A value from a list, matched case-insensitively, stored in the list's spelling."""

    default_error_messages = _errors(NOT_TEXT)

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

    default_error_messages = _errors(NOT_INTEGER)

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

    default_error_messages: ClassVar[dict] = {**_errors(NOT_NUMBER), "special": NOT_NUMBER}

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

    default_error_messages = _errors(NOT_BOOLEAN)

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


class BaseSchema(Schema):
    """Unknown fields and non-object bodies are refused with coded messages. A
    schema's rules over more than one field are :meth:`record_errors` and its
    stored spelling :meth:`normalised`: plain methods that marshmallow's hooks call
    here and that the compiled loader (berjasa.compiled_schema) calls directly."""

    error_messages: ClassVar[dict] = {"unknown": UNKNOWN_FIELD, "type": NOT_OBJECT}

    def record_errors(self, data: dict) -> dict[str, list]:
        """Problems that need more than one field, as {field: [coded message]}."""
        return {}

    def normalised(self, data: dict) -> dict:
        """The loaded values in their stored spelling."""
        return data

    @validates_schema(skip_on_field_errors=False)
    def _check_record(self, data: dict, **kwargs: Any) -> None:
        """Run :meth:`record_errors` on what loaded (fields that failed are absent)."""
        errors = self.record_errors(data)
        if errors:
            raise ValidationError(errors)

    @post_load
    def _normalise(self, data: dict, **kwargs: Any) -> dict:
        return self.normalised(data)


class ConsentSchema(BaseSchema):
    """How and when the worker agreed (UU PDP lawful basis)."""

    given = StrictBoolean(required=True)
    method = ListChoice(CONSENT_METHODS, coded(
        "Metode persetujuan harus signature, verbal atau thumbprint.", "invalid_choice"),
        required=True)
    at = AwareIsoDateTime(required=True, error_messages={**_errors(BAD_DATETIME), "invalid_awareness": BAD_DATETIME})

    # the time is judged (checks.consent_at_problems); not for a record's consent
    # already held with this very time (HeldConsentSchema)
    judge_time = True

    def record_errors(self, data: dict) -> dict[str, list]:
        """Consent is required: given must be true; its time within the bounds."""
        errors: dict[str, list] = {}
        if data.get("given") is False:
            errors["given"] = [coded("Persetujuan pekerja wajib diberikan sebelum didaftarkan.",
                                     "consent_required")]
        if self.judge_time:
            found = consent_at_problems(data.get("at"))
            if found:
                errors["at"] = [coded(p.message, p.code) for p in found]
        return errors


class HeldConsentSchema(ConsentSchema):
    """A consent whose time was accepted with the record before (docs/api.md,
    ``consent.at``): its time is not judged again, so a fix of a record stored before
    the bounds, at the kelurahan or at central, is not refused for it."""

    judge_time = False


class LocationSchema(BaseSchema):
    """Optional GPS fix taken on the phone."""

    # marshmallow 4 ignores a validator's return value: a range must raise.
    lat = StrictFloat(required=True, validate=validate.Range(
        -90, 90, error=coded("Lintang harus antara -90 dan 90.", "out_of_range")))
    lon = StrictFloat(required=True, validate=validate.Range(
        -180, 180, error=coded("Bujur harus antara -180 dan 180.", "out_of_range")))
    accuracy_m = StrictFloat(load_default=None, allow_none=True, validate=validate.Range(
        min=0, error=coded("Akurasi GPS tidak boleh negatif.", "out_of_range")))


DISABILITY_KINDS = ("seeing", "hearing", "walking", "cognition", "self_care", "communication")


class DisabilitySchema(BaseSchema):
    """Optional: the Washington Group short set (design.md, round 2)."""

    has_disability = StrictBoolean(required=True)
    kinds = fields.List(ListChoice(DISABILITY_KINDS, coded(
        "Jenis disabilitas harus salah satu dari: " + ", ".join(DISABILITY_KINDS) + ".",
        "invalid_choice")), load_default=list, error_messages=_errors(NOT_LIST))

    @validates_schema(skip_on_field_errors=True)
    def _check_record(self, data: dict, **kwargs: Any) -> None:
        """As for every schema, but not when a field (or an unknown key) failed."""
        super()._check_record(data)

    def record_errors(self, data: dict) -> dict[str, list]:
        """Kinds only when has_disability is true."""
        if data.get("has_disability") is False and data.get("kinds"):
            return {"kinds": [coded("Jenis disabilitas hanya diisi bila has_disability true.",
                                    "kinds_without_disability")]}
        return {}

    def normalised(self, data: dict) -> dict:
        """Kinds once each, in the list's order."""
        chosen = set(data.get("kinds") or [])
        data["kinds"] = [k for k in DISABILITY_KINDS if k in chosen]
        return data


class EnrollmentSchema(BaseSchema):
    """An enrollment as the client sends it; server fields are dump-only."""

    id = ClientId(required=True, error_messages={**_errors(BAD_UUID), "invalid_uuid": BAD_UUID})
    nik = IdentityNumber(identity.check_nik, required=True)
    kk_number = IdentityNumber(identity.check_kk, required=True)
    full_name = PersonName(required=True)
    birth_place = FreeText(100, required=True)
    birth_date = IsoDate(required=True, error_messages=_errors(BAD_DATE))
    sex = ListChoice(("L", "P"), coded("Jenis kelamin harus L atau P.", "invalid_choice"),
                     required=True)
    address = FreeText(500, multiline=True, required=True)
    rt = fields.String(required=True, validate=rt_rw_check("RT"), error_messages=_errors(NOT_TEXT))
    rw = fields.String(required=True, validate=rt_rw_check("RW"), error_messages=_errors(NOT_TEXT))
    kelurahan_code = ListChoice(
        (), coded("Kode kelurahan tidak dikenal (contoh: 73.71.01.1001).", "unknown_kelurahan"),
        matcher=lambda v: getattr(reference.kelurahan(v), "code", None),
        required=True)
    mother_name = PersonName(required=True)
    phone = Phone(load_default=None, allow_none=True)
    occupation = ListChoice(reference.occupations, coded(
        "Pekerjaan tidak ada dalam daftar KTP; pilih yang paling dekat atau \"Lainnya\".",
        "unknown_occupation"), matcher=reference.match_occupation, required=True)
    work_category = fields.Raw(load_default=None, allow_none=True)
    monthly_income = StrictInteger(required=True)
    heir_name = PersonName(required=True)
    heir_relation = ListChoice(HEIR_RELATIONS, coded(
        "Hubungan ahli waris harus salah satu dari: " + ", ".join(HEIR_RELATIONS) + ".",
        "invalid_choice"), required=True)
    heir_phone = Phone(load_default=None, allow_none=True)
    consent = fields.Nested(ConsentSchema, required=True, error_messages=_errors(NOT_OBJECT))
    location = fields.Nested(LocationSchema, load_default=None, allow_none=True,
                             error_messages=_errors(NOT_OBJECT))
    captured_at = AwareIsoDateTime(required=True, error_messages={**_errors(BAD_DATETIME), "invalid_awareness": BAD_DATETIME})
    notes = FreeText(2000, multiline=True, load_default=None, allow_none=True)
    disability = fields.Nested(DisabilitySchema, load_default=None, allow_none=True,
                               error_messages=_errors(NOT_OBJECT))
    possible_duplicate = DuplicateHint(load_default=None, allow_none=True)

    status = fields.String(dump_only=True)
    version = fields.Integer(dump_only=True)
    enumerator = fields.String(dump_only=True)
    received_at = fields.String(dump_only=True)
    reviewed_by = fields.String(dump_only=True)
    reviewed_at = fields.String(dump_only=True)
    review_reason = fields.String(dump_only=True)
    eligibility = fields.List(fields.Dict(), dump_only=True)
    central = fields.Dict(dump_only=True)
    warnings = fields.List(fields.Dict(), dump_only=True)

    def __init__(self, settings: dict[str, Any] | None = None, today: dt.date | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings or {}
        self.today = today

    def record_errors(self, data: dict) -> dict[str, list]:
        """The business checks (:func:`berjasa.checks.check_enrollment`), all at
        once, as coded messages under their fields."""
        found = check_enrollment(data, self.settings, self.today or local_time.today())
        return {field: [coded(p.message, p.code) for p in problems]
                for field, problems in found.items()}

    def normalised(self, data: dict) -> dict:
        """Store values in one spelling: UUID text, RT/RW as three digits, the
        work category as the settings list spells it."""
        if "id" in data:
            data["id"] = str(data["id"])
        for name in ("rt", "rw"):
            if name in data:
                data[name] = data[name].zfill(3)
        category = data.get("work_category")
        if isinstance(category, str) and category.strip():
            data["work_category"] = work_category(category, self.settings)
        elif "work_category" in data:
            data["work_category"] = None
        return data


class HeldEnrollmentSchema(EnrollmentSchema):
    """:class:`EnrollmentSchema` for a record whose consent time is the one already
    held for it (:func:`consent_time_held`): everything judged but that time."""

    consent = fields.Nested(HeldConsentSchema, required=True, error_messages=_errors(NOT_OBJECT))


# The settings the rules read (berjasa.checks and normalised): a settings dict
# without one of them judges as if it held the declared default.
RULE_SETTINGS = ("oldest_age_years", "income_min", "income_max", "work_categories")
_LOADERS_KEPT = 8
_loaders: dict[tuple[int, bool], tuple[dict, EnrollmentSchema, CompiledLoader]] = {}


def loaders(settings: dict[str, Any],
            consent_held: bool = False) -> tuple[EnrollmentSchema, CompiledLoader]:
    """One schema (and its compiled loader) per settings dict, kept while the dict
    lives (an app's settings): building a marshmallow schema deep-copies every
    field, which costs more than validating a record. ``consent_held``: the schema
    that leaves the consent's time unjudged (:class:`HeldEnrollmentSchema`)."""
    key = (id(settings), consent_held)
    cached = _loaders.get(key)
    if cached is None or cached[0] is not settings:
        schema = (HeldEnrollmentSchema if consent_held else EnrollmentSchema)(settings=settings)
        cached = (settings, schema, CompiledLoader(schema))
        if len(_loaders) >= _LOADERS_KEPT:  # settings made per call (tests) stay few
            _loaders.pop(next(iter(_loaders)))
        _loaders[key] = cached
    return cached[1], cached[2]


def consent_time_held(payload: Any, held_at: Any) -> bool:
    """Whether ``payload``'s ``consent.at`` is the same moment as ``held_at``, the
    consent time of the version already held of this record (stored ISO text):
    such a time was accepted before and is not judged again. False when either is
    missing or not an ISO time with an offset (then the time is judged, and named)."""
    consent = payload.get("consent") if isinstance(payload, dict) else None
    sent = consent.get("at") if isinstance(consent, dict) else None
    if not (isinstance(sent, str) and isinstance(held_at, str)):
        return False
    try:
        sent_time, held_time = dt.datetime.fromisoformat(sent), dt.datetime.fromisoformat(held_at)
    except ValueError:
        return False
    if sent_time.utcoffset() is None or held_time.utcoffset() is None:
        return False
    return sent_time == held_time


_DATES = (dt.date, dt.datetime)  # what the schema loads dates as (never subclassed there)
_TEMPORAL = (fields.Date, fields.DateTime)


def _temporal(schema: Schema) -> list[str]:
    return [name for name, field in schema.load_fields.items() if isinstance(field, _TEMPORAL)]


# Where a loaded Enrollment holds dates (both Enrollment schemas declare the same):
# its own date fields, and the nested objects with one (consent.at).
_DATE_FIELDS = tuple(_temporal(EnrollmentSchema()))
_WITH_DATES = tuple(name for name, field in EnrollmentSchema().load_fields.items()
                    if isinstance(field, fields.Nested) and _temporal(field.schema))


def to_storable(data: dict[str, Any]) -> dict[str, Any]:
    """Loaded values as they are stored and hashed (dates as ISO text): the
    kelurahan's register and central's records hold this one form. Only the
    fields that load as dates, and the nested objects that hold one, can hold
    one (a JSON payload brings none elsewhere), so only those are looked at."""
    out = dict(data)
    for key in _DATE_FIELDS:
        value = out.get(key)
        if type(value) in _DATES:
            out[key] = value.isoformat()
    for key in _WITH_DATES:
        value = out.get(key)
        if type(value) is dict:
            out[key] = {k: (v.isoformat() if type(v) in _DATES else v) for k, v in value.items()}
    return out


def intake_load(payload: Any, settings: dict[str, Any],
                held_consent_at: str | None = None) -> tuple[dict[str, Any] | None,
                                                             dict[str, list[str]]]:
    """(the values the kelurahan's intake stores for ``payload``, in their stored
    form (:func:`to_storable`), or None; the codes of every problem it finds, by
    field (``consent.given`` for a nested one, ``_body`` for the payload itself),
    exactly as its 422 names them, empty when it would accept it). A valid payload
    takes the compiled path; marshmallow names the problems. ``held_consent_at``:
    the consent time of the version already held (a fix), not judged again when
    the payload keeps it (:func:`consent_time_held`)."""
    schema, compiled = loaders(settings, consent_time_held(payload, held_consent_at))
    try:
        return to_storable(compiled.load(payload)), {}
    except NeedsFullLoad:
        pass
    try:
        loaded = schema.load(payload)
    except ValidationError as exc:
        return None, flatten_errors(exc.messages)[1]
    return to_storable(loaded), {}


def intake_error_codes(payload: Any, settings: dict[str, Any],
                       held_consent_at: str | None = None) -> dict[str, list[str]]:
    """The codes of every problem the kelurahan's intake finds in ``payload``
    (:func:`intake_load`'s second half); empty when the kelurahan would accept it."""
    return intake_load(payload, settings, held_consent_at)[1]
