"""JSON answers carrying personal data are never cached, and deleted personal
data is zeroed in the SQLite file (issue 13 item 13)."""

from __future__ import annotations

import sqlite3

from berjasa.database import connect, transaction


def test_json_answers_with_personal_data_are_no_store(api, records):
    client = api("supervisor")
    created = client.post("/api/v1/enrollments", json=records.enrollment())
    assert created.status_code == 201
    answers = [created,
               client.get("/api/v1/enrollments"),
               client.get(f"/api/v1/enrollments?q={created.json()['nik']}"),
               client.get(f"/api/v1/enrollments/{created.json()['id']}"),
               client.post("/api/v1/enrollments", json={**records.enrollment(), "nik": "12"}),
               api().post("/api/v1/auth/token", json={"username": "x", "password": "y"})]
    for answer in answers:
        assert answer.headers["Content-Type"].startswith("application/"), answer.request.url
        assert answer.headers["Cache-Control"] == "no-store", (answer.request.url,
                                                               answer.status_code)


def _library_default_off(monkeypatch) -> None:
    """Open connections as a SQLite built without SECURE_DELETE does (python.org's
    Windows build; Debian's library turns it on by default, which would hide a
    connect() that forgot the pragma)."""
    opened = sqlite3.connect

    def plain(*args, **kwargs):
        conn = opened(*args, **kwargs)
        conn.execute("PRAGMA secure_delete=OFF")
        return conn

    monkeypatch.setattr(sqlite3, "connect", plain)


def test_kelurahan_connections_zero_deleted_content(tmp_path, monkeypatch):
    _library_default_off(monkeypatch)
    path = tmp_path / "k.db"
    conn = connect(path)
    assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    with transaction(conn):
        conn.executemany("INSERT INTO t (v) VALUES (?)", [(f"orang {i}",) for i in range(50)])
        conn.execute("INSERT INTO t (v) VALUES ('SITTI-RAHMAWATI-DAENG')")
        conn.executemany("INSERT INTO t (v) VALUES (?)", [(f"lain {i}",) for i in range(50)])
    with transaction(conn):
        conn.execute("DELETE FROM t WHERE v LIKE 'SITTI%'")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert b"SITTI-RAHMAWATI" not in path.read_bytes()
    monkeypatch.undo()
    assert sqlite3.connect(path).execute("SELECT count(*) FROM t").fetchone()[0] == 100
