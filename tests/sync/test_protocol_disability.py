"""sync.protocol: the optional ``disability`` field travels without breaking version 1."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from berjasa.synthetic import approved_records
from sync import protocol
from sync.protocol_auth import generate_private_key
from tests.helpers import examples

KEY = generate_private_key()
KINDS = ["seeing", "hearing", "walking", "cognition", "self_care", "communication"]
disability = st.none() | st.fixed_dictionaries({
    "has_disability": st.booleans(), "kinds": st.lists(st.sampled_from(KINDS), unique=True)})


def _round_trip(batch):
    body, headers = protocol.encode_batch(batch, KEY)
    return protocol.decode_batch(body, headers, lambda _: KEY.public_key())


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(disability, min_size=1, max_size=6))
def test_disability_round_trips_and_the_hash_holds(values):
    records = approved_records(len(values), "73.71.01.1001")
    rows = [{**r, "disability": v} for r, v in zip(records, values)]
    batch = protocol.new_batch("dev-1", "73.71.01.1001", rows)
    decoded = _round_trip(batch)
    assert decoded.records == batch.records  # decode_batch checked the content hash too
    for record, value in zip(decoded.records, values):
        assert record.get("disability") == value


def test_a_batch_without_disability_is_version_1_as_before():
    records = [{**r, "disability": None} for r in approved_records(3, "73.71.01.1001")]
    batch = protocol.new_batch("dev-1", "73.71.01.1001", records)
    assert protocol.batch_fields(batch.records) == protocol.RECORD_FIELDS
    assert all("disability" not in r for r in _round_trip(batch).records)


def test_disability_held_as_json_text_in_a_row_is_parsed():
    row = {**approved_records(1, "73.71.01.1001")[0],
           "disability": '{"has_disability": true, "kinds": ["walking"]}'}
    assert protocol.record_from_row(row)["disability"] == {"has_disability": True, "kinds": ["walking"]}
