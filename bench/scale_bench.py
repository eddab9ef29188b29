"""City-scale ingest on PostgreSQL: a million records, and the duplicate lookups at that size.

    python bench/scale_bench.py [--records 1000000] [--chunk 50000] [--batch 500]

Fills a throw-away PostgreSQL database through ``central.ingest.ingest_batch`` (the
same path ``POST /api/v1/batches`` takes after the signature check), from all 153
kelurahan, in chunks of synthetic records made between timings (record making is
not on the clock). Reports the ingest rate per chunk (does it hold as the table
grows?), then at full size: the city-wide NIK lookup and the likely-duplicate
candidate lookup for a 500-record batch (median and p95 of 30), and one more
batch's whole ingest. Baseline in the same run: the first chunk's rate (an almost
empty table). Used by docs/architecture.md's scale plan.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import random
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
_spec = importlib.util.spec_from_file_location("ingest_bench", HERE / "ingest_bench.py")
ingest_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ingest_bench)

from berjasa.reference import kelurahan_list
from central.ingest import ingest_batch
from central.storage import records as store
from central.storage.db import Database, utc_now
from central.storage.devices import add_device
from sync import protocol


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args()
    codes = [k.code for k in kelurahan_list()]
    chunks: list[dict[str, Any]] = []
    with ingest_bench.fresh_database("postgresql", args.pg_server, HERE, "scale") as url:
        db = Database(url)
        try:
            with db.transaction():
                for code in codes:
                    add_device(db, f"dev-{code}", code, "bench", "-", utc_now())
            done = 0
            seed = 100
            sample: list[protocol.Batch] = []
            while done < args.records:
                size = min(args.chunk, args.records - done)
                batches = ingest_bench.make_batches(
                    ingest_bench.make_records(size, codes, seed=seed), args.batch)
                seed += 1000  # each EnrollmentFaker is seeded seed + kelurahan index
                digests = [protocol.content_hash(b) for b in batches]
                gc.collect()
                gc.freeze()
                started = time.perf_counter()
                for batch, digest in zip(batches, digests):
                    ingest_batch(db, batch, 1, ingest_bench.MAX_DESIL, digest)
                seconds = time.perf_counter() - started
                gc.unfreeze()
                done += size
                chunks.append({"records_so_far": done, "seconds": round(seconds, 2),
                               "records_per_s": round(size / seconds)})
                print(json.dumps(chunks[-1]), file=sys.stderr, flush=True)
                sample = batches[:40]
            rng = random.Random(5)
            nik_times, date_times = [], []
            for batch in rng.sample(sample, min(30, len(sample))):
                niks = [r["nik"] for r in batch.records]
                dates = [r["birth_date"] for r in batch.records]
                started = time.perf_counter()
                store.active_by_nik(db, niks)
                nik_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                store.active_by_birth_date(db, dates, other_than=batch.kelurahan_code)
                date_times.append(time.perf_counter() - started)
            extra = ingest_bench.make_batches(ingest_bench.make_records(args.batch, codes[:1],
                                                                        seed=9999), args.batch)[0]
            started = time.perf_counter()
            ingest_batch(db, extra, 1, ingest_bench.MAX_DESIL, protocol.content_hash(extra))
            one_batch = time.perf_counter() - started
            statuses = {r["status"]: r["n"] for r in db.query(
                "SELECT status, COUNT(*) AS n FROM records GROUP BY status")}
            size_bytes = db.one("SELECT pg_total_relation_size('records') AS n")["n"]
        finally:
            db.close()
    total_seconds = sum(c["seconds"] for c in chunks)
    print(json.dumps({
        "records": args.records, "batch_size": args.batch, "kelurahan": len(codes),
        "ingest": {"seconds": round(total_seconds, 1),
                   "records_per_s": round(args.records / total_seconds)},
        "baseline_first_chunk_records_per_s": chunks[0]["records_per_s"],
        "last_chunk_records_per_s": chunks[-1]["records_per_s"],
        "ratio_last_to_first_chunk": round(chunks[-1]["records_per_s"] / chunks[0]["records_per_s"], 3),
        "nik_lookup_500_ms": {"median": round(1000 * median(nik_times), 2),
                              "p95": round(1000 * percentile(nik_times, 0.95), 2)},
        "likely_duplicate_candidates_500_ms": {"median": round(1000 * median(date_times), 2),
                                               "p95": round(1000 * percentile(date_times, 0.95), 2)},
        "one_more_batch_ingest_ms": round(1000 * one_batch, 1),
        "records_table_bytes": size_bytes, "stored": statuses, "chunks": chunks,
    }, indent=2))


if __name__ == "__main__":
    main()
