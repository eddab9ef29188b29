"""Central ingest speed against raw inserts of the same rows, measured in the same run.

    python bench/ingest_bench.py [--records 20000] [--batch 500] [--kelurahan 8]
                                 [--backend sqlite --backend postgresql] [--rounds 3]
                                 [--cohort 36000]

For each backend, on a fresh database with central's migrations:

* ``central``: ``central.ingest.ingest_batch`` (what ``POST /api/v1/batches`` calls
  once the signature is verified) for every batch: ingest lock, replay check,
  eligibility, city-wide NIK dedupe, likely-duplicate flags, updates, stored answer,
  and the batch's ``batch.receive`` entry in central's sealed trail (a ``Delivery``,
  as the route gives it); one transaction per batch.
* ``raw``: the rows central stored (read back, ``central_id`` left to the database)
  into the same ``records`` table (same indexes) on a second fresh database, one
  transaction per batch: ``executemany`` on SQLite, ``COPY`` on PostgreSQL. No
  dedupe, no updates, no answers. Rows are built before the clock starts, so raw is
  the database's write cost alone.

About 3% of the records reuse another kelurahan's NIK (``duplicate``), 2% share a KK
and birth date with another kelurahan's record and 2% carry a variant spelling of
another's name with the same birth date (both flagged), so every dedupe path runs.
With ``--cohort N`` a 2024 cohort of N workers is loaded first (as `central import
cohort` leaves it), 1% of the records being cohort workers enrolled again under another
NIK, so the cohort likely-duplicate check runs on every batch (docs/central.md "Likely
duplicates of the 2024 cohort"); without it no cohort is loaded and the check is skipped.
Each round runs central then raw back to back on fresh databases; the JSON gives
records, median seconds and records/s for each, the median of the per-round
ratios (raw seconds / central seconds) and every round.
PostgreSQL: a throw-away ``berjasa_bench_<random>`` database each, dropped at the end
(``--pg-server``, default postgresql://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.throwaway_db import throwaway_database
from berjasa.database import connect
from berjasa.reference import kelurahan_list
from berjasa.synthetic import EnrollmentFaker, born_on, same_nik
from central import cohort_memory
from central.ingest import Delivery, ingest_batch
from central.storage import snapshots
from central.storage.db import Database, sqlite_path, utc_now
from central.storage.devices import add_device
from sync import protocol

MAX_DESIL = 4
NAME_VARIANTS = (("Muhammad ", "Muh. "), ("Sitti ", "St. "), ("Abdul ", "Abd. "))


def make_records(count: int, kelurahan: list[str], seed: int = 7,
                 makers: dict[str, Callable[[], dict]] | None = None) -> dict[str, list[dict]]:
    """``count`` approved records spread over the kelurahan, with planted duplicates.
    ``makers`` (one per kelurahan code) make the records; EnrollmentFaker by default."""
    rng = random.Random(seed)
    if makers is None:
        makers = {code: EnrollmentFaker(code, seed=seed + i).enrollment
                  for i, code in enumerate(kelurahan)}
    out: dict[str, list[dict]] = {code: [] for code in kelurahan}
    made: list[dict] = []
    for n in range(count):
        code = kelurahan[n % len(kelurahan)]
        record = makers[code]()
        roll = rng.random()
        others = [r for r in made[-2000:] if r["kelurahan_code"] != code] \
            if made and roll < 0.07 else []
        if others:
            other = rng.choice(others)
            # each variant stays a valid record (its NIK agrees with its birth date and
            # sex: central checks the intake rules again), as a laptop would send it
            if roll < 0.03:                      # same person sent by two kelurahan
                record = same_nik(record, other)
            elif roll < 0.05:                    # same KK and birth date, other NIK
                record = born_on({**record, "kk_number": other["kk_number"]}, other["birth_date"])
            else:                                # the name written another way
                name = "Muhammad " + other["full_name"] if rng.random() < 0.5 else other["full_name"].upper()
                for long, short in NAME_VARIANTS:
                    name = name.replace(long, short)
                record = born_on({**record, "full_name": name}, other["birth_date"])
        record.update(version=1, enumerator="petugas01", reviewed_by="lurah001",
                      reviewed_at=record["captured_at"])
        made.append(record)
        out[code].append(protocol.record_from_row(record))
    return out


def make_cohort(by_kelurahan: dict[str, list[dict]], count: int, seed: int = 10_007) -> list[tuple]:
    """``count`` cohort rows (``snapshots.COLUMNS["cohort"]`` order, without the
    snapshot id): people of their own, and 1% of the records' people under another
    NIK serial (the records then look like cohort workers enrolled again)."""
    rng = random.Random(seed)
    codes = sorted(by_kelurahan)
    people = [record for code in codes for record in by_kelurahan[code]]
    planted = rng.sample(people, min(count, len(people) // 100))
    rows = [(p["nik"][:12] + f"{(int(p['nik'][12:]) + 1) % 9999 + 1:04d}", f"4177{n:07d}",
             p["full_name"], p["birth_date"], p["kelurahan_code"], "2024-03", None, 0)
            for n, p in enumerate(planted)]
    makers = [EnrollmentFaker(code, seed=seed + i).enrollment for i, code in enumerate(codes)]
    seen = {row[0] for row in rows} | {p["nik"] for p in people}
    while len(rows) < count:
        person = rng.choice(makers)()
        if person["nik"] in seen:
            continue
        seen.add(person["nik"])
        rows.append((person["nik"], f"4178{len(rows):07d}", person["full_name"],
                     person["birth_date"], person["kelurahan_code"], "2024-03", None, 0))
    return rows


def load_cohort(db: Database, rows: list[tuple]) -> None:
    """The cohort in force, as an import leaves it (its imports row and its rows)."""
    with db.transaction():
        snapshot = snapshots.start_import(db, "cohort", "bench-kohort.csv", None, utc_now(), "bench")
        snapshots.insert(db, "cohort", [(*row, snapshot) for row in rows])
        snapshots.finish_import(db, snapshot, len(rows), len(rows), 0, "-")
    # a server reads the cohort into memory at its first batch after an import, once
    # (central/cohort_memory.py): not a cost of every batch, so not on the clock
    cohort_memory.in_force(db)


def make_batches(by_kelurahan: dict[str, list[dict]], size: int) -> list[protocol.Batch]:
    """Batches of ``size`` per kelurahan, interleaved as laptops would send them."""
    queues = {code: [records[i:i + size] for i in range(0, len(records), size)]
              for code, records in by_kelurahan.items()}
    batches = []
    while any(queues.values()):
        for code, chunks in queues.items():
            if chunks:
                batches.append(protocol.new_batch(f"dev-{code}", code, chunks.pop(0)))
    return batches


def run_central(url: str, batches: list[protocol.Batch],
                folder: Path, cohort: list[tuple] | None = None) -> tuple[float, dict[str, int]]:
    """Seconds for central's ingest of every batch, and the results by kind.
    ``folder``: central's data folder (the trail's seal key); ``cohort``: rows loaded
    before the clock starts."""
    folder.mkdir(parents=True, exist_ok=True)
    db = Database(url, data_dir=folder)
    try:
        if cohort:
            load_cohort(db, cohort)
        with db.transaction():
            for code in sorted({b.kelurahan_code for b in batches}):
                add_device(db, f"dev-{code}", code, "bench", "-", utc_now())
        digests = [protocol.content_hash(b) for b in batches]   # the endpoint has it from the header
        # the route hashes the body it read (sub-millisecond for a batch): not ingest's cost
        deliveries = [Delivery("http", digest, "127.0.0.1") for digest in digests]
        # the 20,000 prepared records are the bench's, not central's: keep the cyclic
        # garbage collector from walking them on central's clock (a server holds one batch)
        gc.collect()
        gc.freeze()
        started = time.perf_counter()
        for batch, digest, delivery in zip(batches, digests, deliveries):
            ingest_batch(db, batch, 1, MAX_DESIL, digest, delivery)
        seconds = time.perf_counter() - started
        gc.unfreeze()
        counts = {r["status"]: r["n"] for r in db.query(
            "SELECT status, COUNT(*) AS n FROM records GROUP BY status")}
        counts["flags"] = db.one("SELECT COUNT(*) AS n FROM duplicate_flags")["n"]
        counts["updates"] = db.one("SELECT COUNT(*) AS n FROM updates")["n"]
        counts["trail_entries"] = db.one("SELECT COUNT(*) AS n FROM audit_log"
                                         " WHERE action = 'batch.receive'")["n"]
        counts["findings"] = db.one("SELECT COUNT(*) AS n FROM findings")["n"]
        return seconds, counts
    finally:
        db.close()


def stored_rows(url: str) -> tuple[list[str], list[tuple]]:
    """The records central stored (without central_id), in insertion order."""
    db = Database(url)
    try:
        rows = db.query("SELECT * FROM records ORDER BY central_id")
    finally:
        db.close()
    columns = [c for c in rows[0] if c != "central_id"]
    return columns, [tuple(r[c] for c in columns) for r in rows]


def run_raw(backend: str, url: str, columns: list[str], rows: list[tuple], size: int) -> float:
    """Seconds to write ``rows`` in batches of ``size``, one transaction each."""
    chunks = [rows[i:i + size] for i in range(0, len(rows), size)]
    names = ", ".join(columns)
    if backend == "sqlite":
        conn = connect(sqlite_path(url))
        sql = f"INSERT INTO records ({names}) VALUES ({', '.join('?' * len(columns))})"
        started = time.perf_counter()
        for chunk in chunks:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, chunk)
            conn.execute("COMMIT")
        seconds = time.perf_counter() - started
        conn.close()
        return seconds
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        for chunk in chunks:
            with conn.transaction(), conn.cursor() as cursor, \
                    cursor.copy(f"COPY records ({names}) FROM STDIN") as copy:
                for row in chunk:
                    copy.write_row(row)
        return time.perf_counter() - started


def measure(backend: str, batches: list[protocol.Batch], size: int, pg_server: str,
            folder: Path, rounds: int, cohort: list[tuple] | None = None) -> dict[str, Any]:
    """Central then raw, ``rounds`` times on one backend; medians, and the median of
    the per-round ratios (each round's pair ran back to back, under the same load)."""
    records = sum(len(b.records) for b in batches)
    central_times, raw_times, counts = [], [], {}
    for n in range(rounds):
        with throwaway_database(backend, folder, f"central{n}", pg_server, migrated=True) as url:
            seconds, counts = run_central(url, batches, folder / f"central{n}-data", cohort)
            central_times.append(seconds)
            columns, rows = stored_rows(url)
        with throwaway_database(backend, folder, f"raw{n}", pg_server, migrated=True) as url:
            raw_times.append(run_raw(backend, url, columns, rows, size))
    central_s, raw_s = median(central_times), median(raw_times)
    return {
        "records": records,
        "central": {"seconds": round(central_s, 3), "records_per_s": round(records / central_s)},
        "raw": {"seconds": round(raw_s, 3), "records_per_s": round(records / raw_s),
                "method": "executemany" if backend == "sqlite" else "COPY"},
        "ratio_to_raw": round(median(r / c for r, c in zip(raw_times, central_times)), 3),
        "rounds": [{"central_s": round(c, 3), "raw_s": round(r, 3), "ratio": round(r / c, 3)}
                   for c, r in zip(central_times, raw_times)],
        "stored": counts,
    }


def main() -> None:
    """Parse options, build the data once, measure each backend, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--kelurahan", type=int, default=8, help="how many kelurahan send")
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--rounds", type=int, default=3,
                        help="central+raw pairs per backend; medians are reported")
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--cohort", type=int, default=0,
                        help="load a 2024 cohort of this many workers first (0: none)")
    args = parser.parse_args()
    codes = [k.code for k in kelurahan_list()][:: max(1, 153 // args.kelurahan)][:args.kelurahan]
    by_kelurahan = make_records(args.records, codes)
    batches = make_batches(by_kelurahan, args.batch)
    cohort = make_cohort(by_kelurahan, args.cohort) if args.cohort else None
    report: dict[str, Any] = {"records": args.records, "batch_size": args.batch,
                              "kelurahan": len(codes), "batches": len(batches),
                              "cohort": args.cohort}
    with tempfile.TemporaryDirectory(prefix="berjasa-ingest-bench-") as folder:
        for backend in args.backend or ["sqlite", "postgresql"]:
            report[backend] = measure(backend, batches, args.batch, args.pg_server,
                                      Path(folder), args.rounds, cohort)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
