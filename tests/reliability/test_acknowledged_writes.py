"""reliability: a record acknowledged with 201 survives SIGKILL of the server
right after the response (WAL + synchronous=FULL, acknowledge after commit)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from berjasa.processes import start_server
from berjasa.synthetic import EnrollmentFaker
from tests.helpers import PASSWORD, berjasa, free_port

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def serve(data_dir: Path, port: int) -> subprocess.Popen:
    return start_server(["serve", "--port", str(port), "--data-dir", str(data_dir)],
                        f"http://127.0.0.1:{port}", timeout=30, stderr=subprocess.DEVNULL)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    berjasa("init", "--kelurahan", "73.71.01.1001", data_dir=tmp_path, check=True)
    berjasa("user", "add", "ani", "--role", "enumerator", "--password-stdin",
            stdin=PASSWORD + "\n", data_dir=tmp_path, check=True)
    return tmp_path


def stored_ids(folder: Path) -> set[str]:
    conn = sqlite3.connect(folder / "kelurahan.db")
    ids = {row[0] for row in conn.execute("SELECT id FROM enrollments")}
    conn.close()
    return ids


def test_acknowledged_records_survive_sigkill(folder):
    faker = EnrollmentFaker("73.71.01.1001", seed=3)
    acknowledged: set[str] = set()
    for _ in range(5):
        port = free_port()
        server = serve(folder, port)
        token = requests.post(f"http://127.0.0.1:{port}/api/v1/auth/token",
                              json={"username": "ani", "password": PASSWORD}, timeout=10).json()
        headers = {"Authorization": f"Bearer {token['token']}"}
        single = faker.enrollment()
        answer = requests.post(f"http://127.0.0.1:{port}/api/v1/enrollments", json=single,
                               headers=headers, timeout=10)
        assert answer.status_code == 201
        acknowledged.add(single["id"])
        batch = [faker.enrollment() for _ in range(50)]
        answer = requests.post(f"http://127.0.0.1:{port}/api/v1/enrollments:batch",
                               json={"enrollments": batch}, headers=headers, timeout=30)
        os.kill(server.pid, signal.SIGKILL)  # right after the response
        server.wait(timeout=10)
        assert answer.status_code == 200
        acknowledged |= {r["id"] for r in answer.json()["results"] if r["status"] == 201}
        assert acknowledged <= stored_ids(folder)
    assert len(acknowledged) == 5 * 51
    # The server starts again on the same file and still serves every record.
    port = free_port()
    server = serve(folder, port)
    try:
        token = requests.post(f"http://127.0.0.1:{port}/api/v1/auth/token",
                              json={"username": "ani", "password": PASSWORD}, timeout=10).json()
        some = min(acknowledged)
        answer = requests.get(f"http://127.0.0.1:{port}/api/v1/enrollments/{some}",
                              headers={"Authorization": f"Bearer {token['token']}"}, timeout=10)
        assert answer.status_code == 200
    finally:
        server.kill()
        server.wait(timeout=10)
