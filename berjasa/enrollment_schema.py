"""The Enrollment schema: one set of rules for the kelurahan's API, its batch
endpoint, the supervisor's edit form and the OpenAPI document, and for central,
which judges every record a batch brings by the same rules
(:func:`central.eligibility.record_problems`, through :func:`intake_error_codes`).

Field rules come from design.md ("Validation details fixed by contract") and the
identity checks live in :mod:`berjasa.identity`; this module only adapts them to
marshmallow and the settings of the running app (the kelurahan's, or central's).
It lives in the core, not in ``server/``, so that both apps use this one copy. Its
field types (a NIK, a name, free text, strict numbers and dates...) are
:mod:`berjasa.enrollment_fields`; here are the schemas and the intake's loading.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from berjasa import identity, local_time, reference
from berjasa.checks import check_enrollment, consent_at_problems, work_category
from berjasa.compiled_schema import CompiledLoader, NeedsFullLoad
from berjasa.enrollment_fields import (
    AwareIsoDateTime,
    ClientId,
    DuplicateHint,
    FreeText,
    IdentityNumber,
    IsoDate,
    ListChoice,
    PersonName,
    Phone,
    StrictBoolean,
    StrictFloat,
    StrictInteger,
    field_errors,
    rt_rw_check,
)
from berjasa.messages import (
    BAD_DATE,
    BAD_DATETIME,
    BAD_UUID,
    NOT_LIST,
    NOT_OBJECT,
    NOT_TEXT,
    UNKNOWN_FIELD,
    coded,
    flatten_errors,
)

CONSENT_METHODS = ("signature", "verbal", "thumbprint")
HEIR_RELATIONS = ("Suami", "Istri", "Anak", "Ayah", "Ibu", "Saudara Kandung", "Cucu",
                  "Kakek/Nenek", "Lainnya")


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
    at = AwareIsoDateTime(required=True, error_messages={**field_errors(BAD_DATETIME),
                                                         "invalid_awareness": BAD_DATETIME})

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
        "invalid_choice")), load_default=list, error_messages=field_errors(NOT_LIST))

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

    id = ClientId(required=True,
                  error_messages={**field_errors(BAD_UUID), "invalid_uuid": BAD_UUID})
    nik = IdentityNumber(identity.check_nik, required=True)
    kk_number = IdentityNumber(identity.check_kk, required=True)
    full_name = PersonName(required=True)
    birth_place = FreeText(100, required=True)
    birth_date = IsoDate(required=True, error_messages=field_errors(BAD_DATE))
    sex = ListChoice(("L", "P"), coded("Jenis kelamin harus L atau P.", "invalid_choice"),
                     required=True)
    address = FreeText(500, multiline=True, required=True)
    rt = fields.String(required=True, validate=rt_rw_check("RT"),
                       error_messages=field_errors(NOT_TEXT))
    rw = fields.String(required=True, validate=rt_rw_check("RW"),
                       error_messages=field_errors(NOT_TEXT))
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
    consent = fields.Nested(ConsentSchema, required=True, error_messages=field_errors(NOT_OBJECT))
    location = fields.Nested(LocationSchema, load_default=None, allow_none=True,
                             error_messages=field_errors(NOT_OBJECT))
    captured_at = AwareIsoDateTime(required=True, error_messages={
        **field_errors(BAD_DATETIME), "invalid_awareness": BAD_DATETIME})
    notes = FreeText(2000, multiline=True, load_default=None, allow_none=True)
    disability = fields.Nested(DisabilitySchema, load_default=None, allow_none=True,
                               error_messages=field_errors(NOT_OBJECT))
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

    consent = fields.Nested(HeldConsentSchema, required=True,
                            error_messages=field_errors(NOT_OBJECT))


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
