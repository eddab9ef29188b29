"""Intake speed of the kelurahan server against a minimal Flask + sqlite3 baseline,
measured in the same run on the same machine.

    python bench/intake_bench.py [--singles 400] [--clients 4] [--batch 1000]

Prints JSON: req/s for single POSTs (several clients, keep-alive), seconds and
records/s for one 1,000-record ``:batch``, for berjasa and the baseline. Both are
served by waitress on 127.0.0.1 with WAL + synchronous=FULL, so the difference is
what berjasa does per record: validation, NIK checks, replay hash, audit chain.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from flask import Flask, request

from berjasa.background_server import BackgroundServer
from berjasa.database import connect
from berjasa.settings import read_app_config
from berjasa.synthetic import EnrollmentFaker
from server import accounts
from server.app import create_app
from server.install import init_kelurahan
from server.storage.audit import Actor

KELURAHAN = "73.71.01.1001"
PASSWORD = "bench-password-123"


def baseline_app(db_path: Path) -> Flask:
    """The least a Flask + sqlite3 intake can do: store the JSON body, commit."""
    app = Flask("baseline")
    local = threading.local()

    def db() -> sqlite3.Connection:
        if not hasattr(local, "conn"):
            local.conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
            local.conn.execute("PRAGMA journal_mode=WAL")
            local.conn.execute("PRAGMA synchronous=FULL")
        return local.conn

    setup = sqlite3.connect(db_path)
    setup.execute("CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY, body TEXT)")
    setup.close()

    @app.post("/api/v1/enrollments")
    def create():
        body = request.get_json()
        db().execute("INSERT INTO records VALUES (?, ?)", (body["id"], json.dumps(body)))
        return body, 201

    @app.post("/api/v1/enrollments:batch")
    def batch():
        items = request.get_json()["enrollments"]
        conn = db()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO records VALUES (?, ?)",
                         [(i["id"], json.dumps(i)) for i in items])
        conn.execute("COMMIT")
        return {"results": [{"id": i["id"], "status": 201} for i in items]}

    return app


def berjasa_app(folder: Path) -> Flask:
    """The real kelurahan server on a fresh data folder."""
    init_kelurahan(folder, KELURAHAN)
    conn = connect(folder / "kelurahan.db")
    accounts.add_user(conn, "bench", "enumerator", PASSWORD, Actor("bench", "admin"))
    conn.close()
    return create_app(read_app_config(folder))


def serve(app: Flask) -> tuple[str, BackgroundServer]:
    server = BackgroundServer(app, threads=8).start()
    return server.url, server


def measure(base: str, headers: dict, singles: list[dict], clients: int,
            batch: list[dict]) -> dict:
    """Time the singles (spread over clients) and one batch."""
    sessions = [requests.Session() for _ in range(clients)]
    for s in sessions:
        s.headers.update(headers)
    chunks = [singles[i::clients] for i in range(clients)]

    def post_all(index: int) -> int:
        ok = 0
        for record in chunks[index]:
            answer = sessions[index].post(f"{base}/api/v1/enrollments", json=record, timeout=60)
            ok += answer.status_code == 201
        return ok

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        created = sum(pool.map(post_all, range(clients)))
    single_seconds = time.perf_counter() - start
    start = time.perf_counter()
    answer = sessions[0].post(f"{base}/api/v1/enrollments:batch", json={"enrollments": batch},
                              timeout=300)
    batch_seconds = time.perf_counter() - start
    batch_created = sum(r["status"] == 201 for r in answer.json()["results"])
    return {
        "single_posts": len(singles), "single_created": created,
        "single_req_per_s": round(len(singles) / single_seconds, 1),
        "batch_records": len(batch), "batch_created": batch_created,
        "batch_seconds": round(batch_seconds, 3),
        "batch_records_per_s": round(len(batch) / batch_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--singles", type=int, default=400)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    faker = EnrollmentFaker(KELURAHAN, seed=11)
    singles = [faker.enrollment() for _ in range(args.singles)]
    batch = [faker.enrollment() for _ in range(args.batch)]
    with tempfile.TemporaryDirectory() as tmp:
        base, server = serve(baseline_app(Path(tmp) / "baseline.db"))
        baseline = measure(base, {}, singles, args.clients, batch)
        server.close()
        base, server = serve(berjasa_app(Path(tmp) / "kelurahan"))
        token = requests.post(f"{base}/api/v1/auth/token",
                              json={"username": "bench", "password": PASSWORD}).json()["token"]
        ours = measure(base, {"Authorization": f"Bearer {token}"}, singles, args.clients, batch)
        server.close()
    result = {
        "bench": "intake", "python": sys.version.split()[0], "clients": args.clients,
        "berjasa": ours, "baseline_flask_sqlite3": baseline,
        "single_ratio_to_baseline": round(ours["single_req_per_s"] / baseline["single_req_per_s"], 3),
        "batch_ratio_to_baseline": round(ours["batch_records_per_s"]
                                         / baseline["batch_records_per_s"], 3),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
