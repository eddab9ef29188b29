"""What an erasure's compaction costs at central on PostgreSQL, against a plain VACUUM.

    python bench/erasure_bench.py [--records 100000] [--erasures 3] [--batch 500]

On a throw-away PostgreSQL database with central's migrations, ``--records`` records
of the 153 kelurahan go through ``central.ingest.ingest_batch`` (so ``records``,
``record_name_words``, ``updates`` and ``duplicate_flags`` hold what ingest writes;
the likely duplicates of ingest_bench.py included), then ``VACUUM ANALYZE`` (what
autovacuum leaves on a live server). Then, ``--erasures`` times:

* ``berjasa central privacy erase``'s service (``central.privacy.erase_nik``) of one
  held NIK, timed whole and its compaction alone (``central.storage.privacy.compact``:
  ``VACUUM (FULL)`` of every table an erasure touches), while a second connection
  reads ``SELECT count(*) FROM records`` in a loop: the longest such read is how
  long the dashboard, an export or an ingest waits for the rewrite's lock;
* the baseline: a plain ``VACUUM`` of the same tables (what compaction did before,
  on three of them), which leaves the erased row's bytes in the pages.

The JSON gives the table sizes, the per-table VACUUM FULL seconds, the median and
maximum of each timing, and the longest blocked read. docs/privacy.md quotes it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
_spec = importlib.util.spec_from_file_location("ingest_bench", HERE / "ingest_bench.py")
ingest_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ingest_bench)
_spec = importlib.util.spec_from_file_location("scale_bench", HERE / "scale_bench.py")
scale_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scale_bench)

from bench.throwaway_db import PG_SERVER, throwaway_database
from berjasa.reference import kelurahan_list
from central import privacy
from central.ingest import ingest_batch
from central.storage import privacy as store
from central.storage.db import Database, utc_now
from central.storage.devices import add_device
from sync import protocol


def fill(db: Database, count: int, size: int) -> float:
    """``count`` records through central's ingest; the seconds."""
    codes = [k.code for k in kelurahan_list()]
    with db.transaction():
        for code in codes:
            add_device(db, f"dev-{code}", code, "bench", "-", utc_now())
    makers = scale_bench.fast_makers(codes, 100)
    batches = ingest_bench.make_batches(
        ingest_bench.make_records(count, codes, seed=100, makers=makers), size)
    started = time.perf_counter()
    for batch in batches:
        ingest_batch(db, batch, 1, ingest_bench.MAX_DESIL, protocol.content_hash(batch))
    return time.perf_counter() - started


def sizes(db: Database) -> dict[str, int]:
    """Bytes of each table an erasure touches, with its indexes and TOAST."""
    return {t: db.one("SELECT pg_total_relation_size(?::regclass) AS n", (t,))["n"]
            for t in store.ERASURE_TABLES}


class Reader(threading.Thread):
    """Reads ``count(*)`` of records in a loop on its own connection; keeps the
    longest read."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.longest, self.stop = url, 0.0, threading.Event()

    def run(self) -> None:
        db = Database(self.url)
        try:
            while not self.stop.is_set():
                started = time.perf_counter()
                db.one("SELECT count(*) AS n FROM records")
                self.longest = max(self.longest, time.perf_counter() - started)
                time.sleep(0.01)
        finally:
            db.close()


def per_table_full(db: Database) -> dict[str, float]:
    """Seconds of VACUUM FULL of each table on its own (after an erasure)."""
    out = {}
    for table in store.ERASURE_TABLES:
        started = time.perf_counter()
        db.conn.execute(f"VACUUM (FULL) {table}")
        out[table] = round(time.perf_counter() - started, 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--erasures", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--pg-server", default=PG_SERVER)
    args = parser.parse_args()
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryDirectory(prefix="berjasa-erasure-bench-") as tmp, \
            throwaway_database("postgresql", Path(tmp), "erasure", args.pg_server,
                               migrated=True) as url:
        folder = Path(tmp)
        db = Database(url, data_dir=folder)
        try:
            ingest_seconds = fill(db, args.records, args.batch)
            db.run("VACUUM ANALYZE")
            table_bytes = sizes(db)
            niks = [r["nik"] for r in db.query(
                "SELECT nik FROM records WHERE status = 'accepted' ORDER BY central_id"
                " LIMIT ?", (2 * args.erasures,))]
            compact = store.compact
            compact_times: list[float] = []

            def timed(database: Database) -> bool:
                started = time.perf_counter()
                try:
                    return compact(database)
                finally:
                    compact_times.append(time.perf_counter() - started)

            def plain(database: Database) -> bool:
                started = time.perf_counter()
                for table in store.ERASURE_TABLES:
                    database.conn.execute(f"VACUUM {table}")
                plain_times.append(time.perf_counter() - started)
                return True

            erase_times, blocked, plain_times = [], [], []
            for nik, other in zip(niks[::2], niks[1::2]):
                store.compact = timed
                reader = Reader(url)
                reader.start()
                started = time.perf_counter()
                answer = privacy.erase_nik(db, folder, nik, "Surat bench", "bench")
                erase_times.append(time.perf_counter() - started)
                reader.stop.set()
                reader.join()
                blocked.append(reader.longest)
                assert answer["compacted"], answer
                store.compact = plain  # the baseline: another erasure, a plain VACUUM after it
                privacy.erase_nik(db, folder, other, "Surat bench", "bench")
            store.compact = compact
            per_table = per_table_full(db)
            held = db.one("SELECT count(*) AS n FROM records")["n"]
        finally:
            db.close()

    def figures(values: list[float]) -> dict[str, float]:
        return {"median": round(median(values), 3), "max": round(max(values), 3)}

    print(json.dumps({
        "records": held, "ingest_seconds": round(ingest_seconds, 1),
        "table_bytes": table_bytes, "total_mb": round(sum(table_bytes.values()) / 2**20, 1),
        "erase_seconds": figures(erase_times), "compact_seconds": figures(compact_times),
        "longest_blocked_read_seconds": figures(blocked),
        "baseline_plain_vacuum_seconds": figures(plain_times),
        "vacuum_full_seconds_per_table": per_table,
        "ratio_plain_to_full": round(median(plain_times) / median(compact_times), 3),
        "load_before": load_before,
        "load_after": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }, indent=2))


if __name__ == "__main__":
    main()
