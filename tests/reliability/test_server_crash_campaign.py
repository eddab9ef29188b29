"""Crash campaign for the kelurahan server (issue 13): SIGKILL at random moments
(not only right after a response) while several clients send records at once.
After every kill: ``PRAGMA integrity_check``, the audit chain and its seals
verify, every acknowledged record is held exactly once, and a client resending
what it never saw acknowledged (same id, same content) gets 200/201, never a
duplicate. 8 kills by default (CI), 50 with ``--slow``; the figures are printed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from berjasa.database import connect
from berjasa.processes import start_server
from berjasa.synthetic import EnrollmentFaker
from server.storage.audit import verify_chain
from tests.helpers import PASSWORD, berjasa, free_port

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
CLIENTS = 4


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    berjasa("init", "--kelurahan", "73.71.01.1001", data_dir=tmp_path, check=True)
    for name in ("ani", "budi"):
        berjasa("user", "add", name, "--role", "enumerator", "--password-stdin",
                stdin=PASSWORD + "\n", data_dir=tmp_path, check=True)
    return tmp_path


def _client(base: str, user: str, token: str, faker: EnrollmentFaker, lock: threading.Lock,
            acknowledged: dict, unanswered: dict, stop: threading.Event, rng: random.Random,
            progress: threading.Event):
    """Send singles and small batches until the server dies; note what was answered."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    while not stop.is_set():
        with lock:
            items = [faker.enrollment() for _ in range(rng.choice([1, 1, 5, 20]))]
        for item in items:
            with lock:
                unanswered[item["id"]] = (user, item)
        try:
            if len(items) == 1:
                answer = session.post(f"{base}/api/v1/enrollments", json=items[0], timeout=10)
                results = [{"id": items[0]["id"], "status": answer.status_code}]
            else:
                answer = session.post(f"{base}/api/v1/enrollments:batch",
                                      json={"enrollments": items}, timeout=20)
                results = answer.json()["results"] if answer.status_code == 200 else []
        except (requests.RequestException, ValueError):
            return  # the server is gone: whatever was not answered stays unanswered
        with lock:
            for result in results:
                if result["status"] in (200, 201):
                    acknowledged[result["id"]] = unanswered.pop(result["id"])
                    progress.set()


def _check_folder(folder: Path, acknowledged: dict) -> dict:
    conn = connect(folder / "kelurahan.db")
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        _, broken = verify_chain(conn)
        rows = conn.execute("SELECT id, nik FROM enrollments").fetchall()
    finally:
        conn.close()
    ids = [row[0] for row in rows]
    niks = [row[1] for row in rows]
    return {"integrity": integrity, "audit_broken": broken,
            "lost": sorted(set(acknowledged) - set(ids)),
            "doubled_ids": len(ids) - len(set(ids)), "doubled_niks": len(niks) - len(set(niks))}


def _resend(base: str, tokens: dict, unanswered: dict, acknowledged: dict, round_no: int,
            failures: list) -> None:
    """What was sent but never answered, resent after the restart with the same id
    and content: 201 (was not stored) or 200 (was stored), never 409."""
    for user, item in list(unanswered.values()):
        answer = requests.post(f"{base}/api/v1/enrollments", json=item, timeout=30,
                               headers={"Authorization": f"Bearer {tokens[user]}"})
        if answer.status_code not in (200, 201):
            failures.append((round_no, {"resend": item["id"], "status": answer.status_code,
                                        "body": answer.text[:200]}))
        else:
            acknowledged[item["id"]] = (user, item)
    unanswered.clear()


def _start(folder: Path) -> tuple[subprocess.Popen, str, dict]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(["serve", "--port", str(port), "--data-dir", str(folder)], base,
                          timeout=120, stderr=subprocess.DEVNULL)
    tokens = {user: requests.post(f"{base}/api/v1/auth/token", json={
        "username": user, "password": PASSWORD}, timeout=60).json()["token"]
        for user in ("ani", "budi")}
    return server, base, tokens


@pytest.mark.timeout(3600)
def test_random_sigkills_under_concurrent_intake(folder, request):
    kills = 50 if request.config.getoption("--slow") else 8
    rng = random.Random(1313)
    faker = EnrollmentFaker("73.71.01.1001", seed=13)
    lock = threading.Lock()
    acknowledged: dict = {}
    unanswered: dict = {}
    failures: list = []
    landed = 0
    for round_no in range(kills):
        server, base, tokens = _start(folder)
        _resend(base, tokens, unanswered, acknowledged, round_no, failures)
        stop, progress = threading.Event(), threading.Event()
        threads = [threading.Thread(target=_client, daemon=True, args=(
            base, ("ani", "budi")[i % 2], tokens[("ani", "budi")[i % 2]], faker, lock,
            acknowledged, unanswered, stop, random.Random(rng.random()), progress))
            for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        progress.wait(60)  # the clients are writing...
        time.sleep(rng.uniform(0.0, 1.0))  # ...then a random moment: mid-request, mid-commit
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        landed += server.returncode == -signal.SIGKILL
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        report = _check_folder(folder, acknowledged)
        if report["integrity"] != "ok" or report["audit_broken"] or report["lost"] \
                or report["doubled_ids"] or report["doubled_niks"]:
            failures.append((round_no, report))
    server, base, tokens = _start(folder)
    try:
        _resend(base, tokens, unanswered, acknowledged, kills, failures)
    finally:
        server.kill()
        server.wait(timeout=30)
    final = _check_folder(folder, acknowledged)
    print(f"\nkelurahan server crash campaign: {landed} SIGKILLs landed of {kills}, "
          f"{len(acknowledged)} records acknowledged, integrity failures "
          f"{sum(1 for _, r in failures if r.get('integrity', 'ok') != 'ok')}, "
          f"lost {len(final['lost'])}, doubled {final['doubled_ids'] + final['doubled_niks']}")
    assert failures == [], failures[:3]
    assert final["integrity"] == "ok" and not final["audit_broken"] and not final["lost"]
    assert landed == kills and len(acknowledged) > kills
