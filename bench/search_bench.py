"""Search speed: the kelurahan supervisor's search and central's lookups over a
realistic register, each against a plain SQL query measured in the same run.

    python bench/search_bench.py [--kelurahan-records 5000] [--central-records 150000]
                                 [--queries 30] [--pg-server postgresql://postgres@127.0.0.1:5432]

Kelurahan (SQLite): a fresh data folder with ``--kelurahan-records`` enrollments
(EnrollmentFaker; 70 % approved, 20 % submitted, 10 % needs_fix; received over 90
days; a large kelurahan holds about 5,000). Timed, ``--queries`` times each, by name
fragment (a family name) and by full NIK:

* ``supervisor_page``: ``GET /enrollments?status=approved&q=...`` as a signed-in
  supervisor (waitress in this process): the list query, the review summary of
  every row shown (up to 50), the page render. Baseline: ``GET /health`` on
  the same server, alternating.
* ``listing``: ``server.listing.list_records`` (what the page and the API call).
  Baseline: the plain SQL that answers the same question on the same connection
  (NIK: ``WHERE nik = ?`` on its index; name: ``WHERE name_key LIKE ? LIMIT 51``).

Central (PostgreSQL, a throw-away database): ``--central-records`` records (the
city's 150,000 by default) over the 153 kelurahan, by COPY, then ``VACUUM ANALYZE``:

* ``verifier_lookup``: ``central.storage.findings.record_by_nik`` (the verifier's
  send-back by NIK). Baseline: ``SELECT * FROM records WHERE nik = %s LIMIT 1`` by
  psycopg directly.
* ``dedupe_lookup``: what ``central.ingest`` asks of the register for one 500-record
  batch (``records.active_by_nik`` + ``duplicate_candidates.active_by_birth_date``).
  Baseline: the two plain ``IN (...)`` queries for the same values by psycopg directly.

Prints JSON: p50/p95 in ms of each and the ratios of the p95s (ours / baseline).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.page_session import signed_in_session
from bench.throwaway_db import PG_SERVER, throwaway_database
from berjasa.background_server import BackgroundServer
from berjasa.database import connect, transaction
from berjasa.reference import kelurahan_list
from berjasa.settings import read_app_config
from berjasa.synthetic import EnrollmentFaker
from central.storage import duplicate_candidates as candidate_store
from central.storage import findings
from central.storage import records as central_records
from central.storage.db import Database, migrate
from server import accounts
from server import listing as lists
from server.app import create_app
from server.install import init_kelurahan
from server.storage.audit import Actor
from server.storage.enrollments import insert_enrollment

KELURAHAN = "73.71.01.1001"
PASSWORD = "bench-supervisor-1"


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def summary(seconds: list[float]) -> dict[str, float]:
    values = [s * 1000 for s in seconds]
    return {"p50_ms": round(percentile(values, 50), 2), "p95_ms": round(percentile(values, 95), 2),
            "n": len(values)}


def pair(name: str, ours: list[float], baseline: list[float], what: str) -> dict[str, Any]:
    """A figure next to its baseline, and the ratio of the p95s."""
    mine, base = summary(ours), summary(baseline)
    return {name: mine, "baseline": {**base, "what": what},
            "p95_ratio_to_baseline": round(mine["p95_ms"] / base["p95_ms"], 2)}


def timed(calls: list[Callable[[], Any]]) -> list[float]:
    out = []
    for call in calls:
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def alternate(ours: list[Callable[[], Any]], baseline: list[Callable[[], Any]]) -> tuple[list, list]:
    """Run ours and the baseline turn about (same load for both), after one warm-up each."""
    ours[0](), baseline[0]()
    mine, base = [], []
    for a, b in zip(ours, baseline):
        mine += timed([a])
        base += timed([b])
    return mine, base


# --- kelurahan ---------------------------------------------------------------------


def fill_kelurahan(folder: Path, count: int) -> list[dict[str, Any]]:
    """A kelurahan data folder with ``count`` enrollments and a supervisor; the records."""
    init_kelurahan(folder, KELURAHAN)
    conn = connect(folder / "kelurahan.db")
    faker = EnrollmentFaker(KELURAHAN, seed=21)
    rng = random.Random(21)
    start = datetime(2025, 8, 1, tzinfo=timezone.utc)
    made = []
    with transaction(conn):
        for n in range(count):
            record = faker.enrollment()
            roll = rng.random()
            status = "approved" if roll < 0.7 else "submitted" if roll < 0.9 else "needs_fix"
            at = (start + timedelta(seconds=n * 90 * 86400 // max(count, 1))).isoformat()
            enumerator = f"petugas{rng.randint(1, 6):02d}"
            insert_enrollment(conn, {**record, "status": status, "warnings": [],
                                     "enumerator": enumerator, "intake_hash": "bench",
                                     "last_edited_by": enumerator, "received_at": at,
                                     "updated_at": at})
            made.append({**record, "status": status})
    accounts.add_user(conn, "lurah-bench", "supervisor", PASSWORD, Actor("bench", "admin"))
    conn.close()
    return made


def kelurahan_search(folder: Path, count: int, queries: int) -> dict[str, Any]:
    made = fill_kelurahan(folder, count)
    rng = random.Random(4)
    approved = [r for r in made if r["status"] == "approved"]
    picks = rng.sample(approved, min(queries, len(approved)))
    names = [r["full_name"].split()[-1] for r in picks]
    niks = [r["nik"] for r in picks]
    result: dict[str, Any] = {"records": count}

    conn = connect(folder / "kelurahan.db")
    for kind, terms in (("name", names), ("nik", niks)):
        ours = [lambda t=t: lists.list_records(conn, status="approved", query=t, limit=50)
                for t in terms]
        if kind == "nik":
            sql, params = "SELECT * FROM enrollments WHERE nik = ?", [(t,) for t in terms]
            what = "SELECT * WHERE nik = ? (index)"
        else:
            sql, params = "SELECT * FROM enrollments WHERE name_key LIKE ? LIMIT 51", \
                [(f"%{t.casefold()}%",) for t in terms]
            what = "SELECT * WHERE name_key LIKE ? LIMIT 51"
        base = [lambda p=p, sql=sql: conn.execute(sql, p).fetchall() for p in params]
        result[f"listing_by_{kind}"] = pair("listing", *alternate(ours, base), what)
    conn.close()

    app = create_app(read_app_config(folder))
    server = BackgroundServer(app, threads=4).start()
    try:
        browser = signed_in_session(server.url, "lurah-bench", PASSWORD)

        def get(path: str, params: dict | None = None) -> None:
            answer = browser.get(f"{server.url}{path}", params=params, timeout=60)
            assert answer.status_code == 200, (path, answer.status_code)

        for kind, terms in (("name", names), ("nik", niks)):
            ours = [lambda t=t: get("/enrollments", {"status": "approved", "q": t}) for t in terms]
            base = [lambda: get("/health") for _ in terms]
            result[f"supervisor_page_by_{kind}"] = pair(
                "page", *alternate(ours, base), "GET /health, same server")
    finally:
        server.close()
    return result


# --- central -----------------------------------------------------------------------


def fill_central(url: str, count: int) -> list[tuple]:
    """``count`` records over the 153 kelurahan; their (kelurahan, nik, birth date)."""
    rng = random.Random(8)
    codes = [k.code for k in kelurahan_list()]
    fakers = {code: EnrollmentFaker(code, seed=100 + i) for i, code in enumerate(codes)}
    now = datetime.now(timezone.utc).isoformat()
    rows, keys = [], []
    for n in range(count):
        code = codes[n % len(codes)]
        record = fakers[code].enrollment()
        nik = f"{record['nik'][:12]}{n % 10000:04d}" if n >= 10000 else record["nik"]
        nik = f"{nik[:10]}{n // 10000 % 100:02d}{nik[12:]}"
        roll = rng.random()
        status = "duplicate" if roll < 0.04 else "rejected" if roll < 0.1 else \
            "registered" if roll < 0.3 else "accepted"
        name = record["full_name"]
        rows.append((code, f"rec-{n}", f"b-{n // 500}", nik, record["kk_number"], name,
                     name.casefold(), record["birth_date"], status, "h", now, now))
        keys.append((code, nik, record["birth_date"]))
    db = Database(url)
    try:
        migrate(db)
        with db.transaction():
            db.insert_rows("records", ("kelurahan_code", "record_id", "batch_id", "nik",
                                       "kk_number", "full_name", "name_key", "birth_date",
                                       "status", "content_hash", "received_at", "updated_at"), rows)
        db.run("VACUUM ANALYZE records")  # what autovacuum does on a live server
    finally:
        db.close()
    return keys


def central_search(pg_server: str, count: int, queries: int) -> dict[str, Any]:
    with throwaway_database("postgresql", Path(), pg_server=pg_server) as url:
        keys = fill_central(url, count)
        rng = random.Random(6)
        db = Database(url)
        plain = psycopg.connect(url, autocommit=True)
        try:
            niks = [k[1] for k in rng.sample(keys, queries)]
            ours = [lambda n=n: findings.record_by_nik(db, n) for n in niks]
            base = [lambda n=n: plain.execute("SELECT * FROM records WHERE nik = %s LIMIT 1",
                                              (n,)).fetchall() for n in niks]
            verifier = pair("verifier_lookup", *alternate(ours, base),
                            "SELECT * WHERE nik = %s LIMIT 1, psycopg")
            batches = []
            for _ in range(queries):
                # a batch as a laptop sends it: mostly new people, a few already held
                held = rng.sample(keys, 25)
                fresh = [(k[0], f"99{k[1][2:]}", k[2]) for k in rng.sample(keys, 475)]
                batches.append((held[0][0], [k[1] for k in held + fresh],
                                [k[2] for k in held + fresh]))

            def ours_batch(code: str, batch_niks: list[str], dates: list[str]) -> None:
                central_records.active_by_nik(db, batch_niks)
                candidate_store.active_by_birth_date(db, dates, other_than=code)

            def plain_batch(code: str, batch_niks: list[str], dates: list[str]) -> None:
                marks = ", ".join(["%s"] * len(batch_niks))
                plain.execute("SELECT central_id, nik, kelurahan_code, record_id FROM records"
                              f" WHERE status IN ('accepted', 'registered') AND nik IN ({marks})",
                              batch_niks).fetchall()
                unique = sorted(set(dates))
                marks = ", ".join(["%s"] * len(unique))
                plain.execute("SELECT central_id, nik, kk_number, full_name, birth_date,"
                              " kelurahan_code, record_id FROM records WHERE status IN"
                              f" ('accepted', 'registered') AND kelurahan_code <> %s AND"
                              f" birth_date IN ({marks})", [code, *unique]).fetchall()

            dedupe = pair("dedupe_lookup", *alternate([lambda b=b: ours_batch(*b) for b in batches],
                                                      [lambda b=b: plain_batch(*b) for b in batches]),
                          "the same two queries with plain IN lists, psycopg")
        finally:
            plain.close()
            db.close()
    return {"records": count, "verifier_lookup_by_nik": verifier, "dedupe_lookup_500": dedupe}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kelurahan-records", type=int, default=5000)
    parser.add_argument("--central-records", type=int, default=150_000)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--pg-server", default=PG_SERVER)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="berjasa-search-bench-") as tmp:
        kelurahan = kelurahan_search(Path(tmp) / "kelurahan", args.kelurahan_records, args.queries)
    central = central_search(args.pg_server, args.central_records, args.queries)
    print(json.dumps({
        "bench": "search", "kelurahan": kelurahan, "central": central,
        "seconds": round(time.perf_counter() - started, 1),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }, indent=2))


if __name__ == "__main__":
    main()
