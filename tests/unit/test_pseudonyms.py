"""Keyed pseudonyms (berjasa/pseudonyms.py): an erased NIK cannot be found back
without the data folder's key, even by brute force over the small space a NIK
lives in once region and birth year are known; with the key it can (which is
why the key never leaves the data folder except in an encrypted backup)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import threading

import pytest

from berjasa import pseudonyms
from berjasa.synthetic import make_nik

REGION = "737101"


def candidates(year: int):
    """Every NIK of someone born in ``year`` in one kecamatan with a serial up to
    20: the space a guesser searches knowing the region and the birth year."""
    day = dt.date(year, 1, 1)
    while day.year == year:
        for sex in "LP":
            for serial in range(1, 21):
                yield make_nik(day, sex, REGION, serial)
        day += dt.timedelta(days=1)


def test_pseudonym_is_keyed_stable_and_not_a_plain_hash(tmp_path):
    key = pseudonyms.load_key(tmp_path)
    assert len(key) == 32 and pseudonyms.load_key(tmp_path) == key
    if os.name == "posix":
        assert (tmp_path / "privacy.key").stat().st_mode & 0o077 == 0
    nik = make_nik(dt.date(1984, 3, 7), "P", REGION, 12)
    alias = pseudonyms.pseudonym(key, nik)
    assert alias == pseudonyms.pseudonym(key, nik) and alias.startswith("p1:")
    assert nik not in alias and hashlib.sha256(nik.encode()).hexdigest()[:24] not in alias
    other_folder = tmp_path / "other"
    other_folder.mkdir()
    assert pseudonyms.pseudonym(pseudonyms.load_key(other_folder), nik) != alias


def test_brute_force_finds_the_nik_with_the_key_and_not_without(tmp_path):
    key = pseudonyms.load_key(tmp_path)
    nik = make_nik(dt.date(1984, 3, 7), "P", REGION, 12)
    alias = pseudonyms.pseudonym(key, nik)
    space = list(candidates(1984))
    assert len(space) > 14_000 and nik in space
    # with the key: found at once
    assert [c for c in space if pseudonyms.pseudonym(key, c) == alias] == [nik]
    # without it: the old unsalted scheme and every guessable key find nothing
    old = [c for c in space if "erased:" + hashlib.sha256(c.encode()).hexdigest()[:24] == alias]
    assert old == []
    guesses = [b"", b"\x00" * 32, REGION.encode(), hashlib.sha256(b"berjasa").digest()]
    for guess in guesses:
        assert not any(pseudonyms.pseudonym(guess, c) == alias for c in space[:5000])
    wrong = os.urandom(32)
    assert not any(pseudonyms.pseudonym(wrong, c) == alias for c in space)


def test_value_tags_depend_on_entry_field_and_key(tmp_path):
    key = pseudonyms.load_key(tmp_path)
    tag = pseudonyms.value_tag(key, 7, "address", "Jl. Somba Opu No. 5")
    assert tag.startswith("h1:") and "Somba" not in tag
    assert pseudonyms.value_tag(key, 8, "address", "Jl. Somba Opu No. 5") != tag
    assert pseudonyms.value_tag(key, 7, "notes", "Jl. Somba Opu No. 5") != tag
    assert pseudonyms.value_tag(os.urandom(32), 7, "address", "Jl. Somba Opu No. 5") != tag
    assert pseudonyms.value_tag(key, 7, "address", None) is None


def test_key_for_a_connection_is_its_folders_key(tmp_path):
    from berjasa.database import connect

    (tmp_path / "other").mkdir()
    plain, ours = sqlite3.connect(tmp_path / "kelurahan.db"), connect(tmp_path / "other" / "x.db")
    try:
        assert pseudonyms.key_for_connection(plain) == pseudonyms.load_key(tmp_path)
        # berjasa's connection names its file as SQLite does, so no PRAGMA is needed
        assert ours.database_file == ours.execute("PRAGMA database_list").fetchone()[2]
        assert pseudonyms.key_for_connection(ours) == pseudonyms.load_key(tmp_path / "other")
        assert pseudonyms.load_key(tmp_path) != pseudonyms.load_key(tmp_path / "other")
    finally:
        plain.close()
        ours.close()


@pytest.mark.parametrize("bad", ["", "xyz"])
def test_a_damaged_key_file_is_an_error_not_a_new_key(tmp_path, bad, monkeypatch):
    monkeypatch.setattr(pseudonyms, "KEY_WRITE_WAIT_SECONDS", 0.06)  # not the second's wait
    (tmp_path / "privacy.key").write_text(bad)
    with pytest.raises(ValueError):
        pseudonyms.load_key(tmp_path)


def test_a_key_file_still_being_written_is_waited_for(tmp_path):
    """Another process created the file and writes the key a moment later."""
    path = tmp_path / "privacy.key"
    path.write_text("")
    key = "ab" * 32
    writer = threading.Timer(0.1, path.write_text, (key + "\n",))
    writer.start()
    try:
        assert pseudonyms.load_key(tmp_path) == bytes.fromhex(key)
    finally:
        writer.join()
