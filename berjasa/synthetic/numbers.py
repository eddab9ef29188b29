"""NIK and KK numbers for synthetic people: built from a birth (or issue) date,
sex, region and serial so that they pass :mod:`berjasa.identity`'s checks. For the
generator, the demo and tests; the rules themselves never make numbers."""

from __future__ import annotations

import datetime

_DIGITS = frozenset("0123456789")
_SEXES = frozenset("LP")


def _region_digits(region: str) -> str:
    """Six region digits from "737101" or "73.71.01"."""
    digits = str(region).replace(".", "")
    if len(digits) != 6 or not set(digits) <= _DIGITS:
        raise ValueError(f"region must be six digits, got {region!r}")
    return digits


def _serial_digits(serial: int) -> str:
    """Four serial digits; 0 is allowed so tests can build a bad number."""
    if not 0 <= serial <= 9999:
        raise ValueError("serial must be 0..9999")
    return f"{serial:04d}"


def make_nik(birth_date: datetime.date, sex: str, region: str = "737101",
             serial: int = 1) -> str:
    """Build the NIK of someone born on ``birth_date`` (for demo data and tests)."""
    if sex not in _SEXES:
        raise ValueError("sex must be 'L' or 'P'")
    day = birth_date.day + (40 if sex == "P" else 0)
    return (f"{_region_digits(region)}{day:02d}{birth_date.month:02d}"
            f"{birth_date.year % 100:02d}{_serial_digits(serial)}")


def make_kk(issue_date: datetime.date, region: str = "737101", serial: int = 1) -> str:
    """Build a KK number issued on ``issue_date`` (for demo data and tests)."""
    return f"{_region_digits(region)}{issue_date:%d%m%y}{_serial_digits(serial)}"


def born_on(record: dict, birth_date: str) -> dict:
    """``record`` of someone born on ``birth_date``: its NIK's date digits follow (the
    intake, at the kelurahan and again at central, checks them against the birth date)."""
    born = datetime.date.fromisoformat(birth_date)
    nik = make_nik(born, record["sex"], region=record["nik"][:6], serial=int(record["nik"][12:]))
    return {**record, "birth_date": birth_date, "nik": nik}


def same_nik(record: dict, holder: dict) -> dict:
    """``record`` carrying ``holder``'s NIK, with the birth date and sex it encodes."""
    return {**record, "nik": holder["nik"], "birth_date": holder["birth_date"], "sex": holder["sex"]}
