"""Makassar time (WITA: UTC+8, no daylight saving) and Indonesian dates for what
people read.

Times are stored and exchanged as ISO-8601 UTC everywhere (records, audit entries,
batches, exports' data columns). The people of the program all work in WITA, the
kelurahan offices and the city office alike, so pages show times in WITA, and the
program's local rules (Dukcapil's access hours) count in it."""

from __future__ import annotations

import datetime as dt
from typing import Any

WITA = dt.timezone(dt.timedelta(hours=8), "WITA")


def wita(moment: Any, seconds: bool = False, zone: bool = True) -> str:
    """An ISO-8601 time (UTC when it names no offset) as "25-11-2025 14:03 WITA", or
    with ``seconds`` "25-11-2025 14:03:09 WITA" (without " WITA" when not ``zone``:
    a column whose heading says it); "" for nothing, and the value as text when it
    is not a time (a page never fails on one odd value)."""
    shape = ("%d-%m-%Y %H:%M:%S" if seconds else "%d-%m-%Y %H:%M") + (" WITA" if zone else "")
    return _in_wita(moment, shape)


def wita_column(moment: Any) -> str:
    """A stored UTC time as a spreadsheet column named ``..._wita`` holds it:
    "2026-11-26 04:30:09" in Makassar time (a form every spreadsheet reads as a date
    and time, whatever its locale; the column's name says the zone), "" for nothing."""
    return _in_wita(moment, "%Y-%m-%d %H:%M:%S")


def file_stamp(moment: Any) -> str:
    """A stored UTC time as a file name carries it: "2026-11-26-1230" in Makassar time
    (names sort as the moments do; no ":", which Windows refuses in a file name)."""
    return _in_wita(moment, "%Y-%m-%d-%H%M")


def _in_wita(moment: Any, shape: str) -> str:
    """``moment`` (ISO-8601, UTC when it names no offset) in WITA as ``shape`` says;
    "" for nothing, the value as text when it is not a time."""
    if not moment:
        return ""
    try:
        parsed = dt.datetime.fromisoformat(str(moment))
    except ValueError:
        return str(moment)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(WITA).strftime(shape)


def tanggal(value: Any) -> str:
    """A date "1990-03-07" as people in Indonesia write it, "07-03-1990"; "" for
    nothing and the value as text when it is not a date."""
    try:
        return dt.date.fromisoformat(str(value)).strftime("%d-%m-%Y")
    except ValueError:
        return "" if value is None else str(value)


def day_start_utc(day: dt.date) -> str:
    """The UTC moment a Makassar day begins, as text that compares with stored UTC
    stamps ("...+00:00", with or without microseconds) as the moments do:
    2026-11-26 -> "2026-11-25T16:00:00" (a stamp of that very second sorts after it).
    So ``day_start_utc(d) <= at < day_start_utc(d + 1 day)`` holds exactly the
    stamps a page shows on day ``d``."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=WITA)
    return start.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds")


def today() -> dt.date:
    """Today's date in Makassar: the program's day (ages, months, the rules in force)
    whatever time zone the machine's clock is set to; from 16:00 UTC it is
    already tomorrow's UTC date."""
    return dt.datetime.now(WITA).date()
