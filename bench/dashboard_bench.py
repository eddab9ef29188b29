"""Central dashboard speed: p95 of ``GET /`` (signed in) at 100,000 records on
PostgreSQL, against ``GET /health`` measured in the same run as the baseline.

    python bench/dashboard_bench.py [--records 100000] [--requests 60]
                                    [--backend postgresql|sqlite]

A throw-away ``berjasa_bench_<random>`` database (``--pg-server``, default
postgresql://postgres@127.0.0.1:5432) gets central's migrations and, by COPY:
``--records`` records over the 153 kelurahan (received over 26 weeks; 90% accepted or
registered, 4% duplicate, 6% rejected with reasons; 40 enumerators per kelurahan),
the 35,782-worker 2024 cohort, a laptop per kelurahan and 2,000 batches. The app runs
under waitress in this process; an operator signs in, then ``GET /`` and
``GET /health`` alternate ``--requests`` times after 5 warm-up rounds. The JSON
gives p50/p95/max in ms of each, and the ratio of the p95s. Target: p95 < 300 ms.
Measured twice: as served (``central_dashboard_cache_seconds`` 30: the figures are
reused while nothing they count changed) and ``uncached`` (0: every request
recounts).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.page_session import signed_in_session
from bench.throwaway_db import bench_arguments, populated
from berjasa.audit import Actor
from berjasa.background_server import BackgroundServer
from berjasa.cli import declare_settings
from berjasa.reference import kelurahan_list
from berjasa.settings import AppConfig, load_settings
from central import accounts
from central.app import create_app
from central.storage.db import Database, migrate

declare_settings()  # central and agent settings, as the berjasa command does
TARGET_P95_MS = 300
COHORT = 35_782
PASSWORD = "bench-operator-1"


def populate(url: str, folder: Path, count: int, seed: int = 3) -> None:
    """Records, cohort, devices and batches as described in the module docstring, in
    the central database of data folder ``folder`` (whose key seals the trail)."""
    rng = random.Random(seed)
    codes = [k.code for k in kelurahan_list()]
    now = datetime.now(timezone.utc)
    stamp = now.isoformat(timespec="microseconds")
    reasons = [json.dumps(["invalid_birth_date"]), json.dumps(["dtsen_desil_above_cutoff"]),
               json.dumps(["already_bpjs_participant"])]
    records = []
    for n in range(count):
        code = codes[n % len(codes)]
        roll = rng.random()
        status = ("duplicate" if roll < 0.04 else "rejected" if roll < 0.10 else
                  "registered" if roll < 0.30 else "accepted")
        received = (now - timedelta(minutes=rng.randrange(26 * 7 * 24 * 60))).isoformat()
        records.append((code, f"rec-{n}", f"b-{n % 2000}", f"73{n:014d}", f"Pekerja {n}",
                        f"pekerja {n}", status, rng.choice(reasons) if status == "rejected" else None,
                        f"petugas{rng.randrange(40):02d}", "h", received, received))
    cohort = [(f"74{n:014d}", codes[n % len(codes)], "2024-01") for n in range(COHORT)]
    db = Database(url, data_dir=folder)
    try:
        migrate(db)
        with db.transaction():
            db.insert_rows("devices", ("device_id", "kelurahan_code", "label", "public_key",
                                       "registered_at"),
                           [(f"dev-{i}", c, "laptop", "-", stamp) for i, c in enumerate(codes)])
            db.insert_rows("batches", ("batch_id", "device_id", "kelurahan_code", "content_hash",
                                       "created_at", "received_at", "record_count", "body_bytes",
                                       "answer"),
                           [(f"b-{i}", f"dev-{i % len(codes)}", codes[i % len(codes)], "h",
                             stamp, (now - timedelta(hours=i % 200)).isoformat(), 50, 1000, b"")
                            for i in range(2000)])
            db.insert_rows("records", ("kelurahan_code", "record_id", "batch_id", "nik",
                                       "full_name", "name_key", "status", "reasons", "enumerator",
                                       "content_hash", "received_at", "updated_at"), records)
            db.insert_rows("cohort", ("nik", "kelurahan_code", "coverage_start"), cohort)
        if db.dialect == "postgresql":
            db.run("VACUUM ANALYZE")  # what autovacuum does on a live server
        accounts.add_user(db, "operator-bench", "operator", PASSWORD, Actor("bench", "admin"))
    finally:
        db.close()


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(values, 50), 1), "p95_ms": round(percentile(values, 95), 1),
            "max_ms": round(max(values), 1), "requests": len(values)}


@contextmanager
def signed_in(url: str, folder: Path, username: str, password: str,
              overrides: dict[str, Any] | None = None) -> Iterator[tuple[str, requests.Session]]:
    """Central on ``url`` served by waitress in this process, and a browser session
    signed in as ``username``: (base URL, session). The server and its pool are
    closed at the end."""
    settings = load_settings(folder, overrides or {})
    app = create_app(AppConfig(folder, settings, database_url=url))
    server = BackgroundServer(app, threads=4).start()
    try:
        yield server.url, signed_in_session(server.url, username, password)
    finally:
        server.close()
        pool = app.extensions.get("berjasa_central_pool")
        if pool is not None:
            pool.close()


def measure(url: str, folder: Path, rounds: int, cache_seconds: int) -> dict[str, dict[str, float]]:
    """Alternate GET / and GET /health; times in ms."""
    with signed_in(url, folder, "operator-bench", PASSWORD,
                   {"central_dashboard_cache_seconds": cache_seconds}) as (base, browser):
        times: dict[str, list[float]] = {"dashboard": [], "health": []}
        for index in range(rounds + 5):
            for name, path in (("dashboard", "/"), ("health", "/health")):
                started = time.perf_counter()
                answer = browser.get(f"{base}{path}", timeout=60)
                elapsed = (time.perf_counter() - started) * 1000
                assert answer.status_code == 200, (path, answer.status_code)
                if index >= 5:
                    times[name].append(elapsed)
        return {name: summary(values) for name, values in times.items()}


def main() -> None:
    args = bench_arguments(__doc__.splitlines()[0], "records", 100_000, 60, "postgresql")
    with populated(args.backend, args.pg_server, "dashboard", populate, args.records) as (
            url, folder, setup):
        cold = measure(url, folder, args.requests, 0)
        warm = measure(url, folder, args.requests, 30)
    dash, health = warm["dashboard"], warm["health"]
    print(json.dumps({
        "bench": "dashboard", "backend": args.backend, "records": args.records,
        "cohort": COHORT, "setup_seconds": setup, "dashboard": dash, "baseline_health": health,
        "p95_ratio_to_baseline": round(dash["p95_ms"] / health["p95_ms"], 1),
        "uncached": {"dashboard": cold["dashboard"], "baseline_health": cold["health"]},
        "target_p95_ms": TARGET_P95_MS, "within_target": dash["p95_ms"] < TARGET_P95_MS,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }, indent=2))


if __name__ == "__main__":
    main()
