"""reliability: a record acknowledged with 201 survives SIGKILL of the server
right after the response (WAL + synchronous=FULL, acknowledge after commit)."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from berjasa.synthetic import EnrollmentFaker

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
BERJASA = [sys.executable, "-m", "berjasa"]
PASSWORD = "rahasia-panjang"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(data_dir: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen([*BERJASA, "serve", "--port", str(port), "--data-dir",
                                str(data_dir)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("server did not start")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    subprocess.run([*BERJASA, "init", "--kelurahan", "73.71.01.1001", "--data-dir",
                    str(tmp_path)], check=True, capture_output=True)
    subprocess.run([*BERJASA, "user", "add", "ani", "--role", "enumerator", "--password-stdin",
                    "--data-dir", str(tmp_path)], input=PASSWORD + "\n", text=True, check=True,
                   capture_output=True)
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
        some = sorted(acknowledged)[0]
        answer = requests.get(f"http://127.0.0.1:{port}/api/v1/enrollments/{some}",
                              headers={"Authorization": f"Bearer {token['token']}"}, timeout=10)
        assert answer.status_code == 200
    finally:
        server.kill()
        server.wait(timeout=10)
