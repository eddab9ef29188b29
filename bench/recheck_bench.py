"""Re-evaluating every record held (``berjasa central recheck``) against a raw
set-based write of the same rows, in one run.

    python bench/recheck_bench.py [--records 100000] [--backend postgresql|sqlite]

Seeds ``--records`` accepted records (about half listed in a DTSEN snapshot, a few
percent in the BPJS list) into a fresh central database, then times:

* ``recheck``: ``central.recheck.recheck`` (keyset pages joined with the snapshots,
  rules in Python, one bulk write per page, update entries), in one transaction;
* ``raw_update``: one ``UPDATE records SET eligibility = ..., evaluated_at = ...`` of
  every row (the database's write cost for the same rows, no reading, no rules).

Prints JSON with both times, the ratio and records/s.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.throwaway_db import PG_SERVER, throwaway_database
from central.recheck import recheck
from central.storage import snapshots
from central.storage.db import Database, migrate, utc_now

COLUMNS = ("kelurahan_code", "record_id", "batch_id", "nik", "name_key", "birth_date", "occupation",
           "work_category", "monthly_income", "status", "content_hash", "received_at", "updated_at")


def seed(db: Database, count: int) -> None:
    rng = random.Random(3)
    now = utc_now()
    rows, dtsen, bpjs = [], [], []
    for index in range(count):
        nik = f"7371{index:012d}"
        rows.append(("73.71.01.1001", f"r{index}", "b", nik, "nama", f"19{rng.randint(60, 99)}-01-15",
                     "Pedagang", rng.choice(["Buruh harian lepas", "Pengemudi ojek", None]),
                     rng.randrange(500_000, 5_000_000, 50_000), "accepted", "h", now, now))
        if rng.random() < 0.5:
            dtsen.append((nik, None, None, None, None, rng.randint(1, 10), 1))
        if rng.random() < 0.03:
            bpjs.append((nik, "12345678901", "JKK", rng.choice(["Aktif", "Nonaktif"]), None, 2,
                         index + 2))
    with db.transaction():
        db.insert_rows("records", COLUMNS, rows)
        for kind, table_rows in (("dtsen", dtsen), ("bpjs", bpjs)):
            snapshots.start_import(db, kind, f"{kind}.csv", "", now, "bench")
            snapshots.insert(db, kind, table_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--pg-server", default=PG_SERVER)
    args = parser.parse_args()
    with (tempfile.TemporaryDirectory() as tmp,
          throwaway_database(args.backend, Path(tmp), pg_server=args.pg_server) as url):
        db = Database(url)
        migrate(db)
        seed(db, args.records)
        start = time.perf_counter()
        with db.transaction():
            summary = recheck(db, {})
        recheck_seconds = time.perf_counter() - start
        start = time.perf_counter()
        with db.transaction():
            db.run("UPDATE records SET eligibility = ?, evaluated_at = ?", ('[{"rule":"x"}]', utc_now()))
        raw_seconds = time.perf_counter() - start
        db.close()
    print(json.dumps({
        "backend": args.backend, "records": args.records,
        "recheck": {"seconds": round(recheck_seconds, 2),
                    "records_per_s": round(args.records / recheck_seconds), "summary": summary},
        "raw_update": {"seconds": round(raw_seconds, 2)},
        "ratio_recheck_to_raw": round(recheck_seconds / raw_seconds, 1),
        "load_average": [round(x, 1) for x in __import__("os").getloadavg()],
    }, indent=2))


if __name__ == "__main__":
    main()
