"""berjasa.local_time: stored UTC times shown as Makassar time (WITA, UTC+8)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from berjasa.local_time import WITA, day_start_utc, today, wita


def test_a_utc_time_late_in_the_day_is_the_next_morning_in_makassar():
    assert wita("2026-11-25T20:30:09+00:00") == "26-11-2026 04:30 WITA"
    assert wita("2026-11-25T20:30:09+00:00", seconds=True) == "26-11-2026 04:30:09 WITA"
    assert wita("2026-11-25T20:30:09+00:00", seconds=True, zone=False) == "26-11-2026 04:30:09"


def test_a_time_without_an_offset_is_taken_as_utc_and_other_offsets_are_converted():
    assert wita("2026-11-25T00:00:00") == "25-11-2026 08:00 WITA"
    assert wita("2026-11-25T09:00:00+07:00") == "25-11-2026 10:00 WITA"  # WIB
    assert wita("2026-11-25T10:00:00+08:00") == "25-11-2026 10:00 WITA"
    assert wita(dt.datetime(2026, 1, 1, 16, 0, tzinfo=dt.timezone.utc)) == "02-01-2026 00:00 WITA"


def test_nothing_shows_as_nothing_and_an_odd_value_as_itself():
    assert wita(None) == "" and wita("") == ""
    assert wita("belum pernah") == "belum pernah"
    assert wita("2026-13-45T99:00:00") == "2026-13-45T99:00:00"


@given(st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(9998, 12, 30),
                    timezones=st.just(dt.timezone.utc)))
def test_the_text_read_back_as_wita_is_the_same_moment_to_the_second(moment):
    shown = wita(moment.isoformat(), seconds=True)
    read = dt.datetime.strptime(shown, "%d-%m-%Y %H:%M:%S WITA").replace(tzinfo=WITA)
    assert read == moment.replace(microsecond=0)


def test_a_makassar_day_begins_at_four_in_the_afternoon_utc_the_day_before():
    assert day_start_utc(dt.date(2026, 11, 26)) == "2026-11-25T16:00:00"
    assert day_start_utc(dt.date(2026, 1, 1)) == "2025-12-31T16:00:00"
    # and it sorts against stored stamps (+00:00, with or without microseconds) as
    # the moments do
    start = day_start_utc(dt.date(2026, 11, 26))
    assert "2026-11-25T15:59:59.999999+00:00" < start < "2026-11-25T16:00:00.000000+00:00"
    assert "2026-11-25T15:59:59+00:00" < start < "2026-11-25T16:00:00+00:00"


def test_today_is_the_makassar_date_eight_hours_ahead_of_utc():
    before = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=8)).date()
    found = today()
    after = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=8)).date()
    assert found in (before, after)


@given(st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(9998, 12, 30),
                    timezones=st.just(dt.timezone.utc)), st.sampled_from(["seconds", "microseconds"]))
def test_a_stored_stamp_falls_in_the_range_of_the_day_a_page_shows_it_on(moment, timespec):
    stamp = moment.isoformat(timespec=timespec)  # as stored: "+00:00", either precision
    shown_day = dt.datetime.strptime(wita(stamp, seconds=True), "%d-%m-%Y %H:%M:%S WITA").date()
    for day in (shown_day - dt.timedelta(days=1), shown_day, shown_day + dt.timedelta(days=1)):
        inside = day_start_utc(day) <= stamp < day_start_utc(day + dt.timedelta(days=1))
        assert inside == (day == shown_day), (stamp, day)
