"""cli: berjasa demo — central and two kelurahan, seeded, synced once (the demo
city of tests/cli/conftest.py, shared with test_demo_central.py)."""

from __future__ import annotations

import sqlite3

import pytest


@pytest.mark.slow
@pytest.mark.xdist_group("demo_city")
def test_demo_syncs_and_returns_the_cross_kelurahan_duplicate(demo_city):
    answer, tmp_path = demo_city.answer, demo_city.root
    assert "Registri pusat" in answer.stdout and "pengawas" in answer.stdout
    # the office's story needs central's data folder: the demo says where it is
    central = tmp_path / "demo" / "central"
    assert f"Data registri pusat: {central}" in answer.stdout
    assert f"--output pendaftaran.xlsx --data-dir {central}" in answer.stdout
    first = sqlite3.connect(tmp_path / "demo" / "kelurahan-73.71.01.1001" / "kelurahan.db")
    second = sqlite3.connect(tmp_path / "demo" / "kelurahan-73.71.13.1001" / "kelurahan.db")
    statuses_first = dict(first.execute("SELECT status, count(*) FROM enrollments GROUP BY 1"))
    statuses_second = dict(second.execute("SELECT status, count(*) FROM enrollments GROUP BY 1"))
    # one record whose name differs from DTSEN was sent back by a verifier (issue 10)
    assert "dikirim balik" in answer.stdout
    back = [db.execute("SELECT count(*) FROM enrollments WHERE status = 'needs_fix'"
                       " AND central_status = 'sent_back'").fetchone()[0] for db in (first, second)]
    assert sum(back) == 1, back
    assert statuses_first["synced"] + back[0] == 6 and statuses_first["submitted"] >= 6
    assert statuses_second["central_rejected"] == 1 and statuses_second["synced"] + back[1] == 5
    shared = second.execute("SELECT nik FROM enrollments WHERE status = 'central_rejected'"
                            ).fetchone()[0]
    assert first.execute("SELECT status FROM enrollments WHERE nik = ?", (shared,)).fetchone()[0] \
        == "synced"
    roles = dict(first.execute("SELECT username, role FROM users"))
    assert set(roles.values()) == {"enumerator", "supervisor", "admin", "auditor"}
