"""unit: berjasa.database.utc_now — the text datetime.now(timezone.utc).isoformat
(timespec="microseconds") gives, from the same clock, across second boundaries."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from berjasa import database
from berjasa.database import utc_now


def standard(ns: int) -> str:
    """What the standard library writes for the clock reading ``ns`` (floored to us)."""
    moment = datetime.fromtimestamp(ns // 1000 // 1_000_000, timezone.utc)
    return moment.replace(microsecond=ns // 1000 % 1_000_000).isoformat(timespec="microseconds")


@pytest.mark.parametrize("ns", [0, 999, 1_000_000_000_000_000_000, 1_764_143_999_999_999_999,
                                1_764_144_000_000_000_000, 1_764_144_000_000_001_500,
                                951_782_400_123_456_789, 4_102_444_799_999_999_000])
def test_the_same_text_as_the_standard_library(monkeypatch, ns):
    monkeypatch.setattr(database.time, "time_ns", lambda: ns)
    assert utc_now() == standard(ns)


def test_a_second_change_is_seen(monkeypatch):
    readings = iter([1_764_143_999_999_999_000, 1_764_144_000_000_000_000])
    monkeypatch.setattr(database.time, "time_ns", lambda: next(readings))
    assert utc_now() == "2025-11-26T07:59:59.999999+00:00"
    assert utc_now() == "2025-11-26T08:00:00.000000+00:00"


def test_now_is_now_and_sorts():
    before = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    now = utc_now()
    time.sleep(0.002)
    after = datetime.now(timezone.utc).isoformat(timespec="microseconds")
    assert before <= now <= after
    assert datetime.fromisoformat(now).utcoffset() == timedelta(0)
