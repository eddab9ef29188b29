"""duplicates: the matcher for possible duplicates inside the kelurahan."""

from __future__ import annotations

import pytest

from server.duplicates import find_duplicates, match_reasons, normalise_name, similar_names

BASE = {"id": "a", "nik": "7371014507900001", "kk_number": "7371010101100001",
        "full_name": "Muhammad Arif", "birth_date": "1990-07-05"}


@pytest.mark.parametrize("typed,folded", [
    ("Muh. Arif", "muhammad arif"),
    ("MOH.  ARIF", "muhammad arif"),
    ("Mohammad Arif", "muhammad arif"),
    ("Hj. St. Aminah", "sitti aminah"),
    ("H. Baso Dg. Ngalle", "baso daeng ngalle"),
    ("  andi   RÉSKI ", "andi reski"),
    ("Abd. Rahman", "abdul rahman"),
])
def test_normalise_name(typed, folded):
    assert normalise_name(typed) == folded


@pytest.mark.parametrize("first,second", [
    ("Muhammad Arif", "Muh. Arif"), ("Siti Aminah", "Hj. St. Aminah"),
    ("Nurhayati", "Nur Hayati"), ("Arif Muhammad", "Muhammad Arif"),
    ("Andi Suriani", "Andi Suryani"),
])
def test_similar_names(first, second):
    assert similar_names(first, second)


@pytest.mark.parametrize("first,second", [
    ("Andi Baso", "Andi Basri"), ("Muhammad Arif", "Muhammad Yusuf"), ("", "Arif"),
    ("Hj.", "H."),
])
def test_different_names(first, second):
    assert not similar_names(first, second)


def test_same_kk_and_birth_date():
    other = {**BASE, "id": "b", "nik": "7371014507900002", "full_name": "Rahmawati"}
    assert match_reasons(BASE, other) == ["same_kk_birth_date"]


def test_similar_name_needs_same_birth_date():
    other = {**BASE, "id": "b", "nik": "x", "kk_number": "y", "full_name": "Muh. Arif"}
    assert match_reasons(BASE, other) == ["similar_name_birth_date"]
    assert match_reasons(BASE, {**other, "birth_date": "1990-07-06"}) == []


def test_same_nik_and_ordering():
    by_name = {**BASE, "id": "c", "nik": "1", "kk_number": "2", "full_name": "MUH ARIF"}
    same_nik = {**BASE, "id": "d", "kk_number": "3", "full_name": "Lain", "birth_date": "1991-01-01"}
    found = find_duplicates(BASE, [by_name, same_nik, BASE])
    assert [d["id"] for d in found] == ["d", "c"]
    assert found[0]["reasons"] == ["same_nik"]


def test_no_candidates_no_duplicates():
    assert find_duplicates(BASE, []) == []
