"""berjasa.compiled_schema — the compiled load agrees with marshmallow's: whatever
it accepts, marshmallow accepts with the same values; whatever else, it hands back
to marshmallow (which names the errors). Valid records take the compiled path."""

from __future__ import annotations

import copy
import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError, fields

from berjasa.checks import work_category
from berjasa.compiled_schema import CompiledLoader, NeedsFullLoad
from berjasa.enrollment_schema import EnrollmentSchema, to_storable
from berjasa.settings import load_settings
from berjasa.synthetic import EnrollmentFaker
from tests.helpers import examples

SETTINGS = load_settings(None)
SCHEMA = EnrollmentSchema(settings=SETTINGS)
COMPILED = CompiledLoader(SCHEMA)
RECORDS = [EnrollmentFaker("73.71.01.1001", seed=seed).enrollment() for seed in range(40)]
NESTED = {"consent": ["given", "method", "at"], "location": ["lat", "lon", "accuracy_m"],
          "disability": ["has_disability", "kinds"]}
PATHS = [(name,) for name in SCHEMA.load_fields] + [
    (outer, inner) for outer, names in NESTED.items() for inner in names]

scalars = (st.none() | st.booleans() | st.integers(-10**17, 10**17)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)


def loads(payload):
    """(compiled answer or None when handed back, marshmallow answer or None when refused)."""
    try:
        fast = COMPILED.load(copy.deepcopy(payload))
    except NeedsFullLoad:
        fast = None
    try:
        full = SCHEMA.load(copy.deepcopy(payload))
    except ValidationError:
        full = None
    return fast, full


@pytest.mark.parametrize("record", RECORDS[:10])
def test_valid_records_take_the_compiled_path_with_the_same_values(record):
    fast, full = loads(record)
    assert fast is not None and fast == full


@st.composite
def variants(draw):
    """A valid record with one field (top-level or nested) replaced, removed, or
    respelled, or with an unknown key added."""
    record = copy.deepcopy(draw(st.sampled_from(RECORDS)))
    path = draw(st.sampled_from(PATHS))
    target = record
    for part in path[:-1]:
        if not isinstance(target.get(part), dict):
            target[part] = {"given": True, "method": "verbal", "at": "2026-11-25T09:30:00+08:00",
                            "lat": -5.1, "lon": 119.4, "has_disability": False}
        target = target[part]
    name, original = path[-1], target.get(path[-1])
    action = draw(st.sampled_from(["replace", "remove", "respell", "unknown"]))
    if action == "replace":
        target[name] = draw(json_values)
    elif action == "remove":
        target.pop(name, None)
    elif action == "respell" and isinstance(original, str):
        target[name] = draw(st.sampled_from([original.upper(), original.lower(), f" {original} ",
                                             original.replace(" ", "  "), original + "\n",
                                             original[:-1], original + "0", "\u00a0" + original]))
    else:
        target[draw(st.text(min_size=1, max_size=5))] = 1
    return record


@settings(max_examples=examples(500), deadline=None)
@given(variants())
def test_what_the_compiled_path_accepts_marshmallow_accepts_alike(payload):
    fast, full = loads(payload)
    if fast is not None:
        assert fast == full


def every_date_as_text(data):
    """What to_storable did before it looked only at the fields that load as dates:
    every date at the top level or one object down, as ISO text."""
    kinds = (datetime.date, datetime.datetime)
    out = dict(data)
    for key, value in data.items():
        if isinstance(value, kinds):
            out[key] = value.isoformat()
        elif isinstance(value, dict):
            out[key] = {k: (v.isoformat() if isinstance(v, kinds) else v) for k, v in value.items()}
    return out


@settings(max_examples=examples(300), deadline=None)
@given(variants())
def test_stored_values_have_every_date_as_text(payload):
    for loaded in loads(payload):
        if loaded is not None:
            stored = to_storable(loaded)
            assert stored == every_date_as_text(loaded)
            assert not [v for v in stored.values() if isinstance(v, (datetime.date, dict))
                        and (isinstance(v, datetime.date) or any(
                            isinstance(x, datetime.date) for x in v.values()))]


@pytest.mark.parametrize("payload", ["not an object", [], None, 3])
def test_bodies_that_are_not_objects_go_to_marshmallow(payload):
    assert loads(payload) == (None, None)


def old_work_category(value, categories):
    """What berjasa.checks.work_category answered before it kept a folded list."""
    if not isinstance(value, str):
        return None
    wanted = value.strip().casefold()
    return next((c for c in categories if c.casefold() == wanted), None)


CATEGORY_LISTS = [list(SETTINGS["work_categories"]), ["Nelayan", "NELAYAN", "ß", "ss", " x "],
                  []]


@settings(max_examples=examples(300), deadline=None)
@given(st.sampled_from(CATEGORY_LISTS), st.one_of(
    st.sampled_from([c for cats in CATEGORY_LISTS for c in cats]).map(
        lambda c: st.sampled_from([c, c.upper(), c.lower(), f"  {c}\n", c + "x"])).flatmap(
        lambda s: s), st.text(max_size=12), st.none(), st.integers()))
def test_work_category_answers_as_the_scan_of_the_list(categories, value):
    assert work_category(value, {"work_categories": categories}) == old_work_category(
        value, categories)


def test_work_category_of_a_list_with_other_types_still_scans_it():
    assert work_category("nelayan", {"work_categories": ["Nelayan", 3]}) == "Nelayan"
    with pytest.raises(AttributeError):
        work_category("x", {"work_categories": ["Nelayan", 3]})


uuid_texts = st.one_of(
    st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()), st.uuids().map(lambda u: u.hex),
    st.uuids().map(lambda u: f"{{{u}}}"), st.uuids().map(lambda u: f"urn:uuid:{u}"),
    st.uuids().map(lambda u: f" {u}"), st.uuids().map(lambda u: str(u)[:-1] + "g"),
    st.text(max_size=40), st.binary(min_size=16, max_size=16), st.integers(), st.none())
date_texts = st.one_of(
    st.dates().map(str), st.datetimes().map(str), st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat().replace("+00:00", "Z")),
    st.dates().map(lambda d: d.strftime("%Y%m%d")), st.text(max_size=30))
numbers = st.one_of(st.integers(), st.floats(), st.booleans(), st.text(max_size=8), st.none(),
                    st.integers(-10**400, 10**400), st.lists(st.integers(), max_size=2))


def plain(field):
    """The plain marshmallow field a fast one stands for (same messages and options)."""
    kind = {"ClientId": fields.UUID, "IsoDate": fields.Date, "AwareIsoDateTime": fields.AwareDateTime,
            "StrictInteger": fields.Integer, "StrictFloat": fields.Float}[type(field).__name__]
    options = {"required": True, "allow_none": field.allow_none, "validate": field.validators,
               "error_messages": field.error_messages}
    return kind(**options, **({"strict": True} if kind is fields.Integer else {}))


def outcome(field, value):
    try:
        return ("ok", type(loaded := field.deserialize(value)), str(loaded))
    except ValidationError as exc:
        return ("refused", exc.messages)


def strict_outcome(field, value):
    """A Strict* field: its own checks first, then its base's (what it did before);
    None is the field's null check either way."""
    if value is not None and (isinstance(value, bool) or (
            type(field).__name__ == "StrictFloat" and not isinstance(value, (int, float)))):
        return ("refused", [field.error_messages["invalid"]])
    return outcome(plain(field), value)


@settings(max_examples=examples(500), deadline=None)
@given(st.sampled_from(["id", "birth_date", "captured_at", "consent.at", "monthly_income",
                        "location.lat", "location.accuracy_m"]), st.data())
def test_fast_fields_load_as_the_marshmallow_fields_they_stand_for(path, data):
    field = SCHEMA.fields[path] if "." not in path else SCHEMA.fields[
        path.split(".")[0]].schema.fields[path.split(".")[1]]
    value = data.draw({"id": uuid_texts, "birth_date": date_texts, "captured_at": date_texts,
                       "consent.at": date_texts}.get(path, numbers))
    name = type(field).__name__
    expected = strict_outcome(field, value) if name.startswith("Strict") else outcome(plain(field), value)
    if name == "ClientId" and expected[0] == "ok":
        expected = ("ok", str, expected[2])  # stored as text (normalised: str(uuid))
        got = outcome(field, value)
        assert (got[0], got[2]) == (expected[0], expected[2])
        return
    assert outcome(field, value) == expected
