"""The kelurahan half of ``bench/trail_bench.py --app kelurahan``: what checking the
values kept beside the trail costs (h2 report item 4; docs/audit-chain.md).

A kelurahan register with ``--records`` enrollments, each created by an enumerator
(one ``enrollment.create`` entry with every field's value beside it), approved by a
supervisor and marked synced (an ``enrollment.status`` entry each). Measured:
``verify_whole_chain`` (``berjasa audit verify``: the chain, the seals and, since
item 4, every held value against its tag), the auditor's ``GET /api/v1/audit`` page
of 100 entries with values, ``?verify=true`` once, ``audit export --with-values``
of the whole trail, and the review page ``GET /enrollments/<id>`` (its history).
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path
from typing import Any

import requests

from bench.page_session import signed_in_session
from berjasa.background_server import BackgroundServer
from berjasa.database import connect, transaction
from berjasa.settings import load_settings, read_app_config
from berjasa.synthetic import EnrollmentFaker
from server import accounts, intake, lifecycle, trail
from server.app import create_app
from server.install import init_kelurahan
from server.storage.audit import Actor

KELURAHAN = "73.71.01.1001"
PASSWORD = "bench-auditor-1"
CHUNK = 500


def populate(folder: Path, records: int) -> list[str]:
    """The register (see the module docstring); the record ids."""
    init_kelurahan(folder, KELURAHAN)
    settings = load_settings(folder)
    conn = connect(folder / "kelurahan.db")
    faker = EnrollmentFaker(KELURAHAN, seed=5)
    enumerator, supervisor = Actor("petugas01", "enumerator"), Actor("pengawas01", "supervisor")
    ids: list[str] = []
    try:
        for start in range(0, records, CHUNK):
            items = [faker.enrollment() for _ in range(min(CHUNK, records - start))]
            answers = intake.create_batch(conn, items, enumerator, settings)
            made = [a["id"] for a in answers if a["status"] == 201]
            with transaction(conn):  # one commit per chunk; each step a savepoint
                # a fifth sent back with a reason and fixed by the enumerator: the
                # values an auditor reads (reasons, old and new addresses and phones)
                for n, (record_id, item) in enumerate(zip(made, items)):
                    if n % 5:
                        continue
                    lifecycle.transition(conn, record_id, "needs_fix", supervisor,
                                         reason=f"Alamat kurang lengkap, cek KK ({n})")
                    intake.edit_enrollment(conn, record_id, {
                        "address": item["address"] + " Lr. 2", "phone": "081234567890"},
                        2, enumerator, settings)
                lifecycle.transition_many(conn, [(i, "approved", {
                    "central_status": None, "central_reason": None}) for i in made], supervisor)
                lifecycle.transition_many(conn, [(i, "synced", {
                    "central_status": "accepted", "central_reason": None}) for i in made],
                    Actor("sync", "sync"))
            ids += made
        accounts.add_user(conn, "auditor-bench", "auditor", PASSWORD, Actor("bench", "admin"))
    finally:
        conn.close()
    return ids


def _ms(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1),
            "n": len(ordered)}


def measure(folder: Path, ids: list[str], rounds: int) -> dict[str, Any]:
    conn = connect(folder / "kelurahan.db")
    try:
        entries = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        values = conn.execute("SELECT count(*) FROM audit_values").fetchone()[0]
        started = time.perf_counter()
        checked, broken = trail.verify(conn)
        verify_ms = round((time.perf_counter() - started) * 1000, 1)
        assert broken is None, broken
        started = time.perf_counter()
        exported = sum(1 for _ in trail.export_rows(conn, values=True))
        export_ms = round((time.perf_counter() - started) * 1000, 1)
    finally:
        conn.close()
    server = BackgroundServer(create_app(read_app_config(folder)), threads=4).start()
    try:
        session = requests.Session()
        token = session.post(f"{server.url}/api/v1/auth/token", timeout=60, json={
            "username": "auditor-bench", "password": PASSWORD}).json()["token"]
        session.headers["Authorization"] = f"Bearer {token}"
        pages = signed_in_session(server.url, "auditor-bench", PASSWORD, timeout=60)
        rng = random.Random(3)
        last = entries
        page, review, health = [], [], []
        for _ in range(rounds):
            after = rng.randrange(0, max(1, last - 100))
            for times, url, use in (
                    (page, f"/api/v1/audit?after={after}&limit=100", session),
                    (review, f"/enrollments/{rng.choice(ids)}", pages),
                    (health, "/health", session)):
                started = time.perf_counter()
                answer = use.get(f"{server.url}{url}", timeout=300, allow_redirects=False)
                assert answer.status_code == 200, (url, answer.status_code)
                assert use is not pages or "Riwayat" in answer.text
                times.append(time.perf_counter() - started)
        started = time.perf_counter()
        answer = session.get(f"{server.url}/api/v1/audit?limit=100&verify=true", timeout=600)
        verify_page_ms = round((time.perf_counter() - started) * 1000, 1)
        assert answer.json()["verification"]["intact"], answer.json()["verification"]
    finally:
        server.stop()
    return {"entries": entries, "values": values, "checked": checked,
            "verify_whole_chain": {"ms": verify_ms, "entries": checked},
            "export_with_values": {"ms": export_ms, "rows": exported},
            "audit_page": _ms(page), "audit_page_verify_ms": verify_page_ms,
            "review_page": _ms(review), "baseline_health": _ms(health)}


def run(folder: Path, records: int, rounds: int) -> dict[str, Any]:
    started = time.perf_counter()
    ids = populate(folder, records)
    setup = round(time.perf_counter() - started, 1)
    return {"bench": "trail", "app": "kelurahan", "records": records, "setup_seconds": setup,
            **measure(folder, ids, rounds)}
