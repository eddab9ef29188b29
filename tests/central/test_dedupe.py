"""central.dedupe: the likely-duplicate matcher (plain functions)."""

from __future__ import annotations

import pytest

from central.dedupe import likely_duplicates, match_reason, name_key, names_similar


@pytest.mark.parametrize("a, b", [
    ("Muh. Ali", "Muhammad Ali"),
    ("MOH. ALI", "muhammad  ali"),
    ("Hj. Sitti Aminah", "St. Aminah"),
    ("H. Abd. Rahman", "Abdul Rahman"),
    ("Andi Baso Daeng Ngalle", "Andi Baso Dg. Ngalle"),
    ("Nurhayati, S.Pd.", "Nurhayati"),
    ("José", "Jose"),
    ("Ridwan Tompo", "Tompo Ridwan"),
    ("Syamsuddin", "Syamsudin"),
])
def test_similar_names(a, b):
    assert names_similar(a, b)


@pytest.mark.parametrize("a, b", [
    ("Muhammad Ali", "Muhammad Arif"),
    ("Sitti Aminah", "Sitti Rahmah"),
    ("Baso", "Basri"),
    ("", "Baso"),
])
def test_different_names(a, b):
    assert not names_similar(a, b)


def test_name_key_keeps_lontara_letters():
    assert name_key("ᨅᨔᨚ") == "ᨅᨔᨚ"


def _record(**fields):
    base = {"nik": "7371014101900001", "kk_number": "7371010101200001", "full_name": "Muh. Ali",
            "birth_date": "1990-01-01", "kelurahan_code": "73.71.01.1001"}
    return {**base, **fields}


def test_same_kk_and_birth_date_matches():
    assert match_reason(_record(), _record(full_name="Lain Sekali")) == "same_kk_birth_date"


def test_other_birth_date_never_matches():
    assert match_reason(_record(), _record(birth_date="1990-01-02")) is None


def test_likely_duplicates_skips_itself_and_same_nik_but_not_same_kelurahan():
    """h1 review #8: one person recorded twice in one kelurahan under two NIKs is a
    likely duplicate too (central compares city-wide, its own kelurahan included)."""
    record = {**_record(), "central_id": 7}
    candidates = [
        _record(nik="7371014101900002"),                                     # same kelurahan
        _record(nik="7371014101900001", kelurahan_code="73.71.02.1001"),     # same NIK
        {**_record(nik="7371014101900009"), "central_id": 7},                # itself
        _record(nik="7371014101900003", kelurahan_code="73.71.02.1001", kk_number="x",
                full_name="Muhammad Ali"),
    ]
    found = likely_duplicates(record, candidates)
    assert [(o["nik"], why) for o, why in found] == [("7371014101900002", "same_kk_birth_date"),
                                                     ("7371014101900003", "similar_name_birth_date")]
