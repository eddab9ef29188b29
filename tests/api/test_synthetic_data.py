"""The one synthetic generator (berjasa.synthetic): every record it makes is one the
kelurahan API accepts (heir relation, work category, phones and all), and the same
seed gives the same records."""

from __future__ import annotations

import datetime as dt

from berjasa.synthetic import RELATIONS, EnrollmentFaker, approved_records
from tests.conftest import KELURAHAN

# What review adds at the kelurahan; a phone never sends these.
REVIEW_FIELDS = ("version", "enumerator", "reviewed_by", "reviewed_at")
START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _as_sent(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in REVIEW_FIELDS}


def test_every_generated_record_passes_the_kelurahan_api(api):
    faker = EnrollmentFaker(KELURAHAN, seed=21)
    payloads = [faker.enrollment() for _ in range(250)]
    payloads += [_as_sent(faker.approved()) for _ in range(250)]
    later = [_as_sent(r) for r in approved_records(400, KELURAHAN, seed=4)]
    assert {p["heir_relation"] for p in payloads + later} == set(RELATIONS)  # every relation tried
    client = api("enumerator")
    for items in (payloads, later):
        answer = client.post("/api/v1/enrollments:batch", json={"enrollments": items})
        assert answer.status_code == 200, answer.text
        refused = [r for r in answer.json()["results"] if r["status"] != 201]
        assert refused == [], refused[:3]


def test_the_same_seed_gives_the_same_records():
    assert approved_records(40, KELURAHAN, seed=3) == approved_records(40, KELURAHAN, seed=3)
    assert approved_records(40, KELURAHAN, seed=3) != approved_records(40, KELURAHAN, seed=4)
    one = EnrollmentFaker(KELURAHAN, seed=9, start=START)
    two = EnrollmentFaker(KELURAHAN, seed=9, start=START)
    assert [one.enrollment() for _ in range(20)] == [two.enrollment() for _ in range(20)]
    assert [one.approved() for _ in range(20)] == [two.approved() for _ in range(20)]


def test_two_kelurahan_with_one_seed_share_no_nik_or_id():
    first = approved_records(300, "73.71.01.1001", seed=1)
    second = approved_records(300, "73.71.02.1001", seed=1)
    assert not {r["nik"] for r in first} & {r["nik"] for r in second}
    assert not {r["id"] for r in first} & {r["id"] for r in second}
    assert len({r["nik"] for r in first}) == 300
