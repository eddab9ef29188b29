"""City-scale ingest on PostgreSQL: a million records, and the duplicate lookups at that size.

    python bench/scale_bench.py [--records 1000000] [--central-records 76500] [--tail 10000]
                                [--chunk 76500] [--batch 500]

On a throw-away PostgreSQL database with central's migrations and a laptop for each
of the 153 kelurahan:

1. ``--central-records`` records (the first 153 x 500) go through
   ``central.ingest.ingest_batch`` (the path ``POST /api/v1/batches`` takes after the
   signature check), in chunks made between timings (record making is not on the
   clock; EnrollmentFaker records recombined, see ``fast_makers``), with the planted
   duplicates of ingest_bench.py. The first chunk's rate (an almost empty table) is
   the baseline.
2. The rest up to ``--records`` is bulk-loaded: rows shaped as central stored the
   first chunk (same statuses, eligibility, columns) with new ids, sexes, birth
   dates, NIKs, KKs and names, by COPY (timed as ``bulk_copy``). Every record
   through central instead (``--central-records`` = ``--records``) takes hours at a
   million here: the name + birth-date candidates of each batch grow with the table
   (see the JSON's ``candidates_per_batch_median``).
3. At full size: the two city-wide lookups central's dedupe runs for each batch
   (``records.active_by_nik``: by NIK;
   ``duplicate_candidates.likely_duplicate_candidates``: the candidates for name +
   birth date, with the full scan of the dates that it replaced beside it) for 30
   batches of 500 new people (median, p95; the same after the first chunk = the
   baseline), ``EXPLAIN`` of both, and ``--tail`` more records through central's
   ingest (the rate at size, against the first chunk's).

Checks free disk first (about 2.5 kB per record with indexes; half the free space at
most) and measures what fits. The database is dropped at the end, also on SIGTERM.
Used by docs/architecture.md's scale plan.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import random
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from statistics import median
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
_spec = importlib.util.spec_from_file_location("ingest_bench", HERE / "ingest_bench.py")
ingest_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ingest_bench)

from bench.throwaway_db import throwaway_database
from berjasa.reference import kelurahan_list
from berjasa.synthetic import EnrollmentFaker, make_kk, make_nik
from central import dedupe
from central.ingest import ingest_batch
from central.storage import duplicate_candidates as candidate_store
from central.storage import records as store
from central.storage.db import Database, utc_now
from central.storage.devices import add_device
from sync import protocol

BYTES_PER_RECORD = 2500      # table + indexes + WAL headroom, measured at 1M (records_table_bytes)
POOL = 40                    # EnrollmentFaker records per kelurahan the fast makers recombine


def fast_makers(codes: list[str], seed: int) -> dict[str, Callable[[], dict]]:
    """Record makers per kelurahan, ~50x cheaper than EnrollmentFaker (Faker costs
    ~0.6 ms a record: most of an hour at a million): each record is a pooled
    EnrollmentFaker record of that kelurahan with a new id, sex and birth date, the
    NIK and KK that go with them, and a name recombined from the whole city's pool
    (first name of one, family name of another)."""
    rng = random.Random(seed)
    pools = {code: [f.enrollment() for _ in range(POOL)]
             for code, f in ((c, EnrollmentFaker(c, seed=seed + i)) for i, c in enumerate(codes))}
    names = [r["full_name"].split() for pool in pools.values() for r in pool]
    firsts, lasts = [n[0] for n in names], [n[-1] for n in names]
    serial = iter(range(10**9))
    start = date(1960, 1, 1)

    def maker(code: str) -> Callable[[], dict]:
        region = code.replace(".", "")[:6]

        def make() -> dict:
            record = dict(rng.choice(pools[code]))
            sex = rng.choice("LP")
            born = start + timedelta(days=rng.randrange(365 * 44))
            number = next(serial)
            record.update(id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), sex=sex,
                          birth_date=born.isoformat(),
                          nik=make_nik(born, sex, region, number % 9999 + 1),
                          kk_number=make_kk(born + timedelta(days=rng.randrange(6000, 12000)),
                                            region, rng.randrange(1, 9999)),
                          full_name=f"{rng.choice(firsts)} {rng.choice(lasts)}")
            return record
        return make

    return {code: maker(code) for code in codes}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ms(values: list[float]) -> dict[str, float]:
    return {"median": round(1000 * median(values), 2), "p95": round(1000 * percentile(values, 0.95), 2)}


def probes(makers: dict[str, Callable[[], dict]], rounds: int = 30,
           size: int = 500) -> list[protocol.Batch]:
    """``rounds`` batches of ``size`` records not yet at central (new people, as most
    of a real batch is), each from one kelurahan."""
    codes = sorted(makers)
    rng = random.Random(11)
    return [protocol.new_batch("probe", code, [protocol.record_from_row(
        {**makers[code](), "version": 1}) for _ in range(size)])
        for code in (rng.choice(codes) for _ in range(rounds))]


def lookups(db: Database, batches: list[protocol.Batch]) -> dict[str, Any]:
    """The city-wide dedupe lookups central runs for each batch, timed per batch:
    by NIK, and the likely-duplicate candidates
    (``duplicate_candidates.likely_duplicate_candidates``, by birth date with KK or a
    name word); the full scan of everyone born on the batch's dates
    (``duplicate_candidates.active_by_birth_date``, what ingest ran before migration
    0010) is timed beside it."""
    store.active_by_nik(db, [r["nik"] for r in batches[0].records])   # warm the connection
    nik_times, date_times, scan_times, candidates, scanned = [], [], [], [], []
    for batch in batches:
        niks = [r["nik"] for r in batch.records]
        rows = [{**r, "name_key": dedupe.name_key(r["full_name"])} for r in batch.records]
        started = time.perf_counter()
        store.active_by_nik(db, niks)
        nik_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        found = candidate_store.likely_duplicate_candidates(db, rows,
                                                            other_than=batch.kelurahan_code)
        date_times.append(time.perf_counter() - started)
        candidates.append(len(found))
        started = time.perf_counter()
        found = candidate_store.active_by_birth_date(db, [r["birth_date"] for r in rows],
                                                     other_than=batch.kelurahan_code)
        scan_times.append(time.perf_counter() - started)
        scanned.append(len(found))
    return {"nik_lookup_500_ms": ms(nik_times), "likely_duplicate_candidates_500_ms": ms(date_times),
            "candidates_per_batch_median": median(candidates),
            "full_date_scan_500_ms": ms(scan_times),
            "full_date_scan_rows_per_batch_median": median(scanned)}


def plans(db: Database, batch: protocol.Batch) -> dict[str, list[str]]:
    """EXPLAIN of both lookups (are they still index scans at this size?)."""
    out = {}
    for name, column, values, extra in (
            ("nik", "nik", [r["nik"] for r in batch.records], ""),
            ("birth_date", "birth_date", sorted({r["birth_date"] for r in batch.records}),
             " AND kelurahan_code <> ?")):
        among, params = db.in_list(column, values)
        rows = db.query(f"EXPLAIN SELECT central_id FROM records WHERE status IN ('accepted',"
                        f" 'registered') AND {among}{extra}",
                        [*params, *([batch.kelurahan_code] if extra else [])])
        out[name] = [next(iter(r.values())).strip() for r in rows]
    return out


def fits(records: int, folder: Path) -> tuple[int, int]:
    """How many records the free disk holds (with half of it kept free), and the free bytes."""
    free = shutil.disk_usage(folder).free
    return min(records, int(free / 2 / BYTES_PER_RECORD)), free


def clone_rows(db: Database, template: list[dict[str, Any]], count: int, seed: int,
               names: tuple[list[str], list[str]]) -> float:
    """``count`` more records in the shape central stored ``template`` (statuses,
    eligibility, every column), each with a new record id, sex, birth date, NIK, KK
    and recombined name, written by COPY into a temporary table and INSERT ... SELECT
    in transactions of 50,000 (the few that draw a NIK already active are left out);
    the seconds."""
    rng = random.Random(seed)
    columns = tuple(c for c in template[0] if c != "central_id")
    firsts, lasts = names
    start, written, seconds = date(1960, 1, 1), 0, 0.0
    while written < count:
        rows = []
        for _ in range(min(50_000, count - written)):
            row = dict(rng.choice(template))
            sex = rng.choice("LP")
            born = start + timedelta(days=rng.randrange(365 * 44))
            name = f"{rng.choice(firsts)} {rng.choice(lasts)}"
            region = row["kelurahan_code"].replace(".", "")[:6]
            row.update(record_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                       sex=sex, birth_date=born.isoformat(), full_name=name,
                       name_key=dedupe.name_key(name),
                       nik=make_nik(born, sex, region, rng.randrange(1, 9999)),
                       kk_number=make_kk(born + timedelta(days=rng.randrange(6000, 12000)),
                                         region, rng.randrange(1, 9999)))
            rows.append(tuple(row[c] for c in columns))
            written += 1
        started = time.perf_counter()
        with db.transaction():
            # a clone that draws a NIK someone active holds is left out (a handful)
            db.run("CREATE TEMP TABLE IF NOT EXISTS incoming (LIKE records INCLUDING DEFAULTS)"
                   " ON COMMIT DELETE ROWS")
            db.insert_rows("incoming", columns, rows)
            names_sql = ", ".join(columns)
            top = db.one("SELECT COALESCE(MAX(central_id), 0) AS top FROM records")["top"]
            db.run(f"INSERT INTO records ({names_sql}) SELECT {names_sql} FROM incoming"
                   " ON CONFLICT (nik) WHERE status IN ('accepted', 'registered') DO NOTHING")
            # their name words, as central's ingest writes them (migration 0010's fill)
            db.run("INSERT INTO record_name_words (central_id, birth_date, word, word_count)"
                   " SELECT DISTINCT r.central_id, r.birth_date, w.word,"
                   " cardinality(string_to_array(r.name_key, ' ')) FROM records r,"
                   " unnest(string_to_array(r.name_key, ' ')) AS w(word)"
                   " WHERE r.central_id > ? AND r.name_key <> '' AND r.birth_date <> ''", (top,))
        seconds += time.perf_counter() - started
        print(json.dumps({"cloned_so_far": written, "seconds": round(seconds, 1)}),
              file=sys.stderr, flush=True)
    return seconds


def through_central(db: Database, batches: list[protocol.Batch]) -> float:
    """Seconds for central's ingest of every batch (one transaction each)."""
    digests = [protocol.content_hash(b) for b in batches]   # the endpoint has it from the header
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    for batch, digest in zip(batches, digests):
        ingest_batch(db, batch, 1, ingest_bench.MAX_DESIL, digest)
    seconds = time.perf_counter() - started
    gc.unfreeze()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=76_500,
                        help="records made and ingested between timings (153 x 500)")
    parser.add_argument("--central-records", type=int, default=76_500,
                        help="records through central's ingest before the bulk fill (all of"
                             " --records: every record through central, hours at 1M)")
    parser.add_argument("--tail", type=int, default=10_000,
                        help="records through central's ingest once the table is full")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--pg-data", type=Path, default=Path("/var/lib/postgresql"),
                        help="where PostgreSQL keeps its files (for the free-disk check)")
    args = parser.parse_args()
    # a run stopped by SIGTERM still drops its database (the finally below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped (SIGTERM)"))
    asked = args.records
    args.records, free_bytes = fits(args.records, args.pg_data if args.pg_data.exists() else HERE)
    if args.records < asked:
        print(f"only {args.records} records fit in {free_bytes / 2**30:.1f} GiB free", file=sys.stderr)
    codes = [k.code for k in kelurahan_list()]
    chunks: list[dict[str, Any]] = []
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    bulk_seconds, cloned = 0.0, 0
    with throwaway_database("postgresql", HERE, "scale", args.pg_server, migrated=True) as url:
        db = Database(url)
        try:
            with db.transaction():
                for code in codes:
                    add_device(db, f"dev-{code}", code, "bench", "-", utc_now())
            done = 0
            seed = 100
            makers = fast_makers(codes, seed)
            probe = probes(makers)
            first_lookups: dict[str, Any] = {}
            while done < min(args.central_records, args.records):
                size = min(args.chunk, args.central_records - done, args.records - done)
                batches = ingest_bench.make_batches(
                    ingest_bench.make_records(size, codes, seed=seed, makers=makers), args.batch)
                seed += 1  # the planted duplicates of the next chunk
                seconds = through_central(db, batches)
                done += size
                chunks.append({"records_so_far": done, "seconds": round(seconds, 2),
                               "records_per_s": round(size / seconds),
                               "load_1min": round(os.getloadavg()[0], 1)
                               if hasattr(os, "getloadavg") else None})
                print(json.dumps(chunks[-1]), file=sys.stderr, flush=True)
                if len(chunks) == 1:
                    first_lookups = {"records": done, **lookups(db, probe)}
            if done < args.records:
                template = db.query("SELECT * FROM records")
                names = ([r["full_name"].split()[0] for r in template],
                         [r["full_name"].split()[-1] for r in template])
                cloned = args.records - done
                bulk_seconds = clone_rows(db, template, cloned, seed, names)
                del template
                db.run("ANALYZE records")   # what autovacuum does after a bulk load
            held = db.one("SELECT COUNT(*) AS n FROM records")["n"]
            at_size = {"records": held, **lookups(db, probe)}
            plan = plans(db, probe[0])
            tail_codes = codes[::max(1, len(codes) // max(1, args.tail // args.batch))]
            tail = ingest_bench.make_batches(ingest_bench.make_records(
                args.tail, tail_codes, seed=9999, makers=makers), args.batch)
            tail_seconds = through_central(db, tail)
            statuses = {r["status"]: r["n"] for r in db.query(
                "SELECT status, COUNT(*) AS n FROM records GROUP BY status")}
            size_bytes = db.one("SELECT pg_total_relation_size('records') AS n")["n"]
            database_bytes = db.one("SELECT pg_database_size(current_database()) AS n")["n"]
        finally:
            db.close()
    central_seconds = sum(c["seconds"] for c in chunks)

    def ratio(key: str) -> float:
        return round(at_size[key]["p95"] / first_lookups[key]["p95"], 2)

    tail_rate = round(args.tail / tail_seconds)
    print(json.dumps({
        "records": args.records, "records_asked": asked, "free_disk_gib": round(free_bytes / 2**30, 1),
        "batch_size": args.batch, "kelurahan": len(codes),
        "through_central": {"records": done, "seconds": round(central_seconds, 1),
                            "records_per_s": round(done / central_seconds)},
        "bulk_copy": {"records": cloned, "seconds": round(bulk_seconds, 1),
                      "records_per_s": round(cloned / bulk_seconds) if bulk_seconds else None},
        "baseline_first_chunk_records_per_s": chunks[0]["records_per_s"],
        "at_size_ingest": {"records": args.tail, "batches": len(tail),
                           "seconds": round(tail_seconds, 1), "records_per_s": tail_rate,
                           "ms_per_batch": round(1000 * tail_seconds / len(tail), 1)},
        "ratio_at_size_to_first_chunk": round(tail_rate / chunks[0]["records_per_s"], 3),
        **{k: v for k, v in at_size.items() if k != "records"},
        "records_at_lookup": held,
        "baseline_first_chunk_lookups": first_lookups,
        "nik_lookup_p95_ratio_full_to_first_chunk": ratio("nik_lookup_500_ms"),
        "likely_duplicate_p95_ratio_full_to_first_chunk": ratio("likely_duplicate_candidates_500_ms"),
        "explain": plan,
        "records_table_bytes": size_bytes, "database_bytes": database_bytes,
        "stored": statuses, "chunks": chunks,
        "load_average_before": load_before,
        "load_average_after": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }, indent=2))


if __name__ == "__main__":
    main()
