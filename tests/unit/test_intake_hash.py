"""unit: server.intake.content_hash — the replay hash is the one earlier versions
stored (sha256 of the standard library's compact, key-sorted JSON of the client
fields), so a retry of a record received before an upgrade is still a retry."""

from __future__ import annotations

import hashlib
import json

import pytest

from berjasa.settings import load_settings
from berjasa.synthetic import EnrollmentFaker
from server import intake
from server.storage.enrollments import CLIENT_FIELDS

SETTINGS = load_settings(None)
RECORDS = [EnrollmentFaker("73.71.01.1001", seed=seed).enrollment() for seed in range(30)]


def stored_before(values: dict) -> str:
    content = {k: values.get(k) for k in CLIENT_FIELDS}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("record", RECORDS)
def test_a_loaded_record_hashes_as_before(record):
    values = intake.to_storable(intake.load_enrollment(record, SETTINGS))
    assert intake.content_hash(values) == stored_before(values)


def test_missing_and_extra_keys_hash_as_before():
    values = intake.to_storable(intake.load_enrollment(RECORDS[0], SETTINGS))
    fewer = {k: v for k, v in values.items() if k not in ("notes", "location")}
    more = {**values, "status": "submitted", "version": 3}
    odd = {**values, "location": {"lat": 1e-05, "lon": 1e16, "accuracy_m": 0.5}, "notes": "é\ud800"}
    for variant in (fewer, more):
        assert intake.content_hash(variant) == stored_before(variant)
    with pytest.raises(UnicodeEncodeError):  # as before: a lone surrogate never hashes
        stored_before(odd)
    with pytest.raises(UnicodeEncodeError):
        intake.content_hash(odd)
    odd["notes"] = "é"
    assert intake.content_hash(odd) == stored_before(odd)


@pytest.mark.parametrize(("field", "value"), [
    ("rt", 1.5), ("rt", 1e-05), ("notes", {"b": 1e16, "a": [2, None]}), ("phone", [1, 2]),
    ("monthly_income", 2 ** 70), ("monthly_income", 1.0), ("disability", {"kinds": (1e-07,)}),
    ("consent", {"at": "2026-11-26T10:00:00+08:00", "given": True, "n": float("nan")}),
    ("location", None), ("sex", True)])
def test_any_value_in_any_field_hashes_as_before(field, value):
    """content_hash checks the fields that load as text in one pass and walks only
    the objects: a value of another type anywhere still hashes as before."""
    values = {**intake.to_storable(intake.load_enrollment(RECORDS[1], SETTINGS)), field: value}
    assert intake.content_hash(values) == stored_before(values)
