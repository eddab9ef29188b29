"""Intake speed of the kelurahan server against a minimal Flask + sqlite3 baseline,
measured in the same run on the same machine.

    python bench/intake_bench.py [--singles 400] [--clients 4] [--batch 1000]
                                 [--batches 3] [--rounds 3]

Prints JSON: req/s for single POSTs (several clients, keep-alive), seconds and
records/s for a 1,000-record ``:batch`` (the median of ``--batches`` batches, each
of new records: one batch takes a quarter of a second, and a single one is at the
mercy of whatever else the machine does in that moment), for berjasa and the
baseline. Both are
served by waitress on 127.0.0.1 with WAL + synchronous=FULL, so the difference is
what berjasa does per record: validation, NIK checks, replay hash, audit chain.

Both servers run side by side and are measured in turns, ``--rounds`` times, each
round with new records, after a small warm-up of each (a cold first server had made
the baseline look slower). Each round gives a ratio of two measurements taken
seconds apart, so a load from elsewhere weighs on both; the ratios reported are
the median of the rounds' ratios, each round's figures are listed too.
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
PASSWORD = "uji-kecepatan-2026"  # not the username (the password policy)


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
            batches: list[list[dict]]) -> dict:
    """Time the singles (spread over clients), then each batch in turn."""
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
    each_batch, batch_created = [], 0
    for batch in batches:
        start = time.perf_counter()
        answer = sessions[0].post(f"{base}/api/v1/enrollments:batch",
                                  json={"enrollments": batch}, timeout=300)
        each_batch.append(round(time.perf_counter() - start, 3))
        batch_created += sum(r["status"] == 201 for r in answer.json()["results"])
    batch_seconds = _median(each_batch)
    return {
        "single_posts": len(singles), "single_created": created,
        "single_req_per_s": round(len(singles) / single_seconds, 1),
        "batch_records": len(batches[0]), "batches": len(batches),
        "batch_created": batch_created, "batch_seconds": round(batch_seconds, 3),
        "each_batch_seconds": each_batch,
        "batch_records_per_s": round(len(batches[0]) / batch_seconds, 1),
    }


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _records(faker: EnrollmentFaker, count: int) -> list[dict]:
    return [faker.enrollment() for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--singles", type=int, default=400)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=3,
                        help="batches per server per round; their median is the round's figure")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    faker = EnrollmentFaker(KELURAHAN, seed=11)
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        base_url, base_server = serve(baseline_app(Path(tmp) / "baseline.db"))
        our_url, our_server = serve(berjasa_app(Path(tmp) / "kelurahan"))
        token = requests.post(f"{our_url}/api/v1/auth/token",
                              json={"username": "bench", "password": PASSWORD}).json()["token"]
        sides = {"baseline": (base_url, {}),
                 "berjasa": (our_url, {"Authorization": f"Bearer {token}"})}
        for url, headers in sides.values():  # warm-up, not reported: the batch is of the
            # measured size, so its statements are prepared as on a server that has taken
            # such a batch before (the steady state)
            measure(url, headers, _records(faker, 8 * args.clients), args.clients,
                    [_records(faker, args.batch)])
        for _ in range(max(1, args.rounds)):
            batches = max(1, args.batches)
            figures = {name: measure(url, headers, _records(faker, args.singles), args.clients,
                                     [_records(faker, args.batch) for _ in range(batches)])
                       for name, (url, headers) in sides.items()}
            rounds.append({
                **figures,
                "single_ratio": round(figures["berjasa"]["single_req_per_s"]
                                      / figures["baseline"]["single_req_per_s"], 3),
                "batch_ratio": round(figures["berjasa"]["batch_records_per_s"]
                                     / figures["baseline"]["batch_records_per_s"], 3),
            })
        our_server.close()
        base_server.close()

    def median_of(side: str, key: str) -> float:
        return round(_median([r[side][key] for r in rounds]), 1)

    result = {
        "bench": "intake", "python": sys.version.split()[0], "clients": args.clients,
        "rounds": len(rounds), "batches_per_round": max(1, args.batches),
        "berjasa": {"single_req_per_s": median_of("berjasa", "single_req_per_s"),
                    "batch_records_per_s": median_of("berjasa", "batch_records_per_s")},
        "baseline_flask_sqlite3": {
            "single_req_per_s": median_of("baseline", "single_req_per_s"),
            "batch_records_per_s": median_of("baseline", "batch_records_per_s")},
        "single_ratio_to_baseline": _median([r["single_ratio"] for r in rounds]),
        "batch_ratio_to_baseline": _median([r["batch_ratio"] for r in rounds]),
        "each_round": rounds,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
