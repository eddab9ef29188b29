"""cli: `berjasa privacy erase NIK --reason` and `privacy export NIK --reason` refuse a
reason that names the person (the NIK in any spelling, any 16-digit number, a name
of the record): the trail would keep it for good (h2's report, item 3). One line,
exit non-zero, and nothing changed: the record is still there and the trail has no
entry with the text."""

from __future__ import annotations

import sqlite3

import pytest

from berjasa.database import connect
from berjasa.settings import load_settings
from server import intake
from server.storage.audit import Actor
from tests.helpers import berjasa


@pytest.fixture
def person(data_dir, records):
    conn = connect(data_dir / "kelurahan.db")
    record = {**records.enrollment(), "full_name": "Cawisono Prakasa",
              "mother_name": "Hj. St. Aminah"}
    intake.create_enrollment(conn, record, Actor("enumerator", "enumerator"),
                             load_settings(data_dir))
    conn.close()
    return record


def spaced(nik: str) -> str:
    return " ".join(nik[i:i + 4] for i in range(0, 16, 4))


@pytest.mark.parametrize("command", ["erase", "export"])
@pytest.mark.parametrize("reason, said", [
    ("Permohonan hapus dari {name} NIK {nik}", "NIK orang yang dihapus"),
    ("Surat 12/XI/2026 NIK {spaced}", "NIK orang yang dihapus"),
    ("Surat 12/XI/2026 NIK {dotted}", "NIK orang yang dihapus"),
    ("Surat 12/XI/2026 KK 7371 0101 0101 0001", "15 angka"),
    ("Permohonan {name}", "nama orang itu"),
    ("Permohonan sdr. PRAKASA", "nama orang itu (\u201cprakasa\u201d)"),
    ("Surat 12/XI/2026, ibu kandung Aminah", "nama ibu kandung"),
])
def test_a_reason_naming_the_person_is_refused_and_nothing_is_written(
        data_dir, person, command, reason, said):
    nik = person["nik"]
    text = reason.format(name=person["full_name"], nik=nik, spaced=spaced(nik),
                         dotted=".".join(nik[i:i + 4] for i in range(0, 16, 4)))
    before = _trail(data_dir)
    done = berjasa("privacy", command, spaced(nik), "--reason", text, "--data-dir", str(data_dir))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("Galat: Alasan (--reason) memuat") and said in line, line
    assert "nomor surat" in line and nik not in line
    assert _trail(data_dir) == before  # no entry, no erasure
    conn = sqlite3.connect(data_dir / "kelurahan.db")
    assert conn.execute("SELECT count(*) FROM enrollments WHERE nik = ?", (nik,)).fetchone()[0] == 1
    conn.close()


def test_a_letter_number_erases_and_the_trail_keeps_only_it(data_dir, person):
    nik = person["nik"]
    exported = berjasa("privacy", "export", nik, "--reason", "Surat 11/XI/2026", "--json",
                       "--data-dir", str(data_dir))
    assert exported.returncode == 0, exported.stderr
    done = berjasa("privacy", "erase", spaced(nik), "--reason", "Surat 12/XI/2026",
                   "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr
    reasons = [row[0] for row in _trail(data_dir) if row[1] in ("privacy.erase", "privacy.export")]
    assert reasons == ["Surat 11/XI/2026", "Surat 12/XI/2026"]
    raw = b"".join(p.read_bytes() for p in data_dir.glob("kelurahan.db*"))
    assert nik.encode() not in raw and b"Prakasa" not in raw


def _trail(folder):
    conn = sqlite3.connect(folder / "kelurahan.db")
    try:
        return conn.execute("SELECT reason, action FROM audit_log ORDER BY seq").fetchall()
    finally:
        conn.close()
